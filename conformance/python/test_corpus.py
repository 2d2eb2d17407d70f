"""The bad-input corpus (conformance/corpus/bad_inputs.jsonl): every case is sent over a raw
socket, signed here with ACS3-HMAC-SHA256 (the SDKs would not send most of these bytes), and
must be refused with its status and code in ACK's error shape; the store's state, read through
the API so that it works on SQLite and PostgreSQL alike, must be the same before and after; the
server must answer no 5xx and log no panic."""
import base64
import datetime
import hashlib
import hmac
import http.client
import json
import pathlib
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse
import uuid

import pytest

from conftest import AK, SECRET, Server, fresh_db, new_cluster, tea_client

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "corpus"
sys.path.insert(0, str(CORPUS))
import generate  # noqa: E402  (the corpus's own generator: its markers and its cases)

SIGNED = ["host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"]


def load():
    return [json.loads(line) for line in (CORPUS / "bad_inputs.jsonl").read_text().splitlines()]


def expand(text):
    for marker, value in generate.EXPAND.items():
        text = text.replace(marker, value)
    return text


def fill(text, ids):
    for k, v in ids.items():
        text = text.replace(k, v)
    return text


def canonical_query(raw_query):
    # As the server decodes it (form rules, lossy UTF-8), sorted, values RFC 3986-encoded.
    pairs = sorted(urllib.parse.parse_qsl(raw_query, keep_blank_values=True, errors="replace"))
    return "&".join(f"{k}={urllib.parse.quote(v, safe='-_.~')}" for k, v in pairs)


def acs3(method, path, raw_query, headers, body, secret, signed):
    canon = "\n".join([method, path.replace("+", "%20").replace("*", "%2A").replace("%7E", "~"),
                       canonical_query(raw_query),
                       "".join(f"{h}:{headers[h].strip()}\n" for h in signed), ";".join(signed),
                       hashlib.sha256(body).hexdigest()])
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canon.encode()).hexdigest()
    return hmac.new(secret.encode(), sts.encode(), hashlib.sha256).hexdigest()


def build(case, ids, endpoint, nonce=None):
    """The request's bytes: method, target, headers (a list, so that some can be sent twice)."""
    auth = case.get("auth", {})
    path = fill(case["path"], ids)
    if "raw_query" in case:
        raw_query = case["raw_query"]
    else:
        q = [(k, fill(expand(v), ids)) for k, v in case.get("query", [])]
        raw_query = urllib.parse.urlencode(q, quote_via=urllib.parse.quote)
    if "body_b64" in case:
        body = base64.b64decode(case["body_b64"])
        for marker, value in generate.EXPAND.items():
            body = body.replace(marker.encode(), value.encode())
    elif "body" in case:
        body = fill(expand(json.dumps(case["body"], separators=(",", ":"))), ids).encode()
    else:
        body = b""
    h = {"host": endpoint, "x-acs-action": case["action"], "x-acs-version": "2015-12-15",
         "x-acs-date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
         "x-acs-signature-nonce": nonce or uuid.uuid4().hex, "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
         "accept": "application/json"}
    if body:
        h["content-type"] = "application/json; charset=utf-8"
    h.update(auth.get("set_before", {}))
    signed = [s for s in SIGNED if s not in auth.get("unsigned", [])]
    sig = acs3(case["method"], path, raw_query, h, body, auth.get("secret", SECRET), signed)
    if auth.get("mode") != "none":
        h["authorization"] = auth.get("authorization", "ACS3-HMAC-SHA256 Credential={ak},SignedHeaders={sh},Signature={sig}") \
            .replace("{ak}", auth.get("ak", AK)).replace("{sh}", ";".join(signed)).replace("{sig}", sig)
    h.update(auth.get("set_after", {}))
    for name in auth.get("drop_after", []):
        h.pop(name, None)
    lines = [(k, v) for k, v in h.items()] + [(k, h[k]) for k in auth.get("dup_after", [])]
    return case["method"], path + ("?" + raw_query if raw_query else ""), lines, body


def send(port, method, target, headers, body):
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
        head += f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        s.sendall(head.encode("utf-8") + body)
        resp = http.client.HTTPResponse(s)
        resp.begin()
        return resp.status, resp.read()


def signed_get(server, action, path, query=None):
    case = {"action": action, "method": "GET", "path": path, "query": [[k, str(v)] for k, v in (query or {}).items()]}
    status, raw = send(server.port, *build(case, {}, server.endpoint))
    assert status == 200, (action, path, status, raw[:300])
    return scrub(json.loads(raw))


def scrub(v):
    """The answer without what differs between two reads of the same state."""
    if isinstance(v, dict):
        return {k: scrub(x) for k, x in v.items() if k not in ("request_id", "RequestId", "requestId")}
    if isinstance(v, list):
        return [scrub(x) for x in v]
    return v


def dump(server):
    """Everything the API shows of the store: clusters, their add-ons, tags and tasks, events,
    rollouts, webhooks and their deliveries."""
    out, page = {"clusters": []}, 1
    while True:
        body = signed_get(server, "DescribeClustersV1", "/api/v1/clusters", {"page_size": 100, "page_number": page})
        out["clusters"] += body["clusters"]
        if not body["clusters"]:
            break
        page += 1
    for c in out["clusters"]:
        cid = c["cluster_id"]
        for action, path in [("DescribeClusterAddonsVersion", f"/clusters/{cid}/components/version"),
                             ("ListClusterAddonInstances", f"/clusters/{cid}/addon_instances"),
                             ("DescribeClusterTasks", f"/clusters/{cid}/tasks")]:
            out[f"{action}/{cid}"] = signed_get(server, action, path, {"page_size": 100} if "tasks" in path else None)
    out["events"] = signed_get(server, "DescribeEvents", "/events", {"page_size": 100})
    out["rollouts"] = signed_get(server, "ListAddonRollouts", "/fleet/rollouts", {"page_size": 100})
    out["webhooks"] = signed_get(server, "ListWebhooks", "/fleet/webhooks")
    for w in out["webhooks"]["webhooks"]:
        out[f"deliveries/{w['webhook_id']}"] = signed_get(
            server, "DescribeWebhookDeliveries", f"/fleet/webhooks/{w['webhook_id']}/deliveries", {"page_size": 100})
    return out


SKIP_TABLES = {"nonces", "schema_migrations"}  # every signed request writes a nonce, by design
LIVENESS = {"lease_owner", "lease_until"}  # renewed by whoever holds the lease, whatever is asked


def tables(server):
    """Every row of every table but the nonces', read-only, without lease columns: faults, for
    one, show in no answer."""
    url = server.db_url
    if url.startswith("sqlite://"):
        db = sqlite3.connect(f"file:{url[len('sqlite://'):]}?mode=ro", uri=True)
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        cols = {t: [r[1] for r in db.execute(f"PRAGMA table_info({t})") if r[1] not in LIVENESS] for t in names}
        out = {t: sorted(map(repr, db.execute(f"SELECT {', '.join(cols[t])} FROM {t}")))
               for t in names if t not in SKIP_TABLES}
        db.close()
        return out

    def psql(sql):
        return subprocess.run(["psql", url, "-qAtc", sql], check=True, capture_output=True, text=True).stdout

    cols = {}
    for line in psql("SELECT table_name, column_name FROM information_schema.columns "
                     "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position").splitlines():
        t, c = line.split("|")
        if t not in SKIP_TABLES and c not in LIVENESS:
            cols.setdefault(t, []).append(c)
    out = {t: [] for t in cols}
    for line in psql(" UNION ALL ".join(f"SELECT '{t}', ROW({', '.join(c)})::text FROM {t}" for t, c in cols.items())).splitlines():
        t, row = line.split("|", 1)
        out[t].append(row)
    return {t: sorted(rows) for t, rows in out.items()}


@pytest.fixture(scope="module")
def seeded():
    """A server with one cluster (metrics-server installed), its finished task and a webhook."""
    with tempfile.TemporaryDirectory() as tmp:
        s = Server(fresh_db(tmp, "corpus"), ["--access-key", f"{AK}:{SECRET}", "--stage-duration", "0s"]).start()
        tea = tea_client(s)
        made = new_cluster(tea, name="corpus", addons=[{"name": "metrics-server", "version": generate.MS_OLD}])
        hook = json.loads(send(s.port, *build({"action": "CreateWebhook", "method": "POST", "path": "/fleet/webhooks",
                                               "body": {"url": "http://127.0.0.1:9/hook", "events": ["task.*"]}},
                                              {}, s.endpoint))[1])
        ids = {"{C}": made.cluster_id, "{T}": made.task_id, "{W}": hook["webhook_id"], "{STAGE}": "apply"}
        yield s, ids
        s.stop()


def test_the_committed_corpus_is_what_the_generator_writes():
    cases = load()
    assert [c["name"] for c in cases] == [c["name"] for c in generate.cases]
    assert cases == json.loads(json.dumps(generate.cases)), "run conformance/corpus/generate.py"
    assert len(cases) >= 300 and all(400 <= c["status"] < 500 and c["code"] for c in cases)
    # Every route of ack_wire::ROUTES, with its method, so that a new route needs its cases.
    table = (pathlib.Path(__file__).resolve().parents[2] / "crates/ack-wire/src/action.rs").read_text()
    routes = {a: m.upper() for a, m in re.findall(r"r\(\s*A::(\w+),\s*(\w+),", table)}
    assert len(routes) >= 45 and routes == {a: m for a, m, _ in generate.ROUTES}
    assert {c["action"] for c in cases} == set(routes)


def test_every_bad_input_is_refused_and_nothing_changes(seeded):
    server, ids = seeded
    before, rows = dump(server), tables(server)
    assert len(rows) >= 10 and rows["clusters"], "the state read sees the tables"
    failures = []
    for case in load():
        method, target, headers, body = build(case, ids, server.endpoint)
        if case.get("auth", {}).get("repeat_nonce"):
            nonce = dict(headers)["x-acs-signature-nonce"]
            first = send(server.port, *build(case, ids, server.endpoint, nonce=nonce))
            assert first[0] == 200, (case["name"], first)
        status, raw = send(server.port, method, target, headers, body)
        try:
            err = json.loads(raw)
            ok = isinstance(err, dict) and (status, err.get("code")) == (case["status"], case["code"]) and err.get("message") and err.get("requestId")
        except ValueError:
            ok, err = False, raw[:200]
        if not ok:
            failures.append(f"{case['name']}: want {case['status']} {case['code']}, got {status} {str(err)[:300]}")
    assert not failures, f"{len(failures)} cases:\n" + "\n".join(failures)
    assert dump(server) == before, "the corpus changed the store's state"
    after = tables(server)
    assert after == rows, [t for t in rows if after.get(t) != rows[t]]
    # The log may be coloured: escapes sit between a field's name, its `=` and its value.
    log = re.sub(r"\x1b\[[0-9;]*m", "", open(server.log.name, errors="replace").read())
    assert "panicked" not in log
    assert len(re.findall(r"status=4\d\d", log)) >= len(load()), "the request lines are read"
    assert not re.search(r"status=5\d\d", log), "a 5xx was answered"
