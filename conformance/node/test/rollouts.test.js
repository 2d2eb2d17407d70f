// Rollouts (/fleet/rollouts) through the official Node SDK's generic callApi: a small rollout end
// to end (create, describe until success, the clusters list), and refusals in the ACK error shape.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const $dara = require('@darabonba/typescript');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { startServer, createCluster, waitTask } = require('../lib/server');

const OLD = 'v1.8.4.5-2ce07fd1-aliyun';
const NEW = 'v1.11.3.2-f57ea7ed6-aliyun';
const ZERO = '0001-01-01T00:00:00Z';

// A signed ROA call to the fleet API; answers the JSON body.
async function fleetCall(c, action, method, pathname, body, query) {
  const params = new $OpenApiUtil.Params({
    action, version: '2015-12-15', protocol: 'HTTP', pathname, method,
    authType: 'AK', style: 'ROA', reqBodyType: 'json', bodyType: 'json',
  });
  const q = query ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])) : undefined;
  const req = new $OpenApiUtil.OpenApiRequest({ body, query: q });
  return (await c.callApi(params, req, new $dara.RuntimeOptions({}))).body;
}

const refusedWith = (code, statusCode) => (e) => {
  assert.equal(e.code, code, e.message);
  assert.equal(e.statusCode, statusCode);
  return true;
};

let server;
before(async () => {
  server = await startServer(['--stage-duration', '20ms']);
});
after(async () => server.stop());

test('a rollout over three clusters: canary, then a wave of two', async () => {
  const c = server.client();
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push((await createCluster(c, [{ name: 'coredns', version: OLD }])).clusterId);
  ids.sort();

  const created = await fleetCall(c, 'CreateAddonRollout', 'POST', '/fleet/rollouts', {
    addon: 'coredns', version: NEW, selector: { cluster_ids: ids }, strategy: { canary: 1, wave_size: 2 },
  });
  assert.ok(created.rollout_id && created.request_id);
  assert.equal(created.total, 3);

  let r;
  for (let i = 0; ; i++) {
    r = await fleetCall(c, 'DescribeAddonRollout', 'GET', `/fleet/rollouts/${created.rollout_id}`);
    const n = r.counts;
    assert.equal(n.pending + n.running + n.success + n.fail + n.skipped + n.canceled + n.rolled_back, n.total);
    if (['success', 'fail', 'canceled'].includes(r.state)) break;
    assert.ok(i < 1000, `rollout still ${r.state}`);
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.equal(r.state, 'success');
  assert.equal(r.rollout_id, created.rollout_id);
  assert.equal(r.addon, 'coredns');
  assert.equal(r.version, NEW);
  assert.equal(r.counts.success, 3);
  assert.notEqual(r.finished, ZERO);
  assert.deepEqual(r.error, { code: '', message: '' });
  assert.deepEqual(r.waves.map((w) => [w.index, w.size, w.state]), [[0, 1, 'success'], [1, 2, 'success']]);
  assert.equal(r.strategy.max_parallel, 2, 'max_parallel defaults to the wave size');

  const list = await fleetCall(c, 'DescribeAddonRolloutClusters', 'GET', `/fleet/rollouts/${created.rollout_id}/clusters`,
    undefined, { page_size: 10, page_number: 1 });
  assert.deepEqual(list.page_info, { page_number: 1, page_size: 10, total_count: 3 });
  assert.deepEqual(list.clusters.map((e) => e.cluster_id), ids);
  assert.deepEqual(list.clusters.map((e) => e.wave), [0, 1, 1]);
  for (const e of list.clusters) {
    assert.equal(e.state, 'success');
    assert.equal(e.from_version, OLD);
    assert.equal(e.to_version, NEW);
    assert.match(e.task_id, /^T-/);
    assert.equal(await waitTask(c, e.task_id), 'success');
    assert.equal((await c.describeTaskInfo(e.task_id)).body.taskType, 'addon_upgrade');
    assert.equal((await c.getClusterAddonInstance(e.cluster_id, 'coredns')).body.version, NEW);
  }

  const listed = await fleetCall(c, 'ListAddonRollouts', 'GET', '/fleet/rollouts', undefined, { addon: 'coredns' });
  assert.deepEqual(listed.rollouts.map((x) => x.rollout_id), [created.rollout_id]);
  assert.equal(listed.page_info.total_count, 1);
  assert.equal(listed.rollouts[0].waves, undefined);

  // Ended: pause is refused.
  await assert.rejects(fleetCall(c, 'PauseAddonRollout', 'POST', `/fleet/rollouts/${created.rollout_id}/pause`),
    refusedWith('ErrorRolloutState', 400));
});

test('refusals: unknown rollout, missing version, no matching cluster', async () => {
  const c = server.client('v2');
  await assert.rejects(fleetCall(c, 'DescribeAddonRollout', 'GET', '/fleet/rollouts/r-nope'),
    refusedWith('ErrorRolloutNotFound', 404));
  await assert.rejects(fleetCall(c, 'CreateAddonRollout', 'POST', '/fleet/rollouts', { addon: 'coredns' }), (e) => {
    refusedWith('InvalidParameter', 400)(e);
    assert.match(e.message, /version/);
    return true;
  });
  await assert.rejects(fleetCall(c, 'CreateAddonRollout', 'POST', '/fleet/rollouts', {
    addon: 'coredns', version: NEW, selector: { region_ids: ['cn-shanghai'] },
  }), (e) => {
    refusedWith('InvalidParameter', 400)(e);
    assert.match(e.message, /selector/);
    return true;
  });
});
