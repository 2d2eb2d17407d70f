#!/usr/bin/env python3
"""The soak: mixed signed load against the real binary, with a SIGKILL and restart every
--kill-every seconds, for --minutes; then every task is checked to have ended exactly once, every
5xx to have come within 3 s of a restart, and the server's RSS to be flat once warm.

Run it through scripts/soak.sh (which picks the venv's python and the binary). See README, "Soak".
Exit status 0 when every criterion holds, 1 otherwise, 2 when the set-up itself failed.
"""
import argparse
import collections
import json
import os
import pathlib
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "conformance" / "python"))

for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
    os.environ.pop(var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

from alibabacloud_cs20151215 import models  # noqa: E402
from alibabacloud_cs20151215.client import Client  # noqa: E402
from alibabacloud_tea_openapi import models as open_api_models  # noqa: E402

AK, SECRET = "soakid", "soaksecret"
KUBE = "1.31.1-aliyun.1"
# Add-ons the load installs, upgrades and uninstalls (all three allowed), oldest version first.
LIFECYCLE = {
    "metrics-server": ["v0.3.9.4-ff225cd-aliyun", "v0.3.9.5-aliyun", "v0.3.9.7-aliyun", "v0.3.9.8-aliyun"],
    "nginx-ingress-controller": ["v1.2.1-aliyun.1", "v1.8.0-aliyun.1", "v1.10.2-aliyun.1"],
    "ack-node-problem-detector": ["1.2.16", "1.2.19", "1.2.24"],
    "logtail-ds": ["v1.8.7.0-aliyun", "v2.1.1.0-aliyun"],
    "ack-koordinator": ["1.4.0-ack.1", "1.5.0-ack.1", "1.6.1-ack.1"],
}
ROLLOUT_ADDONS = ["ack-koordinator", "nginx-ingress-controller"]
TERMINAL = {"success": "task.succeeded", "fail": "task.failed", "canceled": "task.canceled"}
TERMINAL_EVENTS = set(TERMINAL.values())
ROLLOUT_LIVE = ("running", "paused")
GRACE = 3.0  # seconds either side of a restart in which 5xx and connection errors are expected


class Server:
    """The ack-addons process on a fixed port and one SQLite file; kill() is SIGKILL."""

    def __init__(self, binary, db, port, args, logdir):
        self.binary, self.db, self.port, self.args, self.logdir = binary, db, port, args, logdir
        self.proc = None
        self.lifetime = 0

    def start(self, timeout=30.0):
        self.lifetime += 1
        log = open(self.logdir / f"server-{self.lifetime}.log", "w")
        cmd = [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--database", self.db] + self.args
        deadline = time.monotonic() + timeout
        while True:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True,
                                         env={**os.environ, "ACK_ADDONS_LOG": "warn"})
            line = self.proc.stdout.readline()
            if re.fullmatch(rf"listening on http://127\.0\.0\.1:{self.port}\n", line):
                return
            self.proc.wait()
            # The port may still be held for a moment after a kill: try again.
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {line!r}; see {log.name}")
            time.sleep(0.2)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "timeout"

    def rss_kb(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError, AttributeError):
            return None
        return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(port):
    return Client(open_api_models.Config(access_key_id=AK, access_key_secret=SECRET, endpoint=f"127.0.0.1:{port}",
                                         protocol="http", region_id="cn-hangzhou", read_timeout=15000,
                                         connect_timeout=2000))


def generic(c, action, method, path, body=None, query=None):
    from alibabacloud_tea_openapi import utils_models
    from darabonba.runtime import RuntimeOptions

    params = utils_models.Params(action=action, version="2015-12-15", protocol="HTTP", pathname=path, method=method,
                                 auth_type="AK", style="ROA", req_body_type="json", body_type="json")
    q = {k: str(v) for k, v in (query or {}).items() if v is not None}
    return c.call_api(params, utils_models.OpenApiRequest(body=body, query=q or None), RuntimeOptions())["body"]


class Soak:
    def __init__(self, opts, server):
        self.opts, self.server = opts, server
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.calls = []  # (t_start, t_end, action, kind): kind "ok", "4xx:CODE", "5xx:CODE", "conn:TYPE"
        self.accepted = {}  # task id -> (cluster id, what)
        self.rollouts = {}  # rollout id -> addon
        self.restarts = []  # (kill at, listening again at, lifetime that ended)
        self.rss = []  # (t, lifetime, kB)
        self.paused = {}  # task id -> when to resume or cancel
        self.live = collections.deque(maxlen=200)  # recently accepted tasks, for pause/cancel
        self.stop_load = threading.Event()
        self.stop_rss = threading.Event()
        self.rng_seed = opts.seed

    def now(self):
        return time.monotonic() - self.t0

    def call(self, action, fn):
        """Runs one SDK call, recording its time and outcome; answers (ok, result or exception)."""
        t = self.now()
        try:
            out = fn()
            kind = "ok"
            ok = True
        except Exception as e:  # noqa: BLE001 - every failure is recorded by kind
            ok, out = False, e
            status = getattr(e, "status_code", None)
            if isinstance(status, int) and status >= 500:
                kind = f"5xx:{getattr(e, 'code', status)}"
            elif isinstance(status, int) and status >= 400:
                kind = f"4xx:{getattr(e, 'code', status)}"
            else:
                kind = f"conn:{type(e).__name__}"
        with self.lock:
            self.calls.append((t, self.now(), action, kind))
        return ok, out

    def accept(self, task_id, cid, what):
        with self.lock:
            self.accepted[task_id] = (cid, what)
            self.live.append((task_id, cid))

    # --- workers -----------------------------------------------------------------------------

    def poller(self, n):
        rng, c = random.Random(self.rng_seed * 100 + n), client(self.server.port)
        while not self.stop_load.is_set():
            cid = rng.choice(self.clusters)
            ids = rng.sample(sorted(LIFECYCLE) + ["coredns"], rng.randint(1, 4)) if rng.random() < 0.7 else None
            self.call("DescribeClusterAddonsUpgradeStatus", lambda: c.describe_cluster_addons_upgrade_status(
                cid, models.DescribeClusterAddonsUpgradeStatusRequest(component_ids=ids)))
            if rng.random() < 0.2 and self.live:
                task_id, _ = rng.choice(list(self.live))
                self.call("DescribeTaskInfo", lambda: c.describe_task_info(task_id))
            time.sleep(self.opts.poll_interval)

    def lifecycle(self, n):
        """Installs, upgrades and uninstalls on random clusters, now and then with a fault injected."""
        rng, c = random.Random(self.rng_seed * 100 + 10 + n), client(self.server.port)
        while not self.stop_load.is_set():
            cid, name = rng.choice(self.clusters), rng.choice(sorted(LIFECYCLE))
            ok, body = self.call("DescribeClusterAddonsUpgradeStatus", lambda: c.describe_cluster_addons_upgrade_status(
                cid, models.DescribeClusterAddonsUpgradeStatusRequest(component_ids=[name])).body)
            if not ok:
                time.sleep(0.2)
                continue
            st = body.get(name) or {}
            version, busy = (st.get("addon_info") or {}).get("version", st.get("version", "")), st.get("tasks", {}).get("status") in ("Running", "Upgrading", "Paused")
            versions = LIFECYCLE[name]
            if rng.random() < 0.05:
                stage = rng.choice(["precheck", "apply", "verify"])
                self.call("InjectFault", lambda: generic(c, "InjectFault", "POST", "/_emulator/faults", {
                    "cluster_id": cid, "component": name, "operation": "upgrade", "stage": stage,
                    "error_code": "SoakFault", "message": "injected by the soak"}))
            if version == "":
                what, fn = "install", lambda: c.install_cluster_addons(cid, models.InstallClusterAddonsRequest(body=[
                    models.InstallClusterAddonsRequestBody(name=name, version=versions[0])])).body
            elif (st.get("can_upgrade") or busy) and rng.random() < 0.75 and version in versions[:-1]:
                # `busy`: sometimes try anyway, to be refused with AddonTaskInProgress.
                to = rng.choice(versions[versions.index(version) + 1:])
                what, fn = "upgrade", lambda: c.upgrade_cluster_addons(cid, models.UpgradeClusterAddonsRequest(body=[
                    models.UpgradeClusterAddonsRequestBody(component_name=name, next_version=to, policy="overwrite")])).body
            else:
                what, fn = "uninstall", lambda: c.un_install_cluster_addons(cid, models.UnInstallClusterAddonsRequest(addons=[
                    models.UnInstallClusterAddonsRequestAddons(name=name, cleanup_cloud_resources=True)])).body
            ok, r = self.call({"install": "InstallClusterAddons", "upgrade": "UpgradeClusterAddons",
                               "uninstall": "UnInstallClusterAddons"}[what], fn)
            if ok:
                self.accept(r.task_id, cid, f"{what} {name}")
            time.sleep(self.opts.change_interval)

    def controller(self):
        """Pauses, resumes and cancels tasks in flight; every pause is resumed or canceled later."""
        rng, c = random.Random(self.rng_seed * 100 + 20), client(self.server.port)
        while not self.stop_load.is_set():
            now = self.now()
            for task_id, due in list(self.paused.items()):
                if due <= now:
                    verb = "cancel" if rng.random() < 0.3 else "resume"
                    ok, e = self.call(f"{verb.title()}Task", lambda: (c.cancel_task if verb == "cancel" else c.resume_task)(task_id))
                    if ok or getattr(e, "status_code", None) == 400:
                        del self.paused[task_id]
            if self.live:
                task_id, _ = rng.choice(list(self.live)[-20:])
                if task_id not in self.paused:
                    if rng.random() < 0.5:
                        ok, _ = self.call("PauseTask", lambda: c.pause_task(task_id))
                        if ok:
                            self.paused[task_id] = now + rng.uniform(0.3, 2.0)
                    else:
                        self.call("CancelTask", lambda: c.cancel_task(task_id))
            time.sleep(self.opts.control_interval)

    def roller(self):
        """A rollout every so often over 30 random clusters; some paused and resumed, some canceled."""
        rng, c = random.Random(self.rng_seed * 100 + 30), client(self.server.port)
        n = 0
        while not self.stop_load.is_set():
            addon = ROLLOUT_ADDONS[n % len(ROLLOUT_ADDONS)]
            n += 1
            body = {"addon": addon, "version": LIFECYCLE[addon][-1],
                    "selector": {"cluster_ids": rng.sample(self.clusters, 30)},
                    "strategy": {"canary": 1, "wave_size": 8, "max_parallel": 4, "max_failures": 3, "soak": "500ms"}}
            ok, r = self.call("CreateAddonRollout", lambda: generic(c, "CreateAddonRollout", "POST", "/fleet/rollouts", body))
            if ok:
                rid = r["rollout_id"]
                with self.lock:
                    self.rollouts[rid] = addon
                plan = rng.choice(["run", "run", "pause", "cancel"])
                act_at = self.now() + rng.uniform(1, 4)
                deadline = self.now() + self.opts.rollout_every * 3
                while not self.stop_load.is_set() and self.now() < deadline:
                    ok, d = self.call("DescribeAddonRollout", lambda: generic(c, "DescribeAddonRollout", "GET", f"/fleet/rollouts/{rid}"))
                    if ok and d["state"] not in ROLLOUT_LIVE:
                        break
                    if ok and plan != "run" and self.now() >= act_at:
                        verb = plan
                        ok2, _ = self.call(f"{verb.title()}AddonRollout", lambda: generic(
                            c, f"{verb.title()}AddonRollout", "POST", f"/fleet/rollouts/{rid}/{verb}"))
                        if ok2 and plan == "pause":
                            plan, act_at = "resume", self.now() + rng.uniform(1, 3)
                        elif ok2:
                            plan = "run"
                    time.sleep(0.5)
            self.stop_load.wait(self.opts.rollout_every)

    def rss_sampler(self):
        while not self.stop_rss.is_set():
            kb = self.server.rss_kb()
            if kb is not None:
                self.rss.append((self.now(), self.server.lifetime, kb))
            self.stop_rss.wait(1.0)

    # --- the run -------------------------------------------------------------------------------

    def run(self):
        o = self.opts
        workers = [threading.Thread(target=self.poller, args=(i,), daemon=True) for i in range(o.pollers)]
        workers += [threading.Thread(target=self.lifecycle, args=(i,), daemon=True) for i in range(o.changers)]
        workers += [threading.Thread(target=self.controller, daemon=True), threading.Thread(target=self.roller, daemon=True)]
        sampler = threading.Thread(target=self.rss_sampler, daemon=True)
        sampler.start()
        for w in workers:
            w.start()
        end = o.minutes * 60
        next_kill = o.kill_every
        while self.now() < end:
            time.sleep(min(0.2, max(0.0, end - self.now())))
            if self.now() >= next_kill and self.now() < end - 1:
                killed_at = self.now()
                ended = self.server.lifetime
                self.server.kill()
                self.server.start()
                self.restarts.append((killed_at, self.now(), ended))
                print(f"[{killed_at:7.1f}s] SIGKILL lifetime {ended}; listening again after "
                      f"{self.now() - killed_at:.2f}s", flush=True)
                next_kill += o.kill_every
        self.stop_load.set()
        for w in workers:
            w.join(timeout=30)
        self.stop_rss.set()
        sampler.join()
        self.load_seconds = self.now()


def in_restart_window(restarts, t0, t1):
    return any(t0 <= ready + GRACE and t1 >= killed - GRACE for killed, ready, _ in restarts)


def drain(soak, c, timeout=90.0):
    """After the load: every paused task resumed, every live rollout resumed, then wait for all to end."""
    for task_id in list(soak.paused):
        soak.call("ResumeTask", lambda: c.resume_task(task_id))
    deadline = time.monotonic() + timeout
    ended = set()  # tasks seen terminal: they stay so
    while time.monotonic() < deadline:
        live = 0
        for rid in list(soak.rollouts):
            ok, d = soak.call("DescribeAddonRollout", lambda: generic(c, "DescribeAddonRollout", "GET", f"/fleet/rollouts/{rid}"))
            if ok and d["state"] == "paused":
                soak.call("ResumeAddonRollout", lambda: generic(c, "ResumeAddonRollout", "POST", f"/fleet/rollouts/{rid}/resume"))
            live += (not ok) or d["state"] in ROLLOUT_LIVE
        if live == 0:
            running = [t for t in soak.accepted if t not in ended and not task_terminal(soak, c, t)]
            ended.update(t for t in soak.accepted if t not in running)
            if not running:
                return True
            for t in running:  # a task paused by a pause racing the drain
                soak.call("ResumeTask", lambda: c.resume_task(t))
        time.sleep(1.0)
    return False


def task_terminal(soak, c, task_id):
    ok, r = soak.call("DescribeTaskInfo", lambda: c.describe_task_info(task_id).body)
    return ok and r.state in TERMINAL


def all_pages(fetch, items):
    out, page = [], 1
    while True:
        body = fetch(page)
        got = items(body)
        out += got
        if len(out) >= body.page_info.total_count or not got:
            return out
        page += 1


def verify(soak, c):
    """Every task of every cluster (accepted ones, rollouts' and rollbacks') ended exactly once."""
    problems, tasks, by_state, by_type = [], {}, collections.Counter(), collections.Counter()
    lock = threading.Lock()

    def one_cluster(cid):
        ts = all_pages(lambda p: c.describe_cluster_tasks(cid, models.DescribeClusterTasksRequest(page_size=50, page_number=p)).body,
                       lambda b: b.tasks or [])
        evs = all_pages(lambda p: c.describe_cluster_events(cid, models.DescribeClusterEventsRequest(page_size=100, page_number=p)).body,
                        lambda b: b.events or [])
        ends = collections.defaultdict(list)
        for e in evs:
            if e.type in TERMINAL_EVENTS:
                ends[e.subject].append(e.type)
        with lock:
            for t in ts:
                tasks[t.task_id] = cid
                by_state[t.state] += 1
                by_type[t.task_type] += 1
                got = ends.get(t.task_id, [])
                if t.state not in TERMINAL:
                    problems.append(f"{t.task_id} ({t.task_type} on {cid}) is {t.state}")
                elif got != [TERMINAL[t.state]]:
                    problems.append(f"{t.task_id} ({t.task_type} on {cid}) is {t.state} with terminal events {got}")

    def run(items, fn):
        errors = []
        it = iter(list(items))
        ilock = threading.Lock()

        def loop():
            while True:
                with ilock:
                    x = next(it, None)
                if x is None:
                    return
                try:
                    fn(x)
                except Exception as e:  # noqa: BLE001
                    errors.append(f"{x}: {type(e).__name__}: {e}")

        ths = [threading.Thread(target=loop) for _ in range(4)]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        return errors

    problems += run(soak.clusters, one_cluster)
    missing = [t for t in soak.accepted if t not in tasks]
    problems += [f"accepted task {t} not listed by DescribeClusterTasks" for t in missing]

    # The accepted tasks once more, one by one, as a client that only knows its ids would:
    # DescribeTaskInfo terminal, and DescribeClusterEvents?task_id=T with exactly one terminal event.
    def one_task(t):
        cid = soak.accepted[t][0]
        info = c.describe_task_info(t).body
        evs = all_pages(lambda p: c.describe_cluster_events(cid, models.DescribeClusterEventsRequest(
            task_id=t, page_size=100, page_number=p)).body, lambda b: b.events or [])
        ends = [e.type for e in evs if e.type in TERMINAL_EVENTS]
        if info.state not in TERMINAL or ends != [TERMINAL[info.state]]:
            with lock:
                problems.append(f"accepted {t}: DescribeTaskInfo {info.state}, terminal events {ends}")

    problems += run(soak.accepted, one_task)
    rollout_states = collections.Counter()
    for rid in soak.rollouts:
        d = generic(c, "DescribeAddonRollout", "GET", f"/fleet/rollouts/{rid}")
        rollout_states[d["state"]] += 1
        if d["state"] in ROLLOUT_LIVE:
            problems.append(f"rollout {rid} still {d['state']}")
    return problems, tasks, by_state, by_type, rollout_states


def table(rows, header):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda r: "| " + " | ".join(str(x).rjust(w) for x, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--kill-every", type=float, default=120.0, help="seconds between SIGKILLs")
    ap.add_argument("--clusters", type=int, default=200)
    ap.add_argument("--pollers", type=int, default=3)
    ap.add_argument("--changers", type=int, default=2)
    ap.add_argument("--poll-interval", type=float, default=0.01)
    ap.add_argument("--change-interval", type=float, default=0.05)
    ap.add_argument("--control-interval", type=float, default=0.3)
    ap.add_argument("--rollout-every", type=float, default=10.0)
    ap.add_argument("--stage-duration", default="200ms")
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (database, server logs)")
    opts = ap.parse_args()
    binary = os.environ.get("ACK_ADDONS_BIN") or str(ROOT / "target" / "release" / "ack-addons")
    if opts.minutes < 1:
        ap.error("--minutes must be at least 1")

    started = time.monotonic()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="ack-soak-"))
    db = f"sqlite://{tmp}/soak.db"
    print(f"soak: {opts.minutes} min, SIGKILL every {opts.kill_every:g}s, {opts.clusters} clusters, seed {opts.seed}, "
          f"binary {binary}, dir {tmp}", flush=True)
    fleet = tmp / "fleet.jsonl"
    with open(fleet, "w") as f:
        for i in range(opts.clusters):
            addons = [{"name": n, "version": v[0]} for n, v in LIFECYCLE.items()]
            addons.append({"name": "coredns", "version": "v1.9.3.10-7dfca203-aliyun"})
            f.write(json.dumps({"cluster_id": f"csoak{i:04d}", "name": f"soak-{i}", "kubernetes_version": KUBE,
                                "tags": [{"key": "soak", "value": str(i % 4)}], "addons": addons}) + "\n")
    out = subprocess.run([binary, "import", str(fleet), "--database", db], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        print(f"import failed: {out.stderr}", file=sys.stderr)
        return 2
    port = free_port()
    server = Server(binary, db, port, ["--access-key", f"{AK}:{SECRET}", "--stage-duration", opts.stage_duration,
                                       "--task-lease", "2s"], tmp)
    server.start()
    t_setup = time.monotonic() - started
    soak = Soak(opts, server)
    soak.clusters = [f"csoak{i:04d}" for i in range(opts.clusters)]
    soak.run()

    c = client(port)
    drained = drain(soak, c)
    t_stop = soak.now()
    clean = server.stop()
    # A clean start after the clean stop; the checks read what is durable.
    server.start()
    problems, tasks, by_state, by_type, rollout_states = verify(soak, c)
    final_rc = server.stop()
    t_verified = soak.now()

    # --- the report ----------------------------------------------------------------------------
    failures = []
    minutes = opts.minutes
    per = collections.defaultdict(collections.Counter)
    unexpected = []
    for t0, t1, action, kind in soak.calls:
        if t0 >= soak.load_seconds:
            continue  # the drain's calls are not load
        m = min(int(t0 // 60), minutes - 1)
        per[m]["calls"] += 1
        cls = kind.split(":")[0]
        per[m][cls] += 1
        if cls in ("5xx", "conn"):
            if in_restart_window(soak.restarts, t0, t1):
                per[m][f"{cls} in restart"] += 1
            else:
                per[m][f"{cls} outside"] += 1
                unexpected.append((t0, action, kind))
    drain_bad = [(t0, a, k) for t0, _, a, k in soak.calls if t0 >= soak.load_seconds and k.split(":")[0] in ("5xx", "conn")
                 and t0 < t_stop]
    unexpected += drain_bad
    rss_minute = collections.defaultdict(int)
    for t, life, kb in soak.rss:
        m = min(int(t // 60), minutes - 1)
        rss_minute[m] = max(rss_minute[m], kb)
    kills_minute = collections.Counter(min(int(k // 60), minutes - 1) for k, _, _ in soak.restarts)
    rows = []
    for m in range(minutes):
        p = per[m]
        rows.append([m + 1, p["calls"], p["ok"], p["4xx"], p["5xx in restart"], p["5xx outside"], p["conn in restart"],
                     p["conn outside"], kills_minute[m], f"{rss_minute[m] / 1024:.1f}"])
    print("\n## Soak report\n")
    print(f"{opts.minutes} min of load, SIGKILL every {opts.kill_every:g}s, {opts.clusters} clusters, "
          f"stage {opts.stage_duration}, seed {opts.seed}; set-up {t_setup:.1f}s, drain {t_stop - soak.load_seconds:.1f}s, "
          f"checks {t_verified - t_stop:.1f}s\n")
    print(table(rows, ["minute", "calls", "ok", "4xx", "5xx@restart", "5xx other", "conn@restart", "conn other", "kills",
                       "RSS max MiB"]))
    total = collections.Counter()
    for p in per.values():
        total.update(p)
    print(f"\ntotals: {total['calls']} calls ({total['calls'] / max(soak.load_seconds, 1):.0f}/s), {total['ok']} ok, "
          f"{total['4xx']} refused (4xx), {total['5xx']} 5xx, {total['conn']} connection errors")
    codes = collections.Counter(k for *_, k in soak.calls if not k == "ok")
    if codes:
        print("errors by kind: " + ", ".join(f"{k} {n}" for k, n in codes.most_common()))
    actions = collections.Counter(a for _, _, a, k in soak.calls if k == "ok")
    print("accepted calls by action: " + ", ".join(f"{a} {n}" for a, n in actions.most_common()))
    print("\nrestarts (SIGKILL → listening again):")
    for killed, ready, life in soak.restarts:
        print(f"  at {killed:6.1f}s: lifetime {life} killed, lifetime {life + 1} listening after {ready - killed:.2f}s")
    conn_at = [f"{t0:.1f}s" for t0, _, _, k in soak.calls if k.startswith("conn")]
    if conn_at:
        spans = sorted(set(f"{float(s[:-1]):.0f}s" for s in conn_at), key=lambda s: float(s[:-1]))
        print(f"connection errors at (s): {', '.join(spans)}")
    # Tasks
    accepted_what = collections.Counter(w.split()[0] for _, w in soak.accepted.values())
    print(f"\ntasks: {len(soak.accepted)} accepted by the load ({', '.join(f'{k} {n}' for k, n in accepted_what.items())}); "
          f"{len(tasks)} tasks on the clusters in all (rollouts' and rollbacks' included)")
    print("  by type: " + ", ".join(f"{k} {n}" for k, n in sorted(by_type.items())))
    print("  by state: " + ", ".join(f"{k} {n}" for k, n in sorted(by_state.items())))
    print(f"rollouts: {len(soak.rollouts)} created; " + ", ".join(f"{k} {n}" for k, n in sorted(rollout_states.items())))
    if not drained:
        failures.append("the drain timed out: tasks or rollouts still live 90 s after the load")
    if not soak.accepted:
        failures.append("no task was accepted")
    if soak.restarts.__len__() < int((opts.minutes * 60 - 1) // opts.kill_every):
        failures.append("fewer SIGKILLs than planned")
    if problems:
        failures.append(f"{len(problems)} tasks did not end exactly once: " + "; ".join(problems[:10]))
    else:
        print(f"exactly once: verified for all {len(tasks)} tasks (DescribeClusterTasks state terminal and exactly one "
              f"terminal event each in DescribeClusterEvents) and again for the {len(soak.accepted)} accepted ones "
              f"(DescribeTaskInfo and DescribeClusterEvents?task_id=T)")
    if unexpected:
        failures.append(f"{len(unexpected)} 5xx or connection errors outside ±{GRACE:g}s of a restart: " +
                        "; ".join(f"{t:.1f}s {a} {k}" for t, a, k in unexpected[:10]))
    else:
        print(f"5xx: none outside ±{GRACE:g}s of a restart ({total['5xx']} within)")
    if clean != 0 or final_rc != 0:
        failures.append(f"SIGTERM did not stop the server cleanly (exit {clean}, {final_rc})")
    # RSS: the run's minute 2 against its last minute (see README, Soak, for why across lifetimes).
    print("\nRSS per process lifetime (max MiB, samples):")
    life_rows = collections.defaultdict(list)
    for t, life, kb in soak.rss:
        life_rows[life].append(kb)
    for life, kbs in sorted(life_rows.items()):
        print(f"  lifetime {life}: max {max(kbs) / 1024:.1f}, last {kbs[-1] / 1024:.1f}, {len(kbs)} samples")
    if minutes >= 3:
        second, last = rss_minute[1], rss_minute[minutes - 1]
        ratio = last / second if second else float("inf")
        verdict = "flat" if ratio <= 1.2 else "GROWING"
        print(f"RSS: last minute max {last / 1024:.1f} MiB / second minute max {second / 1024:.1f} MiB = {ratio:.2f} "
              f"(limit 1.20): {verdict}")
        if ratio > 1.2:
            failures.append(f"RSS grew: last minute {last} kB > 1.2 × second minute {second} kB")
    else:
        print(f"RSS: not judged (a run of {minutes} min has no warm minute before its last; use --minutes 3 or more)")
    print()
    if failures:
        print("VERDICT: FAIL")
        for f in failures:
            print(f"  - {f}")
    else:
        print("VERDICT: PASS")
    if not opts.keep and not failures:
        subprocess.run(["rm", "-rf", str(tmp)])
    else:
        print(f"(kept {tmp}: database and server logs)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
