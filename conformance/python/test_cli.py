"""The command-line client (`ack-addons clusters`, `install --wait`, `rollout …`) run as a
subprocess against a real server, its answers checked against the official SDK's view of the
same state. Stages take 0.3 s, so tasks and rollouts can be watched in flight."""
import fcntl
import json
import os
import re
import struct
import subprocess
import tempfile
import termios
import time

import pytest
from alibabacloud_cs20151215 import models

from conftest import AK, BIN, SECRET, call, new_cluster, tea_client, wait_task
from fleet import describe_rollout, fleet_call, wait_for

MS_OLD, MS_MID = "v0.3.9.4-ff225cd-aliyun", "v0.3.9.7-aliyun"


@pytest.fixture(scope="module")
def srv(slow_server):
    return slow_server


@pytest.fixture(scope="module")
def sdk(srv):
    return tea_client(srv)


@pytest.fixture(scope="module")
def home():
    """An empty HOME, so that no real ~/.aliyun/config.json is read."""
    with tempfile.TemporaryDirectory() as h:
        yield h


def env_for(home, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "ACK_ADDONS_"))}
    env.update(HOME=home, ALIBABA_CLOUD_ACCESS_KEY_ID=AK, ALIBABA_CLOUD_ACCESS_KEY_SECRET=SECRET)
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def cli(srv, home, *args, env=None, timeout=60):
    """Runs the client with env credentials (unless `env` is given); answers (rc, stdout, stderr)."""
    out = subprocess.run([BIN, *args, "--endpoint", f"http://{srv.endpoint}"], capture_output=True, text=True,
                         env=env or env_for(home), timeout=timeout, stdin=subprocess.DEVNULL)
    for text in (out.stdout, out.stderr):
        assert SECRET not in text, "the secret was printed"
    return out.returncode, out.stdout, out.stderr


def ok(srv, home, *args, **kw):
    rc, out, err = cli(srv, home, *args, **kw)
    assert rc == 0, (args, out, err)
    return out


def ok_json(srv, home, *args):
    return json.loads(ok(srv, home, *args, "--output", "json"))


def failed(srv, home, *args, **kw):
    rc, out, err = cli(srv, home, *args, **kw)
    assert rc == 1, (args, rc, out, err)
    assert err.startswith("error: "), err
    return out, err


def cluster(sdk, addons=(), name="cli"):
    return new_cluster(sdk, name, addons=list(addons)).cluster_id


def row(table, first):
    """The cells of the table row whose first cell is `first`, split on the column starts the
    header gives (so an empty cell stays in its column)."""
    lines = table.splitlines()
    starts = [m.start() for m in re.finditer(r"\S+", lines[0])]
    for line in lines[1:]:
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
        if cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r} in\n{table}")


def plain_lines(out, pattern):
    """Progress written for a pipe: no control sequences, every line matching `pattern`."""
    assert "\x1b" not in out and "\r" not in out, repr(out)
    lines = out.splitlines()
    for line in lines:
        assert re.fullmatch(pattern, line), line
    return lines


def task_lines(out):
    """Each `T-… stage NAME STATE`, or how the task stands or ended."""
    return plain_lines(out, r"T-\S+ (stage \w+ \w+|paused after stage \w+|paused|running|success|fail: .*|canceled.*)")


def test_clusters_table_and_json(srv, sdk, home):
    cid = cluster(sdk, name="cli-list")
    table = ok(srv, home, "clusters", "--name", "cli-list")
    assert table.splitlines()[0].split() == ["CLUSTER_ID", "NAME", "STATE", "VERSION", "REGION", "TYPE"]
    assert row(table, cid)[:3] == [cid, "cli-list", "running"]
    body = ok_json(srv, home, "clusters", "--name", "cli-list")
    sdk_body = sdk.describe_clusters_v1(models.DescribeClustersV1Request(name="cli-list")).body
    assert [c["cluster_id"] for c in body["clusters"]] == [c.cluster_id for c in sdk_body.clusters] == [cid]
    assert body["page_info"]["total_count"] == 1
    detail = ok(srv, home, "cluster", cid)
    assert re.search(rf"^cluster_id:\s+{cid}$", detail, re.M) and re.search(r"^state:\s+running$", detail, re.M)
    assert ok_json(srv, home, "cluster", cid)["name"] == sdk.describe_cluster_detail(cid).body.name == "cli-list"


def test_status_and_catalog(srv, sdk, home):
    cid = cluster(sdk, [{"name": "metrics-server", "version": MS_OLD}])
    table = ok(srv, home, "status", cid, "metrics-server", "flannel")
    assert table.splitlines()[0].split() == ["ADDON", "VERSION", "CAN_UPGRADE", "TASK", "MESSAGE"]
    assert row(table, "metrics-server")[:4] == ["metrics-server", MS_OLD, "true", "Success"]
    assert row(table, "flannel")[1] == ""
    body = ok_json(srv, home, "status", cid, "metrics-server")
    want = sdk.describe_cluster_addons_upgrade_status(
        cid, models.DescribeClusterAddonsUpgradeStatusRequest(component_ids=["metrics-server"])).body
    assert body == want
    catalog = ok(srv, home, "addons")
    assert row(catalog, "metrics-server")[0] == "metrics-server" and row(catalog, "flannel")
    names = [a["name"] for a in ok_json(srv, home, "addons")["addons"]]
    assert "metrics-server" in names and "coredns" in names


def streams_opened(srv):
    with open(srv.log.name, errors="replace") as f:
        return f.read().count('"StreamEvents"')


def test_install_wait_follows_the_stages_and_succeeds(srv, sdk, home):
    cid = cluster(sdk)
    before = streams_opened(srv)
    lines = task_lines(ok(srv, home, "install", cid, "flannel", "--wait"))
    assert streams_opened(srv) == before + 1, "the wait followed the signed event stream"
    tid = lines[-1].split()[0]
    assert lines[-1] == f"{tid} success"
    seen = [line.split()[2] for line in lines if " stage " in line]
    order = ["precheck", "apply", "verify"]
    assert seen and [order.index(s) for s in seen] == sorted(order.index(s) for s in seen), lines
    info = sdk.describe_task_info(tid).body
    assert (info.state, info.cluster_id, info.task_type) == ("success", cid, "addon_install")
    assert sdk.get_cluster_addon_instance(cid, "flannel").body.state == "active"
    # The task and the cluster's task list, as the SDK sees them.
    table = ok(srv, home, "task", tid)
    assert re.search(r"^state:\s+success$", table, re.M)
    assert row(table.split("\n\n", 1)[1], "precheck")[1] == "success"
    assert ok_json(srv, home, "task", tid)["task_id"] == tid
    tasks = ok(srv, home, "tasks", cid)
    assert row(tasks, tid)[1:3] == ["addon_install", "success"]
    listed = ok_json(srv, home, "tasks", cid)["tasks"]
    sdk_tasks = sdk.describe_cluster_tasks(cid, models.DescribeClusterTasksRequest()).body.tasks
    assert [t["task_id"] for t in listed] == [t.task_id for t in sdk_tasks]
    # An ended task watched says so at once.
    assert task_lines(ok(srv, home, "task", tid, "--watch")) == [f"{tid} success"]


def test_refusals_and_failed_tasks_exit_non_zero_with_the_code(srv, sdk, home):
    cid = cluster(sdk, [{"name": "metrics-server", "version": MS_OLD}])
    out, err = failed(srv, home, "install", cid, "no-such-addon", "--wait")
    assert err.startswith("error: AddonNotFound: ") and "no-such-addon" in err and out == ""
    _, err = failed(srv, home, "status", "c-notfound")
    assert err.startswith("error: ErrorClusterNotFound: ")
    _, err = failed(srv, home, "config", cid, "metrics-server", "{not json")
    assert err.startswith("error: InvalidParameter: ")
    call(sdk, "InjectFault", "POST", "/_emulator/faults", {"cluster_id": cid, "component": "metrics-server",
         "operation": "upgrade", "stage": "verify", "error_code": "HelmReleaseFailed", "message": "pod crashloop"})
    out, err = failed(srv, home, "upgrade", cid, "metrics-server", MS_MID, "--wait")
    assert "HelmReleaseFailed: pod crashloop" in err and err.startswith("error: task T-")
    lines = task_lines(out)
    assert lines[-1].endswith("fail: HelmReleaseFailed: pod crashloop")
    assert sdk.get_cluster_addon_instance(cid, "metrics-server").body.version == MS_OLD
    # Usage errors are clap's.
    rc, _, err = cli(srv, home, "install", cid)
    assert rc == 2 and "ADDON" in err


def test_config_and_upgrade_to_the_newest(srv, sdk, home):
    cid = cluster(sdk, [{"name": "metrics-server", "version": MS_OLD}])
    task_lines(ok(srv, home, "upgrade", cid, "metrics-server", "--wait"))
    newest = fleet_call(sdk, "DescribeAddon", "GET", "/addons/metrics-server", query={"cluster_id": cid})["version"]
    assert sdk.get_cluster_addon_instance(cid, "metrics-server").body.version == newest != MS_OLD
    done = ok_json(srv, home, "uninstall", cid, "metrics-server", "--wait")
    assert (done["state"], done["task_type"]) == ("success", "addon_uninstall")


def started_task(srv, home, *args):
    body = ok_json(srv, home, *args)
    assert body["task_id"].startswith("T-"), body
    return body["task_id"]


def test_pause_resume_cancel(srv, sdk, home):
    cid = cluster(sdk)
    tid = started_task(srv, home, "install", cid, "flannel")
    assert ok(srv, home, "pause", tid) == f"{tid} pause: requested\n"
    assert wait_task(sdk, tid, until=("paused",)) == "paused"
    assert task_lines(ok(srv, home, "resume", tid, "--wait"))[-1] == f"{tid} success"
    _, err = failed(srv, home, "pause", tid)
    assert err.startswith("error: ErrorTaskState: ")
    tid = started_task(srv, home, "uninstall", cid, "flannel")
    lines = task_lines(ok(srv, home, "pause", tid, "--wait"))
    assert lines[-1].startswith(f"{tid} paused") and sdk.describe_task_info(tid).body.state == "paused"
    ok(srv, home, "cancel", tid, "--wait")
    assert sdk.describe_task_info(tid).body.state == "canceled"
    _, err = failed(srv, home, "task", tid, "--watch")
    assert err.startswith(f"error: task {tid} canceled")


def test_profiles_and_wrong_secrets(srv, sdk, home):
    with tempfile.TemporaryDirectory() as h:
        os.mkdir(os.path.join(h, ".aliyun"))
        with open(os.path.join(h, ".aliyun", "config.json"), "w") as f:
            json.dump({"current": "good", "profiles": [
                {"name": "good", "mode": "AK", "access_key_id": AK, "access_key_secret": SECRET, "region_id": "cn-hangzhou"},
                {"name": "bad", "mode": "AK", "access_key_id": AK, "access_key_secret": "wrong-secret"}]}, f)
        bare = env_for(h, ALIBABA_CLOUD_ACCESS_KEY_ID=None, ALIBABA_CLOUD_ACCESS_KEY_SECRET=None)
        assert "CLUSTER_ID" in ok(srv, h, "clusters", env=bare)
        assert "CLUSTER_ID" in ok(srv, h, "--profile", "good", "clusters", env=bare)
        _, err = failed(srv, h, "clusters", "--profile", "bad", env=bare)
        assert err.startswith("error: SignatureDoesNotMatch: ") and "wrong-secret" not in err
        _, err = failed(srv, h, "clusters", "--profile", "nope", env=bare)
        assert "no profile \"nope\"" in err
        # The file's `current` is the fallback; the environment's key goes first.
        wrong_env = env_for(h, ALIBABA_CLOUD_ACCESS_KEY_SECRET="wrong-secret")
        _, err = failed(srv, h, "clusters", env=wrong_env)
        assert err.startswith("error: SignatureDoesNotMatch: ")
    _, err = failed(srv, home, "clusters", env=env_for(home, ALIBABA_CLOUD_ACCESS_KEY_ID=None,
                                                          ALIBABA_CLOUD_ACCESS_KEY_SECRET=None))
    assert err.startswith("error: no credentials")


def test_endpoint_from_the_environment_and_https_refused(srv, home):
    env = env_for(home, ACK_ADDONS_ENDPOINT=f"http://{srv.endpoint}")
    out = subprocess.run([BIN, "clusters"], capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 0 and "CLUSTER_ID" in out.stdout, out.stderr
    out = subprocess.run([BIN, "clusters", "--endpoint", "https://cs.example.com"], capture_output=True, text=True,
                         env=env, timeout=30)
    assert out.returncode == 1 and "https endpoints are not supported" in out.stderr


def rollout_lines(out):
    return plain_lines(out, r"rollout \S+ wave \d+/\d+: \d+ success, \d+ fail, \d+ running( \(\w+\))?(: .*)?")


def test_rollout_create_wait_list_show(srv, sdk, home):
    cids = [cluster(sdk, [{"name": "metrics-server", "version": MS_OLD}], name="cli-ro") for _ in range(3)]
    sel = [a for cid in cids for a in ("--cluster", cid)]
    lines = rollout_lines(ok(srv, home, "rollout", "create", "metrics-server", MS_MID, *sel, "--wave-size", "1",
                             "--max-parallel", "1", "--wait"))
    assert lines[-1].endswith(": 3 success, 0 fail, 0 running (success)"), lines
    rid = lines[-1].split()[1]
    assert len(lines) >= 2, "progress was shown before the end"
    for cid in cids:
        assert sdk.get_cluster_addon_instance(cid, "metrics-server").body.version == MS_MID
    assert row(ok(srv, home, "rollout", "list"), rid)[1:4] == ["metrics-server", MS_MID, "success"]
    assert rid in [r["rollout_id"] for r in ok_json(srv, home, "rollout", "list", "--state", "success")["rollouts"]]
    show = ok(srv, home, "rollout", "show", rid)
    assert re.search(r"^state:\s+success$", show, re.M) and re.search(r"^counts:\s+success=3 fail=0", show, re.M)
    waves = show.split("\n\n", 1)[1]
    assert [row(waves, str(i))[2] for i in range(3)] == ["success"] * 3
    body = ok_json(srv, home, "rollout", "show", rid)
    assert body["counts"] == describe_rollout(sdk, rid)["counts"] and body["counts"]["success"] == 3


def test_rollout_pause_resume_cancel_and_watch(srv, sdk, home):
    cids = [cluster(sdk, [{"name": "metrics-server", "version": MS_OLD}], name="cli-ro2") for _ in range(3)]
    sel = [a for cid in cids for a in ("--cluster", cid)]
    made = ok_json(srv, home, "rollout", "create", "metrics-server", MS_MID, *sel, "--wave-size", "1", "--soak", "3s")
    rid = made["rollout_id"]
    assert made["total"] == 3
    ok(srv, home, "rollout", "pause", rid)
    wait_for(lambda: describe_rollout(sdk, rid)["state"] == "paused", what="paused")
    ok(srv, home, "rollout", "resume", rid)
    wait_for(lambda: describe_rollout(sdk, rid)["state"] == "running", what="running again")
    assert ok(srv, home, "rollout", "cancel", rid) == f"{rid}: CancelAddonRollout requested\n"
    r = wait_for(lambda: (lambda r: r if r["state"] == "canceled" else None)(describe_rollout(sdk, rid)), what="canceled")
    out, err = failed(srv, home, "rollout", "watch", rid)
    assert rollout_lines(out)[-1].endswith("(canceled)") and err.startswith(f"error: rollout {rid} ")
    assert r["counts"]["success"] < 3
    _, err = failed(srv, home, "rollout", "show", "R-nope")
    assert err.startswith("error: ")


def test_fleet(srv, sdk, home):
    cluster(sdk, [{"name": "metrics-server", "version": MS_OLD}])
    table = ok(srv, home, "fleet")
    body = ok_json(srv, home, "fleet")
    want = fleet_call(sdk, "DescribeFleetAddons", "GET", "/fleet/addons")
    assert body == want
    ms = next(a for a in want["addons"] if a["name"] == "metrics-server")
    assert row(table, "metrics-server")[1:3] == [str(ms["installed"]), str(ms["upgradable"])]
    _, err = failed(srv, home, "fleet", "--tag", "no-colon")
    assert err.startswith("error: InvalidParameter: ")


def run_in_pty(args, env, timeout=30, cols=120):
    """Runs the client with standard output on a pseudo-terminal `cols` wide; answers (rc,
    output, stderr)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    p = subprocess.Popen(args, stdout=slave, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    rc = p.wait(timeout=10)
    return rc, b"".join(chunks).decode(errors="replace"), p.stderr.read().decode()


def test_progress_is_drawn_on_a_terminal_and_plain_on_a_pipe(srv, sdk, home):
    cid = cluster(sdk)
    env = env_for(home, TERM="xterm")
    base = [BIN, "--endpoint", f"http://{srv.endpoint}"]
    rc, out, err = run_in_pty(base + ["install", cid, "flannel", "--wait"], env)
    assert rc == 0, (out, err)
    assert "\x1b[" in out or "\r" in out, repr(out)
    assert re.search(r"T-\S+ success", out), repr(out)
    tid = started_task(srv, home, "uninstall", cid, "flannel")
    rc, out, err = run_in_pty(base + ["task", tid, "--watch"], env)
    assert rc == 0, (out, err)
    assert "\x1b[" in out or "\r" in out, repr(out)
    assert f"{tid} success" in out and "/3" in out, repr(out)
    # The same command on a pipe: plain lines only.
    assert task_lines(ok(srv, home, "task", tid, "--watch")) == [f"{tid} success"]
    # On a narrow terminal every drawn line fits: one that wrapped would be redrawn as two.
    rc, out, err = run_in_pty(base + ["task", tid, "--watch"], env, cols=50)
    assert rc == 0, (out, err)
    drawn = [ln for ln in re.split(r"[\r\n]", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)) if ln.strip()]
    assert drawn and max(len(ln) for ln in drawn) <= 50, drawn
