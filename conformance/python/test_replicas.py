"""Several replicas on one PostgreSQL: a replica's death loses nothing, a lost database
connection is survived, and SQLite refuses a second replica. They run in the PostgreSQL round of
scripts/test.sh (ACK_ADDONS_TEST_PG set), which under CI=true fails when no server answers."""
import json
import socket
import subprocess
import threading
import time

import pytest
from alibabacloud_cs20151215 import models
from Tea.exceptions import TeaException

from conftest import AK, BIN, PG, SECRET, Server, fresh_db, tea_client, wait_task
from test_durability import UPGRADES

if not PG:
    pytest.skip("the PostgreSQL round runs these (ACK_ADDONS_TEST_PG is not set)", allow_module_level=True)


def import_fleet(tmp_path, db, prefix, clusters):
    fleet = tmp_path / f"{prefix}.jsonl"
    fleet.write_text("".join(json.dumps({"cluster_id": f"{prefix}{i:03d}", "name": f"{prefix}-{i}",
                                          "addons": [{"name": n, "version": old} for n, (old, _) in UPGRADES.items()]}) + "\n"
                             for i in range(clusters)))
    subprocess.run([BIN, "import", str(fleet), "--database", db], check=True, capture_output=True)


def upgrade(c, cid, name):
    body = [models.UpgradeClusterAddonsRequestBody(component_name=name, next_version=UPGRADES[name][1])]
    return c.upgrade_cluster_addons(cid, models.UpgradeClusterAddonsRequest(body=body)).body.task_id


def wait_all(c, tasks, timeout=180):
    deadline = time.monotonic() + timeout
    pending = set(tasks)
    while pending:
        assert time.monotonic() < deadline, f"{len(pending)} tasks never ended"
        pending = {t for t in pending if c.describe_task_info(t).body.state not in ("success", "fail", "canceled")}
        time.sleep(0.2)


def check_exactly_once(c, tasks):
    for t in tasks:
        info = c.describe_task_info(t).body
        assert info.state == "success", (t, info.error)
        done = [e for e in info.events if e.reason == "StageSucceeded"]
        assert [e.action for e in done] == ["precheck", "apply", "verify"], (t, [e.action for e in done])
        assert [e.reason for e in info.events].count("TaskSucceeded") == 1


def stage_sources(c, t):
    info = c.describe_task_info(t).body
    return info.state, [e.source for e in info.events if e.reason == "StageSucceeded"]


def test_two_replicas_one_dies(tmp_path):
    db = fresh_db(tmp_path, "replicas")
    import_fleet(tmp_path, db, "crep", 40)
    args = ["--access-key", f"{AK}:{SECRET}", "--stage-duration", "400ms", "--task-lease", "3s", "--max-concurrent-tasks", "16"]
    pairs = [(f"crep{i:03d}", name) for i in range(40) for name in UPGRADES]
    a = Server(db, args).start()
    ca = tea_client(a)
    tasks = [upgrade(ca, cid, name) for cid, name in pairs[:160]]
    # Learn replica A's runner name from a stage it completed while it ran alone.
    a_runner = None
    deadline = time.monotonic() + 20
    while a_runner is None:
        assert time.monotonic() < deadline
        for t in tasks[:32]:
            _, sources = stage_sources(ca, t)
            if sources:
                a_runner = sources[0]
                break
    b = Server(db, args).start()
    cb = tea_client(b)
    tasks += [upgrade(cb, cid, name) for cid, name in pairs[160:]]
    assert len(tasks) == 320

    answered, failures, stop = {"a": 0, "b": 0}, [], threading.Event()
    a_alive = threading.Event()
    a_alive.set()

    def poll():
        while not stop.is_set():
            for label, client in (("a", ca), ("b", cb)):
                if label == "a" and not a_alive.is_set():
                    continue
                try:
                    body = client.describe_cluster_addons_upgrade_status(
                        "crep000", models.DescribeClusterAddonsUpgradeStatusRequest(component_ids=["coredns"])).body
                    assert body["coredns"]["tasks"]["status"] in ("Upgrading", "Success")
                    answered[label] += 1
                except Exception as e:  # noqa: BLE001 - every failure is recorded and asserted on
                    if label == "b" or a_alive.is_set():
                        failures.append((label, repr(e)))
            time.sleep(0.05)

    poller = threading.Thread(target=poll)
    poller.start()
    # Both replicas answer before the kill.
    deadline = time.monotonic() + 20
    while answered["a"] < 3 or answered["b"] < 3:
        assert time.monotonic() < deadline, answered
        time.sleep(0.05)
    # Kill A while it is half-way through a task: one with a stage or two done by A, so at least
    # one more stage (400 ms) separates the check from the kill.
    half_done = None
    while half_done is None:
        assert time.monotonic() < deadline, "replica A never had a task half-way"
        for t in tasks:
            state, sources = stage_sources(cb, t)
            if state == "running" and sources and len(sources) < 3 and set(sources) == {a_runner}:
                half_done = t
                break
    a_alive.clear()
    a.proc.kill()  # SIGKILL in mid-flight
    a.proc.wait()
    try:
        wait_all(cb, tasks)
    finally:
        stop.set()
        poller.join()
    assert not failures, failures[:5]
    assert answered["a"] > 0 and answered["b"] > answered["a"], answered
    check_exactly_once(cb, tasks)
    # The survivor finished the dead replica's half-done task, from its next stage.
    state, sources = stage_sources(cb, half_done)
    assert state == "success" and sources[0] == a_runner and sources[-1] != a_runner, sources
    for i in range(40):
        got = {x.name: x.version for x in cb.list_cluster_addon_instances(f"crep{i:03d}").body.addons}
        assert got == {n: new for n, (_, new) in UPGRADES.items()}
    b.stop()


def test_a_nonce_used_on_one_replica_is_refused_on_another(tmp_path):
    """The SDK makes a fresh nonce per call, so capture one signed request and replay it as is."""
    import http.client
    db = fresh_db(tmp_path, "nonce")
    a = Server(db, ["--access-key", f"{AK}:{SECRET}"]).start()
    b = Server(db, ["--access-key", f"{AK}:{SECRET}"]).start()
    try:
        captured = {}
        # Capture one signed request by pointing the SDK at a one-shot recorder.
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        port = srv.getsockname()[1]

        def record():
            conn, _ = srv.accept()
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            captured["raw"] = data
            body = b"{}"
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n" + body)
            conn.close()

        t = threading.Thread(target=record)
        t.start()
        rec = tea_client(type("S", (), {"endpoint": f"127.0.0.1:{port}", "scheme": "http"})())
        rec.describe_clusters_v1(models.DescribeClustersV1Request())
        t.join()
        srv.close()
        head = captured["raw"].split(b"\r\n\r\n")[0].decode().split("\r\n")
        request_line, headers = head[0], [h.split(": ", 1) for h in head[1:]]

        def replay(server):
            conn = http.client.HTTPConnection("127.0.0.1", server.port)
            method, path, _ = request_line.split(" ")
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for k, v in headers:
                conn.putheader(k, v)  # the signed Host stays the recorder's, as a replay would
            conn.endheaders()
            r = conn.getresponse()
            return r.status, json.loads(r.read() or b"{}")

        status, body = replay(a)
        assert status == 200, body
        status, body = replay(b)
        assert (status, body["code"]) == (400, "SignatureNonceUsed"), body
    finally:
        a.stop()
        b.stop()


class Proxy:
    """A TCP forwarder in front of PostgreSQL that can be cut and restored."""

    def __init__(self, target_port):
        self.target = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conns, self.up = [], False
        # A connection accepted while cut() runs must not outlive the cut.
        self.lock = threading.Lock()

    def start(self):
        if self.listener is None:
            self.listener = socket.socket()
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        self.up = True
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while self.up:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                if not self.up:
                    for sock in (client, upstream):
                        sock.close()
                    return
                self.conns += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            self.up = False
            self.listener.close()
            self.listener = None
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.conns = []


def test_a_lost_database_connection_is_survived(tmp_path):
    db = fresh_db(tmp_path, "outage")
    import_fleet(tmp_path, db, "cout", 5)
    pg_port = int(PG.rsplit(":", 1)[1])
    proxy = Proxy(pg_port)
    proxy.start()
    via_proxy = db.replace(f":{pg_port}/", f":{proxy.port}/")
    s = Server(via_proxy, ["--access-key", f"{AK}:{SECRET}", "--stage-duration", "200ms", "--task-lease", "3s"]).start()
    c = tea_client(s)
    tasks = [upgrade(c, f"cout{i:03d}", name) for i in range(5) for name in list(UPGRADES)[:4]]
    time.sleep(0.3)
    proxy.cut()
    # While the database is gone: a clear, retryable 503, never a hang or a 500.
    deadline = time.monotonic() + 15
    while True:
        try:
            c.describe_cluster_detail("cout000")
        except TeaException as e:
            assert (e.code, e.status_code) == ("ServiceUnavailable", 503), e.message
            break
        assert time.monotonic() < deadline, "requests kept succeeding without a database"
        time.sleep(0.2)
    # The readiness probe says so too (503 with the reason), unauthenticated.
    ready, reason = readyz(s)
    assert ready == 503 and "database" in reason, reason
    time.sleep(1.0)
    proxy.start()
    # It recovers by itself, and every task still ends, once.
    deadline = time.monotonic() + 30
    while True:
        try:
            c.describe_cluster_detail("cout000")
            break
        except TeaException as e:
            assert e.code == "ServiceUnavailable"
            assert time.monotonic() < deadline, "the replica did not recover"
            time.sleep(0.2)
    wait_all(c, tasks)
    check_exactly_once(c, tasks)
    assert readyz(s) == (200, "")
    s.stop()
    proxy.cut()


def readyz(server):
    """/readyz's status and reason."""
    import json
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(f"http://{server.endpoint}/readyz", timeout=10) as r:
            return r.status, json.loads(r.read()).get("reason", "")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()).get("reason", "")


def test_sqlite_refuses_a_second_replica(tmp_path):
    db = f"sqlite://{tmp_path}/single.db"
    first = Server(db, ["--access-key", f"{AK}:{SECRET}"]).start()
    try:
        out = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--database", db], capture_output=True, text=True, timeout=30)
        assert out.returncode != 0 and out.stdout == ""
        assert "SQLite supports a single replica" in out.stderr and "PostgreSQL" in out.stderr
    finally:
        first.stop()
