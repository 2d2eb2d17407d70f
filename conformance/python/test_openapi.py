"""The OpenAPI document's answer schemas (generated from the DTO types) hold for the bytes the
server really sends: real answers, fetched through the tea SDK's generic call, are validated
against the schema of their operation with jsonschema (JSON Schema 2020-12, OpenAPI 3.1's)."""
import json
import urllib.request

import jsonschema
import pytest

from conftest import call, new_cluster, wait_task
from fleet import COREDNS_MID, COREDNS_OLD


@pytest.fixture(scope="module")
def doc(server):
    with urllib.request.urlopen(f"http://{server.endpoint}/openapi.json", timeout=5) as r:
        return json.loads(r.read())


def operation(doc, action):
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            if op.get("operationId") == action:
                return path, method.upper(), op
    raise AssertionError(f"{action} is not in the document")


def check(doc, client, action, params=None, query=None, body=None):
    """Calls `action` (path parameters filled from `params`) and validates its answer."""
    path, method, op = operation(doc, action)
    for k, v in (params or {}).items():
        path = path.replace("{" + k + "}", v)
    answer = call(client, action, method, path, body=body, query=query)
    schema = dict(op["responses"]["200"]["content"]["application/json"]["schema"], components=doc["components"])
    jsonschema.Draft202012Validator(schema).validate(answer)
    # A schema that allowed anything would pass too: it must at least name the answer's type.
    assert schema.get("$ref") or schema.get("type") or schema.get("oneOf"), (action, schema)
    return answer


def test_real_answers_match_their_schemas(server, tea_v3, doc):
    made = new_cluster(tea_v3, name="openapi", addons=[{"name": "coredns", "version": COREDNS_OLD}])
    cid = {"cluster_id": made.cluster_id}
    check(doc, tea_v3, "DescribeClusterDetail", cid)
    check(doc, tea_v3, "DescribeClustersV1", query={"page_size": "5"})
    started = check(doc, tea_v3, "UpgradeClusterAddons", cid,
                    body=[{"component_name": "coredns", "next_version": COREDNS_MID}])
    assert wait_task(tea_v3, started["task_id"]) == "success"
    check(doc, tea_v3, "DescribeTaskInfo", {"task_id": started["task_id"]})
    check(doc, tea_v3, "DescribeClusterTasks", cid)
    check(doc, tea_v3, "DescribeClusterAddonsUpgradeStatus", cid, query={"componentIds": '["coredns"]'})
    check(doc, tea_v3, "DescribeClusterAddonsVersion", cid)
    check(doc, tea_v3, "ListClusterAddonInstances", cid)
    check(doc, tea_v3, "DescribeClusterAddonInstance", {**cid, "component_id": "coredns"})
    check(doc, tea_v3, "ListAddons", query={"cluster_id": made.cluster_id})
    check(doc, tea_v3, "DescribeEvents", query={"cluster_id": made.cluster_id})
    check(doc, tea_v3, "DescribeFleetAddons")
    check(doc, tea_v3, "ListAddonRollouts")
    plan = check(doc, tea_v3, "CreateAddonRollout",
                 body={"addon": "coredns", "version": COREDNS_MID, "dry_run": True,
                       "selector": {"cluster_ids": [made.cluster_id]}})
    assert plan["dry_run"] is True
    check(doc, tea_v3, "ListWebhooks")


def test_a_schema_refuses_what_the_dto_does_not_send(doc):
    # The check above can fail: a task answer without its task_id is refused.
    _, _, op = operation(doc, "DescribeTaskInfo")
    schema = dict(op["responses"]["200"]["content"]["application/json"]["schema"], components=doc["components"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate({"state": "success"})
