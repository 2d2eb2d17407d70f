"""DescribeFleetAddons (`GET /fleet/addons`) through the tea SDK's generic call: per add-on,
installed / upgradable / running tasks and the clusters per version, over an imported fleet."""
import json
import subprocess

import pytest
from alibabacloud_cs20151215 import models
from Tea.exceptions import TeaException

from conftest import BIN, AK, SECRET, OTHER_AK, OTHER_SECRET, Server, call, fresh_db, tea_client

MS_OLD, MS_MID, MS_NEW = "v0.3.9.4-ff225cd-aliyun", "v0.3.9.7-aliyun", "v0.3.9.8-aliyun"
DNS_MID, DNS_NEW = "v1.9.3.10-7dfca203-aliyun", "v1.11.3.2-f57ea7ed6-aliyun"
NEW_KUBE, OLD_KUBE = "1.31.1-aliyun.1", "1.24.6-aliyun.1"


def addons(*pairs):
    return [{"name": n, "version": v} for n, v in pairs]


FLEET = [
    {"cluster_id": "cf1", "name": "f1", "kubernetes_version": NEW_KUBE, "tags": [{"key": "env", "value": "prod"}],
     "addons": addons(("metrics-server", MS_OLD), ("coredns", DNS_NEW))},
    {"cluster_id": "cf2", "name": "f2", "kubernetes_version": NEW_KUBE,
     "tags": [{"key": "env", "value": "prod"}, {"key": "team", "value": "a"}],
     "addons": addons(("metrics-server", MS_NEW), ("coredns", DNS_NEW))},
    # On 1.24 the newest metrics-server and coredns that run are these: nothing to upgrade to.
    {"cluster_id": "cf3", "name": "f3", "kubernetes_version": OLD_KUBE, "region_id": "cn-beijing",
     "tags": [{"key": "env", "value": "dev"}], "addons": addons(("metrics-server", MS_MID), ("coredns", DNS_MID))},
    {"cluster_id": "cf4", "name": "f4", "kubernetes_version": NEW_KUBE, "region_id": "cn-beijing",
     "addons": addons(("metrics-server", MS_MID))},
    {"cluster_id": "cf5", "name": "f5", "account": "someone-else", "addons": addons(("metrics-server", MS_OLD))},
]


@pytest.fixture(scope="module")
def fleet_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fleet")
    path = tmp / "fleet.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in FLEET))
    db = fresh_db(tmp, "fleetaddons")
    out = subprocess.run([BIN, "import", str(path), "--database", db], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # Long stages, so an upgrade stays in flight while the test looks.
    s = Server(db, ["--access-key", f"{AK}:{SECRET}", "--access-key", f"{OTHER_AK}:{OTHER_SECRET}:acct2",
                    "--stage-duration", "5s"]).start()
    yield s
    s.stop()


def fleet(client, **query):
    body = call(client, "DescribeFleetAddons", "GET", "/fleet/addons", query=query or None)
    return {a["name"]: a for a in body["addons"]}


def test_counts_add_up(fleet_server):
    c = tea_client(fleet_server)
    body = call(c, "DescribeFleetAddons", "GET", "/fleet/addons")
    assert [a["name"] for a in body["addons"]] == ["coredns", "metrics-server"]
    ms = {a["name"]: a for a in body["addons"]}["metrics-server"]
    assert ms == {"name": "metrics-server", "installed": 4, "upgradable": 2, "running_tasks": 0,
                  "versions": [{"version": MS_NEW, "clusters": 1}, {"version": MS_MID, "clusters": 2},
                               {"version": MS_OLD, "clusters": 1}]}
    for a in body["addons"]:
        assert sum(v["clusters"] for v in a["versions"]) == a["installed"]
    dns = fleet(c)["coredns"]
    assert (dns["installed"], dns["upgradable"]) == (3, 0)


def test_filters(fleet_server):
    c = tea_client(fleet_server)
    assert fleet(c, region_id="cn-beijing")["metrics-server"]["installed"] == 2
    assert fleet(c, kubernetes_version="1.31")["metrics-server"]["installed"] == 3
    assert fleet(c, kubernetes_version="1.24")["metrics-server"]["upgradable"] == 0
    prod = fleet(c, tag="env:prod")["metrics-server"]
    assert (prod["installed"], prod["upgradable"]) == (2, 1)
    assert fleet(c, tag="team:a", region_id="cn-hangzhou")["metrics-server"]["versions"] == [
        {"version": MS_NEW, "clusters": 1}]
    assert fleet(c, tag="env:staging") == {}
    with pytest.raises(TeaException) as e:
        fleet(c, tag="env")
    assert e.value.code == "InvalidParameter" and "tag" in e.value.message


def test_another_account_sees_none_of_ours(fleet_server):
    other = tea_client(fleet_server, ak=OTHER_AK, secret=OTHER_SECRET)
    assert call(other, "DescribeFleetAddons", "GET", "/fleet/addons") == {"addons": []}


def test_a_task_in_flight_counts_as_running_not_upgradable(fleet_server):
    c = tea_client(fleet_server)
    c.upgrade_cluster_addons("cf1", models.UpgradeClusterAddonsRequest(
        body=[models.UpgradeClusterAddonsRequestBody(component_name="metrics-server", next_version=MS_NEW)]))
    try:
        ms = fleet(c)["metrics-server"]
        assert (ms["running_tasks"], ms["upgradable"], ms["installed"]) == (1, 1, 4)
    finally:
        c.cancel_component_upgrade("cf1", "metrics-server")
