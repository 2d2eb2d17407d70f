// The read side through the official Node SDK (@alicloud/cs20151215), ACS3 and ROA signing,
// against the real binary on a fresh SQLite file.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Cs, startServer, createCluster, waitTask } = require('../lib/server');

let server;
before(async () => {
  server = await startServer(['--stage-duration', '0s']);
});
after(async () => server.stop());

const client = (alg, secret) => server.client(alg, secret);

for (const alg of [undefined, 'v2']) {
  const label = alg || 'v3';

  test(`${label}: create, status, versions, instances, tasks`, async () => {
    const c = client(alg);
    const created = await createCluster(c, [{ name: 'nginx-ingress-controller', version: 'v1.8.0-aliyun.1' }]);
    const status = await c.describeClusterAddonsUpgradeStatus(created.clusterId,
      new Cs.DescribeClusterAddonsUpgradeStatusRequest({ componentIds: ['nginx-ingress-controller', 'flannel', 'x y*z'] }));
    assert.deepEqual(Object.keys(status.body).sort(), ['flannel', 'nginx-ingress-controller']);
    const nic = status.body['nginx-ingress-controller'];
    assert.equal(nic.addon_info.version, 'v1.8.0-aliyun.1');
    assert.equal(nic.addon_info.ready_to_upgrade, 'true');
    assert.equal(nic.can_upgrade, true);
    assert.equal(nic.tasks.status, 'Success');
    assert.equal(status.body.flannel.addon_info.version, '');

    const versions = await c.describeClusterAddonsVersion(created.clusterId);
    assert.equal(versions.body['nginx-ingress-controller'].next_version, 'v1.10.2-aliyun.1');

    const inst = await c.getClusterAddonInstance(created.clusterId, 'nginx-ingress-controller');
    assert.equal(inst.body.state, 'active');
    assert.equal(inst.body.version, 'v1.8.0-aliyun.1');
    assert.equal(JSON.parse(inst.body.config).IngressSlbNetworkType, 'internet');

    const list = await c.listClusterAddonInstances(created.clusterId);
    assert.ok(list.body.addons.some((a) => a.name === 'coredns' && a.state === 'active'));

    const task = await c.describeTaskInfo(created.taskId);
    assert.equal(task.body.state, 'success');
    assert.equal(task.body.clusterId, created.clusterId);

    const addon = await c.describeAddon('nginx-ingress-controller', new Cs.DescribeAddonRequest({ clusterId: created.clusterId, version: '' }));
    assert.equal(addon.body.version, 'v1.10.2-aliyun.1');

    const meta = await c.describeClusterAddonMetadata(created.clusterId, 'nginx-ingress-controller',
      new Cs.DescribeClusterAddonMetadataRequest({ version: 'v1.8.0-aliyun.1' }));
    assert.equal(meta.body.version, 'v1.8.0-aliyun.1');
    assert.ok(JSON.parse(meta.body.configSchema).properties.IngressSlbSpec);

    const described = await c.describeClusterAddonInstance(created.clusterId, 'nginx-ingress-controller');
    assert.equal(described.body.state, 'active');

    const one = await c.describeClusterAddonUpgradeStatus(created.clusterId, 'nginx-ingress-controller');
    assert.equal(one.body['nginx-ingress-controller'].can_upgrade, true);

    const listed = await c.listAddons(new Cs.ListAddonsRequest({ clusterId: created.clusterId }));
    assert.ok(listed.body.addons.some((a) => a.name === 'flannel' && a.version === 'v0.15.1.28-0ad4f25e-aliyun'));

    const groups = await c.describeAddons(new Cs.DescribeAddonsRequest({ region: 'cn-hangzhou' }));
    assert.equal(groups.body.standardComponents.coredns.required, 'true');

    const page = await c.describeClustersV1(new Cs.DescribeClustersV1Request({ pageSize: 100 }));
    assert.ok(page.body.clusters.some((k) => k.clusterId === created.clusterId));

    const detail = await c.describeClusterDetail(created.clusterId);
    assert.equal(detail.body.currentVersion, '1.28.9-aliyun.1');

    const del = await c.deleteCluster(created.clusterId, new Cs.DeleteClusterRequest({}));
    assert.equal(del.body.clusterId, created.clusterId);
    assert.equal(await waitTask(c, del.body.taskId), 'success');
    await assert.rejects(c.describeClusterDetail(created.clusterId), (e) => {
      assert.equal(e.code, 'ErrorClusterNotFound');
      assert.equal(e.statusCode, 404);
      return true;
    });
  });

  test(`${label}: a wrong secret is refused with SignatureDoesNotMatch`, async () => {
    await assert.rejects(client(alg, 'wrong').describeClusterDetail('c-x'), (e) => {
      assert.equal(e.code, 'SignatureDoesNotMatch');
      assert.equal(e.statusCode, 400);
      return true;
    });
  });
}
