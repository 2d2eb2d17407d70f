// Starts the real ack-addons binary on a fresh SQLite file and builds official SDK clients.
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const Cs = require('@alicloud/cs20151215');
const { $OpenApiUtil } = require('@alicloud/openapi-core');

const BIN = process.env.ACK_ADDONS_BIN || path.resolve(__dirname, '../../../target/debug/ack-addons');

// ACK_ADDONS_TEST_PG (e.g. postgres://postgres@127.0.0.1:5432) runs on a fresh PostgreSQL database.
let serial = 0;
const created = [];
function freshDb(tmp) {
  const pg = process.env.ACK_ADDONS_TEST_PG;
  if (!pg) return `sqlite://${tmp}/node.db`;
  const name = `ack_node_${process.pid}_${serial++}`;
  for (const sql of [`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, `CREATE DATABASE ${name}`]) {
    execFileSync('psql', [`${pg}/postgres`, '-qAtc', sql]);
  }
  created.push([pg, name]);
  return `${pg}/${name}`;
}

// The shared server keeps nothing of a run: each test file's databases go when it exits.
process.on('exit', () => {
  for (const [pg, name] of created) {
    try {
      execFileSync('psql', [`${pg}/postgres`, '-qAtc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { stdio: 'ignore' });
    } catch {
      // Best effort: a server already gone leaves nothing to drop.
    }
  }
});

// With `{ tls: true }` the server makes its own certificate (--tls-self-signed) and the clients
// trust it: the SDK's `ca` takes the PEM text itself, not a path.
async function startServer(extraArgs, { tls = false } = {}) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ack-node-'));
  const db = freshDb(tmp);
  const tlsArgs = tls ? ['--tls-self-signed', '--tls-dir', tmp] : [];
  const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--database', db, '--access-key', 'testid:testsecret', ...tlsArgs, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const line = await new Promise((resolve, reject) => {
    readline.createInterface({ input: proc.stdout }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const protocol = tls ? 'https' : 'http';
  assert.match(line, new RegExp(`^listening on ${protocol}://127\\.0\\.0\\.1:\\d+$`));
  const port = Number(line.split(':').pop());
  const ca = tls ? fs.readFileSync(path.join(tmp, 'cert.pem'), 'utf8') : undefined;
  return {
    port,
    client(signatureAlgorithm, secret = 'testsecret') {
      const cfg = { accessKeyId: 'testid', accessKeySecret: secret, endpoint: `127.0.0.1:${port}`, protocol, regionId: 'cn-hangzhou' };
      if (signatureAlgorithm) cfg.signatureAlgorithm = signatureAlgorithm;
      if (ca) cfg.ca = ca;
      return new Cs.default(new $OpenApiUtil.Config(cfg));
    },
    async stop() {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      assert.equal(await exited, 0);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

// Polls DescribeTaskInfo until the task reaches one of `until`, as Terraform does.
async function waitTask(c, taskId, until = ['success', 'fail', 'canceled']) {
  for (let i = 0; i < 1500; i++) {
    const { state } = (await c.describeTaskInfo(taskId)).body;
    if (until.includes(state)) return state;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`task ${taskId} did not reach ${until}`);
}

async function createCluster(c, addons, kubernetesVersion = '1.28.9-aliyun.1') {
  const resp = await c.createCluster(new Cs.CreateClusterRequest({
    name: 'node', regionId: 'cn-hangzhou', clusterType: 'ManagedKubernetes', kubernetesVersion,
    addons: addons.map((a) => new Cs.Addon(a)),
  }));
  assert.match(resp.body.clusterId, /^c[0-9a-f]{32}$/);
  assert.match(resp.body.taskId, /^T-/);
  assert.equal(await waitTask(c, resp.body.taskId), 'success');
  return resp.body;
}

module.exports = { Cs, startServer, waitTask, createCluster };
