// The official Node SDK over HTTPS, trusting the certificate the server made (--tls-self-signed):
// a cluster, its add-on status and an install, as over plain HTTP.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const https = require('node:https');
const { Cs, startServer, createCluster, waitTask } = require('../lib/server');

let server;
before(async () => {
  server = await startServer(['--stage-duration', '0s'], { tls: true });
});
after(async () => server.stop());

test('core calls over https', async () => {
  const c = server.client();
  const { clusterId } = await createCluster(c, [{ name: 'metrics-server', version: 'v0.3.9.4-ff225cd-aliyun' }]);
  const status = await c.describeClusterAddonsUpgradeStatus(clusterId,
    new Cs.DescribeClusterAddonsUpgradeStatusRequest({ componentIds: ['metrics-server'] }));
  assert.equal(status.body['metrics-server'].addon_info.version, 'v0.3.9.4-ff225cd-aliyun');
  const inst = await c.installClusterAddons(clusterId, new Cs.InstallClusterAddonsRequest({
    body: [new Cs.InstallClusterAddonsRequestBody({ name: 'flannel', config: '' })] }));
  assert.equal(await waitTask(c, inst.body.taskId), 'success');
});

test('a client that does not trust the certificate is refused', async () => {
  await assert.rejects(new Promise((resolve, reject) => {
    https.get(`https://127.0.0.1:${server.port}/healthz`, resolve).on('error', reject);
  }), (e) => e.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || /self.signed|certificate/i.test(e.message));
});
