"""The live event stream (StreamEvents, Server-Sent Events), opened with requests the tea SDK
signed: events arrive in order while a task runs, Last-Event-ID resumes after a restart with
nothing lost, filters, keep-alive comments, and another account's events are never sent. Also
the unauthenticated probes /healthz and /readyz."""
import json
import urllib.request

import pytest
from alibabacloud_cs20151215 import models

from conftest import AK, OTHER_AK, OTHER_SECRET, SECRET, Server, fresh_db, new_cluster, tea_client, wait_task
from stream import Stream

OLD, NEW = "v0.3.9.4-ff225cd-aliyun", "v0.3.9.7-aliyun"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stream")
    s = Server(fresh_db(tmp, "stream"), ["--access-key", f"{AK}:{SECRET}", "--access-key", f"{OTHER_AK}:{OTHER_SECRET}:acct2",
                                         "--stage-duration", "50ms", "--stream-keep-alive", "1s", "--task-lease", "2s"]).start()
    yield s
    s.stop()


def upgrade(c, cid):
    body = [models.UpgradeClusterAddonsRequestBody(component_name="metrics-server", next_version=NEW)]
    return c.upgrade_cluster_addons(cid, models.UpgradeClusterAddonsRequest(body=body)).body.task_id


def test_a_task_streams_in_order_as_it_runs(srv):
    c = tea_client(srv)
    cid = new_cluster(c, name="st", addons=[{"name": "metrics-server", "version": OLD}]).cluster_id
    s = Stream(c, query={"cluster_id": cid})  # from now on
    try:
        assert s.resp.status_code == 200 and s.resp.headers["content-type"] == "text/event-stream"
        t = upgrade(c, cid)
        got = s.events(5)
        assert [k for _, k, _ in got] == ["task.created", "task.stage", "task.stage", "task.stage", "task.succeeded"]
        ids = [i for i, _, _ in got]
        assert ids == sorted(ids) and len(set(ids)) == 5
        for i, kind, data in got:
            assert (data["id"], data["type"], data["task_id"], data["cluster_id"], data["addon"]) == (i, kind, t, cid, "metrics-server")
            assert data["time"].endswith("Z") and data["state"] in ("running", "success")
        assert got[-1][2]["state"] == "success"
        assert wait_task(c, t) == "success"
        # The same events as the event API, which reads the same log.
        api = c.describe_cluster_events(cid, models.DescribeClusterEventsRequest(task_id=t)).body.events
        assert [int(e.event_id) for e in reversed(api)] == ids
    finally:
        s.close()


def test_filters_and_keep_alive(srv):
    c = tea_client(srv)
    s = Stream(c, query={"type": "cluster.*"})
    try:
        cid = new_cluster(c, name="stf").cluster_id
        (_, kind, data), = s.events(1)
        assert (kind, data["cluster_id"], data["state"]) == ("cluster.created", cid, "initial")
        before = s.comments
        # Nothing more of that type comes; comments keep the stream open meanwhile.
        with pytest.raises(Exception):
            s.events(1, timeout=2.5)
        assert s.comments > before
    finally:
        s.close()


def test_last_event_id_resumes_after_a_restart_with_nothing_lost(tmp_path):
    db = fresh_db(tmp_path, "stresume")
    srv = Server(db, ["--access-key", f"{AK}:{SECRET}", "--stage-duration", "50ms"]).start()
    try:
        c = tea_client(srv)
        cid = new_cluster(c, name="str", addons=[{"name": "metrics-server", "version": OLD}]).cluster_id
        s = Stream(c, query={"after": "0"})
        first = s.events(2)
        s.close()
        t = upgrade(c, cid)
        assert wait_task(c, t) == "success"
        srv.restart()
        c = tea_client(srv)
        s = Stream(c, last_event_id=first[-1][0])
        logged = c.describe_events(models.DescribeEventsRequest(page_size=100)).body
        want = sorted(int(e.event_id) for e in logged.events if int(e.event_id) > first[-1][0])
        rest = s.events(len(want))
        s.close()
        assert [i for i, _, _ in rest] == want, "every event after the resume point, once, in order"
        assert rest[-1][1] == "task.succeeded" and rest[-1][2]["task_id"] == t
    finally:
        srv.stop()


def test_another_accounts_events_are_never_sent(srv):
    c, o = tea_client(srv), tea_client(srv, ak=OTHER_AK, secret=OTHER_SECRET)
    s = Stream(o)
    try:
        cid = new_cluster(c, name="sta").cluster_id
        theirs = new_cluster(o, name="theirs").cluster_id
        got = s.events(3)
        assert all(d["cluster_id"] == theirs for _, _, d in got), "only acct2's own events"
        assert cid not in json.dumps([d for _, _, d in got])
    finally:
        s.close()


def test_a_bad_resume_point_is_refused(srv):
    c = tea_client(srv)
    s = Stream(c, query={"after": "soon"})
    assert s.resp.status_code == 400
    body = s.resp.json()
    assert body["code"] == "InvalidParameter" and "Last-Event-ID" in body["message"] and body["requestId"]


def test_probes_answer_without_a_signature(srv):
    for path, want in (("/healthz", "ok"), ("/readyz", "ready")):
        with urllib.request.urlopen(f"http://{srv.endpoint}{path}", timeout=5) as r:
            assert r.status == 200 and json.loads(r.read())["status"] == want


def test_the_openapi_document_is_valid_and_lists_every_route(srv):
    from openapi_spec_validator import validate
    with urllib.request.urlopen(f"http://{srv.endpoint}/openapi.json", timeout=5) as r:
        doc = json.loads(r.read())
    validate(doc)
    ops = {op["operationId"] for p in doc["paths"].values() for op in p.values()}
    for action in ("DescribeClusterAddonsUpgradeStatus", "CreateAddonRollout", "StreamEvents", "CreateWebhook",
                   "DescribeClusterEvents", "ModifyClusterTags", "DescribeFleetAddons", "InjectFault"):
        assert action in ops
    assert doc["paths"]["/clusters/{cluster_id}/components/upgradestatus"]["get"]["parameters"][0]["name"] == "cluster_id"
