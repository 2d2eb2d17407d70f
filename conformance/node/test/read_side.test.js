// The read side through the official Node SDK (@alicloud/cs20151215), ACS3 and ROA signing,
// against the real binary on a fresh SQLite file.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const Cs = require('@alicloud/cs20151215');
const { $OpenApiUtil } = require('@alicloud/openapi-core');

const BIN = process.env.ACK_ADDONS_BIN || path.resolve(__dirname, '../../../target/debug/ack-addons');
let server;
let port;
let tmp;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ack-node-'));
  const db = process.env.ACK_ADDONS_TEST_DATABASE_URL || `sqlite://${tmp}/node.db`;
  server = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--database', db, '--access-key', 'testid:testsecret', '--stage-duration', '0s'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolve, reject) => {
    readline.createInterface({ input: server.stdout }).once('line', resolve);
    server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  assert.match(line, /^listening on http:\/\/127\.0\.0\.1:\d+$/);
  port = Number(line.split(':').pop());
});

after(async () => {
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  assert.equal(await exited, 0);
  fs.rmSync(tmp, { recursive: true, force: true });
});

function client(signatureAlgorithm, secret = 'testsecret') {
  const cfg = { accessKeyId: 'testid', accessKeySecret: secret, endpoint: `127.0.0.1:${port}`, protocol: 'http', regionId: 'cn-hangzhou' };
  if (signatureAlgorithm) cfg.signatureAlgorithm = signatureAlgorithm;
  return new Cs.default(new $OpenApiUtil.Config(cfg));
}

async function createCluster(c, addons) {
  const resp = await c.createCluster(new Cs.CreateClusterRequest({
    name: 'node', regionId: 'cn-hangzhou', clusterType: 'ManagedKubernetes', kubernetesVersion: '1.28.9-aliyun.1',
    addons: addons.map((a) => new Cs.Addon(a)),
  }));
  assert.match(resp.body.clusterId, /^c[0-9a-f]{32}$/);
  assert.match(resp.body.taskId, /^T-/);
  assert.equal(await waitTask(c, resp.body.taskId), 'success');
  return resp.body;
}

// Polls DescribeTaskInfo until the task ends, as Terraform does.
async function waitTask(c, taskId) {
  for (let i = 0; i < 1500; i++) {
    const { state } = (await c.describeTaskInfo(taskId)).body;
    if (['success', 'fail', 'canceled'].includes(state)) return state;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`task ${taskId} did not end`);
}

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
