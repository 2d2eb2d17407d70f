"""The add-on lifecycle through alibabacloud-cs20151215: install, upgrade, config change,
uninstall, pause / resume / cancel, precheck failures, injected faults, and the loops Terraform
polls with. Stages take 0.3 s here, so in-flight states can be seen."""
import json
import time

import pytest
from alibabacloud_cs20151215 import models
from Tea.exceptions import TeaException

from conftest import call, new_cluster, tea_client, wait_task

ZERO = "0001-01-01T00:00:00Z"
MS_OLD, MS_MID, MS_NEW = "v0.3.9.4-ff225cd-aliyun", "v0.3.9.7-aliyun", "v0.3.9.8-aliyun"


@pytest.fixture(scope="module")
def c(slow_server):
    return tea_client(slow_server)


def cluster_with(c, addons, kube=None):
    return new_cluster(c, "life", addons=addons, kubernetes_version=kube).cluster_id


def status(c, cid, name):
    body = c.describe_cluster_addons_upgrade_status(cid, models.DescribeClusterAddonsUpgradeStatusRequest(component_ids=[name])).body
    return body[name]


def instance(c, cid, name):
    return c.get_cluster_addon_instance(cid, name).body


def upgrade(c, cid, name, to, config=None):
    body = [models.UpgradeClusterAddonsRequestBody(component_name=name, next_version=to, config=config, policy="overwrite")]
    return c.upgrade_cluster_addons(cid, models.UpgradeClusterAddonsRequest(body=body)).body


def wait_for(fn, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def refused(fn, code, status_code):
    with pytest.raises(TeaException) as e:
        fn()
    assert (e.value.code, e.value.status_code) == (code, status_code), e.value.message
    return e.value.message


def test_install_shows_running_then_active(c):
    cid = cluster_with(c, [])
    r = c.install_cluster_addons(cid, models.InstallClusterAddonsRequest(body=[
        models.InstallClusterAddonsRequestBody(name="flannel", config="")])).body
    assert r.cluster_id == cid and r.task_id.startswith("T-")
    s = status(c, cid, "flannel")
    assert s["tasks"]["status"] == "Running" and s["tasks"]["finished_at"] == ZERO and s["can_upgrade"] is False
    assert instance(c, cid, "flannel").state == "initial"
    assert c.describe_task_info(r.task_id).body.state == "running"
    assert wait_task(c, r.task_id) == "success"
    s = status(c, cid, "flannel")
    assert s["tasks"]["status"] == "Success" and s["tasks"]["finished_at"] != ZERO
    got = instance(c, cid, "flannel")
    assert (got.state, got.version) == ("active", "v0.15.1.28-0ad4f25e-aliyun")
    info = c.describe_task_info(r.task_id).body
    assert [s.state for s in info.stages] == ["success"] * 3 and info.task_type == "addon_install"


def test_upgrade_then_config_change_like_terraform(c):
    cid = cluster_with(c, [{"name": "metrics-server", "version": MS_OLD}])
    assert status(c, cid, "metrics-server")["can_upgrade"] is True
    r = upgrade(c, cid, "metrics-server", MS_NEW, config='{"replicas": 2}')
    s = status(c, cid, "metrics-server")
    assert s["tasks"]["status"] == "Upgrading" and s["can_upgrade"] is False
    assert instance(c, cid, "metrics-server").state == "upgrading"
    # Terraform: DescribeTaskInfo until success, then GetClusterAddonInstance active.
    assert wait_task(c, r.task_id) == "success"
    got = instance(c, cid, "metrics-server")
    assert (got.state, got.version, json.loads(got.config)["replicas"]) == ("active", MS_NEW, 2)
    assert status(c, cid, "metrics-server")["can_upgrade"] is False
    # Terraform: ModifyClusterAddon, then DescribeClusterAddonsUpgradeStatus until Success.
    c.modify_cluster_addon(cid, "metrics-server", models.ModifyClusterAddonRequest(config='{"sls_project_name": "logs"}'))
    assert status(c, cid, "metrics-server")["tasks"]["status"] == "Upgrading"
    assert instance(c, cid, "metrics-server").state == "updating"
    wait_for(lambda: status(c, cid, "metrics-server")["tasks"]["status"] == "Success")
    assert json.loads(instance(c, cid, "metrics-server").config)["sls_project_name"] == "logs"


def test_uninstall_goes_deleting_then_not_found(c):
    cid = cluster_with(c, [{"name": "logtail-ds"}])
    r = c.un_install_cluster_addons(cid, models.UnInstallClusterAddonsRequest(addons=[
        models.UnInstallClusterAddonsRequestAddons(name="logtail-ds", cleanup_cloud_resources=True)])).body
    assert instance(c, cid, "logtail-ds").state == "deleting"
    assert wait_task(c, r.task_id) == "success"
    refused(lambda: instance(c, cid, "logtail-ds"), "AddonNotFound", 404)
    s = status(c, cid, "logtail-ds")
    assert s["addon_info"]["version"] == "" and s["tasks"]["status"] == "Success"


def test_invalid_requests_change_nothing(c):
    cid = cluster_with(c, [{"name": "metrics-server", "version": MS_OLD}])
    before = c.describe_cluster_tasks(cid, models.DescribeClusterTasksRequest()).body.page_info.total_count
    install = lambda name, config=None: c.install_cluster_addons(cid, models.InstallClusterAddonsRequest(body=[
        models.InstallClusterAddonsRequestBody(name=name, config=config)]))
    refused(lambda: install("no-such-addon"), "AddonNotFound", 404)
    refused(lambda: install("metrics-server"), "AddonAlreadyInstalled", 409)
    refused(lambda: upgrade(c, cid, "flannel", "v0.15.1.28-0ad4f25e-aliyun"), "AddonNotFound", 404)
    # A version the catalog does not list: refused before any task, for install and upgrade.
    assert "v0.3.9.99-aliyun" in refused(lambda: upgrade(c, cid, "metrics-server", "v0.3.9.99-aliyun"), "AddonNotFound", 404)
    refused(lambda: c.install_cluster_addons(cid, models.InstallClusterAddonsRequest(body=[
        models.InstallClusterAddonsRequestBody(name="flannel", version="v0.0.0.1-nope")])), "AddonNotFound", 404)
    assert "config" in refused(lambda: upgrade(c, cid, "metrics-server", MS_NEW, config="{oops"), "InvalidParameter", 400)
    assert "nope" in refused(lambda: install("flannel", config='{"nope": 1}'), "InvalidParameter", 400)
    refused(lambda: c.modify_cluster_addon(cid, "metrics-server", models.ModifyClusterAddonRequest(config='{"replicas": "x"}')),
            "InvalidParameter", 400)
    assert c.describe_cluster_tasks(cid, models.DescribeClusterTasksRequest()).body.page_info.total_count == before
    # A second change while one is in flight: refused, and the first goes on.
    r = upgrade(c, cid, "metrics-server", MS_MID)
    msg = refused(lambda: upgrade(c, cid, "metrics-server", MS_NEW), "AddonTaskInProgress", 409)
    assert r.task_id in msg
    assert wait_task(c, r.task_id) == "success" and instance(c, cid, "metrics-server").version == MS_MID


@pytest.mark.parametrize("target,kube,addons,why", [
    (MS_OLD, None, [{"name": "metrics-server", "version": MS_MID}], "downgrade"),
    (MS_NEW, "1.24.6-aliyun.1", [{"name": "metrics-server", "version": MS_MID}], "needs Kubernetes 1.30"),
])
def test_precheck_failures_leave_the_addon_as_it_was(c, target, kube, addons, why):
    cid = cluster_with(c, addons, kube)
    r = upgrade(c, cid, "metrics-server", target)
    assert wait_task(c, r.task_id) == "fail"
    info = c.describe_task_info(r.task_id).body
    assert info.error.code == "PrecheckFailed" and why in info.error.message
    assert [s.state for s in info.stages] == ["failed"]
    s = status(c, cid, "metrics-server")
    assert s["tasks"]["status"] == "Failed" and why in s["tasks"]["message"] and s["tasks"]["finished_at"] != ZERO
    got = instance(c, cid, "metrics-server")
    assert (got.state, got.version) == ("active", MS_MID)


def test_precheck_missing_dependency(c):
    cid = cluster_with(c, [{"name": "csi-provisioner", "version": "v1.26.5-56d1e30-aliyun"},
                           {"name": "csi-plugin", "version": "v1.26.5-56d1e30-aliyun"}])
    r = upgrade(c, cid, "csi-plugin", "v1.31.3-3b3f4e5-aliyun")
    assert wait_task(c, r.task_id) == "fail"
    assert "requires csi-provisioner" in c.describe_task_info(r.task_id).body.error.message


def test_pause_resume_and_cancel_by_task(c):
    cid = cluster_with(c, [{"name": "metrics-server", "version": MS_OLD}])
    r = upgrade(c, cid, "metrics-server", MS_NEW)
    c.pause_task(r.task_id)
    assert wait_task(c, r.task_id, until=("paused",)) == "paused"
    assert status(c, cid, "metrics-server")["tasks"]["status"] == "Paused"
    done = len(c.describe_task_info(r.task_id).body.stages)
    time.sleep(0.5)
    assert len(c.describe_task_info(r.task_id).body.stages) == done, "a paused task runs no stage"
    c.resume_task(r.task_id)
    assert status(c, cid, "metrics-server")["tasks"]["status"] == "Upgrading"
    assert wait_task(c, r.task_id) == "success"
    info = c.describe_task_info(r.task_id).body
    assert [s.state for s in info.stages] == ["success"] * 3, "resume went on from the next stage"
    # Cancel during a stage: stopped, and the add-on stays where it was.
    cid2 = cluster_with(c, [{"name": "metrics-server", "version": MS_OLD}])
    r = upgrade(c, cid2, "metrics-server", MS_NEW, config='{"replicas": 5}')
    time.sleep(0.1)
    c.cancel_task(r.task_id)
    assert wait_task(c, r.task_id) == "canceled"
    s = status(c, cid2, "metrics-server")
    assert s["tasks"]["status"] == "Canceled" and s["tasks"]["is_canceled"] is True and s["tasks"]["message"]
    got = instance(c, cid2, "metrics-server")
    assert (got.state, got.version, json.loads(got.config)["replicas"]) == ("active", MS_OLD, 1)
    refused(lambda: c.resume_task(r.task_id), "ErrorTaskState", 400)


def test_pause_resume_cancel_by_component(c, slow_server):
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkcs.request.v20151215.CancelComponentUpgradeRequest import CancelComponentUpgradeRequest
    from aliyunsdkcs.request.v20151215.PauseComponentUpgradeRequest import PauseComponentUpgradeRequest

    cid = cluster_with(c, [{"name": "coredns", "version": "v1.9.3.10-7dfca203-aliyun"}])
    r = upgrade(c, cid, "coredns", "v1.11.3.2-f57ea7ed6-aliyun")
    c.pause_component_upgrade(cid, "coredns")
    wait_for(lambda: status(c, cid, "coredns")["tasks"]["status"] == "Paused")
    c.resume_component_upgrade(cid, "coredns")
    assert status(c, cid, "coredns")["tasks"]["status"] == "Upgrading"
    c.cancel_component_upgrade(cid, "coredns")
    assert wait_task(c, r.task_id) == "canceled"
    assert instance(c, cid, "coredns").version == "v1.9.3.10-7dfca203-aliyun"
    refused(lambda: c.cancel_component_upgrade(cid, "coredns"), "ErrorTaskState", 400)
    refused(lambda: c.pause_component_upgrade(cid, "flannel"), "AddonNotFound", 404)
    # The legacy SDK's classes for the deprecated calls reach the same tasks.
    legacy = AcsClient("testid", "testsecret", "cn-hangzhou")
    legacy.add_endpoint("cn-hangzhou", "CS", slow_server.endpoint)
    r = upgrade(c, cid, "coredns", "v1.11.3.2-f57ea7ed6-aliyun")
    for cls in (PauseComponentUpgradeRequest, CancelComponentUpgradeRequest):
        req = cls()
        req.set_clusterid(cid)
        req.set_componentid("coredns")
        legacy.do_action_with_exception(req)
    assert wait_task(c, r.task_id) == "canceled"
    assert c.describe_task_info(r.task_id).body.error.code == "Canceled"


def test_injected_fault_fails_the_matching_stage(c):
    cid = cluster_with(c, [{"name": "metrics-server", "version": MS_OLD}])
    call(c, "InjectFault", "POST", "/_emulator/faults", {"cluster_id": cid, "component": "metrics-server",
         "operation": "upgrade", "stage": "verify", "error_code": "HelmReleaseFailed", "message": "pod crashloop"})
    r = upgrade(c, cid, "metrics-server", MS_MID)
    assert wait_task(c, r.task_id) == "fail"
    info = c.describe_task_info(r.task_id).body
    assert (info.error.code, info.error.message) == ("HelmReleaseFailed", "pod crashloop")
    # The apply had run, so the failed verify is followed by a rollback stage.
    assert [(s.message, s.state) for s in info.stages] == [
        ("precheck", "success"), ("apply", "success"), ("verify: pod crashloop", "failed"), ("rollback", "success")]
    assert instance(c, cid, "metrics-server").version == MS_OLD
    # The fault was used up: the same upgrade now succeeds.
    r = upgrade(c, cid, "metrics-server", MS_MID)
    assert wait_task(c, r.task_id) == "success"
    call(c, "InjectFault", "POST", "/_emulator/faults", {"cluster_id": cid, "component": "", "operation": "uninstall",
         "stage": "apply", "error_code": "X"})
    assert call(c, "ClearFaults", "DELETE", "/_emulator/faults")["cleared"] == 1
    with pytest.raises(TeaException) as e:
        call(c, "InjectFault", "POST", "/_emulator/faults", {"cluster_id": cid, "operation": "explode", "stage": "apply", "error_code": "X"})
    assert e.value.code == "InvalidParameter"


def test_cluster_tasks_and_resources(c):
    cid = cluster_with(c, [{"name": "metrics-server", "version": MS_OLD}])
    r = upgrade(c, cid, "metrics-server", MS_MID)
    wait_task(c, r.task_id)
    page = c.describe_cluster_tasks(cid, models.DescribeClusterTasksRequest(page_size=1, page_number=1)).body
    assert page.page_info.total_count == 2 and page.tasks[0].task_id == r.task_id and page.tasks[0].task_type == "addon_upgrade"
    older = c.describe_cluster_tasks(cid, models.DescribeClusterTasksRequest(page_size=1, page_number=2)).body
    assert older.tasks[0].task_type == "cluster_create" and older.tasks[0].state == "success"
    res = c.list_cluster_addon_instance_resources(cid, "metrics-server").body
    assert res.helm_release.chart_version == MS_MID and res.kubernetes_objects[0].kind == "Deployment"


def test_cluster_create_and_delete_are_tasks(c):
    created = c.create_cluster(models.CreateClusterRequest(name="tasked", region_id="cn-hangzhou")).body
    assert c.describe_cluster_detail(created.cluster_id).body.state == "initial"
    refused(lambda: c.delete_cluster(created.cluster_id, models.DeleteClusterRequest()), "ErrorClusterState", 400)
    assert wait_task(c, created.task_id) == "success"
    assert c.describe_cluster_detail(created.cluster_id).body.state == "running"
    d = c.delete_cluster(created.cluster_id, models.DeleteClusterRequest()).body
    assert c.describe_cluster_detail(created.cluster_id).body.state == "deleting"
    refused(lambda: c.install_cluster_addons(created.cluster_id, models.InstallClusterAddonsRequest(body=[
        models.InstallClusterAddonsRequestBody(name="flannel")])), "ErrorClusterState", 400)
    assert wait_task(c, d.task_id) == "success"
    refused(lambda: c.describe_cluster_detail(created.cluster_id), "ErrorClusterNotFound", 404)
