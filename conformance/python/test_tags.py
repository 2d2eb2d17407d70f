"""Cluster tags through the official SDKs: CreateCluster's `tags`, DescribeClusterDetail and
DescribeClustersV1 showing them, ModifyClusterTags (the keys given change, the others stay),
refusals that change nothing, and `ack-addons import` with tags."""
import json
import subprocess

import pytest
from alibabacloud_cs20151215 import models
from Tea.exceptions import TeaException

from conftest import BIN, AK, SECRET, OTHER_AK, OTHER_SECRET, Server, call, fresh_db, tea_client, wait_task


def create_tagged(client, name, tags):
    req = models.CreateClusterRequest(name=name, region_id="cn-hangzhou", cluster_type="ManagedKubernetes",
                                      tags=[models.Tag(key=k, value=v) for k, v in tags])
    body = client.create_cluster(req).body
    assert wait_task(client, body.task_id) == "success"
    return body.cluster_id


def tags_of(client, cid):
    return [(t.key, t.value) for t in client.describe_cluster_detail(cid).body.tags]


def listed_tags(client, name):
    page = client.describe_clusters_v1(models.DescribeClustersV1Request(name=name)).body
    assert page.page_info.total_count == 1
    return [(t.key, t.value) for t in page.clusters[0].tags]


def test_create_describe_and_modify(tea_v3):
    cid = create_tagged(tea_v3, "tagged", [("team", "core"), ("env", "prod")])
    assert tags_of(tea_v3, cid) == [("env", "prod"), ("team", "core")]
    assert listed_tags(tea_v3, "tagged") == [("env", "prod"), ("team", "core")]
    r = tea_v3.modify_cluster_tags(cid, models.ModifyClusterTagsRequest(
        body=[models.Tag(key="env", value="dev"), models.Tag(key="tier", value="")]))
    assert r.status_code == 200 and r.headers.get("x-acs-request-id")
    assert tags_of(tea_v3, cid) == [("env", "dev"), ("team", "core"), ("tier", "")]
    assert listed_tags(tea_v3, "tagged") == [("env", "dev"), ("team", "core"), ("tier", "")]


def test_a_cluster_without_tags_shows_an_empty_array(server, tea_v3):
    cid = create_tagged(tea_v3, "untagged", [])
    assert call(tea_v3, "DescribeClusterDetail", "GET", f"/clusters/{cid}")["tags"] == []


def test_bad_tags_are_refused_and_change_nothing(tea_v3):
    cid = create_tagged(tea_v3, "refusals", [("env", "prod")])
    cases = [
        ([models.Tag(key="ok", value="1"), models.Tag(key="", value="x")], "body[1].key"),
        ([models.Tag(key="k" * 129, value="x")], "body[0].key"),
        ([models.Tag(key="env", value="v" * 129)], "body[0].value"),
        ([models.Tag(key=f"k{i}", value="v") for i in range(20)], "body"),  # 21 with env
    ]
    for body, field in cases:
        with pytest.raises(TeaException) as e:
            tea_v3.modify_cluster_tags(cid, models.ModifyClusterTagsRequest(body=body))
        assert e.value.code == "InvalidParameter" and field in e.value.message, (field, e.value.message)
        assert tags_of(tea_v3, cid) == [("env", "prod")]
    before = tea_v3.describe_clusters_v1(models.DescribeClustersV1Request()).body.page_info.total_count
    with pytest.raises(TeaException) as e:
        create_tagged(tea_v3, "bad-create", [("x" * 200, "v")])
    assert e.value.code == "InvalidParameter" and "tags[0].key" in e.value.message
    assert tea_v3.describe_clusters_v1(models.DescribeClustersV1Request()).body.page_info.total_count == before


def test_another_account_cannot_tag_our_cluster(server, tea_v3):
    cid = create_tagged(tea_v3, "walled", [("env", "prod")])
    other = tea_client(server, ak=OTHER_AK, secret=OTHER_SECRET)
    with pytest.raises(TeaException) as e:
        other.modify_cluster_tags(cid, models.ModifyClusterTagsRequest(body=[models.Tag(key="env", value="x")]))
    assert e.value.code == "ErrorClusterNotFound"
    assert tags_of(tea_v3, cid) == [("env", "prod")]


def test_legacy_sdk_modifies_tags(server, tea_v3, legacy):
    from aliyunsdkcs.request.v20151215.ModifyClusterTagsRequest import ModifyClusterTagsRequest
    cid = create_tagged(tea_v3, "legacy-tags", [("env", "prod")])
    req = ModifyClusterTagsRequest()
    req.set_ClusterId(cid)
    req.set_content_type("application/json")
    req.set_content(json.dumps([{"key": "owner", "value": "legacy"}]).encode())
    legacy.do_action_with_exception(req)
    assert tags_of(tea_v3, cid) == [("env", "prod"), ("owner", "legacy")]


def test_import_with_tags(tmp_path):
    fleet = [{"cluster_id": "ctagged1", "name": "t-1", "tags": [{"key": "env", "value": "prod"}, {"key": "team"}]},
             {"cluster_id": "ctagged2", "name": "t-2"}]
    path = tmp_path / "fleet.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in fleet))
    db = fresh_db(tmp_path, "tagfleet")
    out = subprocess.run([BIN, "import", str(path), "--database", db], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"name": "b", "tags": [{"key": "a"}, {"key": "a"}]}) + "\n")
    out = subprocess.run([BIN, "import", str(bad), "--database", db], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "line 1" in out.stderr and "tags[1].key" in out.stderr, out.stderr
    s = Server(db, ["--access-key", f"{AK}:{SECRET}"]).start()
    try:
        c = tea_client(s)
        assert tags_of(c, "ctagged1") == [("env", "prod"), ("team", "")]
        assert tags_of(c, "ctagged2") == []
        assert c.describe_clusters_v1(models.DescribeClustersV1Request()).body.page_info.total_count == 2
    finally:
        s.stop()
