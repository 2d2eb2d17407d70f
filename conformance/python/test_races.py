"""Pause, resume and cancel racing the stages of many tasks, and the polling loops Terraform's
alicloud provider runs, end to end with the Python SDK."""
import json
import random
import subprocess
import time

import pytest
from alibabacloud_cs20151215 import models
from Tea.exceptions import TeaException

from conftest import fresh_db, AK, BIN, SECRET, Server, tea_client, wait_task

OLD, NEW = "v0.3.9.4-ff225cd-aliyun", "v0.3.9.8-aliyun"


@pytest.fixture(scope="module")
def fleet_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("race")
    fleet = tmp / "fleet.jsonl"
    fleet.write_text("".join(json.dumps({"cluster_id": f"crace{i:02d}", "name": f"race-{i}", "addons": [
        {"name": "metrics-server", "version": OLD}, {"name": "flannel", "version": "v0.15.1.22-20a397e6-aliyun"}]}) + "\n"
        for i in range(30)))
    db = fresh_db(tmp, "race")
    subprocess.run([BIN, "import", str(fleet), "--database", db], check=True, capture_output=True)
    s = Server(db, ["--access-key", f"{AK}:{SECRET}", "--stage-duration", "60ms"]).start()
    yield s
    s.stop()


def test_pause_resume_cancel_racing_the_stages(fleet_server):
    c = tea_client(fleet_server)
    rng = random.Random(7)
    tasks = {}
    for i in range(30):
        body = [models.UpgradeClusterAddonsRequestBody(component_name="metrics-server", next_version=NEW)]
        tasks[c.upgrade_cluster_addons(f"crace{i:02d}", models.UpgradeClusterAddonsRequest(body=body)).body.task_id] = f"crace{i:02d}"
    ops = {"pause": c.pause_task, "resume": c.resume_task, "cancel": c.cancel_task}
    refusals = 0
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        t = rng.choice(list(tasks))
        op = rng.choices(["pause", "resume", "cancel"], weights=[4, 4, 1])[0]
        try:
            ops[op](t)
        except TeaException as e:
            # Only "not in a state for that" is an acceptable refusal.
            assert (e.code, e.status_code) == ("ErrorTaskState", 400), e.message
            refusals += 1
    for t in tasks:
        try:
            c.resume_task(t)
        except TeaException as e:
            assert e.code == "ErrorTaskState"
    ended = {t: wait_task(c, t) for t in tasks}
    assert set(ended.values()) <= {"success", "canceled"} and "success" in ended.values()
    for t, cid in tasks.items():
        info = c.describe_task_info(t).body
        inst = c.get_cluster_addon_instance(cid, "metrics-server").body
        status = c.describe_cluster_addons_upgrade_status(cid, models.DescribeClusterAddonsUpgradeStatusRequest(
            component_ids=["metrics-server"])).body["metrics-server"]
        reasons = [e.reason for e in info.events]
        forward = [s for s in info.stages if not s.message.startswith("rollback")]
        assert reasons.count("StageSucceeded") == sum(1 for s in forward if s.state == "success")
        # A cancel after the apply started is undone by a rollback stage, recorded once.
        assert reasons.count("RolledBack") == sum(1 for s in info.stages if s.message == "rollback")
        assert len({s.message.split(":")[0] for s in info.stages}) == len(info.stages), "no stage ran twice"
        if ended[t] == "success":
            assert (inst.version, inst.state, status["tasks"]["status"]) == (NEW, "active", "Success")
            assert reasons.count("TaskSucceeded") == 1 and len(info.stages) == 3
        else:
            assert (inst.version, inst.state, status["tasks"]["status"]) == (OLD, "active", "Canceled")
            assert status["tasks"]["is_canceled"] is True and reasons.count("TaskCanceled") == 1


def test_terraform_polling_loops(fleet_server):
    """alicloud_cs_kubernetes_addon: create (install, DescribeTaskInfo until success, then
    GetClusterAddonInstance active), update (UpgradeClusterAddons likewise; config-only change by
    ModifyClusterAddon, then DescribeClusterAddonsUpgradeStatus until Success), delete
    (UnInstallClusterAddons, instance `deleting`, then 404)."""
    c = tea_client(fleet_server)
    cid = "crace00"

    def poll(fn, target, pending, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            v = fn()
            if v == target:
                return
            assert v in pending, f"unexpected state {v!r}"
            assert time.monotonic() < deadline
            time.sleep(0.05)

    # Create.
    r = c.install_cluster_addons(cid, models.InstallClusterAddonsRequest(body=[
        models.InstallClusterAddonsRequestBody(name="gatekeeper", version="v3.12.0.98-g7a0a6b9-aliyun", config="")])).body
    assert r.task_id
    poll(lambda: c.describe_task_info(r.task_id).body.state, "success", {"running"})
    assert c.get_cluster_addon_instance(cid, "gatekeeper").body.state == "active"
    # Update: version.
    r = c.upgrade_cluster_addons(cid, models.UpgradeClusterAddonsRequest(body=[
        models.UpgradeClusterAddonsRequestBody(component_name="gatekeeper", next_version="v3.15.1.150-gb5e8d6e-aliyun",
                                               policy="overwrite")])).body
    poll(lambda: c.describe_task_info(r.task_id).body.state, "success", {"running"})
    # Update: config only.
    c.modify_cluster_addon(cid, "gatekeeper", models.ModifyClusterAddonRequest(config='{"auditInterval":30}'))
    poll(lambda: c.describe_cluster_addons_upgrade_status(cid, models.DescribeClusterAddonsUpgradeStatusRequest(
        component_ids=["gatekeeper"])).body["gatekeeper"]["tasks"]["status"], "Success", {"Upgrading"})
    got = c.get_cluster_addon_instance(cid, "gatekeeper").body
    assert json.loads(got.config)["auditInterval"] == 30 and got.version == "v3.15.1.150-gb5e8d6e-aliyun"
    # Delete.
    c.un_install_cluster_addons(cid, models.UnInstallClusterAddonsRequest(addons=[
        models.UnInstallClusterAddonsRequestAddons(name="gatekeeper")]))

    def instance_state():
        try:
            return c.get_cluster_addon_instance(cid, "gatekeeper").body.state
        except TeaException as e:
            assert (e.code, e.status_code) == ("AddonNotFound", 404)
            return "gone"
    poll(instance_state, "gone", {"deleting"})
