"""--rate-limit: a token bucket per access key. A throttled call gets Throttling.User (429) with
x-acs-retry-after in milliseconds, which the tea SDK turns into its ThrottlingException and, with
a retry condition, sleeps out before trying again; one key's bucket never touches another's."""
import urllib.request

import pytest
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.exceptions import ThrottlingException
from darabonba.policy.retry import RetryCondition, RetryOptions

from conftest import AK, OTHER_AK, OTHER_SECRET, SECRET, Server, fresh_db, tea_client

RATE, BURST = 5, 5


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    db = fresh_db(tmp_path_factory.mktemp("throttle"), "throttle")
    s = Server(db, ["--access-key", f"{AK}:{SECRET}", "--access-key", f"{OTHER_AK}:{OTHER_SECRET}:acct2",
                    "--rate-limit", f"{RATE}/s,{BURST}"]).start()
    yield s
    s.stop()


def list_addons(client):
    from alibabacloud_cs20151215 import models
    return client.list_addons(models.ListAddonsRequest(region_id="cn-hangzhou"))


def test_past_the_burst_a_key_is_throttled_and_told_how_long_to_wait(limited):
    mine, other = tea_client(limited), tea_client(limited, ak=OTHER_AK, secret=OTHER_SECRET)
    for _ in range(BURST):
        list_addons(mine)
    with pytest.raises(ThrottlingException) as e:
        list_addons(mine)
    assert e.value.code == "Throttling.User" and e.value.status_code == 429
    # Milliseconds until the next token: at most one token's worth at RATE a second.
    assert 0 < e.value.retry_after <= 1000 // RATE
    assert e.value.data["requestId"] and "flow control" in e.value.data["message"]
    # The other key has a bucket of its own, full.
    for _ in range(BURST):
        list_addons(other)


def test_the_sdk_retry_policy_sleeps_out_the_wait_and_gets_through(limited):
    retry = RetryOptions({"retryable": True, "retryCondition": [
        RetryCondition({"maxAttempts": 20, "errorCode": ["Throttling.User"], "maxDelay": 2000})]})
    cfg = open_api_models.Config(access_key_id=AK, access_key_secret=SECRET, endpoint=limited.endpoint,
                                 protocol="http", region_id="cn-hangzhou", retry_options=retry)
    from alibabacloud_cs20151215.client import Client
    client = Client(cfg)
    # Three bursts' worth: most calls must wait for a token, and every one gets through.
    for _ in range(3 * BURST):
        assert list_addons(client).status_code == 200
    with urllib.request.urlopen(f"http://{limited.endpoint}/metrics", timeout=5) as r:
        text = r.read().decode()
    throttled = [line for line in text.splitlines()
                 if line.startswith('ack_requests_total{action="ListAddons",code="Throttling.User"}')]
    assert throttled and float(throttled[0].rsplit(" ", 1)[1]) >= BURST
