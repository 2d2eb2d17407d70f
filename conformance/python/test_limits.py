"""Connection limits against the real binary, over raw sockets: 3,000 half-open connections are cut
off at the header timeout while a signed SDK call is still answered, --max-connections holds new
connections back without harming open ones, idle and slow-body connections end, and every refusal
of the HTTP layer itself answers ACK's JSON error shape."""
import json
import re
import resource
import selectors
import socket
import time

import pytest
from alibabacloud_cs20151215 import models

from conftest import AK, SECRET, Server, fresh_db, new_cluster, tea_client

HEADER_TIMEOUT = 2.0
FLOOD = 3000


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(fresh_db(tmp_path_factory.mktemp("limits"), "limits"),
               ["--access-key", f"{AK}:{SECRET}", "--stage-duration", "0s", "--header-timeout", "2s",
                "--idle-timeout", "1s", "--body-timeout", "1s"]).start()
    yield s
    s.stop()


def connect(srv):
    return socket.create_connection(("127.0.0.1", srv.port), timeout=5)


def read_response(sock, timeout=5.0):
    """(status, headers, body) of one HTTP/1.1 answer."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before an answer: {buf!r}"
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the body"
        body += chunk
    return status, headers, body


def exchange(srv, data):
    with connect(srv) as s:
        s.sendall(data)
        return read_response(s)


def assert_ack_error(answer, status, code):
    got, headers, body = answer
    assert got == status, (got, body)
    assert headers["content-type"] == "application/json;charset=utf-8"
    v = json.loads(body)
    assert (v["code"], v["Code"], v["status"]) == (code, code, status), v
    assert v["message"] and v["requestId"] == headers["x-acs-request-id"] == v["RequestId"]
    assert re.fullmatch(r"[0-9A-F-]{36}", v["requestId"])


def timed_call(client, cid):
    started = time.monotonic()
    assert client.describe_cluster_detail(cid).body.cluster_id == cid
    return time.monotonic() - started


def wait_eof(socks, deadline):
    """Sockets not closed by the server before `deadline` (what they received is ignored: a
    408 answer, then EOF)."""
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    left = len(socks)
    while left and time.monotonic() < deadline:
        for key, _ in sel.select(0.2):
            try:
                closed = not key.fileobj.recv(65536)
            except OSError:
                closed = True
            if closed:
                sel.unregister(key.fileobj)
                left -= 1
    still = [k.fileobj for k in sel.get_map().values()]
    sel.close()
    return still


def test_half_open_flood_is_cut_off_while_a_signed_client_is_answered(srv):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < FLOOD + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, FLOOD + 1000), hard))
    with open(f"/proc/{srv.proc.pid}/limits") as f:
        server_files = int(re.search(r"Max open files\s+(\d+)", f.read())[1])
    assert server_files >= FLOOD + 100, f"the server's open-file limit is {server_files}"
    client = tea_client(srv)
    cid = new_cluster(client, name="flood").cluster_id
    baseline = min(timed_call(client, cid) for _ in range(5))
    socks = []
    try:
        for _ in range(FLOOD):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            s.sendall(b"GET /clusters/" + cid.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nx-acs-ver")
            socks.append(s)
        opened = time.monotonic()
        during = timed_call(client, cid)
        print(f"\nsigned call: {baseline * 1000:.1f} ms before the flood, {during * 1000:.1f} ms with "
              f"{FLOOD} half-open connections (ratio {during / baseline:.1f})")
        assert during < 5.0
        left = wait_eof(socks, opened + HEADER_TIMEOUT + 4.0)
        assert not left, f"{len(left)} of {FLOOD} half-open connections still open"
        print(f"all closed {time.monotonic() - opened:.1f} s after the last one opened")
    finally:
        for s in socks:
            s.close()


def test_max_connections_holds_new_ones_back_and_spares_open_ones(tmp_path):
    s = Server(fresh_db(tmp_path, "maxconn"), ["--access-key", f"{AK}:{SECRET}", "--max-connections", "50",
                                               "--header-timeout", "30s", "--idle-timeout", "30s"]).start()
    ping = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    first = [connect(s) for _ in range(50)]
    try:
        for c in first:
            c.sendall(ping)
            assert read_response(c)[0] == 200
        extra = connect(s)  # the kernel completes the handshake; the server does not take it yet
        extra.sendall(ping)
        extra.settimeout(1.0)
        with pytest.raises(socket.timeout):
            extra.recv(1)
        for c in first:
            c.sendall(ping)
            assert read_response(c)[0] == 200, "the open connections still work"
        first.pop().close()
        assert read_response(extra)[0] == 200, "served once a connection closed"
        extra.close()
    finally:
        for c in first:
            c.close()
        s.stop()


def test_an_idle_keep_alive_connection_is_closed(srv):
    with connect(srv) as c:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(c)[0] == 200
        started = time.monotonic()
        c.settimeout(5)
        assert c.recv(1) == b""
        assert 0.5 < time.monotonic() - started < 3.0


def test_a_slow_body_gets_408(srv):
    with connect(srv) as c:
        c.sendall(b"POST /clusters HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100\r\n\r\n{\"na")
        started = time.monotonic()
        answer = read_response(c)
        assert time.monotonic() - started < 3.0
    assert_ack_error(answer, 408, "RequestTimeout")


def test_a_slow_head_gets_408(srv):
    with connect(srv) as c:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127")
        assert_ack_error(read_response(c), 408, "RequestTimeout")


HEAD = b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"


@pytest.mark.parametrize("raw,status,code", [
    (b"GET /clusters/%ff/components/upgradestatus" + HEAD + b"\r\n", 400, "InvalidParameter"),
    (b'GET /clusters/"a b"/components/upgradestatus' + HEAD + b"\r\n", 400, "InvalidRequest.Malformed"),
    # A raw quote is within what hyper accepts: the route answers (unsigned), in the ACK shape.
    (b'GET /clusters/c"x/components/upgradestatus' + HEAD + b"\r\n", 400, "IncompleteSignature"),
    (b"GET /clusters/a\x01b" + HEAD + b"\r\n", 400, "InvalidRequest.Malformed"),
    (b"NOT A REQUEST LINE\r\n\r\n", 400, "InvalidRequest.Malformed"),
    (b"GET /" + b"a" * 20_000 + HEAD + b"\r\n", 414, "InvalidURI.TooLong"),
    (b"GET /" + b"a" * 70_000 + HEAD + b"\r\n", 414, "InvalidURI.TooLong"),
    (b"GET /healthz" + HEAD + b"x-big: " + b"a" * 70_000 + b"\r\n\r\n", 431, "InvalidHeader.TooLarge"),
    (b"GET /healthz" + HEAD + b"x-big: " + b"a" * 500_000 + b"\r\n\r\n", 431, "InvalidHeader.TooLarge"),
    (b"GET /healthz" + HEAD + b"".join(b"x-h%d: v\r\n" % i for i in range(120)) + b"\r\n", 431,
     "InvalidHeader.TooLarge"),
    (b"POST /clusters" + HEAD + b"Expect: magic\r\nContent-Length: 2\r\n\r\n{}", 417, "InvalidHeader.Expect"),
    (b"POST /clusters" + HEAD + b"Content-Length: 10000000\r\n\r\n{}", 413, "RequestEntityTooLarge"),
])
def test_http_layer_refusals_answer_the_ack_error_shape(srv, raw, status, code):
    assert_ack_error(exchange(srv, raw), status, code)


def test_the_limits_hold_over_tls(tmp_path):
    import ssl

    s = Server(fresh_db(tmp_path, "limtls"), ["--access-key", f"{AK}:{SECRET}", "--tls-self-signed",
                                              "--header-timeout", "1s", "--idle-timeout", "1s"]).start()
    try:
        ctx = ssl.create_default_context(cafile=s.ca)
        ctx.set_alpn_protocols(["http/1.1"])

        def tls():
            return ctx.wrap_socket(connect(s), server_hostname="localhost")

        with connect(s) as silent:  # never starts its handshake
            started = time.monotonic()
            silent.settimeout(5)
            assert silent.recv(1) == b""
            assert time.monotonic() - started < 3.0
        with tls() as c:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: loc")
            assert_ack_error(read_response(c), 408, "RequestTimeout")
        with tls() as c:
            c.sendall(b"NOT A REQUEST LINE\r\n\r\n")
            assert_ack_error(read_response(c), 400, "InvalidRequest.Malformed")
    finally:
        s.stop()
