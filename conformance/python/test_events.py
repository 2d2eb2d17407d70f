"""ACK's event APIs (DescribeClusterEvents, DescribeEvents) over the durable event log, through
the new SDK in both signature schemes, the legacy core's CommonRequest and (in node) the Node SDK:
every task start, stage, pause, resume and end, every cluster create and delete and every
rollout transition writes one event; another account never sees them."""
import pytest
from alibabacloud_cs20151215 import models
from alibabacloud_tea_openapi.exceptions import ClientException

from conftest import new_cluster, tea_client, wait_task, OTHER_AK, OTHER_SECRET, AK, SECRET, Server, fresh_db
from test_legacy_sdk import common

OLD, NEW = "v0.3.9.4-ff225cd-aliyun", "v0.3.9.7-aliyun"


def cluster_events(c, cid, **kw):
    return c.describe_cluster_events(cid, models.DescribeClusterEventsRequest(**kw)).body


def all_events(c, cid, **kw):
    out, n = [], 1
    while True:
        page = cluster_events(c, cid, page_size=100, page_number=n, **kw)
        out += page.events
        if len(out) >= page.page_info.total_count:
            return out
        n += 1


@pytest.fixture(params=["v3", "v2"])
def client(server, request):
    return tea_client(server, None if request.param == "v3" else request.param)


def test_a_task_writes_its_start_stages_and_end_newest_first(client):
    cid = new_cluster(client, name="ev", addons=[{"name": "metrics-server", "version": OLD}]).cluster_id
    body = [models.UpgradeClusterAddonsRequestBody(component_name="metrics-server", next_version=NEW)]
    t = client.upgrade_cluster_addons(cid, models.UpgradeClusterAddonsRequest(body=body)).body.task_id
    assert wait_task(client, t) == "success"
    mine = all_events(client, cid, task_id=t)
    assert [e.type for e in reversed(mine)] == ["task.created", "task.stage", "task.stage", "task.stage", "task.succeeded"]
    assert all(e.cluster_id == cid and e.subject == t and e.source == "ack-addons" for e in mine)
    assert [e.data.reason for e in reversed(mine)] == ["Created", "StageSucceeded", "StageSucceeded", "StageSucceeded", "TaskSucceeded"]
    assert mine[1].data.message == "stage verify succeeded" and mine[0].data.level == "Normal"
    ids = [int(e.event_id) for e in mine]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    assert all(e.time.endswith("Z") and "T" in e.time for e in mine)
    # The cluster's own history: its creation task and its creation first, all of the cluster's.
    every = all_events(client, cid)
    assert [e.type for e in reversed(every)][:2] == ["task.created", "cluster.created"]
    assert {e.subject for e in every} == {t, every[-1].subject}
    # Paging: the newest first, pages do not overlap.
    p1 = cluster_events(client, cid, page_size=3, page_number=1)
    p2 = cluster_events(client, cid, page_size=3, page_number=2)
    assert p1.page_info.total_count == len(every) and p1.page_info.page_size == 3
    assert [e.event_id for e in p1.events + p2.events] == [e.event_id for e in every[:6]]


def test_describe_events_filters_by_cluster_and_type(client):
    cid = new_cluster(client, name="evf").cluster_id
    del_task = client.delete_cluster(cid, models.DeleteClusterRequest()).body.task_id
    assert wait_task(client, del_task) == "success"
    got = client.describe_events(models.DescribeEventsRequest(cluster_id=cid, page_size=100)).body
    kinds = [e.type for e in got.events]
    assert kinds[0] == "cluster.deleted" and "cluster.created" in kinds and "task.succeeded" in kinds
    only = client.describe_events(models.DescribeEventsRequest(cluster_id=cid, type="cluster.*", page_size=100)).body
    assert [e.type for e in only.events] == ["cluster.deleted", "cluster.created"]
    assert only.page_info.total_count == 2
    with pytest.raises(ClientException) as e:
        client.describe_events(models.DescribeEventsRequest(type="nothing.like.it"))
    assert e.value.code == "InvalidParameter" and "type" in e.value.message


def test_pause_resume_and_cancel_are_logged(slow_server):
    c = tea_client(slow_server)
    cid = new_cluster(c, name="evp", addons=[{"name": "metrics-server", "version": OLD}]).cluster_id
    body = [models.UpgradeClusterAddonsRequestBody(component_name="metrics-server", next_version=NEW)]
    t = c.upgrade_cluster_addons(cid, models.UpgradeClusterAddonsRequest(body=body)).body.task_id
    c.pause_task(t)
    assert wait_task(c, t, until=("paused",)) == "paused"
    c.resume_task(t)
    c.cancel_task(t)
    assert wait_task(c, t) == "canceled"
    kinds = [e.type for e in reversed(all_events(c, cid, task_id=t))]
    assert kinds[0] == "task.created" and kinds[-1] == "task.canceled"
    assert "task.paused" in kinds and "task.resumed" in kinds
    assert kinds.index("task.paused") < kinds.index("task.resumed")
    ended = [e for e in all_events(c, cid, task_id=t) if e.type == "task.canceled"]
    assert len(ended) == 1 and ended[0].data.level == "Warning"


def test_accounts_are_walls(server, tea_v3):
    cid = new_cluster(tea_v3, name="evw").cluster_id
    other = tea_client(server, ak=OTHER_AK, secret=OTHER_SECRET)
    with pytest.raises(ClientException) as e:
        cluster_events(other, cid)
    assert e.value.code == "ErrorClusterNotFound"
    theirs = other.describe_events(models.DescribeEventsRequest(page_size=100)).body
    assert all(ev.cluster_id != cid for ev in theirs.events)
    assert other.describe_events(models.DescribeEventsRequest(cluster_id=cid)).body.page_info.total_count == 0


def test_the_legacy_core_reads_them_too(server, tea_v3, legacy):
    cid = new_cluster(tea_v3, name="evl").cluster_id
    got = common(legacy, "DescribeClusterEvents", "/clusters/[ClusterId]/events", {"ClusterId": cid})
    assert [e["type"] for e in got["events"]][-2:] == ["cluster.created", "task.created"]
    assert got["page_info"]["total_count"] == len(got["events"])
    listed = common(legacy, "DescribeEvents", "/events", query={"cluster_id": cid, "type": "task.*"})
    assert {e["type"] for e in listed["events"]} <= {"task.created", "task.stage", "task.succeeded"}


def test_rollout_transitions_are_logged(tmp_path):
    import json
    import subprocess
    from conftest import BIN
    from fleet import create_rollout, wait_rollout
    f = tmp_path / "f.jsonl"
    f.write_text("".join(json.dumps({"cluster_id": f"cev{i}", "name": f"ev{i}",
                                     "addons": [{"name": "metrics-server", "version": OLD}]}) + "\n" for i in range(3)))
    db = fresh_db(tmp_path, "evro")
    subprocess.run([BIN, "import", str(f), "--database", db], check=True, capture_output=True)
    s = Server(db, ["--access-key", f"{AK}:{SECRET}", "--stage-duration", "20ms"]).start()
    try:
        c = tea_client(s)
        rid = create_rollout(c, "metrics-server", NEW, strategy={"canary": 1, "wave_size": 2})["rollout_id"]
        assert wait_rollout(c, rid, timeout=30)["state"] == "success"
        got = c.describe_events(models.DescribeEventsRequest(type="rollout.*", page_size=100)).body.events
        assert [e.type for e in reversed(got)] == ["rollout.created", "rollout.wave", "rollout.wave",
                                                   "rollout.wave", "rollout.wave", "rollout.succeeded"]
        assert all(e.subject == rid for e in got)
        assert [e.data.message for e in reversed(got)][1:5] == ["wave 0 started", "wave 0 ended success",
                                                               "wave 1 started", "wave 1 ended success"]
    finally:
        s.stop()
