"""The soak's short form, so CI runs it: scripts/soak.sh for one minute with a SIGKILL every 20 s
(two kills), on the binary under test. The full form (10 minutes, a kill every 2 minutes) is run
by hand; see README, "Soak". The soak always runs on SQLite, so it is skipped in the PostgreSQL
round of the suite."""
import os
import re
import subprocess

import pytest

from conftest import BIN, PG, ROOT


@pytest.mark.skipif(bool(PG), reason="the soak runs on SQLite only; it runs once, in the SQLite round")
def test_short_soak_passes_with_kills_and_tasks_ended_exactly_once():
    out = subprocess.run([str(ROOT / "scripts" / "soak.sh"), "--minutes", "1", "--kill-every", "20"],
                         capture_output=True, text=True, timeout=170, env={**os.environ, "ACK_ADDONS_BIN": BIN})
    report = out.stdout + out.stderr
    assert out.returncode == 0, report[-6000:]
    assert "VERDICT: PASS" in report, report[-6000:]
    kills = re.findall(r"^\s+at\s+[\d.]+s: lifetime \d+ killed", report, re.M)
    assert len(kills) >= 2, report[-6000:]
    accepted = re.search(r"^tasks: (\d+) accepted by the load", report, re.M)
    assert accepted and int(accepted[1]) > 0, report[-6000:]
    verified = re.search(r"^exactly once: verified for all (\d+) tasks", report, re.M)
    assert verified and int(verified[1]) >= int(accepted[1]), report[-6000:]
    assert re.search(r"^5xx: none outside", report, re.M), report[-6000:]
