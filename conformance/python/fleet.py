"""Shared helpers for the rollback and rollout tests: fleets imported with `ack-addons import`,
servers started on them, signed calls to the fleet API (`/fleet/rollouts`), and bounded waits."""
import datetime
import json
import subprocess
import time

import pytest
from Tea.exceptions import TeaException

from conftest import AK, BIN, OTHER_AK, OTHER_SECRET, SECRET, Server, tea_client

ZERO = "0001-01-01T00:00:00Z"
# Both keys of conftest's session server: AK in account `default` (which owns imported clusters
# unless their line says otherwise), OTHER_AK in account `acct2`.
# A short lease: on PostgreSQL a killed server's tasks and rollouts move on only once it expires.
KEYS = ["--access-key", f"{AK}:{SECRET}", "--access-key", f"{OTHER_AK}:{OTHER_SECRET}:acct2", "--task-lease", "2s"]

COREDNS_OLD, COREDNS_MID, COREDNS_NEW = "v1.8.4.5-2ce07fd1-aliyun", "v1.9.3.10-7dfca203-aliyun", "v1.11.3.2-f57ea7ed6-aliyun"
# COREDNS_NEW needs Kubernetes 1.28; a cluster on KUBE_OLD cannot take it.
KUBE, KUBE_OLD = "1.31.1-aliyun.1", "1.26.3-aliyun.1"
MS_OLD, MS_NEW = "v0.3.9.5-aliyun", "v0.3.9.8-aliyun"  # metrics-server; MS_NEW needs Kubernetes 1.30
ENDED = ("success", "fail", "canceled")


def cluster(cid, addons, kube=KUBE, region="cn-hangzhou", tags=None, account=None):
    """One fleet-file line. `addons` maps name -> version, or -> (version, config)."""
    line = {"cluster_id": cid, "name": cid, "region_id": region, "kubernetes_version": kube, "addons": []}
    for name, v in addons.items():
        version, config = v if isinstance(v, tuple) else (v, None)
        entry = {"name": name, "version": version}
        if config is not None:
            entry["config"] = config
        line["addons"].append(entry)
    if tags:
        line["tags"] = [{"key": k, "value": val} for k, val in tags.items()]
    if account:
        line["account"] = account
    return line


def import_fleet(tmp, db, clusters, name="fleet"):
    path = tmp / f"{name}.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in clusters))
    out = subprocess.run([BIN, "import", str(path), "--database", db], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def start(db, *args):
    """A server on `db` with both test keys and `args`."""
    return Server(db, KEYS + list(args)).start()


def other_client(server):
    return tea_client(server, ak=OTHER_AK, secret=OTHER_SECRET)


def write_script(path, text):
    path.write_text(text)
    path.chmod(0o755)
    return path


def fleet_call(client, action, method, path, body=None, query=None):
    """A signed ROA call to the fleet API through the tea SDK's generic call_api; answers the
    JSON body. Errors raise the SDK's exceptions (TeaException subclasses with .code,
    .status_code, .data = the error body)."""
    from alibabacloud_tea_openapi import utils_models
    from darabonba.runtime import RuntimeOptions

    params = utils_models.Params(action=action, version="2015-12-15", protocol="HTTP", pathname=path,
                                 method=method, auth_type="AK", style="ROA", req_body_type="json", body_type="json")
    q = {k: str(v) for k, v in (query or {}).items() if v is not None}
    req = utils_models.OpenApiRequest(body=body, query=q or None)
    return client.call_api(params, req, RuntimeOptions())["body"]


def create_rollout(client, addon, version, selector=None, strategy=None, config=None, **extra):
    body = {"addon": addon, "version": version, **extra}
    if selector is not None:
        body["selector"] = selector
    if strategy is not None:
        body["strategy"] = strategy
    if config is not None:
        body["config"] = config
    return fleet_call(client, "CreateAddonRollout", "POST", "/fleet/rollouts", body)


def describe_rollout(client, rid):
    return fleet_call(client, "DescribeAddonRollout", "GET", f"/fleet/rollouts/{rid}")


def list_rollouts(client, **query):
    return fleet_call(client, "ListAddonRollouts", "GET", "/fleet/rollouts", query=query)


def rollout_clusters_page(client, rid, **query):
    return fleet_call(client, "DescribeAddonRolloutClusters", "GET", f"/fleet/rollouts/{rid}/clusters", query=query)


def rollout_clusters(client, rid, **query):
    """Every cluster entry of a rollout (all pages of 1000), keyed by cluster id, in answer order."""
    out, page = {}, 1
    while True:
        body = rollout_clusters_page(client, rid, page_size=1000, page_number=page, **query)
        for entry in body["clusters"]:
            assert entry["cluster_id"] not in out, f"{entry['cluster_id']} listed twice"
            out[entry["cluster_id"]] = entry
        if len(out) >= body["page_info"]["total_count"] or not body["clusters"]:
            return out
        page += 1


def rollout_action(client, rid, verb):
    action = {"pause": "PauseAddonRollout", "resume": "ResumeAddonRollout", "cancel": "CancelAddonRollout"}[verb]
    return fleet_call(client, action, "POST", f"/fleet/rollouts/{rid}/{verb}")


def wait_for(fn, timeout=20.0, what="condition", interval=0.02):
    """Calls fn until it answers something truthy, which it returns; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        assert time.monotonic() < deadline, f"{what} not reached within {timeout}s"
        time.sleep(interval)


def wait_rollout(client, rid, until=ENDED, timeout=60.0):
    """Polls DescribeAddonRollout until its state is one of `until`; answers the last answer.
    Every answer seen on the way is checked for counts that add up."""
    deadline = time.monotonic() + timeout
    while True:
        r = describe_rollout(client, rid)
        check_counts(r)
        if r["state"] in until:
            return r
        assert time.monotonic() < deadline, f"rollout {rid} still {r['state']} after {timeout}s: {r['counts']}"
        time.sleep(0.05)


def check_counts(r):
    counts = r["counts"]
    parts = ("pending", "running", "success", "fail", "skipped", "canceled", "rolled_back")
    assert set(counts) >= set(parts) | {"total"}, counts
    assert sum(counts[p] for p in parts) == counts["total"], counts


def refused(fn, code, status_code):
    """Asserts fn raises an SDK error with that code and HTTP status; answers the error body's
    message (the SDK's own message wraps it)."""
    with pytest.raises(TeaException) as e:
        fn()
    err = e.value
    assert (err.code, getattr(err, "status_code", None)) == (code, status_code), err.message
    data = getattr(err, "data", None) or {}
    if data:
        assert data.get("code") == code and data.get("requestId"), data
    return data.get("message") or err.message


def rfc3339(s):
    """Parses an RFC 3339 time (Z or offset, with or without fractional seconds)."""
    assert isinstance(s, str) and "T" in s, s
    t = s.replace("Z", "+00:00")
    if "." in t:  # Python before 3.11 takes at most 6 fractional digits
        head, rest = t.split(".", 1)
        digits = rest[:len(rest) - len(rest.lstrip("0123456789"))]
        t = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
    parsed = datetime.datetime.fromisoformat(t)
    assert parsed.tzinfo is not None, s
    return parsed


def tasks_of(client, cid):
    """Every task of a cluster, newest first (DescribeClusterTasks, all pages)."""
    from alibabacloud_cs20151215 import models

    out, page = [], 1
    while True:
        body = client.describe_cluster_tasks(cid, models.DescribeClusterTasksRequest(page_size=50, page_number=page)).body
        out += body.tasks or []
        if len(out) >= body.page_info.total_count or not body.tasks:
            return out
        page += 1


def addon_status(client, cid, name):
    from alibabacloud_cs20151215 import models

    body = client.describe_cluster_addons_upgrade_status(
        cid, models.DescribeClusterAddonsUpgradeStatusRequest(component_ids=[name])).body
    return body[name]


def stage_names(info):
    """A task's stages by name: a stage's message is its name, or `name: message`."""
    return [s.message.split(":", 1)[0] for s in info.stages]


def inject_fault(client, cid, component, operation, stage, error_code="HelmReleaseFailed", message="pod crashloop"):
    fleet_call(client, "InjectFault", "POST", "/_emulator/faults", {
        "cluster_id": cid, "component": component, "operation": operation, "stage": stage,
        "error_code": error_code, "message": message})


def upgrade(client, cid, name, to, config=None):
    from alibabacloud_cs20151215 import models

    body = [models.UpgradeClusterAddonsRequestBody(component_name=name, next_version=to, config=config)]
    return client.upgrade_cluster_addons(cid, models.UpgradeClusterAddonsRequest(body=body)).body.task_id


def install(client, cid, name, version=None, config=None):
    from alibabacloud_cs20151215 import models

    body = [models.InstallClusterAddonsRequestBody(name=name, version=version, config=config)]
    return client.install_cluster_addons(cid, models.InstallClusterAddonsRequest(body=body)).body.task_id


def modify(client, cid, name, config):
    """ModifyClusterAddon; its SDK model reads no body, so the task is the cluster's newest."""
    from alibabacloud_cs20151215 import models

    client.modify_cluster_addon(cid, name, models.ModifyClusterAddonRequest(config=config))
    newest = tasks_of(client, cid)[0]
    assert newest.task_type == "addon_modify", newest.task_type
    return newest.task_id


def instance(client, cid, name):
    return client.get_cluster_addon_instance(cid, name).body
