"""/metrics scraped by a real Prometheus (Debian's `prometheus`), answering PromQL through its
HTTP API: request counts by action and code, tasks ended by type and state."""
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException

from conftest import AK, SECRET, Server, fresh_db, new_cluster

PROMETHEUS = shutil.which("prometheus")
pytestmark = pytest.mark.skipif(not PROMETHEUS and os.environ.get("CI") != "true",
                                reason="needs Debian's prometheus (CI installs it)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(port, promql):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as r:
        body = json.loads(r.read())
    assert body["status"] == "success", body
    return [float(x["value"][1]) for x in body["data"]["result"]]


def test_prometheus_scrapes_the_metrics(server, tea_v3, tmp_path):
    assert PROMETHEUS, "CI=true: prometheus must be installed"
    new_cluster(tea_v3, name="metrics")
    with pytest.raises(ClientException):
        tea_v3.describe_cluster_detail("cnosuchcluster")
    with urllib.request.urlopen(f"http://{server.endpoint}/metrics", timeout=5) as r:
        text = r.read().decode()
    assert 'ack_requests_total{action="CreateCluster",code="OK"}' in text
    assert "ack_request_duration_seconds_bucket" in text and "ack_tasks_running" in text
    assert 'ack_stage_duration_seconds_bucket{le="0.001",stage="precheck"}' in text
    assert 'ack_addons_build_info{version="' in text
    # The cluster's task went start, three stages, end through the engine's group commit.
    commits = int(re.search(r"^ack_engine_commits_total (\d+)$", text, re.M).group(1))
    writes = int(re.search(r"^ack_engine_commit_writes_total (\d+)$", text, re.M).group(1))
    assert writes >= 5 and 1 <= commits <= writes, (commits, writes)
    port = free_port()
    (tmp_path / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: ack\n"
        f"    static_configs:\n      - targets: ['{server.endpoint}']\n")
    prom = subprocess.Popen([PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                created = query(port, 'ack_requests_total{action="CreateCluster",code="OK"}')
                refused = query(port, 'ack_requests_total{action="DescribeClusterDetail",code="ErrorClusterNotFound"}')
                ended = query(port, 'sum(ack_tasks_ended_total{type="cluster_create",state="success"})')
                up = query(port, 'up{job="ack"}')
                stages = query(port, 'sum(ack_stage_duration_seconds_count{stage="apply"})')
                build = query(port, 'ack_addons_build_info')
                batched = query(port, 'ack_engine_commit_writes_total')
                if created and refused and ended and up and stages and build and batched:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "Prometheus never saw the series"
            time.sleep(0.5)
        assert up == [1.0]
        assert created[0] >= 1 and refused[0] >= 1 and ended[0] >= 1
        assert stages[0] >= 1 and build == [1.0] and batched[0] >= 5
    finally:
        prom.terminate()
        prom.wait(timeout=10)


def test_metrics_listen_moves_metrics_off_the_api_port(tmp_path):
    port = free_port()
    s = Server(fresh_db(tmp_path, "mlisten"), ["--access-key", f"{AK}:{SECRET}",
                                                "--metrics-listen", f"127.0.0.1:{port}"]).start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            assert r.status == 200 and "ack_addons_build_info" in r.read().decode()
        # The API port answers it as an unknown operation, in the ACK shape.
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"http://{s.endpoint}/metrics", timeout=5)
        assert e.value.code == 404 and json.loads(e.value.read())["code"]
        # The probes stay on the API port.
        with urllib.request.urlopen(f"http://{s.endpoint}/healthz", timeout=5) as r:
            assert r.status == 200
    finally:
        s.stop()
