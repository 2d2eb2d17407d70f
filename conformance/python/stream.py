"""Opening the event stream with a request the official tea SDK signed: its generic call builds
and signs the GET, which is captured at the moment it would be sent and sent instead by
`requests` with stream=True (the SDK itself reads a whole body before it returns)."""
import json
import time

import requests
from alibabacloud_tea_openapi import utils_models
from darabonba.core import DaraCore
from darabonba.runtime import RuntimeOptions


class _Captured(Exception):
    """Stops the SDK once it has signed the request."""


def signed_get(client, action, path, query=None):
    """The URL and headers of a GET the SDK signed (never sent by the SDK)."""
    params = utils_models.Params(action=action, version="2015-12-15", protocol="HTTP", pathname=path, method="GET",
                                 auth_type="AK", style="ROA", req_body_type="json", body_type="json")
    real, got = DaraCore.do_action, []

    def capture(request, runtime_option=None):
        got.append((DaraCore.compose_url(request), dict(request.headers)))
        raise _Captured()

    DaraCore.do_action = staticmethod(capture)
    try:
        client.call_api(params, utils_models.OpenApiRequest(query=query), RuntimeOptions(autoretry=False))
    except Exception:  # the SDK wraps what the capture raised
        pass
    finally:
        DaraCore.do_action = real
    assert len(got) == 1, "the SDK signed exactly one request"
    return got[0]


class Stream:
    """An open event stream: `events(n, timeout)` reads n events (id, type, data)."""

    def __init__(self, client, query=None, last_event_id=None):
        url, headers = signed_get(client, "StreamEvents", "/fleet/events/stream", query)
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.resp = requests.get(url, headers=headers, stream=True, timeout=(5, 30))
        self.lines = self.resp.iter_lines(decode_unicode=True)
        self.comments = 0

    def events(self, n, timeout=20.0):
        out, cur, deadline = [], {}, time.monotonic() + timeout
        for line in self.lines:
            assert time.monotonic() < deadline, f"only {len(out)} of {n} events within {timeout}s"
            if line == "":
                if "data" in cur:
                    out.append((int(cur["id"]), cur["event"], json.loads(cur["data"])))
                    if len(out) == n:
                        return out
                cur = {}
            elif line.startswith(":"):
                self.comments += 1
            else:
                k, _, v = line.partition(": ")
                cur[k] = v
        raise AssertionError(f"the stream ended after {len(out)} of {n} events")

    def close(self):
        self.resp.close()
