"""Starts the real ack-addons binary on a fresh SQLite file and hands tests the official SDK clients.

Environment: ACK_ADDONS_BIN (default: target/debug/ack-addons in the repo).
"""
import json
import os
import pathlib
import re
import subprocess
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("ACK_ADDONS_BIN", str(ROOT / "target" / "debug" / "ack-addons"))
AK, SECRET = "testid", "testsecret"
OTHER_AK, OTHER_SECRET = "otherid", "othersecret"

for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
    os.environ.pop(var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


# Every server log of the run, and every secret the tests use: none may show in any log.
LOGS = []
SECRETS = {SECRET, OTHER_SECRET}


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_any_log():
    yield
    leaks = []
    for path in LOGS:
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except FileNotFoundError:
            continue
        for needle in sorted(SECRETS) + ["Signature=", "ACS3-HMAC-SHA256 Credential"]:
            if needle in text:
                leaks.append(f"{path}: {needle!r}")
    assert not leaks, f"secrets or signatures in server logs: {leaks}"


class Server:
    """One ack-addons process; restart() stops it and starts another on the same database."""

    def __init__(self, db_url, extra_args):
        self.db_url = db_url
        self.extra_args = extra_args
        self.proc = None
        self.port = None
        self.scheme = "http"
        self.ca = None  # with --tls-self-signed: the certificate it wrote, for clients to trust

    def start(self, args=None):
        cmd = [BIN, "serve", "--listen", "127.0.0.1:0", "--database", self.db_url] + (
            self.extra_args if args is None else args)
        # The server's log goes to a file (a full pipe would block it); failures print its tail.
        self.log = tempfile.NamedTemporaryFile(prefix="ack-addons-", suffix=".log", delete=False)
        LOGS.append(self.log.name)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        m = re.fullmatch(r"listening on (https?)://127\.0\.0\.1:(\d+)\n", line)
        assert m, (line, self.log_tail())
        self.scheme, self.port = m[1], int(m[2])
        # Printed before the listening line, so it is in the log by now.
        written = re.search(r"^tls certificate: (\S+)", self.log_tail(200), re.M)
        self.ca = written[1] if written else self.ca
        return self

    def log_tail(self, lines=40):
        with open(self.log.name, errors="replace") as f:
            return "".join(f.readlines()[-lines:])

    def stop(self):
        self.proc.terminate()
        assert self.proc.wait(timeout=10) == 0, "SIGTERM must end the server cleanly with exit 0"

    def restart(self, args=None):
        self.stop()
        return self.start(args)

    @property
    def endpoint(self):
        return f"127.0.0.1:{self.port}"


PG = os.environ.get("ACK_ADDONS_TEST_PG")  # e.g. postgres://postgres@127.0.0.1:5432: run on PostgreSQL


CREATED_DBS = set()  # the PostgreSQL databases this session made, dropped when it ends


def fresh_db(tmp, name):
    """A new empty database: a SQLite file in `tmp`, or with ACK_ADDONS_TEST_PG a fresh
    PostgreSQL database on that server."""
    if not PG:
        return f"sqlite://{tmp}/{name}.db"
    db = f"ack_t_{name}_{os.getpid()}"
    for sql in (f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", f"CREATE DATABASE {db}"):
        subprocess.run(["psql", f"{PG}/postgres", "-qAtc", sql], check=True, capture_output=True)
    CREATED_DBS.add(db)
    return f"{PG}/{db}"


def pytest_sessionfinish(session, exitstatus):
    """The shared server keeps nothing of a run: each database made for it is dropped (a run
    on the same machine every session would otherwise leave dozens behind each time)."""
    for db in sorted(CREATED_DBS):
        subprocess.run(["psql", f"{PG}/postgres", "-qAtc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"],
                       capture_output=True)


def database_url(tmp):
    return fresh_db(tmp, "conformance")


@pytest.fixture(scope="session")
def server():
    with tempfile.TemporaryDirectory() as tmp:
        s = Server(database_url(tmp), ["--access-key", f"{AK}:{SECRET}", "--access-key", f"{OTHER_AK}:{OTHER_SECRET}:acct2",
                                       "--stage-duration", "0s"])
        s.start()
        yield s
        s.stop()


def tea_client(server, signature_algorithm=None, ak=AK, secret=SECRET):
    from alibabacloud_cs20151215.client import Client
    from alibabacloud_tea_openapi import models as open_api_models

    cfg = dict(access_key_id=ak, access_key_secret=secret, endpoint=server.endpoint, protocol=getattr(server, "scheme", "http"),
               region_id="cn-hangzhou", read_timeout=20000, connect_timeout=5000)
    if getattr(server, "scheme", "http") == "https":
        cfg["ca"] = server.ca
    if signature_algorithm:
        cfg["signature_algorithm"] = signature_algorithm
    return Client(open_api_models.Config(**cfg))


@pytest.fixture(params=["v3", "v2", "ACS3-HMAC-SM3"])
def tea(server, request):
    """The new SDK in each of its signature modes."""
    return tea_client(server, None if request.param == "v3" else request.param)


@pytest.fixture
def tea_v3(server):
    return tea_client(server)


@pytest.fixture
def legacy(server):
    from aliyunsdkcore.client import AcsClient

    client = AcsClient(AK, SECRET, "cn-hangzhou")
    client.add_endpoint("cn-hangzhou", "CS", server.endpoint)
    return client


def new_cluster(client, name="conf", addons=None, kubernetes_version=None):
    from alibabacloud_cs20151215 import models

    req = models.CreateClusterRequest(name=name, region_id="cn-hangzhou", cluster_type="ManagedKubernetes",
                                      kubernetes_version=kubernetes_version,
                                      addons=[models.Addon(**a) for a in (addons or [])])
    body = client.create_cluster(req).body
    assert body.cluster_id.startswith("c") and len(body.cluster_id) == 33
    assert body.task_id.startswith("T-")
    assert body.request_id
    assert wait_task(client, body.task_id) == "success"
    return body


def wait_task(client, task_id, until=("success", "fail", "canceled"), timeout=30.0):
    """Polls DescribeTaskInfo as Terraform does, until the task reaches one of `until`."""
    deadline = time.monotonic() + timeout
    while True:
        state = client.describe_task_info(task_id).body.state
        if state in until:
            return state
        assert time.monotonic() < deadline, f"task {task_id} still {state} after {timeout}s"
        time.sleep(0.02)


def as_json(raw):
    return json.loads(raw.decode() if isinstance(raw, bytes) else raw)


@pytest.fixture(scope="module")
def slow_server():
    """A server whose stages take long enough (0.3 s) to watch tasks in flight."""
    with tempfile.TemporaryDirectory() as tmp:
        s = Server(fresh_db(tmp, "slow"), ["--access-key", f"{AK}:{SECRET}", "--stage-duration", "300ms"])
        s.start()
        yield s
        s.stop()


def call(client, action, method, path, body=None, query=None):
    """A signed call outside the SDK's generated operations (the emulator's fault surface,
    DescribeFleetAddons); `query` is a dict of strings (one value per name, as the SDK sends)."""
    from alibabacloud_tea_openapi import utils_models
    from darabonba.runtime import RuntimeOptions

    params = utils_models.Params(action=action, version="2015-12-15", protocol="HTTP", pathname=path,
                                    method=method, auth_type="AK", style="ROA", req_body_type="json", body_type="json")
    req = utils_models.OpenApiRequest(query=query, body=body)
    return client.call_api(params, req, RuntimeOptions())["body"]
