"""Webhooks through the tea SDK's generic call, delivered to a receiver on 127.0.0.1 that checks
every signature: in event order, retried with backoff until a 2xx, none lost across a kill -9
(or, on PostgreSQL, the death of the delivering replica)."""
import hashlib
import hmac
import http.server
import json
import threading
import time

import pytest
from alibabacloud_cs20151215 import models
from alibabacloud_tea_openapi.exceptions import ClientException

from conftest import (AK, OTHER_AK, OTHER_SECRET, PG, SECRET, SECRETS, Server, call, fresh_db, new_cluster, tea_client,
                      wait_task)

OLD, NEW = "v0.3.9.4-ff225cd-aliyun", "v0.3.9.7-aliyun"
ARGS = ["--access-key", f"{AK}:{SECRET}", "--access-key", f"{OTHER_AK}:{OTHER_SECRET}:acct2", "--stage-duration", "20ms",
        "--webhook-retry-base", "100ms", "--task-lease", "2s"]


class Receiver:
    """An HTTP receiver (HTTPS with an `ssl.SSLContext` as `tls`): `fail` answers 500 that many
    times first; `down()` refuses connections."""

    def __init__(self, secret=None, fail=0, tls=None):
        self.secret, self.fail, self.got, self.bad, self.tls = secret, fail, [], [], tls
        self.server = None
        self.port = None
        self.up()

    def up(self):
        me = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                ts = self.headers["x-ack-timestamp"]
                want = "sha256=" + hmac.new(me.secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(want, self.headers["x-ack-signature"]):
                    me.bad.append(self.headers["x-ack-event-id"])
                data = json.loads(body)
                assert str(data["id"]) == self.headers["x-ack-event-id"] and data["type"] == self.headers["x-ack-event-type"]
                if me.fail > 0:
                    me.fail -= 1
                    self.send_response(500)
                else:
                    me.got.append(data)
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port or 0), H)
        self.port = self.server.server_address[1]
        if self.tls:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/hook"


def create(c, url, events, secret=None):
    body = {"url": url, "events": events}
    if secret:
        body["secret"] = secret
    made = call(c, "CreateWebhook", "POST", "/fleet/webhooks", body)
    SECRETS.add(made["secret"])  # conftest checks that no log of the run shows it
    return made


def deliveries(c, wid):
    return call(c, "DescribeWebhookDeliveries", "GET", f"/fleet/webhooks/{wid}/deliveries", query={"page_size": "100"})


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def upgrade(c, cid):
    body = [models.UpgradeClusterAddonsRequestBody(component_name="metrics-server", next_version=NEW)]
    return c.upgrade_cluster_addons(cid, models.UpgradeClusterAddonsRequest(body=body)).body.task_id


@pytest.fixture
def srv(tmp_path):
    s = Server(fresh_db(tmp_path, "hooks"), ARGS).start()
    yield s
    s.stop()


def test_signed_deliveries_in_event_order(srv):
    c = tea_client(srv)
    r = Receiver()
    made = create(c, r.url, ["task.*"])
    r.secret = made["secret"]
    assert made["webhook_id"].startswith("W-") and len(r.secret) >= 16, "a secret is generated when none is given"
    cid = new_cluster(c, name="wh", addons=[{"name": "metrics-server", "version": OLD}]).cluster_id
    t = upgrade(c, cid)
    assert wait_task(c, t) == "success"
    wait_until(lambda: any(d["type"] == "task.succeeded" and d["task_id"] == t for d in r.got), 20, "the upgrade's end delivered")
    assert r.bad == [], "every signature checks"
    assert all(d["type"].startswith("task.") for d in r.got), "only the subscribed types"
    ids = [d["id"] for d in r.got]
    assert ids == sorted(ids), "in event order"
    mine = [d["type"] for d in r.got if d["task_id"] == t]
    assert mine == ["task.created", "task.stage", "task.stage", "task.stage", "task.succeeded"]
    listed = call(c, "ListWebhooks", "GET", "/fleet/webhooks")["webhooks"]
    assert [w["webhook_id"] for w in listed] == [made["webhook_id"]] and "secret" not in listed[0]
    got = deliveries(c, made["webhook_id"])
    assert got["page_info"]["total_count"] == len(r.got)
    assert {d["state"] for d in got["deliveries"]} == {"delivered"} and {d["attempts"] for d in got["deliveries"]} == {1}
    assert all(d["last_status"] == 200 for d in got["deliveries"])
    # Another account sees none of it; deleting ends it.
    o = tea_client(srv, ak=OTHER_AK, secret=OTHER_SECRET)
    assert call(o, "ListWebhooks", "GET", "/fleet/webhooks")["webhooks"] == []
    with pytest.raises(ClientException) as e:
        deliveries(o, made["webhook_id"])
    assert (e.value.code, e.value.status_code) == ("ErrorWebhookNotFound", 404)
    assert call(c, "DeleteWebhook", "DELETE", f"/fleet/webhooks/{made['webhook_id']}") == {}
    assert call(c, "ListWebhooks", "GET", "/fleet/webhooks")["webhooks"] == []
    r.down()


def test_a_failing_receiver_gets_it_on_the_fourth_attempt(srv):
    c = tea_client(srv)
    r = Receiver(secret="s3cret-for-tests", fail=3)
    wid = create(c, r.url, ["cluster.created"], secret="s3cret-for-tests")["webhook_id"]
    new_cluster(c, name="whr")
    wait_until(lambda: r.got, 30, "delivered after the failures")
    d = deliveries(c, wid)["deliveries"]
    assert [(x["type"], x["attempts"], x["state"], x["last_status"]) for x in d] == [("cluster.created", 4, "delivered", 200)]
    assert r.bad == []
    r.down()


def test_bad_subscriptions_are_refused(srv):
    c = tea_client(srv)
    for body, field in [({"url": "ftp://127.0.0.1/x", "events": ["task.*"]}, "url"),
                        ({"url": "https://", "events": ["task.*"]}, "url"),
                        ({"url": "http://127.0.0.1:1/x", "events": ["tasks.*"]}, "events[0]"),
                        ({"url": "http://127.0.0.1:1/x", "events": []}, "events"),
                        ({"url": "http://127.0.0.1:1/x", "secret": "short"}, "secret"),
                        ({"url": "http://127.0.0.1:1/x", "colour": "red"}, "body")]:
        with pytest.raises(ClientException) as e:
            call(c, "CreateWebhook", "POST", "/fleet/webhooks", body)
        assert (e.value.code, e.value.status_code) == ("InvalidParameter", 400) and field in e.value.message, (body, e.value.message)
    assert call(c, "ListWebhooks", "GET", "/fleet/webhooks")["webhooks"] == []


def test_kill_9_with_deliveries_pending_loses_none(tmp_path):
    db = fresh_db(tmp_path, "hookcrash")
    s = Server(db, ARGS).start()
    c = tea_client(s)
    r = Receiver(secret="crash-test-secret")
    create(c, r.url, ["cluster.created", "task.succeeded"], secret="crash-test-secret")
    r.down()  # nobody listens: every delivery stays pending, retried
    made = [new_cluster(c, name=f"whk{i}").cluster_id for i in range(3)]
    s.proc.kill()
    s.proc.wait()
    r.up()
    s.start()
    try:
        want = 6  # per cluster: cluster.created and its creation task's task.succeeded
        wait_until(lambda: len({d["id"] for d in r.got}) >= want, 40, "every pending delivery sent after the restart")
        assert {d["cluster_id"] for d in r.got} == set(made) and r.bad == []
        ids = [d["id"] for d in r.got]
        assert ids == sorted(ids)
    finally:
        s.stop()
        r.down()


@pytest.mark.skipif(not PG, reason="needs PostgreSQL (ACK_ADDONS_TEST_PG)")
def test_a_killed_replicas_deliveries_are_sent_by_the_survivor(tmp_path):
    db = fresh_db(tmp_path, "hookrepl")
    a, b = Server(db, ARGS).start(), Server(db, ARGS).start()
    r = Receiver(secret="replica-secret-1")
    try:
        create(tea_client(a), r.url, ["cluster.created"], secret="replica-secret-1")
        # Which replica delivers is not visible: kill A with deliveries pending, let B send them,
        # bring A back, then do the same to B. One of the two kills hits the deliverer.
        for victim, survivor in ((a, b), (b, a)):
            r.down()
            made = [new_cluster(tea_client(survivor), name=f"whp{i}").cluster_id for i in range(2)]
            time.sleep(0.5)
            victim.proc.kill()
            victim.proc.wait()
            r.up()
            wait_until(lambda: {d["cluster_id"] for d in r.got} >= set(made), 40, "the survivor sent them")
            victim.start()
        assert r.bad == [] and len({d["id"] for d in r.got}) == 4
    finally:
        for srv in (a, b):
            if srv.proc.poll() is None:
                srv.stop()
        r.down()
