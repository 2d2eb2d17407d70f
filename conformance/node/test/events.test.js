// ACK's event APIs through the official Node SDK: a cluster's creation and an upgrade's stages,
// newest first, and the type filter of DescribeEvents.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Cs, startServer, createCluster, waitTask } = require('../lib/server');

let server;
before(async () => {
  server = await startServer(['--stage-duration', '0s']);
});
after(async () => server.stop());

test('events of a cluster and of the account', async () => {
  const c = server.client();
  const { clusterId } = await createCluster(c, [{ name: 'metrics-server', version: 'v0.3.9.4-ff225cd-aliyun' }]);
  const up = await c.upgradeClusterAddons(clusterId, new Cs.UpgradeClusterAddonsRequest({
    body: [new Cs.UpgradeClusterAddonsRequestBody({ componentName: 'metrics-server', nextVersion: 'v0.3.9.7-aliyun' })],
  }));
  assert.equal(await waitTask(c, up.body.taskId), 'success');
  const mine = (await c.describeClusterEvents(clusterId, new Cs.DescribeClusterEventsRequest({ taskId: up.body.taskId }))).body;
  assert.deepEqual(mine.events.map((e) => e.type).reverse(),
    ['task.created', 'task.stage', 'task.stage', 'task.stage', 'task.succeeded']);
  assert.equal(mine.pageInfo.totalCount, 5);
  assert.equal(mine.events[0].data.reason, 'TaskSucceeded');
  assert.ok(mine.events.every((e) => e.subject === up.body.taskId && e.clusterId === clusterId));
  const created = (await c.describeEvents(new Cs.DescribeEventsRequest({ clusterId, type: 'cluster.*' }))).body;
  assert.deepEqual(created.events.map((e) => e.type), ['cluster.created']);
  await assert.rejects(c.describeEvents(new Cs.DescribeEventsRequest({ type: 'bogus' })), (e) => {
    assert.equal(e.code, 'InvalidParameter');
    return true;
  });
});
