"""The status cache on PostgreSQL replicas: each replica answers status calls from memory, and a
write committed on one shows on the others (their cache hears a notice), also after a replica's
notice connection was cut. Run in the PostgreSQL round of scripts/test.sh."""
import re
import subprocess
import time
import urllib.request

import pytest
from alibabacloud_cs20151215 import models

from conftest import AK, PG, SECRET, Server, fresh_db, tea_client, wait_task
from test_replicas import import_fleet, upgrade
from test_durability import UPGRADES

if not PG:
    pytest.skip("the PostgreSQL round runs these (ACK_ADDONS_TEST_PG is not set)", allow_module_level=True)

ARGS = ["--access-key", f"{AK}:{SECRET}", "--stage-duration", "100ms"]
ADDON = "metrics-server"
OLD, NEW = UPGRADES[ADDON]


def cache_hits(server):
    with urllib.request.urlopen(f"http://{server.endpoint}/metrics", timeout=10) as r:
        text = r.read().decode()
    m = re.search(r"^ack_status_cache_hits_total (\d+)", text, re.M)
    assert m, "no ack_status_cache_hits_total in /metrics"
    return int(m.group(1))


def version_on(client, cid):
    req = models.DescribeClusterAddonsUpgradeStatusRequest(component_ids=[ADDON])
    return client.describe_cluster_addons_upgrade_status(cid, req).body[ADDON]["addon_info"]["version"]


def wait_live(server, client, cid):
    """Until the replica answers `cid`'s status from its cache (its listener is live)."""
    deadline = time.monotonic() + 15
    before = cache_hits(server)
    while True:
        assert version_on(client, cid) == OLD
        if cache_hits(server) > before:
            return
        assert time.monotonic() < deadline, "the replica never answered from its status cache"
        time.sleep(0.1)


def seen_within(client, cid, seconds):
    """How long until `client` shows the new version (None if not within `seconds`)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if version_on(client, cid) == NEW:
            return time.monotonic() - started
        time.sleep(0.005)
    return None


@pytest.fixture
def replicas(tmp_path):
    db = fresh_db(tmp_path, "cache")
    import_fleet(tmp_path, db, "ccac", 4)
    a, b = Server(db, ARGS).start(), Server(db, ARGS).start()
    yield db, a, b
    a.stop()
    b.stop()


def test_a_write_on_one_replica_shows_on_the_other(replicas):
    _, a, b = replicas
    ca, cb = tea_client(a), tea_client(b)
    wait_live(b, cb, "ccac000")
    wait_task(ca, upgrade(ca, "ccac000", ADDON))
    # The writer reads its own write at once; the other replica within its notice's delay.
    assert version_on(ca, "ccac000") == NEW
    took = seen_within(cb, "ccac000", 2.0)
    assert took is not None, "replica B kept answering the old version from its cache"
    # And B still answers from memory afterwards.
    before = cache_hits(b)
    assert version_on(cb, "ccac000") == NEW
    assert cache_hits(b) > before


def test_a_replica_whose_notices_were_cut_does_not_answer_stale(replicas):
    db, a, b = replicas
    ca, cb = tea_client(a), tea_client(b)
    wait_live(b, cb, "ccac001")
    name = db.rsplit("/", 1)[1]
    # Cut every status listener of this database (both replicas'): notices sent until they are
    # back are lost, so each replica must forget what it holds.
    cut = subprocess.run(
        ["psql", f"{PG}/postgres", "-qAtc",
         f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
         f"WHERE datname = '{name}' AND query LIKE '%LISTEN \"ack_addons_status\"%'"],
        check=True, capture_output=True, text=True).stdout.strip()
    assert int(cut) >= 2, f"expected both replicas' status listeners, cut {cut}"
    wait_task(ca, upgrade(ca, "ccac001", ADDON))
    assert version_on(cb, "ccac001") == NEW
    # It comes back to answering from memory once its listener is live again.
    wait_live_new = time.monotonic() + 15
    before = cache_hits(b)
    while cache_hits(b) == before:
        assert version_on(cb, "ccac001") == NEW
        assert time.monotonic() < wait_live_new, "the status cache never came back"
        time.sleep(0.1)


def test_describe_task_info_follows_a_task_run_by_either_replica(replicas):
    _, a, b = replicas
    ca, cb = tea_client(a), tea_client(b)
    wait_live(b, cb, "ccac002")
    task = upgrade(ca, "ccac002", ADDON)
    # Both replicas poll it while it runs (each holds it between polls); whichever runs it, the
    # other shows every step through notices alone, and the end within the same second.
    seen = {"a": set(), "b": set()}
    deadline = time.monotonic() + 30
    while True:
        ia, ib = ca.describe_task_info(task).body, cb.describe_task_info(task).body
        seen["a"].add(ia.state)
        seen["b"].add(ib.state)
        if ia.state == "success" and ib.state == "success":
            break
        assert time.monotonic() < deadline, (ia.state, ib.state)
        time.sleep(0.02)
    assert seen["a"] >= {"running", "success"} and seen["b"] >= {"running", "success"}, seen
    ia, ib = ca.describe_task_info(task).body, cb.describe_task_info(task).body
    assert ia.to_map() == ib.to_map()
    assert [s.state for s in ib.stages] == ["success"] * 3
