"""`ack-addons import`: a fleet file loaded in bulk, then served to the SDK as it was written."""
import json
import subprocess

import pytest
from alibabacloud_cs20151215 import models

from conftest import fresh_db, BIN, AK, SECRET, Server, tea_client


def run_import(path, db):
    return subprocess.run([BIN, "import", str(path), "--database", db], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("form", ["jsonl", "array"])
def test_import_then_serve(tmp_path, form):
    fleet = [
        {"cluster_id": "cfleet1", "name": "prod-1", "kubernetes_version": "1.24.6-aliyun.1",
         "addons": [{"name": "metrics-server", "version": "v0.3.9.4-ff225cd-aliyun",
                     "last_task": {"status": "Failed", "created_at": 1609174850, "finished_at": 1609175154, "message": "boom"}},
                    {"name": "coredns", "version": "v1.9.3.10-7dfca203-aliyun", "config": "{\"replicas\": 3}"}]},
        {"cluster_id": "cfleet2", "name": "prod-2", "account": "other", "addons": []},
        {"name": "generated-id", "region_id": "cn-beijing"},
    ]
    path = tmp_path / f"fleet.{form}"
    path.write_text("\n".join(json.dumps(c) for c in fleet) if form == "jsonl" else json.dumps(fleet))
    db = fresh_db(tmp_path, "fleet")
    out = run_import(path, db)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("imported 3 clusters with 2 add-ons in ")
    s = Server(db, ["--access-key", f"{AK}:{SECRET}"]).start()
    try:
        c = tea_client(s)
        body = c.describe_cluster_addons_upgrade_status(
            "cfleet1", models.DescribeClusterAddonsUpgradeStatusRequest(component_ids=["metrics-server", "coredns"])).body
        assert body["metrics-server"]["addon_info"]["version"] == "v0.3.9.4-ff225cd-aliyun"
        assert body["metrics-server"]["can_upgrade"] is True
        assert body["metrics-server"]["tasks"] == {"created_at": "2020-12-28T17:00:50Z", "finished_at": "2020-12-28T17:05:54Z",
                                                   "is_canceled": False, "status": "Failed", "message": "boom"}
        assert body["coredns"]["tasks"]["status"] == ""  # imported without history: no task yet
        assert json.loads(c.get_cluster_addon_instance("cfleet1", "coredns").body.config) == {"replicas": 3}
        assert c.describe_cluster_detail("cfleet1").body.current_version == "1.24.6-aliyun.1"
        listed = c.describe_clusters_v1(models.DescribeClustersV1Request()).body
        assert listed.page_info.total_count == 2  # cfleet2 belongs to account "other"
    finally:
        s.stop()


def test_a_bad_fleet_is_refused_whole(tmp_path):
    path = tmp_path / "bad.jsonl"
    # More good lines than one insert batch holds, so a partial commit would show.
    good = "".join(json.dumps({"name": f"ok-{i}"}) + "\n" for i in range(2500))
    path.write_text(good + json.dumps({"name": "bad", "addons": [{"name": "metrics-server", "version": "v9"}]}) + "\n")
    db = fresh_db(tmp_path, "bad")
    out = run_import(path, db)
    assert out.returncode != 0
    assert "line 2501" in out.stderr and "v9" in out.stderr
    s = Server(db, ["--access-key", f"{AK}:{SECRET}"]).start()
    try:
        assert tea_client(s).describe_clusters_v1(models.DescribeClustersV1Request()).body.page_info.total_count == 0
    finally:
        s.stop()
