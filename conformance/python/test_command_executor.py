"""The command executor with real scripts: success (output becomes events), failure, timeout,
and cancel (SIGTERM to the whole process group)."""
import json
import os
import subprocess
import time

import pytest
from alibabacloud_cs20151215 import models

from conftest import fresh_db, AK, BIN, SECRET, Server, tea_client, wait_task

SCRIPT = r"""#!/usr/bin/env bash
# A stand-in for a script that would run `helm upgrade --install` per add-on and stage.
echo "$ACK_STAGE $ACK_OPERATION $ACK_ADDON $ACK_FROM_VERSION -> $ACK_TO_VERSION on $ACK_CLUSTER_ID" >> "$EXEC_LOG"
case "$ACK_ADDON/$ACK_STAGE" in
  gatekeeper/apply) echo "rendering chart"; echo "release gatekeeper failed: timed out waiting for pods" >&2; exit 3 ;;
  arms-prometheus/apply) exec sleep 30 ;;
  security-inspector/apply)
    sleep 60 &
    echo "$!" > "$EXEC_LOG.child"
    trap 'echo "TERM received" >> "$EXEC_LOG"; exit 143' TERM
    wait ;;
esac
echo "helm upgrade --install $ACK_ADDON --version $ACK_TO_VERSION"
echo "config: $ACK_CONFIG"
"""

OLD = {"gatekeeper": "v3.12.0.98-g7a0a6b9-aliyun", "arms-prometheus": "1.1.17",
       "security-inspector": "v0.12.0.0-g2fd1a5c-aliyun", "logtail-ds": "v1.8.7.0-aliyun"}


@pytest.fixture(scope="module")
def cmd(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cmd")
    script = tmp / "executor.sh"
    script.write_text(SCRIPT)
    script.chmod(0o755)
    fleet = tmp / "fleet.jsonl"
    fleet.write_text(json.dumps({"cluster_id": "ccmd", "name": "cmd",
                                 "addons": [{"name": n, "version": v} for n, v in OLD.items()]}) + "\n")
    db = fresh_db(tmp, "cmd")
    subprocess.run([BIN, "import", str(fleet), "--database", db], check=True, capture_output=True)
    log = tmp / "exec.log"
    os.environ["EXEC_LOG"] = str(log)  # inherited by the server, then by the script
    s = Server(db, ["--access-key", f"{AK}:{SECRET}", "--executor", "command", "--executor-command", str(script),
                    "--stage-timeout", "1s"]).start()
    yield tea_client(s), log
    s.stop()


def upgrade(c, name, to, config=None):
    body = [models.UpgradeClusterAddonsRequestBody(component_name=name, next_version=to, config=config)]
    return c.upgrade_cluster_addons("ccmd", models.UpgradeClusterAddonsRequest(body=body)).body.task_id


def test_success_turns_output_into_events(cmd):
    c, log = cmd
    t = upgrade(c, "logtail-ds", "v2.1.1.0-aliyun", config='{"sls_project_name": "p1"}')
    assert wait_task(c, t) == "success"
    info = c.describe_task_info(t).body
    out = [e.message for e in info.events if e.reason == "ExecutorOutput"]
    assert out.count("helm upgrade --install logtail-ds --version v2.1.1.0-aliyun") == 3
    assert any('"sls_project_name":"p1"' in m for m in out)
    calls = [l for l in log.read_text().splitlines() if " logtail-ds " in l]
    assert [l.split()[0] for l in calls] == ["precheck", "apply", "verify"]
    assert calls[0].endswith("v1.8.7.0-aliyun -> v2.1.1.0-aliyun on ccmd")
    assert c.get_cluster_addon_instance("ccmd", "logtail-ds").body.version == "v2.1.1.0-aliyun"


def test_failure_fails_the_task_with_its_stderr(cmd):
    c, _ = cmd
    t = upgrade(c, "gatekeeper", "v3.15.1.150-gb5e8d6e-aliyun")
    assert wait_task(c, t) == "fail"
    info = c.describe_task_info(t).body
    assert info.error.code == "ExecutorFailed"
    assert "exit status: 3" in info.error.message and "timed out waiting for pods" in info.error.message
    assert any(e.level == "Warning" and "release gatekeeper failed" in e.message for e in info.events)
    got = c.get_cluster_addon_instance("ccmd", "gatekeeper").body
    assert (got.version, got.state) == (OLD["gatekeeper"], "active")


def test_timeout_fails_the_stage(cmd):
    c, _ = cmd
    started = time.monotonic()
    t = upgrade(c, "arms-prometheus", "1.1.26")
    assert wait_task(c, t) == "fail"
    assert time.monotonic() - started < 20
    info = c.describe_task_info(t).body
    assert info.error.code == "StageTimeout" and "apply of arms-prometheus" in info.error.message


def test_cancel_terminates_the_process_group(cmd):
    c, log = cmd
    t = upgrade(c, "security-inspector", "v0.14.0.3-g7c3e0e2-aliyun")
    child_file = log.with_name(log.name + ".child")
    deadline = time.monotonic() + 10
    while not child_file.exists() or not child_file.read_text().strip():
        assert time.monotonic() < deadline, "the apply stage never started"
        time.sleep(0.05)
    child = int(child_file.read_text())
    c.cancel_task(t)
    assert wait_task(c, t) == "canceled"
    assert "TERM received" in log.read_text()
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{child}") and "zombie" not in open(f"/proc/{child}/status").read().lower():
        assert time.monotonic() < deadline, "the script's child outlived the cancel"
        time.sleep(0.05)
    got = c.get_cluster_addon_instance("ccmd", "security-inspector").body
    assert (got.version, got.state) == (OLD["security-inspector"], "active")


def test_the_readme_example_executor_runs(tmp_path):
    example = os.path.join(os.path.dirname(BIN), "..", "..", "examples", "helm-executor.sh")
    fleet = tmp_path / "fleet.jsonl"
    fleet.write_text(json.dumps({"cluster_id": "cex", "name": "ex", "addons": [{"name": "logtail-ds", "version": "v1.8.7.0-aliyun"}]}) + "\n")
    db = fresh_db(tmp_path, "ex")
    subprocess.run([BIN, "import", str(fleet), "--database", db], check=True, capture_output=True)
    s = Server(db, ["--access-key", f"{AK}:{SECRET}", "--executor", "command", "--executor-command", os.path.abspath(example)]).start()
    try:
        c = tea_client(s)
        body = [models.UpgradeClusterAddonsRequestBody(component_name="logtail-ds", next_version="v2.1.1.0-aliyun")]
        t = c.upgrade_cluster_addons("cex", models.UpgradeClusterAddonsRequest(body=body)).body.task_id
        assert wait_task(c, t) == "success"
        out = [e.message for e in c.describe_task_info(t).body.events if e.reason == "ExecutorOutput"]
        assert out[0] == "dry-run: helm show chart repo/logtail-ds --version v2.1.1.0-aliyun"
        assert out[1].startswith("dry-run: helm upgrade --install logtail-ds repo/logtail-ds --version v2.1.1.0-aliyun")
        assert out[2] == "dry-run: helm status logtail-ds --namespace kube-system"
    finally:
        s.stop()
