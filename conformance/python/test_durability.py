"""Durability: SIGKILL the server while hundreds of upgrade tasks are in flight, restart it on
the same database, and check that every task ends exactly once, each stage recorded once."""
import json
import subprocess
import time

from alibabacloud_cs20151215 import models

from conftest import fresh_db, AK, BIN, SECRET, Server, tea_client

# Old and new versions that all run on Kubernetes 1.31 and need nothing else.
UPGRADES = {
    "metrics-server": ("v0.3.9.4-ff225cd-aliyun", "v0.3.9.8-aliyun"),
    "coredns": ("v1.8.4.5-2ce07fd1-aliyun", "v1.11.3.2-f57ea7ed6-aliyun"),
    "nginx-ingress-controller": ("v1.2.1-aliyun.1", "v1.10.2-aliyun.1"),
    "terway-eniip": ("v1.5.7", "v1.9.4"),
    "ack-node-problem-detector": ("1.2.16", "1.2.24"),
    "logtail-ds": ("v1.8.7.0-aliyun", "v2.1.1.0-aliyun"),
    "gatekeeper": ("v3.12.0.98-g7a0a6b9-aliyun", "v3.15.1.150-gb5e8d6e-aliyun"),
    "arms-prometheus": ("1.1.17", "1.1.26"),
}
CLUSTERS = 40


def test_sigkill_with_hundreds_of_tasks_in_flight(tmp_path):
    fleet = tmp_path / "fleet.jsonl"
    fleet.write_text("".join(json.dumps({
        "cluster_id": f"ccrash{i:03d}", "name": f"crash-{i}", "kubernetes_version": "1.31.1-aliyun.1",
        "addons": [{"name": n, "version": old} for n, (old, _) in UPGRADES.items()]}) + "\n" for i in range(CLUSTERS)))
    db = fresh_db(tmp_path, "crash")
    subprocess.run([BIN, "import", str(fleet), "--database", db], check=True, capture_output=True)
    s = Server(db, ["--access-key", f"{AK}:{SECRET}", "--stage-duration", "200ms", "--max-concurrent-tasks", "32"]).start()
    c = tea_client(s)
    tasks = {}
    for i in range(CLUSTERS):
        for name, (_, new) in UPGRADES.items():
            body = [models.UpgradeClusterAddonsRequestBody(component_name=name, next_version=new)]
            tasks[c.upgrade_cluster_addons(f"ccrash{i:03d}", models.UpgradeClusterAddonsRequest(body=body)).body.task_id] = (i, name)
    assert len(tasks) == CLUSTERS * len(UPGRADES) == 320
    for pause in (0.5, 0.7):
        time.sleep(pause)
        # The latest submitted are the likeliest in flight: on a slow machine the first ones
        # may all have ended while the rest were still being submitted.
        ids = list(tasks)
        states = [c.describe_task_info(t).body.state for t in ids[::32] + ids[-40::4]]
        s.proc.kill()  # SIGKILL: no chance to tidy up
        s.proc.wait()
        assert "running" in states, "the kill must land while tasks are in flight"
        s.start()
        c = tea_client(s)
    deadline = time.monotonic() + 120
    pending = set(tasks)
    while pending:
        assert time.monotonic() < deadline, f"{len(pending)} tasks never ended"
        pending = {t for t in pending if c.describe_task_info(t).body.state not in ("success", "fail", "canceled")}
        time.sleep(0.2)
    for t, (i, name) in tasks.items():
        info = c.describe_task_info(t).body
        assert info.state == "success", (t, info.error)
        reasons = [e.reason for e in info.events]
        assert reasons.count("TaskSucceeded") == 1, (t, reasons)
        assert reasons.count("StageSucceeded") == 3, (t, reasons)
        assert [st.message for st in info.stages] == ["precheck", "apply", "verify"], t
    for i in range(CLUSTERS):
        cid = f"ccrash{i:03d}"
        got = {a.name: (a.version, a.state) for a in c.list_cluster_addon_instances(cid).body.addons}
        assert got == {n: (new, "active") for n, (_, new) in UPGRADES.items()}
        status = c.describe_cluster_addons_upgrade_status(cid, models.DescribeClusterAddonsUpgradeStatusRequest()).body
        assert {e["tasks"]["status"] for e in status.values()} == {"Success"}
    s.stop()
