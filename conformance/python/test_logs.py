"""Logs: with --log-format json every request writes one JSON line naming its action, request id,
account, code, status and latency; no secret and no signature appears in any line."""
import json

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException

from conftest import AK, SECRET, Server, fresh_db, new_cluster, tea_client


def test_one_json_line_per_request_and_no_secrets(tmp_path):
    s = Server(fresh_db(tmp_path, "logs"), ["--access-key", f"{AK}:{SECRET}", "--stage-duration", "0s",
                                           "--log-format", "json"]).start()
    try:
        c = tea_client(s)
        new_cluster(c, name="logs")
        with pytest.raises(ClientException) as e:
            c.describe_cluster_detail("cnosuchcluster")
        refused_id = e.value.request_id
        bad = tea_client(s, secret="a-wrong-secret-value")
        with pytest.raises(ClientException):
            bad.describe_cluster_detail("cnosuchcluster")
    finally:
        s.stop()
    text = open(s.log.name).read()
    lines = [json.loads(l) for l in text.splitlines() if l.strip()]
    requests = [l["fields"] for l in lines if l.get("target") == "ack_addons::request"]
    assert {r["action"] for r in requests} >= {"CreateCluster", "DescribeTaskInfo", "DescribeClusterDetail"}
    refused = [r for r in requests if r["request_id"] == refused_id]
    assert len(refused) == 1
    assert (refused[0]["code"], refused[0]["status"], refused[0]["account"]) == ("ErrorClusterNotFound", 404, "default")
    assert all(isinstance(r["latency_ms"], float) for r in requests)
    assert any(r["code"] == "SignatureDoesNotMatch" and r["account"] == "" for r in requests)
    for secret in (SECRET, "a-wrong-secret-value"):
        assert secret not in text
    assert "Signature=" not in text and "ACS3-HMAC-SHA256 Credential" not in text
