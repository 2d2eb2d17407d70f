"""Every read-side operation through alibabacloud-cs20151215, in v3, v2 (ROA) and SM3 signing."""
import pytest
from alibabacloud_cs20151215 import models
from Tea.exceptions import TeaException

from conftest import new_cluster, tea_client, wait_task, OTHER_AK, OTHER_SECRET

ZERO = "0001-01-01T00:00:00Z"


def test_create_then_describe_cluster_and_its_task(tea):
    created = new_cluster(tea, "detail", addons=[{"name": "nginx-ingress-controller"}], kubernetes_version="1.30.1-aliyun.1")
    d = tea.describe_cluster_detail(created.cluster_id).body
    assert d.cluster_id == created.cluster_id
    assert d.name == "detail" and d.region_id == "cn-hangzhou" and d.cluster_type == "ManagedKubernetes"
    assert d.state == "running" and d.current_version == "1.30.1-aliyun.1" and d.size == 0
    assert d.created.endswith("Z")
    t = tea.describe_task_info(created.task_id).body
    assert t.task_id == created.task_id and t.cluster_id == created.cluster_id
    assert t.state == "success" and t.task_type == "cluster_create"
    assert {"nginx-ingress-controller", "metrics-server"} <= {r.data for r in t.task_result}
    assert [s.state for s in t.stages] == ["success"] * 3 and t.current_stage == "verify"
    assert [e.reason for e in t.events if e.reason.startswith(("Stage", "Task"))] == \
        ["StageSucceeded"] * 3 + ["TaskSucceeded"]


def test_upgrade_status_for_installed_known_and_unknown_addons(tea):
    c = new_cluster(tea, addons=[{"name": "metrics-server", "version": "v0.3.9.4-ff225cd-aliyun"}])
    req = models.DescribeClusterAddonsUpgradeStatusRequest(component_ids=["metrics-server", "logtail-ds", "no-such-addon"])
    body = tea.describe_cluster_addons_upgrade_status(c.cluster_id, req).body
    assert set(body) == {"metrics-server", "logtail-ds"}
    ms = body["metrics-server"]
    assert ms["addon_info"] == {"component_name": "metrics-server", "version": "v0.3.9.4-ff225cd-aliyun", "ready_to_upgrade": "true"}
    assert ms["can_upgrade"] is True
    assert ms["tasks"]["status"] == "Success" and ms["tasks"]["is_canceled"] is False
    assert ms["tasks"]["created_at"] != ZERO and ms["tasks"]["finished_at"] != ZERO
    lt = body["logtail-ds"]
    assert lt["addon_info"]["version"] == ""
    assert lt["tasks"] == {"created_at": ZERO, "finished_at": ZERO, "is_canceled": False, "status": "", "message": ""}


def test_upgrade_status_without_component_ids_lists_every_installed_addon(tea):
    c = new_cluster(tea, addons=[{"name": "flannel"}])
    body = tea.describe_cluster_addons_upgrade_status(c.cluster_id, models.DescribeClusterAddonsUpgradeStatusRequest()).body
    installed = {a.name for a in tea.list_cluster_addon_instances(c.cluster_id).body.addons}
    assert set(body) == installed and "flannel" in installed and "metrics-server" in installed
    # The newest versions were installed, so nothing can be upgraded.
    assert all(e["can_upgrade"] is False and e["addon_info"]["ready_to_upgrade"] == "false" for e in body.values())


def test_singular_upgrade_status(tea):
    c = new_cluster(tea, addons=[{"name": "coredns", "version": "v1.9.3.10-7dfca203-aliyun"}])
    body = tea.describe_cluster_addon_upgrade_status(c.cluster_id, "coredns").body
    assert body["coredns"]["addon_info"]["version"] == "v1.9.3.10-7dfca203-aliyun"
    assert body["coredns"]["can_upgrade"] is True
    with pytest.raises(TeaException) as e:
        tea.describe_cluster_addon_upgrade_status(c.cluster_id, "no-such-addon")
    assert e.value.code == "AddonNotFound" and e.value.status_code == 404


def test_addons_version(tea):
    c = new_cluster(tea, addons=[{"name": "metrics-server", "version": "v0.3.9.5-aliyun"}], kubernetes_version="1.24.6-aliyun.1")
    body = tea.describe_cluster_addons_version(c.cluster_id).body
    ms = body["metrics-server"]
    assert ms["version"] == "v0.3.9.5-aliyun"
    # 1.24 runs v0.3.9.7 but not v0.3.9.8 (which needs 1.30).
    assert ms["next_version"] == "v0.3.9.7-aliyun"
    assert ms["can_upgrade"] is True and ms["exist"] is True and ms["required"] is True
    assert body["flannel"]["exist"] is False and body["flannel"]["required"] is False
    assert "Upgrade" in ms["supported_actions"]


def test_catalog_calls(tea):
    c = new_cluster(tea, kubernetes_version="1.24.6-aliyun.1")
    listed = tea.list_addons(models.ListAddonsRequest(cluster_id=c.cluster_id)).body.addons
    by_name = {a.name: a for a in listed}
    assert len(by_name) >= 15
    assert by_name["metrics-server"].version == "v0.3.9.7-aliyun"
    assert by_name["metrics-server"].install_by_default is True
    assert by_name["metrics-server"].category == "monitor"
    d = tea.describe_addon("metrics-server", models.DescribeAddonRequest(cluster_id=c.cluster_id, version="v0.3.9.5-aliyun")).body
    assert d.version == "v0.3.9.5-aliyun"
    assert [(n.version, n.upgradable) for n in d.newer_versions] == [("v0.3.9.7-aliyun", True), ("v0.3.9.8-aliyun", False)]
    latest = tea.describe_addon("metrics-server", models.DescribeAddonRequest(cluster_id=c.cluster_id, version="")).body
    assert latest.version == "v0.3.9.7-aliyun"
    with pytest.raises(TeaException) as e:
        tea.describe_addon("metrics-server", models.DescribeAddonRequest(version="v9.9.9"))
    assert e.value.code == "AddonNotFound" and e.value.status_code == 404
    meta = tea.describe_cluster_addon_metadata(c.cluster_id, "metrics-server", models.DescribeClusterAddonMetadataRequest(version="")).body
    assert meta.name == "metrics-server" and meta.version == "v0.3.9.7-aliyun" and "sls_project_name" in meta.config_schema
    groups = tea.describe_addons(models.DescribeAddonsRequest(region="cn-hangzhou", cluster_type="ManagedKubernetes")).body
    assert {g.group_name for g in groups.component_groups} >= {"core", "network", "storage", "monitor", "security"}
    assert groups.standard_components["coredns"].required == "true"


def test_instances(tea):
    c = new_cluster(tea, addons=[{"name": "metrics-server", "config": '{"sls_project_name":"proj-1"}'}])
    names = [a.name for a in tea.list_cluster_addon_instances(c.cluster_id).body.addons]
    assert "metrics-server" in names and names == sorted(names)
    got = tea.get_cluster_addon_instance(c.cluster_id, "metrics-server").body
    assert got.state == "active" and got.version == "v0.3.9.8-aliyun"
    assert '"sls_project_name":"proj-1"' in got.config
    assert got.logging.capable is True and got.logging.enabled is True and got.logging.log_project == "proj-1"
    desc = tea.describe_cluster_addon_instance(c.cluster_id, "metrics-server").body
    assert desc.state == "active" and desc.config == got.config
    for call in (lambda: tea.get_cluster_addon_instance(c.cluster_id, "flannel"),
                 lambda: tea.describe_cluster_addon_instance(c.cluster_id, "flannel")):
        with pytest.raises(TeaException) as e:
            call()
        assert e.value.code == "AddonNotFound" and e.value.status_code == 404


def test_clusters_are_paged_and_filtered(tea):
    for i in range(3):
        new_cluster(tea, name=f"paged-{tea._signature_algorithm or 'v3'}")
    name = f"paged-{tea._signature_algorithm or 'v3'}"
    p1 = tea.describe_clusters_v1(models.DescribeClustersV1Request(name=name, page_size=2, page_number=1)).body
    p2 = tea.describe_clusters_v1(models.DescribeClustersV1Request(name=name, page_size=2, page_number=2)).body
    assert p1.page_info.total_count == 3 and p1.page_info.page_size == 2 and p1.page_info.page_number == 1
    assert len(p1.clusters) == 2 and len(p2.clusters) == 1
    ids = {c.cluster_id for c in p1.clusters} | {c.cluster_id for c in p2.clusters}
    assert len(ids) == 3 and all(c.name == name for c in p1.clusters)


def test_delete_cluster(tea):
    c = new_cluster(tea, name="doomed")
    deleted = tea.delete_cluster(c.cluster_id, models.DeleteClusterRequest()).body
    assert deleted.cluster_id == c.cluster_id and deleted.task_id.startswith("T-")
    assert wait_task(tea, deleted.task_id) == "success"
    with pytest.raises(TeaException) as e:
        tea.describe_cluster_detail(c.cluster_id)
    assert e.value.code == "ErrorClusterNotFound" and e.value.status_code == 404


def test_errors_surface_with_code_message_and_request_id(tea):
    with pytest.raises(TeaException) as e:
        tea.describe_cluster_addons_upgrade_status("c-notfound", models.DescribeClusterAddonsUpgradeStatusRequest(component_ids=["coredns"]))
    assert e.value.code == "ErrorClusterNotFound" and e.value.status_code == 404
    assert "c-notfound" in e.value.message and e.value.data["requestId"]
    with pytest.raises(TeaException) as e:
        new_cluster(tea, addons=[{"name": "no-such-addon"}])
    assert e.value.code == "AddonNotFound"
    with pytest.raises(TeaException) as e:
        new_cluster(tea, addons=[{"name": "metrics-server", "config": "{not json"}])
    assert e.value.code == "InvalidParameter" and "addons[0].config" in e.value.message
    with pytest.raises(TeaException) as e:
        tea.describe_clusters_v1(models.DescribeClustersV1Request(page_size=1000))
    assert e.value.code == "InvalidParameter" and "page_size" in e.value.message


def test_another_account_cannot_see_the_cluster(server, tea_v3):
    c = new_cluster(tea_v3, name="private")
    other = tea_client(server, ak=OTHER_AK, secret=OTHER_SECRET)
    with pytest.raises(TeaException) as e:
        other.describe_cluster_detail(c.cluster_id)
    assert e.value.code == "ErrorClusterNotFound"
    assert other.describe_clusters_v1(models.DescribeClustersV1Request(name="private")).body.page_info.total_count == 0


@pytest.mark.parametrize("alg", ["v3", "v2", "ACS3-HMAC-SM3"])
def test_wrong_secret_and_unknown_key_are_refused(server, alg):
    a = None if alg == "v3" else alg
    with pytest.raises(TeaException) as e:
        tea_client(server, a, secret="wrong").describe_cluster_detail("c-x")
    assert e.value.code == "SignatureDoesNotMatch" and e.value.status_code == 400
    assert "wrong" not in e.value.message and "testsecret" not in e.value.message
    with pytest.raises(TeaException) as e:
        tea_client(server, a, ak="nobody").describe_cluster_detail("c-x")
    assert e.value.code == "InvalidAccessKeyId.NotFound"
