"""aliyun-python-sdk-cs 4.8.1 with aliyun-python-sdk-core: ROA signing, RegionId on every call,
componentIds added by hand (json.dumps puts a space after the comma), raw bytes back."""
import json

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
    return body["cluster_id"]


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
    assert as_json(legacy.do_action_with_exception(req))["cluster_id"] == cid


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
