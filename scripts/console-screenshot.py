#!/usr/bin/env python3
"""Makes docs/console-fleet.png, the README's picture of the console's fleet overview: a fleet of
300 imported clusters on mixed add-on versions, a rollout in flight, logged in through the form
in headless Chromium. Run it with the test suite's venv after a build:

    .cache/venv/bin/python scripts/console-screenshot.py
"""
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "conformance" / "python"))

from conftest import Server, tea_client  # noqa: E402
from fleet import COREDNS_MID, COREDNS_NEW, COREDNS_OLD, KEYS, MS_NEW, MS_OLD, cluster, create_rollout, import_fleet  # noqa: E402
from test_console import CHROMIUM, DRIVER, log_in, wait  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    coredns = [COREDNS_OLD] * 5 + [COREDNS_MID] * 3 + [COREDNS_NEW] * 2
    fleet = [cluster(f"c{i:04d}", {"coredns": coredns[i % 10], "metrics-server": MS_OLD if i % 3 else MS_NEW},
                     tags={"env": "prod" if i % 4 else "staging"}) for i in range(300)]
    db = f"sqlite://{tmp}/shot.db"
    import_fleet(tmp, db, fleet)
    server = Server(db, KEYS + ["--stage-duration", "30s"]).start()
    try:
        create_rollout(tea_client(server), "coredns", COREDNS_NEW, selector={"tags": {"env": "staging"}},
                       strategy={"wave_size": 10})
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,900"):
            opts.add_argument(arg)
        d = webdriver.Chrome(service=Service(DRIVER), options=opts)
        site = (server,)
        log_in(d, site)
        wait(d, lambda d: d.current_url.endswith("/console/"))
        out = ROOT / "docs" / "console-fleet.png"
        d.save_screenshot(str(out))
        d.quit()
        print(f"wrote {out}")
    finally:
        server.stop()
