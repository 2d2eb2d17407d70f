// The add-on lifecycle through the official Node SDK: install, upgrade, config change, pause /
// resume / cancel, uninstall, task listing. Stages take 200 ms so in-flight states show.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Cs, startServer, createCluster, waitTask } = require('../lib/server');

let server;
before(async () => {
  server = await startServer(['--stage-duration', '200ms']);
});
after(async () => server.stop());

const status = async (c, cid, name) => (await c.describeClusterAddonsUpgradeStatus(cid,
  new Cs.DescribeClusterAddonsUpgradeStatusRequest({ componentIds: [name] }))).body[name];

const upgrade = (c, cid, name, to, config) => c.upgradeClusterAddons(cid, new Cs.UpgradeClusterAddonsRequest({
  body: [new Cs.UpgradeClusterAddonsRequestBody({ componentName: name, nextVersion: to, config, policy: 'overwrite' })],
}));

for (const alg of [undefined, 'v2']) {
  const label = alg || 'v3';

  test(`${label}: install, upgrade, modify, uninstall`, async () => {
    const c = server.client(alg);
    const { clusterId } = await createCluster(c, [{ name: 'metrics-server', version: 'v0.3.9.4-ff225cd-aliyun' }]);
    const inst = await c.installClusterAddons(clusterId, new Cs.InstallClusterAddonsRequest({
      body: [new Cs.InstallClusterAddonsRequestBody({ name: 'flannel', config: '' })] }));
    assert.equal(inst.body.clusterId, clusterId);
    assert.equal((await status(c, clusterId, 'flannel')).tasks.status, 'Running');
    assert.equal(await waitTask(c, inst.body.taskId), 'success');
    assert.equal((await c.getClusterAddonInstance(clusterId, 'flannel')).body.state, 'active');

    const up = await upgrade(c, clusterId, 'metrics-server', 'v0.3.9.7-aliyun', '{"replicas":2}');
    assert.equal((await status(c, clusterId, 'metrics-server')).tasks.status, 'Upgrading');
    await assert.rejects(upgrade(c, clusterId, 'metrics-server', 'v0.3.9.8-aliyun'), (e) => {
      assert.equal(e.code, 'AddonTaskInProgress');
      assert.equal(e.statusCode, 409);
      return true;
    });
    assert.equal(await waitTask(c, up.body.taskId), 'success');
    const ms = (await c.getClusterAddonInstance(clusterId, 'metrics-server')).body;
    assert.equal(ms.version, 'v0.3.9.7-aliyun');
    assert.equal(JSON.parse(ms.config).replicas, 2);

    await c.modifyClusterAddon(clusterId, 'metrics-server', new Cs.ModifyClusterAddonRequest({ config: '{"replicas":4}' }));
    for (let i = 0; (await status(c, clusterId, 'metrics-server')).tasks.status !== 'Success'; i++) {
      assert.ok(i < 500, 'config change never finished');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(JSON.parse((await c.getClusterAddonInstance(clusterId, 'metrics-server')).body.config).replicas, 4);

    const un = await c.unInstallClusterAddons(clusterId, new Cs.UnInstallClusterAddonsRequest({
      addons: [new Cs.UnInstallClusterAddonsRequestAddons({ name: 'flannel' })] }));
    assert.equal((await c.getClusterAddonInstance(clusterId, 'flannel')).body.state, 'deleting');
    assert.equal(await waitTask(c, un.body.taskId), 'success');
    await assert.rejects(c.getClusterAddonInstance(clusterId, 'flannel'), (e) => e.code === 'AddonNotFound' && e.statusCode === 404);

    const tasks = (await c.describeClusterTasks(clusterId, new Cs.DescribeClusterTasksRequest({ pageSize: 10 }))).body;
    assert.deepEqual(tasks.tasks.map((t) => t.taskType),
      ['addon_uninstall', 'addon_modify', 'addon_upgrade', 'addon_install', 'cluster_create']);
    const res = (await c.listClusterAddonInstanceResources(clusterId, 'metrics-server')).body;
    assert.equal(res.helmRelease.chartVersion, 'v0.3.9.7-aliyun');
  });

  test(`${label}: pause, resume, cancel`, async () => {
    const c = server.client(alg);
    const { clusterId } = await createCluster(c, [{ name: 'coredns', version: 'v1.8.4.5-2ce07fd1-aliyun' }]);
    const up = await upgrade(c, clusterId, 'coredns', 'v1.11.3.2-f57ea7ed6-aliyun');
    await c.pauseTask(up.body.taskId);
    assert.equal(await waitTask(c, up.body.taskId, ['paused']), 'paused');
    assert.equal((await status(c, clusterId, 'coredns')).tasks.status, 'Paused');
    await c.resumeComponentUpgrade(clusterId, 'coredns');
    await c.cancelTask(up.body.taskId);
    assert.equal(await waitTask(c, up.body.taskId), 'canceled');
    const s = await status(c, clusterId, 'coredns');
    assert.equal(s.tasks.status, 'Canceled');
    assert.equal(s.tasks.is_canceled, true);
    assert.equal(s.addon_info.version, 'v1.8.4.5-2ce07fd1-aliyun');
  });
}
