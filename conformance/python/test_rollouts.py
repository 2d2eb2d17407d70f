"""Rollouts (`/fleet/rollouts`): one add-on version taken across a fleet in waves, through the
tea SDK's generic call_api. Waves and parallelism are judged by the cluster tasks' own stage
times (a command executor logging nanosecond start and end of every stage); the failure gate,
pause, resume, cancel, pause after canary, crashes, replicas and account walls by the rollout's
answers, the clusters' tasks (DescribeClusterTasks, DescribeTaskInfo) and their add-on versions."""
import json
import time

import pytest

from conftest import PG, fresh_db, tea_client, wait_task
from fleet import (COREDNS_MID, COREDNS_NEW, COREDNS_OLD, KUBE, KUBE_OLD, MS_NEW, MS_OLD, ZERO, addon_status,
                   cluster, create_rollout, describe_rollout, fleet_call, import_fleet, inject_fault, instance,
                   list_rollouts, other_client, refused, rfc3339, rollout_action, rollout_clusters,
                   rollout_clusters_page, stage_names, start, tasks_of, wait_for, wait_rollout, write_script)

STATES = ("pending", "running", "success", "fail", "skipped", "canceled", "rolled_back")


def counts(r, **want):
    """The rollout's counts, checked against `want` (the others zero)."""
    got = {k: r["counts"][k] for k in STATES}
    assert got == {k: want.get(k, 0) for k in STATES}, got
    assert r["counts"]["total"] == sum(want.values())


def upgrade_tasks(client, cid):
    return [t for t in tasks_of(client, cid) if t.task_type == "addon_upgrade"]


# ---------------------------------------------------------------------------------------------
# 1. Waves, soak and parallelism, timed by the stages themselves.

STAGE_LOG_SCRIPT = r"""#!/usr/bin/env bash
s=$(date +%s%N)
sleep 0.05
e=$(date +%s%N)
echo "$ACK_CLUSTER_ID $ACK_STAGE $s $e" >> '@LOG@'
"""


def peak_overlap(spans):
    """The most spans [start, end] open at once (an end at t closes before a start at t opens)."""
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda x: (x[0], x[1]))
    peak = cur = 0
    for _, d in events:
        cur += d
        peak = max(peak, cur)
    return peak


def test_fifty_clusters_in_waves_with_soak_and_max_parallel(tmp_path):
    at_target, old_kube, no_coredns = {"cr003", "cr017"}, "cr021", "cr050"
    fleet = []
    for i in range(50):
        cid = f"cr{i:03d}"
        version = COREDNS_NEW if cid in at_target else COREDNS_OLD
        fleet.append(cluster(cid, {"coredns": version, "metrics-server": MS_OLD}, kube=KUBE_OLD if cid == old_kube else KUBE))
    fleet.append(cluster(no_coredns, {"metrics-server": MS_OLD}))
    db = fresh_db(tmp_path, "rowaves")
    import_fleet(tmp_path, db, fleet)
    log = tmp_path / "stages.log"
    script = write_script(tmp_path / "stages.sh", STAGE_LOG_SCRIPT.replace("@LOG@", str(log)))
    s = start(db, "--executor", "command", "--executor-command", str(script))
    try:
        c = tea_client(s)
        strategy = {"canary": 1, "wave_size": 10, "max_parallel": 5, "soak": "1s"}
        created = create_rollout(c, "coredns", COREDNS_NEW, selector={}, strategy=strategy)
        rid = created["rollout_id"]
        assert rid and created["request_id"] and created["total"] == 50
        r = wait_rollout(c, rid, timeout=90)
        assert r["state"] == "success", (r["error"], r["counts"])
        counts(r, success=47, skipped=3)
        assert (r["rollout_id"], r["addon"], r["version"]) == (rid, "coredns", COREDNS_NEW)
        st = r["strategy"]
        assert (st["canary"], st["wave_size"], st["max_parallel"], st["soak"]) == (1, 10, 5, "1s")
        assert (st["wave_percent"], st["max_failures"], st["rollback_on_failure"], st["pause_after_canary"]) == (0, 0, True, False)
        assert r["error"] == {"code": "", "message": ""}
        assert r["finished"] != ZERO and rfc3339(r["created"]) <= rfc3339(r["finished"])
        assert isinstance(r["current_wave"], int) and 0 <= r["current_wave"] <= 5

        # Membership: every cluster with coredns, by id; waves 0 (the canary) to 5.
        members = rollout_clusters(c, rid)
        ids = [f"cr{i:03d}" for i in range(50)]
        assert list(members) == ids, "members are the clusters with the add-on, ordered by cluster id"
        skipped = at_target | {old_kube}
        changing = [cid for cid in ids if cid not in skipped]
        want_wave = {changing[0]: 0, **{cid: 1 + i // 10 for i, cid in enumerate(changing[1:])}}
        for cid, e in members.items():
            if cid in skipped:
                assert (e["state"], e["wave"], e["task_id"]) == ("skipped", -1, ""), e
                assert e["message"], e
                assert e["from_version"] == (COREDNS_NEW if cid in at_target else COREDNS_OLD)
            else:
                assert (e["state"], e["wave"]) == ("success", want_wave[cid]), e
                assert (e["from_version"], e["to_version"]) == (COREDNS_OLD, COREDNS_NEW), e
                assert e["task_id"].startswith("T-"), e
        kube_msg = members[old_kube]["message"]
        assert "ubernetes" in kube_msg or "1.28" in kube_msg, kube_msg
        assert members["cr003"]["message"] != kube_msg
        waves = r["waves"]
        assert [w["index"] for w in waves] == list(range(6))
        assert [w["size"] for w in waves] == [1, 10, 10, 10, 10, 6]
        assert [w["state"] for w in waves] == ["success"] * 6
        for prev, nxt in zip(waves, waves[1:]):
            assert rfc3339(nxt["started"]) >= rfc3339(prev["finished"]), (prev, nxt)

        # The stage log: each changing cluster ran precheck, apply, verify once; the others nothing.
        runs = {}
        for line in log.read_text().splitlines():
            cid, stage, t0, t1 = line.split()
            runs.setdefault(cid, []).append((stage, int(t0), int(t1)))
        assert set(runs) == set(changing), set(runs) ^ set(changing)
        spans = {}
        for cid, rs in runs.items():
            rs.sort(key=lambda x: x[1])
            assert [x[0] for x in rs] == ["precheck", "apply", "verify"], (cid, rs)
            spans[cid] = (rs[0][1], rs[-1][2])
        by_wave = {}
        for cid in changing:
            by_wave.setdefault(want_wave[cid], []).append(spans[cid])
        soak_ns, slack_ns = 1_000_000_000, 20_000_000
        for n in range(1, 6):
            last_end = max(e for _, e in by_wave[n - 1])
            first_start = min(s0 for s0, _ in by_wave[n])
            assert first_start >= last_end + soak_ns - slack_ns, (
                f"wave {n} started {(first_start - last_end) / 1e6:.0f} ms after wave {n - 1} ended (soak 1s)")
        peaks = [peak_overlap(by_wave[n]) for n in range(6)]
        assert max(peaks) <= 5, f"more than max_parallel=5 cluster tasks ran at once: {peaks}"
        assert peak_overlap(list(spans.values())) <= 5
        assert max(peaks) >= 2, f"a wave's clusters ran one at a time: {peaks}"

        # Each cluster's change was one ordinary upgrade task, and the versions moved.
        for cid in changing:
            tid = members[cid]["task_id"]
            info = c.describe_task_info(tid).body
            assert (info.task_type, info.state, info.cluster_id) == ("addon_upgrade", "success", cid)
            assert [t.task_id for t in upgrade_tasks(c, cid)] == [tid]
            assert instance(c, cid, "coredns").version == COREDNS_NEW
        assert addon_status(c, "cr000", "coredns")["tasks"]["status"] == "Success"
        for cid in at_target:
            assert upgrade_tasks(c, cid) == [] and instance(c, cid, "coredns").version == COREDNS_NEW
        assert upgrade_tasks(c, old_kube) == [] and instance(c, old_kube, "coredns").version == COREDNS_OLD

        # The clusters list filters and pages.
        assert set(rollout_clusters(c, rid, state="skipped")) == skipped
        assert list(rollout_clusters(c, rid, wave=0)) == [changing[0]]
        assert list(rollout_clusters(c, rid, wave=5)) == changing[-6:]
        page = rollout_clusters_page(c, rid, page_size=7, page_number=2)
        assert [e["cluster_id"] for e in page["clusters"]] == ids[7:14]
        assert page["page_info"] == {"page_number": 2, "page_size": 7, "total_count": 50}
    finally:
        s.stop()


# ---------------------------------------------------------------------------------------------
# 2. The failure gate.

GATE_CASES = {
    # canary 2, waves of 5, one at a time: cf000-cf001, then cf002.. in order; cf004 fails.
    "one_failure_sequential": dict(max_failures=0, max_parallel=1, rollback=True, faults=["cf004"]),
    # Wave 1 (cf002-cf006) runs at once; its second failure trips the gate.
    "two_failures_parallel": dict(max_failures=1, max_parallel=5, rollback=True, faults=["cf003", "cf005"]),
    # Without rollback_on_failure the moved clusters stay where they are.
    "no_rollback": dict(max_failures=0, max_parallel=1, rollback=False, faults=["cf004"]),
}


@pytest.mark.parametrize("case", list(GATE_CASES))
def test_the_failure_gate_stops_the_rollout_and_rolls_back(tmp_path, case):
    p = GATE_CASES[case]
    ids = [f"cf{i:03d}" for i in range(12)]
    db = fresh_db(tmp_path, f"rogate{list(GATE_CASES).index(case)}")
    import_fleet(tmp_path, db, [cluster(cid, {"coredns": COREDNS_OLD}) for cid in ids])
    s = start(db, "--stage-duration", "60ms")
    try:
        c = tea_client(s)
        for cid in p["faults"]:
            inject_fault(c, cid, "coredns", "upgrade", "apply", "HelmReleaseFailed", "pod crashloop")
        rid = create_rollout(c, "coredns", COREDNS_NEW, selector={"cluster_ids": ids}, strategy={
            "canary": 2, "wave_size": 5, "max_parallel": p["max_parallel"], "max_failures": p["max_failures"],
            "rollback_on_failure": p["rollback"]})["rollout_id"]
        r = wait_rollout(c, rid, timeout=60)
        assert r["state"] == "fail"
        assert r["error"]["code"] == "RolloutFailureThreshold" and r["error"]["message"], r["error"]
        assert r["finished"] != ZERO
        members = rollout_clusters(c, rid)
        assert list(members) == ids
        assert [members[cid]["wave"] for cid in ids] == [0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
        assert r["waves"][1]["state"] == "fail"
        last_started = 4 if p["max_parallel"] == 1 else 6

        for cid in ids:
            e = members[cid]
            ups = upgrade_tasks(c, cid)
            rollbacks = [t for t in tasks_of(c, cid) if t.task_type == "addon_rollback"]
            inst = instance(c, cid, "coredns")
            if ids.index(cid) > last_started:
                # Never started: the gate had tripped (sequentially, or the wave before had failed).
                assert e["state"] in ("pending", "canceled") and e["task_id"] == "", e
                assert ups == [] and rollbacks == [] and inst.version == COREDNS_OLD
            elif cid in p["faults"]:
                assert e["state"] == "fail" and [t.task_id for t in ups] == [e["task_id"]], e
                info = c.describe_task_info(e["task_id"]).body
                assert (info.state, info.error.code) == ("fail", "HelmReleaseFailed")
                # The member says why, in its task's words.
                assert e["message"] == f"{info.error.code}: {info.error.message}", e
                assert stage_names(info) == ["precheck", "apply", "rollback"] and info.stages[-1].state == "success"
                assert rollbacks == [], "the failed cluster was rolled back by its own task's rollback stage"
                assert (inst.state, inst.version) == ("active", COREDNS_OLD)
            elif not p["rollback"]:
                assert e["state"] == "success" and rollbacks == [], e
                assert (inst.state, inst.version) == ("active", COREDNS_NEW)
            else:
                assert len(ups) == 1 and ups[0].task_id == e["task_id"], e
                if e["state"] == "canceled":
                    # Running when the gate tripped, and canceled: its own rollback stage.
                    assert p["max_parallel"] > 1 and ids.index(cid) >= 2, e
                    assert ups[0].state == "canceled" and rollbacks == []
                else:
                    assert e["state"] == "rolled_back", e
                    assert ups[0].state == "success"
                    assert [t.state for t in rollbacks] == ["success"], "one addon_rollback task, which needs no downgrade precheck"
                    assert tasks_of(c, cid)[0].task_type == "addon_rollback"
                assert (inst.state, inst.version) == ("active", COREDNS_OLD)
                assert addon_status(c, cid, "coredns")["addon_info"]["version"] == COREDNS_OLD
        states = [members[cid]["state"] for cid in ids]
        if p["max_parallel"] == 1:
            assert states[:5] == ["rolled_back" if p["rollback"] else "success"] * 4 + ["fail"], states
        else:
            assert states[:2] == ["rolled_back"] * 2 and states.count("fail") == 2, states
        if p["rollback"]:
            assert "success" not in states, "every cluster the rollout moved went back"
        tally = {k: states.count(k) for k in STATES}
        counts(r, **{k: v for k, v in tally.items() if v})
    finally:
        s.stop()


# ---------------------------------------------------------------------------------------------
# 3. Pause, resume and cancel mid-wave; one live rollout per add-on; the list.

def test_pause_resume_cancel_mid_wave_and_the_list(tmp_path):
    ids = [f"cp{i:03d}" for i in range(20)]
    db = fresh_db(tmp_path, "ropause")
    import_fleet(tmp_path, db, [cluster(cid, {"coredns": COREDNS_OLD, "metrics-server": MS_OLD}) for cid in ids])
    s = start(db, "--stage-duration", "100ms")
    try:
        c = tea_client(s)
        r1 = create_rollout(c, "coredns", COREDNS_NEW, strategy={"wave_size": 4, "max_parallel": 2})
        assert r1["total"] == 20
        r1 = r1["rollout_id"]
        msg = refused(lambda: create_rollout(c, "coredns", COREDNS_MID), "RolloutInProgress", 409)
        assert r1 in msg
        # Another add-on may roll out meanwhile; this one is canceled at once.
        r2 = create_rollout(c, "metrics-server", MS_NEW)["rollout_id"]
        rollout_action(c, r2, "cancel")
        assert wait_rollout(c, r2, timeout=20)["state"] == "canceled"
        ms_tasks = {e["task_id"] for e in rollout_clusters(c, r2).values() if e["task_id"]}

        def mid_wave():
            r = describe_rollout(c, r1)
            return r if r["counts"]["running"] >= 1 and r["counts"]["success"] >= 1 else None

        wait_for(mid_wave, 20, "rollout mid-wave")
        rollout_action(c, r1, "pause")
        running_at_pause = {cid for cid, e in rollout_clusters(c, r1).items() if e["state"] == "running"}
        def settled():
            r = describe_rollout(c, r1)
            return r if r["state"] == "paused" and r["counts"]["running"] == 0 else None

        paused = wait_for(settled, 20, "paused with nothing running")
        members = rollout_clusters(c, r1)
        for cid in running_at_pause:
            assert members[cid]["state"] == "success", ("a pause lets running clusters finish", members[cid])
        started = {cid: e["task_id"] for cid, e in members.items() if e["task_id"]}
        assert 0 < len(started) < 20
        time.sleep(0.8)  # more than two cluster tasks' time: nothing may start while paused
        again = describe_rollout(c, r1)
        assert again["state"] == "paused" and again["counts"] == paused["counts"]
        assert {cid: e["task_id"] for cid, e in rollout_clusters(c, r1).items() if e["task_id"]} == started

        rollout_action(c, r1, "resume")
        assert describe_rollout(c, r1)["state"] == "running"

        def more_started():
            m = rollout_clusters(c, r1)
            now = {cid for cid, e in m.items() if e["task_id"]}
            return len(now) > len(started) and any(e["state"] == "running" for e in m.values())

        wait_for(more_started, 20, "progress after resume")
        rollout_action(c, r1, "cancel")
        r = wait_rollout(c, r1, timeout=20)
        assert r["state"] == "canceled" and r["finished"] != ZERO
        members = rollout_clusters(c, r1)
        assert r["counts"]["pending"] == 0 and r["counts"]["running"] == 0
        assert {e["state"] for e in members.values()} <= {"success", "canceled"}
        never = [cid for cid, e in members.items() if e["state"] == "canceled" and not e["task_id"]]
        assert never, "pending clusters end canceled"
        assert "canceled" in [w["state"] for w in r["waves"]]
        for cid, e in members.items():
            inst = instance(c, cid, "coredns")
            if e["state"] == "success":
                assert inst.version == COREDNS_NEW and c.describe_task_info(e["task_id"]).body.state == "success"
            elif e["task_id"]:
                info = c.describe_task_info(e["task_id"]).body
                assert info.state == "canceled"
                if "apply" in stage_names(info):
                    assert stage_names(info)[-1] == "rollback" and info.stages[-1].state == "success"
                assert (inst.state, inst.version) == ("active", COREDNS_OLD)
            else:
                assert [t for t in upgrade_tasks(c, cid) if t.task_id not in ms_tasks] == [], cid
                assert inst.version == COREDNS_OLD
        for cid, tid in started.items():
            assert members[cid]["task_id"] == tid and members[cid]["state"] == "success"
        # Ended rollouts refuse pause, resume and cancel.
        for rid in (r1, r2):
            for verb in ("pause", "resume", "cancel"):
                refused(lambda: rollout_action(c, rid, verb), "ErrorRolloutState", 400)

        # With none live, a new coredns rollout is allowed.
        r3 = create_rollout(c, "coredns", COREDNS_NEW, selector={"cluster_ids": never[:2]})
        assert r3["total"] == 2
        r3 = r3["rollout_id"]
        assert wait_rollout(c, r3, timeout=20)["state"] == "success"
        refused(lambda: rollout_action(c, r3, "pause"), "ErrorRolloutState", 400)

        def listed(**q):
            body = list_rollouts(c, **q)
            return [x["rollout_id"] for x in body["rollouts"]], body["page_info"]

        ids_, info = listed()
        assert ids_ == [r3, r2, r1] and info["total_count"] == 3
        body = list_rollouts(c)
        for entry in body["rollouts"]:
            assert "waves" not in entry
            assert {"rollout_id", "addon", "version", "state", "created", "updated", "finished", "selector",
                    "strategy", "current_wave", "counts", "error"} <= set(entry), set(entry)
        assert body["rollouts"][2]["counts"] == describe_rollout(c, r1)["counts"]
        assert listed(addon="coredns")[0] == [r3, r1]
        assert listed(state="canceled")[0] == [r2, r1]
        assert listed(addon="coredns", state="success")[0] == [r3]
        none, info = listed(addon="flannel")
        assert none == [] and info["total_count"] == 0
        assert listed(page_size=1, page_number=2) == ([r2], {"page_number": 2, "page_size": 1, "total_count": 3})
        assert listed(page_size=2, page_number=2) == ([r1], {"page_number": 2, "page_size": 2, "total_count": 3})
        for bad in (0, 101):
            assert "page_size" in refused(lambda: list_rollouts(c, page_size=bad), "InvalidParameter", 400)
    finally:
        s.stop()


# ---------------------------------------------------------------------------------------------
# 4. Pause after the canary.

def test_pause_after_canary(tmp_path):
    ids = [f"ck{i:03d}" for i in range(6)]
    db = fresh_db(tmp_path, "rocanary")
    import_fleet(tmp_path, db, [cluster(cid, {"coredns": COREDNS_OLD}) for cid in ids])
    s = start(db, "--stage-duration", "50ms")
    try:
        c = tea_client(s)
        rid = create_rollout(c, "coredns", COREDNS_NEW, strategy={"canary": 1, "wave_size": 5, "pause_after_canary": True})["rollout_id"]
        r = wait_rollout(c, rid, until=("paused", "success", "fail", "canceled"), timeout=20)
        assert r["state"] == "paused"
        counts(r, success=1, pending=5)
        assert [(w["index"], w["size"], w["state"]) for w in r["waves"]] == [(0, 1, "success"), (1, 5, "pending")]
        members = rollout_clusters(c, rid)
        assert members["ck000"]["state"] == "success" and instance(c, "ck000", "coredns").version == COREDNS_NEW
        assert all(members[cid]["state"] == "pending" and members[cid]["task_id"] == "" for cid in ids[1:])
        time.sleep(0.5)  # several cluster tasks' time: the paused rollout starts none
        assert describe_rollout(c, rid)["state"] == "paused"
        assert all(upgrade_tasks(c, cid) == [] for cid in ids[1:])
        rollout_action(c, rid, "resume")
        r = wait_rollout(c, rid, timeout=20)
        assert r["state"] == "success", "resumed, it does not pause again"
        counts(r, success=6)
        assert all(instance(c, cid, "coredns").version == COREDNS_NEW for cid in ids)
    finally:
        s.stop()


# ---------------------------------------------------------------------------------------------
# 5. kill -9 mid-rollout.

def check_each_upgraded_once(c, rid, ids, version=COREDNS_NEW):
    members = rollout_clusters(c, rid)
    assert list(members) == ids
    for cid in ids:
        e = members[cid]
        ups = upgrade_tasks(c, cid)
        assert [t.task_id for t in ups] == [e["task_id"]], (cid, [t.task_id for t in ups], e)
        info = c.describe_task_info(e["task_id"]).body
        assert info.state == "success" and [x.reason for x in info.events].count("TaskSucceeded") == 1
        assert e["state"] == "success" and instance(c, cid, "coredns").version == version
    return members


def test_a_rollout_survives_kill_9(tmp_path):
    ids = [f"cd{i:03d}" for i in range(30)]
    db = fresh_db(tmp_path, "rocrash")
    import_fleet(tmp_path, db, [cluster(cid, {"coredns": COREDNS_OLD}) for cid in ids])
    args = ("--stage-duration", "100ms")
    s = start(db, *args)
    try:
        c = tea_client(s)
        rid = create_rollout(c, "coredns", COREDNS_NEW, strategy={"wave_size": 5})["rollout_id"]
        seen = {}
        for at in (5, 15):
            wait_for(lambda: describe_rollout(c, rid)["counts"]["success"] >= at, 30, f"{at} clusters upgraded")
            seen.update({cid: e["task_id"] for cid, e in rollout_clusters(c, rid).items() if e["task_id"]})
            r = describe_rollout(c, rid)
            assert r["state"] == "running", "the kill must land mid-rollout"
            s.proc.kill()
            s.proc.wait()
            s.start()
            c = tea_client(s)
        r = wait_rollout(c, rid, timeout=60)
        assert r["state"] == "success", (r["error"], r["counts"])
        counts(r, success=30)
        members = check_each_upgraded_once(c, rid, ids)
        for cid, tid in seen.items():
            assert members[cid]["task_id"] == tid, "a cluster's task from before the crash is the one that counted"
    finally:
        if s.proc.poll() is None:
            s.stop()


# ---------------------------------------------------------------------------------------------
# 6. Two replicas on PostgreSQL; the driving one dies.

@pytest.mark.skipif(not PG, reason="needs PostgreSQL (ACK_ADDONS_TEST_PG)")
def test_a_rollout_goes_on_from_the_surviving_replica(tmp_path):
    ids = [f"cx{i:03d}" for i in range(40)]
    db = fresh_db(tmp_path, "roreplicas")
    import_fleet(tmp_path, db, [cluster(cid, {"coredns": COREDNS_OLD}) for cid in ids])
    args = ("--stage-duration", "150ms")  # the lease is fleet.start's short one
    a, b = start(db, *args), start(db, *args)
    try:
        ca, cb = tea_client(a), tea_client(b)
        rid = create_rollout(ca, "coredns", COREDNS_NEW, strategy={"wave_size": 4})["rollout_id"]
        # Which replica drives is not visible: kill A, let B go on, bring A back, then kill B.
        # One of the two kills hits the driver, and the other replica must finish the rollout.
        wait_for(lambda: describe_rollout(cb, rid)["counts"]["success"] >= 4, 30, "first clusters upgraded")
        a.proc.kill()
        a.proc.wait()
        done = describe_rollout(cb, rid)["counts"]["success"]
        assert describe_rollout(cb, rid)["state"] == "running"
        wait_for(lambda: describe_rollout(cb, rid)["counts"]["success"] >= done + 8, 60, "progress after A died")
        a.start()
        ca = tea_client(a)
        assert describe_rollout(ca, rid)["state"] == "running", "the second kill must land mid-rollout"
        b.proc.kill()
        b.proc.wait()
        r = wait_rollout(ca, rid, timeout=90)
        assert r["state"] == "success", (r["error"], r["counts"])
        counts(r, success=40)
        check_each_upgraded_once(ca, rid, ids)
    finally:
        for srv in (a, b):
            if srv.proc.poll() is None:
                srv.stop()


# ---------------------------------------------------------------------------------------------
# 7. Accounts are walls.

def test_rollouts_stay_within_their_account(tmp_path):
    mine, theirs = [f"ci{i:03d}" for i in range(4)], ["ci100", "ci101"]
    db = fresh_db(tmp_path, "roaccounts")
    import_fleet(tmp_path, db, [cluster(cid, {"coredns": COREDNS_OLD}) for cid in mine]
                 + [cluster(cid, {"coredns": COREDNS_OLD}, account="acct2") for cid in theirs])
    s = start(db, "--stage-duration", "100ms")
    try:
        c, o = tea_client(s), other_client(s)
        created = create_rollout(c, "coredns", COREDNS_NEW, strategy={"wave_size": 2, "max_parallel": 1})
        rid = created["rollout_id"]
        assert created["total"] == 4
        assert list(rollout_clusters(c, rid)) == mine
        # The other account sees nothing of it, and cannot act on it.
        refused(lambda: describe_rollout(o, rid), "ErrorRolloutNotFound", 404)
        refused(lambda: rollout_clusters_page(o, rid), "ErrorRolloutNotFound", 404)
        for verb in ("pause", "resume", "cancel"):
            refused(lambda: rollout_action(o, rid, verb), "ErrorRolloutNotFound", 404)
        body = list_rollouts(o)
        assert body["rollouts"] == [] and body["page_info"]["total_count"] == 0
        assert describe_rollout(c, rid)["state"] == "running", "the other account's pause and cancel did nothing"
        # Its selector cannot reach this account's clusters; its own rollout (coredns too) is allowed.
        assert "selector" in refused(lambda: create_rollout(o, "coredns", COREDNS_NEW, selector={"cluster_ids": mine[:1]}),
                                     "InvalidParameter", 400)
        created2 = create_rollout(o, "coredns", COREDNS_NEW)
        rid2 = created2["rollout_id"]
        assert created2["total"] == 2 and list(rollout_clusters(o, rid2)) == theirs
        refused(lambda: describe_rollout(c, rid2), "ErrorRolloutNotFound", 404)
        assert [x["rollout_id"] for x in list_rollouts(c)["rollouts"]] == [rid]
        assert wait_rollout(c, rid, timeout=30)["state"] == "success"
        assert wait_rollout(o, rid2, timeout=30)["state"] == "success"
        assert all(instance(c, cid, "coredns").version == COREDNS_NEW for cid in mine)
        assert all(instance(o, cid, "coredns").version == COREDNS_NEW for cid in theirs)
        refused(lambda: instance(c, theirs[0], "coredns"), "ErrorClusterNotFound", 404)
    finally:
        s.stop()


# ---------------------------------------------------------------------------------------------
# 8. Selector fields.

def test_selector_fields_pick_the_members(tmp_path):
    fleet = [
        cluster("cs000", {"coredns": COREDNS_OLD}, tags={"env": "prod"}),
        cluster("cs001", {"coredns": COREDNS_OLD}, region="cn-beijing", tags={"env": "prod"}),
        cluster("cs002", {"coredns": COREDNS_MID}, kube="1.30.7-aliyun.1", tags={"env": "dev"}),
        cluster("cs003", {"coredns": COREDNS_MID}, tags={"env": "prod"}),
        cluster("cs004", {"metrics-server": MS_OLD}, tags={"env": "prod"}),
        cluster("cs005", {"coredns": COREDNS_OLD}, kube="1.28.9-aliyun.1", tags={"env": "prod", "tier": "web"}),
    ]
    db = fresh_db(tmp_path, "roselector")
    import_fleet(tmp_path, db, fleet)
    s = start(db, "--stage-duration", "1s")
    try:
        c = tea_client(s)
        cases = [
            ({}, ["cs000", "cs001", "cs002", "cs003", "cs005"]),
            ({"region_ids": ["cn-beijing"]}, ["cs001"]),
            ({"region_ids": ["cn-beijing", "cn-hangzhou"], "versions": [COREDNS_OLD]}, ["cs000", "cs001", "cs005"]),
            ({"tags": {"env": "prod"}}, ["cs000", "cs001", "cs003", "cs005"]),
            ({"tags": {"env": "prod"}, "kubernetes_versions": ["1.31"]}, ["cs000", "cs001", "cs003"]),
            ({"kubernetes_versions": ["1.3"]}, ["cs000", "cs001", "cs002", "cs003"]),
            ({"kubernetes_versions": ["1.28", "1.30"]}, ["cs002", "cs005"]),
            ({"versions": [COREDNS_MID]}, ["cs002", "cs003"]),
            ({"cluster_ids": ["cs005", "cs004", "cs000"]}, ["cs000", "cs005"]),
        ]
        for selector, want in cases:
            created = create_rollout(c, "coredns", COREDNS_NEW, selector=selector)
            rid = created["rollout_id"]
            members = rollout_clusters(c, rid)
            rollout_action(c, rid, "cancel")
            assert (created["total"], list(members)) == (len(want), want), selector
            assert wait_rollout(c, rid, timeout=20)["state"] == "canceled"
            # Its cluster tasks end too, before the next rollout takes the same clusters.
            for e in rollout_clusters(c, rid).values():
                if e["task_id"]:
                    assert wait_task(c, e["task_id"]) == "canceled"
        for selector in ({"region_ids": ["cn-shanghai"]}, {"tags": {"env": "staging"}}, {"cluster_ids": ["cs004"]}):
            assert "selector" in refused(lambda: create_rollout(c, "coredns", COREDNS_NEW, selector=selector),
                                         "InvalidParameter", 400)
    finally:
        s.stop()


# ---------------------------------------------------------------------------------------------
# 9. Validation, defaults and the answer's shape.

def test_bad_requests_are_refused_and_change_nothing(tmp_path):
    ids = [f"cv{i:03d}" for i in range(7)]
    db = fresh_db(tmp_path, "rovalid")
    import_fleet(tmp_path, db, [cluster(cid, {"coredns": COREDNS_OLD, "metrics-server": MS_OLD}) for cid in ids])
    s = start(db, "--stage-duration", "100ms")
    try:
        c = tea_client(s)

        def bad(body, field, code="InvalidParameter", status=400):
            msg = refused(lambda: fleet_call(c, "CreateAddonRollout", "POST", "/fleet/rollouts", body), code, status)
            if field:
                assert field in msg, (body, msg)

        ok = {"addon": "coredns", "version": COREDNS_NEW}
        bad({"version": COREDNS_NEW}, "addon")
        bad({"addon": "coredns"}, "version")
        for key, value in (("wave_size", -1), ("wave_percent", 101), ("soak", "soon"), ("canary", -1),
                           ("max_parallel", -1), ("max_failures", -1)):
            bad({**ok, "strategy": {key: value}}, key)
        bad({**ok, "config": "{oops"}, "config")
        bad({**ok, "selector": {"cluster_ids": "cv000"}}, "cluster_ids")
        bad({**ok, "addon": "no-such-addon"}, None, "AddonNotFound", 404)
        bad({**ok, "version": "v9.9.9-aliyun"}, None, "AddonNotFound", 404)
        bad({**ok, "selector": {"region_ids": ["cn-shanghai"]}}, "selector")
        assert list_rollouts(c)["page_info"]["total_count"] == 0, "a refused request changes nothing"
        assert all(upgrade_tasks(c, cid) == [] for cid in ids)
        refused(lambda: describe_rollout(c, "r-nope"), "ErrorRolloutNotFound", 404)
        refused(lambda: rollout_clusters_page(c, "r-nope"), "ErrorRolloutNotFound", 404)
        refused(lambda: rollout_action(c, "r-nope", "pause"), "ErrorRolloutNotFound", 404)

        # Defaults: one wave of at most 10, all at once, no canary, no soak.
        created = create_rollout(c, "coredns", COREDNS_NEW)
        rid = created["rollout_id"]
        assert created["total"] == 7 and created["request_id"]
        r = describe_rollout(c, rid)
        assert r["state"] == "running" and r["finished"] == ZERO
        assert r["error"] == {"code": "", "message": ""}
        defaults = {"canary": 0, "wave_size": 10, "wave_percent": 0, "max_parallel": 10, "max_failures": 0,
                    "soak": "0s", "rollback_on_failure": True, "pause_after_canary": False}
        assert {k: r["strategy"].get(k) for k in defaults} == defaults, r["strategy"]
        assert [(w["index"], w["size"]) for w in r["waves"]] == [(0, 7)]
        assert r["current_wave"] == 0
        assert rfc3339(r["created"]) <= rfc3339(r["updated"])
        # wave_percent: 30 % of 7 clusters, rounded up, is 3 a wave; with a config.
        created2 = create_rollout(c, "metrics-server", MS_NEW, config='{"replicas": 2}', strategy={"wave_percent": 30})
        rid2 = created2["rollout_id"]
        r2 = describe_rollout(c, rid2)
        assert [w["size"] for w in r2["waves"]] == [3, 3, 1]
        assert [e["wave"] for e in rollout_clusters(c, rid2).values()] == [0, 0, 0, 1, 1, 1, 2]
        for bad_size in (0, 1001):
            assert "page_size" in refused(lambda: rollout_clusters_page(c, rid, page_size=bad_size), "InvalidParameter", 400)
        r = wait_rollout(c, rid, timeout=30)
        assert r["state"] == "success" and r["finished"] != ZERO
        assert rfc3339(r["created"]) <= rfc3339(r["finished"]) and r["error"] == {"code": "", "message": ""}
        counts(r, success=7)
        assert wait_rollout(c, rid2, timeout=30)["state"] == "success"
        for cid in ids:
            ms = instance(c, cid, "metrics-server")
            assert ms.version == MS_NEW and json.loads(ms.config)["replicas"] == 2
            assert instance(c, cid, "coredns").version == COREDNS_NEW
    finally:
        s.stop()


def test_a_dry_run_answers_the_plan_and_creates_nothing(tmp_path):
    """CreateAddonRollout with dry_run (the console's preview): members, skipped clusters with
    their reasons, and the waves, exactly as the real create would cut them; nothing is made."""
    fleet = [cluster(f"dr{i}", {"coredns": COREDNS_OLD}) for i in range(5)]
    fleet += [cluster("dr8", {"coredns": COREDNS_MID}), cluster("dr9", {"coredns": COREDNS_OLD}, kube=KUBE_OLD)]
    db = fresh_db(tmp_path, "rodry")
    import_fleet(tmp_path, db, fleet)
    s = start(db)
    try:
        c = tea_client(s)
        strategy = {"canary": 1, "wave_size": 2}
        plan = create_rollout(c, "coredns", COREDNS_NEW, strategy=strategy, dry_run=True)
        assert plan["dry_run"] is True and plan["total"] == 7 and plan["skipped"] == 1
        assert plan["waves"] == [1, 2, 2, 1]
        assert [r["clusters"] for r in plan["skip_reasons"]] == [1]
        assert list_rollouts(c)["page_info"]["total_count"] == 0
        assert all(not upgrade_tasks(c, f["cluster_id"]) for f in fleet)
        # The real create cuts the same waves.
        rid = create_rollout(c, "coredns", COREDNS_NEW, strategy=strategy)["rollout_id"]
        r = describe_rollout(c, rid)
        assert [w["size"] for w in r["waves"]] == plan["waves"] and r["counts"]["skipped"] == 1
        rollout_action(c, rid, "cancel")
        refused(lambda: create_rollout(c, "coredns", COREDNS_NEW, dry_run="yes"), "InvalidParameter", 400)
    finally:
        s.stop()
