"""A failed or canceled change is rolled back: once a task's apply stage has started, a failure
(of apply or verify) or a cancel runs a `rollback` stage before the task ends, and the add-on is
left `active` at its previous version and config (after an install: not installed). A rollback
that fails leaves the add-on `unhealthy` (RollbackFailed), and a later change may repair it.
Faults come from the emulator's fault injection (simulated executor) or from a command-executor
script whose stages can be held, failed and logged per cluster, add-on and stage."""
import json
import time

import pytest

from conftest import fresh_db, tea_client, wait_task
from fleet import (MS_NEW, MS_OLD, addon_status, cluster, import_fleet, inject_fault, install, instance, modify,
                   refused, stage_names, start, upgrade, wait_for, write_script)

FLANNEL = "v0.15.1.28-0ad4f25e-aliyun"
LOGTAIL = "v1.8.7.0-aliyun"
MS = ("metrics-server", (MS_OLD, '{"replicas": 2}'))


def reasons(info):
    return [e.reason for e in info.events]


def stages(info):
    return [(s.message, s.state) for s in info.stages]


def config_of(inst):
    return json.loads(inst.config) if inst.config else {}


# ---------------------------------------------------------------------------------------------
# Simulated executor, faults injected through /_emulator/faults.

SIM_CLUSTERS = ["crbapply", "crbverify", "crbinstall", "crbmodify", "crbbrokensame", "crbbrokenprev", "crbbrokeninst"]


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rbsim")
    db = fresh_db(tmp, "rbsim")
    import_fleet(tmp, db, [cluster(cid, dict([MS])) for cid in SIM_CLUSTERS])
    s = start(db, "--stage-duration", "50ms")
    yield tea_client(s)
    s.stop()


@pytest.mark.parametrize("stage,cid", [("apply", "crbapply"), ("verify", "crbverify")])
def test_a_failed_upgrade_is_rolled_back(sim, stage, cid):
    c = sim
    before = instance(c, cid, "metrics-server")
    inject_fault(c, cid, "metrics-server", "upgrade", stage, "HelmReleaseFailed", "pod crashloop")
    t = upgrade(c, cid, "metrics-server", MS_NEW, config='{"replicas": 3}')
    assert wait_task(c, t) == "fail"
    info = c.describe_task_info(t).body
    assert (info.error.code, info.error.message) == ("HelmReleaseFailed", "pod crashloop")
    want = [("precheck", "success"), ("apply", "success"), ("verify", "success")]
    want = want[:want.index((stage, "success"))] + [(f"{stage}: pod crashloop", "failed"), ("rollback", "success")]
    assert stages(info) == want
    assert "RolledBack" in reasons(info) and reasons(info).count("TaskFailed") == 1
    got = instance(c, cid, "metrics-server")
    assert (got.state, got.version, config_of(got)) == ("active", MS_OLD, config_of(before))
    assert config_of(got)["replicas"] == 2
    s = addon_status(c, cid, "metrics-server")
    assert (s["addon_info"]["version"], s["tasks"]["status"]) == (MS_OLD, "Failed")


def test_a_failed_install_is_rolled_back_to_nothing(sim):
    c, cid = sim, "crbinstall"
    inject_fault(c, cid, "flannel", "install", "apply", "ChartNotFound", "no chart")
    t = install(c, cid, "flannel", FLANNEL)
    assert wait_task(c, t) == "fail"
    info = c.describe_task_info(t).body
    assert info.error.code == "ChartNotFound"
    assert stages(info) == [("precheck", "success"), ("apply: no chart", "failed"), ("rollback", "success")]
    assert "RolledBack" in reasons(info)
    refused(lambda: instance(c, cid, "flannel"), "AddonNotFound", 404)
    s = addon_status(c, cid, "flannel")
    assert (s["addon_info"]["version"], s["tasks"]["status"]) == ("", "Failed")
    # Nothing is left behind: the same install now goes through.
    assert wait_task(c, install(c, cid, "flannel", FLANNEL)) == "success"
    got = instance(c, cid, "flannel")
    assert (got.state, got.version) == ("active", FLANNEL)


def test_a_failed_config_change_is_rolled_back(sim):
    c, cid = sim, "crbmodify"
    before = instance(c, cid, "metrics-server")
    inject_fault(c, cid, "metrics-server", "modify", "apply", "HelmReleaseFailed", "bad values")
    t = modify(c, cid, "metrics-server", '{"replicas": 4}')
    assert wait_task(c, t) == "fail"
    info = c.describe_task_info(t).body
    assert info.error.code == "HelmReleaseFailed"
    assert stages(info) == [("precheck", "success"), ("apply: bad values", "failed"), ("rollback", "success")]
    assert "RolledBack" in reasons(info)
    got = instance(c, cid, "metrics-server")
    assert (got.state, got.version, config_of(got)) == ("active", MS_OLD, config_of(before))


@pytest.mark.parametrize("retry_to,cid", [(MS_NEW, "crbbrokensame"), (MS_OLD, "crbbrokenprev")])
def test_a_failed_rollback_leaves_the_addon_unhealthy_until_a_later_upgrade(sim, retry_to, cid):
    c = sim
    inject_fault(c, cid, "metrics-server", "upgrade", "apply", "HelmReleaseFailed", "pod crashloop")
    inject_fault(c, cid, "metrics-server", "upgrade", "rollback", "HelmRollbackFailed", "release stuck")
    t = upgrade(c, cid, "metrics-server", MS_NEW)
    assert wait_task(c, t) == "fail"
    info = c.describe_task_info(t).body
    assert info.error.code == "RollbackFailed"
    assert stage_names(info) == ["precheck", "apply", "rollback"]
    assert [s.state for s in info.stages] == ["success", "failed", "failed"]
    assert instance(c, cid, "metrics-server").state == "unhealthy"
    s = addon_status(c, cid, "metrics-server")
    assert s["tasks"]["status"] == "Failed" and s["tasks"]["message"].startswith("RollbackFailed"), s["tasks"]
    # A broken add-on can be repaired by upgrading it again, to the target or to what it had.
    t2 = upgrade(c, cid, "metrics-server", retry_to)
    assert wait_task(c, t2) == "success", c.describe_task_info(t2).body.error
    got = instance(c, cid, "metrics-server")
    assert (got.state, got.version) == ("active", retry_to)
    assert addon_status(c, cid, "metrics-server")["tasks"]["status"] == "Success"


def test_an_install_whose_rollback_failed_can_be_installed_again(sim):
    c, cid = sim, "crbbrokeninst"
    inject_fault(c, cid, "flannel", "install", "verify", "HelmReleaseFailed", "pods never ready")
    inject_fault(c, cid, "flannel", "install", "rollback", "HelmRollbackFailed", "release stuck")
    t = install(c, cid, "flannel", FLANNEL)
    assert wait_task(c, t) == "fail"
    info = c.describe_task_info(t).body
    assert info.error.code == "RollbackFailed"
    assert stage_names(info) == ["precheck", "apply", "verify", "rollback"]
    assert [s.state for s in info.stages] == ["success", "success", "failed", "failed"]
    assert instance(c, cid, "flannel").state == "unhealthy"
    t2 = install(c, cid, "flannel", FLANNEL)
    assert wait_task(c, t2) == "success", c.describe_task_info(t2).body.error
    got = instance(c, cid, "flannel")
    assert (got.state, got.version) == ("active", FLANNEL)


# ---------------------------------------------------------------------------------------------
# Command executor: a script that logs what it is given, and whose stages a test can hold (until
# released) or fail, by files named CLUSTER.ADDON.STAGE.{hold,release,fail} in its directory.

SCRIPT = r"""#!/usr/bin/env bash
D='@DIR@'
printf '%s|%s|%s|%s|%s|%s|%s\n' "$ACK_CLUSTER_ID" "$ACK_ADDON" "$ACK_STAGE" "$ACK_OPERATION" \
  "$ACK_FROM_VERSION" "$ACK_TO_VERSION" "$ACK_CONFIG" >> "$D/exec.log"
key="$D/$ACK_CLUSTER_ID.$ACK_ADDON.$ACK_STAGE"
if [ -e "$key.hold" ]; then
  echo "$$" >> "$key.started"
  for _ in $(seq 1 1000); do [ -e "$key.release" ] && break; sleep 0.02; done  # 20 s at most
fi
if [ -e "$key.fail" ]; then echo "$ACK_STAGE of $ACK_ADDON broke" >&2; exit 3; fi
exit 0
"""

CMD_CLUSTERS = {
    "cvars": {"metrics-server": (MS_OLD, '{"replicas": 2}'), "logtail-ds": (LOGTAIL, '{"sls_project_name": "p0"}')},
    "cvarsinst": {},
    "cprecheck": {"metrics-server": MS_OLD},
    "cpaused": dict([MS]),
    "capply": dict([MS]),
    "cafterapply": dict([MS]),
}


class Executor:
    """The script's directory: its call log and the hold/release/fail switches."""

    def __init__(self, d):
        self.dir = d
        self.log = d / "exec.log"
        self.script = write_script(d / "executor.sh", SCRIPT.replace("@DIR@", str(d)))

    def switch(self, cid, addon, stage, kind):
        (self.dir / f"{cid}.{addon}.{stage}.{kind}").touch()

    def unswitch(self, cid, addon, stage, kind):
        p = self.dir / f"{cid}.{addon}.{stage}.{kind}"
        if p.exists():
            p.unlink()

    def wait_started(self, cid, addon, stage, timeout=20):
        p = self.dir / f"{cid}.{addon}.{stage}.started"
        wait_for(lambda: p.exists() and p.read_text().strip(), timeout, f"{stage} of {addon} on {cid} to start")

    def calls(self, cid, addon=None):
        if not self.log.exists():
            return []
        out = []
        for line in self.log.read_text().splitlines():
            f = line.split("|", 6)
            call = dict(zip(("cluster", "addon", "stage", "operation", "from", "to", "config"), f))
            if call["cluster"] == cid and (addon is None or call["addon"] == addon):
                out.append(call)
        return out


def cmd_args(ex):
    return ["--executor", "command", "--executor-command", str(ex.script), "--stage-timeout", "30s"]


@pytest.fixture(scope="module")
def cmd(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rbcmd")
    ex = Executor(tmp)
    db = fresh_db(tmp, "rbcmd")
    fleet = [cluster(cid, addons) for cid, addons in CMD_CLUSTERS.items() if cid != "cprecheck"]
    fleet.append(cluster("cprecheck", CMD_CLUSTERS["cprecheck"], kube="1.24.6-aliyun.1"))
    import_fleet(tmp, db, fleet)
    s = start(db, *cmd_args(ex))
    yield tea_client(s), ex
    # Let any held script go before the server stops.
    for p in list(tmp.glob("*.hold")):
        (tmp / (p.name[:-len(".hold")] + ".release")).touch()
    s.stop()


def test_the_rollback_of_an_upgrade_sees_the_old_version_and_config(cmd):
    c, ex = cmd
    before = instance(c, "cvars", "metrics-server")
    ex.switch("cvars", "metrics-server", "verify", "fail")
    t = upgrade(c, "cvars", "metrics-server", MS_NEW, config='{"replicas": 3}')
    assert wait_task(c, t) == "fail"
    info = c.describe_task_info(t).body
    assert info.error.code == "ExecutorFailed"
    assert stage_names(info) == ["precheck", "apply", "verify", "rollback"]
    assert [s.state for s in info.stages] == ["success", "success", "failed", "success"]
    calls = ex.calls("cvars", "metrics-server")
    assert [x["stage"] for x in calls] == ["precheck", "apply", "verify", "rollback"]
    apply, rollback = calls[1], calls[3]
    assert (apply["operation"], apply["from"], apply["to"]) == ("upgrade", MS_OLD, MS_NEW)
    assert json.loads(apply["config"])["replicas"] == 3
    # The rollback moves back: from the version it was moving to, to the one it had, old config.
    assert (rollback["operation"], rollback["from"], rollback["to"]) == ("upgrade", MS_NEW, MS_OLD)
    assert json.loads(rollback["config"]) == config_of(before) and config_of(before)["replicas"] == 2
    got = instance(c, "cvars", "metrics-server")
    assert (got.state, got.version, config_of(got)) == ("active", MS_OLD, config_of(before))


def test_the_rollback_of_a_config_change_sees_the_old_config(cmd):
    c, ex = cmd
    before = instance(c, "cvars", "logtail-ds")
    ex.switch("cvars", "logtail-ds", "apply", "fail")
    t = modify(c, "cvars", "logtail-ds", '{"sls_project_name": "p1"}')
    assert wait_task(c, t) == "fail"
    rollback = [x for x in ex.calls("cvars", "logtail-ds") if x["stage"] == "rollback"]
    assert len(rollback) == 1
    r = rollback[0]
    assert (r["operation"], r["from"], r["to"]) == ("modify", LOGTAIL, LOGTAIL)
    assert json.loads(r["config"]) == config_of(before) and config_of(before)["sls_project_name"] == "p0"
    assert config_of(instance(c, "cvars", "logtail-ds")) == config_of(before)


def test_the_rollback_of_an_install_has_no_version_or_config_to_go_back_to(cmd):
    c, ex = cmd
    ex.switch("cvarsinst", "flannel", "apply", "fail")
    t = install(c, "cvarsinst", "flannel", FLANNEL)
    assert wait_task(c, t) == "fail"
    info = c.describe_task_info(t).body
    assert stage_names(info) == ["precheck", "apply", "rollback"]
    assert info.stages[-1].state == "success"
    calls = ex.calls("cvarsinst", "flannel")
    assert [x["stage"] for x in calls] == ["precheck", "apply", "rollback"]
    r = calls[-1]
    assert (r["operation"], r["from"], r["to"], r["config"]) == ("install", FLANNEL, "", "")
    refused(lambda: instance(c, "cvarsinst", "flannel"), "AddonNotFound", 404)


def test_a_precheck_failure_has_no_rollback(cmd):
    c, ex = cmd
    t = upgrade(c, "cprecheck", "metrics-server", MS_NEW)  # needs Kubernetes 1.30, the cluster has 1.24
    assert wait_task(c, t) == "fail"
    info = c.describe_task_info(t).body
    assert info.error.code == "PrecheckFailed"
    assert stage_names(info) == ["precheck"] and info.stages[0].state == "failed"
    assert "RolledBack" not in reasons(info)
    assert "rollback" not in [x["stage"] for x in ex.calls("cprecheck")]
    assert instance(c, "cprecheck", "metrics-server").version == MS_OLD


def test_a_cancel_between_precheck_and_apply_has_no_rollback(cmd):
    c, ex = cmd
    cid = "cpaused"
    ex.switch(cid, "metrics-server", "precheck", "hold")
    t = upgrade(c, cid, "metrics-server", MS_NEW)
    ex.wait_started(cid, "metrics-server", "precheck")
    c.pause_task(t)  # takes effect when precheck ends
    ex.switch(cid, "metrics-server", "precheck", "release")
    assert wait_task(c, t, until=("paused",)) == "paused"
    assert stage_names(c.describe_task_info(t).body) == ["precheck"]
    c.cancel_task(t)
    assert wait_task(c, t) == "canceled"
    info = c.describe_task_info(t).body
    assert stage_names(info) == ["precheck"]
    assert "RolledBack" not in reasons(info) and reasons(info).count("TaskCanceled") == 1
    assert [x["stage"] for x in ex.calls(cid)] == ["precheck"]
    got = instance(c, cid, "metrics-server")
    assert (got.state, got.version) == ("active", MS_OLD)


def test_a_cancel_during_apply_rolls_back(cmd):
    c, ex = cmd
    cid = "capply"
    before = instance(c, cid, "metrics-server")
    ex.switch(cid, "metrics-server", "apply", "hold")
    t = upgrade(c, cid, "metrics-server", MS_NEW, config='{"replicas": 5}')
    ex.wait_started(cid, "metrics-server", "apply")
    c.cancel_task(t)
    assert wait_task(c, t) == "canceled"
    info = c.describe_task_info(t).body
    assert stage_names(info) == ["precheck", "apply", "rollback"]
    assert info.stages[-1].state == "success"
    assert "RolledBack" in reasons(info) and reasons(info).count("TaskCanceled") == 1
    assert [x["stage"] for x in ex.calls(cid)] == ["precheck", "apply", "rollback"]
    got = instance(c, cid, "metrics-server")
    assert (got.state, got.version, config_of(got)) == ("active", MS_OLD, config_of(before))
    s = addon_status(c, cid, "metrics-server")
    assert (s["tasks"]["status"], s["tasks"]["is_canceled"]) == ("Canceled", True)


def test_canceling_a_task_paused_after_apply_rolls_back(cmd):
    c, ex = cmd
    cid = "cafterapply"
    ex.switch(cid, "metrics-server", "apply", "hold")
    t = upgrade(c, cid, "metrics-server", MS_NEW)
    ex.wait_started(cid, "metrics-server", "apply")
    c.pause_task(t)  # takes effect before verify
    ex.switch(cid, "metrics-server", "apply", "release")
    assert wait_task(c, t, until=("paused",)) == "paused"
    info = c.describe_task_info(t).body
    assert stages(info) == [("precheck", "success"), ("apply", "success")]
    c.cancel_task(t)
    assert wait_task(c, t) == "canceled"
    info = c.describe_task_info(t).body
    assert stage_names(info) == ["precheck", "apply", "rollback"] and info.stages[-1].state == "success"
    assert "RolledBack" in reasons(info)
    assert [x["stage"] for x in ex.calls(cid)] == ["precheck", "apply", "rollback"]
    assert instance(c, cid, "metrics-server").version == MS_OLD


def test_a_crash_during_rollback_runs_it_again_and_the_task_ends_once(tmp_path):
    ex = Executor(tmp_path)
    db = fresh_db(tmp_path, "rbcrash")
    cid = "crbcrash"
    import_fleet(tmp_path, db, [cluster(cid, dict([MS]))])
    ex.switch(cid, "metrics-server", "apply", "fail")
    ex.switch(cid, "metrics-server", "rollback", "hold")
    s = start(db, *cmd_args(ex))
    try:
        c = tea_client(s)
        t = upgrade(c, cid, "metrics-server", MS_NEW)
        ex.wait_started(cid, "metrics-server", "rollback")
        assert c.describe_task_info(t).body.state == "running", "the task must not end before its rollback"
        s.proc.kill()  # SIGKILL in the middle of the rollback stage
        s.proc.wait()
        # The orphaned script may go; the rollback run after the restart is not held.
        ex.unswitch(cid, "metrics-server", "rollback", "hold")
        ex.switch(cid, "metrics-server", "rollback", "release")
        s.start()
        c = tea_client(s)
        assert wait_task(c, t) == "fail"
        info = c.describe_task_info(t).body
        assert info.error.code == "ExecutorFailed"
        assert reasons(info).count("TaskFailed") == 1, reasons(info)
        assert stage_names(info) == ["precheck", "apply", "rollback"]
        assert info.stages[-1].state == "success"
        ran = [x["stage"] for x in ex.calls(cid)]
        assert ran.count("apply") == 1 and ran.count("rollback") >= 2, ran
        got = instance(c, cid, "metrics-server")
        assert (got.state, got.version) == ("active", MS_OLD)
        # Settles: no second end shows up a little later either.
        time.sleep(0.3)
        assert reasons(c.describe_task_info(t).body).count("TaskFailed") == 1
    finally:
        ex.switch(cid, "metrics-server", "rollback", "release")
        if s.proc.poll() is None:
            s.stop()
