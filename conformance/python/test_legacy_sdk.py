"""aliyun-python-sdk-cs 4.8.1 with aliyun-python-sdk-core: ROA signing, RegionId on every call,
componentIds added by hand (json.dumps puts a space after the comma), raw bytes back."""
import json
import time

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcs.request.v20151215.CreateClusterRequest import CreateClusterRequest
from aliyunsdkcs.request.v20151215.DeleteClusterRequest import DeleteClusterRequest
from aliyunsdkcs.request.v20151215.DescribeAddonsRequest import DescribeAddonsRequest
from aliyunsdkcs.request.v20151215.DescribeClusterAddonsUpgradeStatusRequest import DescribeClusterAddonsUpgradeStatusRequest
from aliyunsdkcs.request.v20151215.DescribeClusterAddonsVersionRequest import DescribeClusterAddonsVersionRequest
from aliyunsdkcs.request.v20151215.DescribeClusterAddonUpgradeStatusRequest import DescribeClusterAddonUpgradeStatusRequest
from aliyunsdkcs.request.v20151215.DescribeClusterDetailRequest import DescribeClusterDetailRequest
from aliyunsdkcs.request.v20151215.DescribeClustersV1Request import DescribeClustersV1Request

from conftest import as_json


def create(legacy, name="legacy", addons=None):
    req = CreateClusterRequest()
    req.set_content_type("application/json")
    req.set_content(json.dumps({"name": name, "region_id": "cn-hangzhou", "cluster_type": "ManagedKubernetes",
                                "addons": addons or []}).encode())
    body = as_json(legacy.do_action_with_exception(req))
    assert body["cluster_id"].startswith("c") and body["task_id"].startswith("T-")
    wait_legacy(legacy, body["task_id"])
    return body["cluster_id"]


def wait_legacy(legacy, task_id):
    for _ in range(1000):
        if common(legacy, "DescribeTaskInfo", "/tasks/[TaskId]", {"TaskId": task_id})["state"] == "success":
            return
        time.sleep(0.02)
    raise AssertionError(f"task {task_id} did not succeed")


def test_upgrade_status_with_hand_added_component_ids(legacy):
    cid = create(legacy, addons=[{"name": "coredns", "version": "v1.8.4.5-2ce07fd1-aliyun"}])
    req = DescribeClusterAddonsUpgradeStatusRequest()
    req.set_ClusterId(cid)
    req.add_query_param("componentIds", json.dumps(["coredns", "terway-eniip", "nope"]))
    body = as_json(legacy.do_action_with_exception(req))
    assert set(body) == {"coredns", "terway-eniip"}
    assert body["coredns"]["addon_info"]["version"] == "v1.8.4.5-2ce07fd1-aliyun"
    assert body["coredns"]["can_upgrade"] is True
    assert body["terway-eniip"]["addon_info"]["version"] == ""


def test_singular_status_versions_detail_list_and_delete(legacy):
    cid = create(legacy, name="legacy-rest")
    req = DescribeClusterAddonUpgradeStatusRequest()
    req.set_ClusterId(cid)
    req.set_ComponentId("metrics-server")
    assert as_json(legacy.do_action_with_exception(req))["metrics-server"]["tasks"]["status"] == "Success"
    req = DescribeClusterAddonsVersionRequest()
    req.set_ClusterId(cid)
    assert as_json(legacy.do_action_with_exception(req))["coredns"]["exist"] is True
    req = DescribeClusterDetailRequest()
    req.set_ClusterId(cid)
    assert as_json(legacy.do_action_with_exception(req))["name"] == "legacy-rest"
    req = DescribeClustersV1Request()
    req.set_Name("legacy-rest")
    assert as_json(legacy.do_action_with_exception(req))["page_info"]["total_count"] == 1
    req = DescribeAddonsRequest()
    req.set_region("cn-hangzhou")
    assert "metrics-server" in as_json(legacy.do_action_with_exception(req))["StandardComponents"]
    req = DeleteClusterRequest()
    req.set_ClusterId(cid)
    deleted = as_json(legacy.do_action_with_exception(req))
    assert deleted["cluster_id"] == cid
    wait_legacy(legacy, deleted["task_id"])


def test_errors_carry_the_real_code(legacy):
    req = DescribeClusterDetailRequest()
    req.set_ClusterId("c-notfound")
    with pytest.raises(ServerException) as e:
        legacy.do_action_with_exception(req)
    assert e.value.get_error_code() == "ErrorClusterNotFound"
    assert e.value.get_http_status() == 404
    assert e.value.get_request_id()
    assert "c-notfound" in e.value.get_error_msg()


def test_xml_when_asked(legacy):
    cid = create(legacy, name="xml", addons=[{"name": "flannel"}])
    req = DescribeClusterAddonsUpgradeStatusRequest()
    req.set_ClusterId(cid)
    req.add_query_param("componentIds", json.dumps(["flannel"]))
    req.set_accept_format("XML")
    status, headers, body, _ = legacy._implementation_of_do_action(req)
    text = body.decode()
    assert status == 200 and headers["content-type"].startswith("application/xml")
    assert text.startswith("<flannel><tasks><created_at>") and text.endswith("</flannel>")
    assert "<version>v0.15.1.28-0ad4f25e-aliyun</version>" in text and "<is_canceled>false</is_canceled>" in text


def common(legacy, action, pattern, path_params=None, query=None):
    """aliyunsdkcore's CommonRequest in ROA form: how legacy users reach calls without a class."""
    from aliyunsdkcore.request import CommonRequest

    r = CommonRequest(version="2015-12-15", action_name=action, uri_pattern=pattern, product="CS")
    r.set_method("GET")
    r.set_accept_format("json")
    for k, v in (path_params or {}).items():
        r.add_path_param(k, v)
    for k, v in (query or {}).items():
        r.add_query_param(k, v)
    return as_json(legacy.do_action_with_exception(r))


def test_calls_without_request_classes_through_common_request(legacy):
    cid = create(legacy, name="common", addons=[{"name": "logtail-ds", "version": "v1.8.7.0-aliyun"}])
    clusters = common(legacy, "DescribeClustersV1", "/api/v1/clusters", query={"name": "common"})
    assert clusters["clusters"][0]["cluster_id"] == cid
    listed = common(legacy, "ListAddons", "/addons", query={"cluster_id": cid})
    assert any(a["name"] == "logtail-ds" and a["version"] == "v2.1.1.0-aliyun" for a in listed["addons"])
    addon = common(legacy, "DescribeAddon", "/addons/[AddonName]", {"AddonName": "logtail-ds"}, {"version": "v1.8.7.0-aliyun"})
    assert [n["version"] for n in addon["newer_versions"]] == ["v2.1.1.0-aliyun"]
    meta = common(legacy, "DescribeClusterAddonMetadata", "/clusters/[ClusterId]/components/[ComponentId]/metadata",
                  {"ClusterId": cid, "ComponentId": "logtail-ds"}, {"version": "v1.8.7.0-aliyun"})
    assert meta["version"] == "v1.8.7.0-aliyun"
    inst = common(legacy, "ListClusterAddonInstances", "/clusters/[ClusterId]/addon_instances", {"ClusterId": cid})
    assert {"name": "logtail-ds", "version": "v1.8.7.0-aliyun", "state": "active"} in inst["addons"]
    got = common(legacy, "GetClusterAddonInstance", "/clusters/[ClusterId]/addon_instances/[InstanceName]",
                 {"ClusterId": cid, "InstanceName": "logtail-ds"})
    assert got["state"] == "active" and json.loads(got["config"])["IngressDashboardEnabled"] == "true"
    desc = common(legacy, "DescribeClusterAddonInstance", "/clusters/[ClusterId]/components/[AddonName]/instance",
                  {"ClusterId": cid, "AddonName": "logtail-ds"})
    assert desc["version"] == "v1.8.7.0-aliyun"
    req = DeleteClusterRequest()
    req.set_ClusterId(cid)
    tid = as_json(legacy.do_action_with_exception(req))["task_id"]
    wait_legacy(legacy, tid)
    task = common(legacy, "DescribeTaskInfo", "/tasks/[TaskId]", {"TaskId": tid})
    assert task["state"] == "success" and task["task_type"] == "cluster_delete"


def test_lifecycle_with_the_legacy_classes(legacy):
    from aliyunsdkcs.request.v20151215.InstallClusterAddonsRequest import InstallClusterAddonsRequest
    from aliyunsdkcs.request.v20151215.UnInstallClusterAddonsRequest import UnInstallClusterAddonsRequest
    from aliyunsdkcs.request.v20151215.UpgradeClusterAddonsRequest import UpgradeClusterAddonsRequest

    cid = create(legacy, name="legacy-life", addons=[{"name": "metrics-server", "version": "v0.3.9.4-ff225cd-aliyun"}])

    def send(cls, body):
        req = cls()
        req.set_ClusterId(cid)
        req.set_content_type("application/json")
        req.set_content(json.dumps(body).encode())  # json.dumps: spaces after separators, Content-MD5 signed
        out = as_json(legacy.do_action_with_exception(req))
        assert out["cluster_id"] == cid
        wait_legacy(legacy, out["task_id"])

    send(InstallClusterAddonsRequest, [{"name": "flannel", "version": "v0.15.1.22-20a397e6-aliyun"}])
    send(UpgradeClusterAddonsRequest, [{"component_name": "metrics-server", "next_version": "v0.3.9.8-aliyun", "config": "{\"replicas\": 3}"},
                                       {"component_name": "flannel", "next_version": "v0.15.1.28-0ad4f25e-aliyun"}])
    inst = common(legacy, "ListClusterAddonInstances", "/clusters/[ClusterId]/addon_instances", {"ClusterId": cid})
    versions = {a["name"]: a["version"] for a in inst["addons"]}
    assert versions["metrics-server"] == "v0.3.9.8-aliyun" and versions["flannel"] == "v0.15.1.28-0ad4f25e-aliyun"
    send(UnInstallClusterAddonsRequest, [{"name": "flannel", "cleanup_cloud_resources": True}])
    status = DescribeClusterAddonsUpgradeStatusRequest()
    status.set_ClusterId(cid)
    status.add_query_param("componentIds", json.dumps(["flannel"]))
    assert as_json(legacy.do_action_with_exception(status))["flannel"]["addon_info"]["version"] == ""
