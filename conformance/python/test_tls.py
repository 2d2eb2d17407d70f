"""HTTPS, both ways: the official tea SDK over TLS to a --tls-self-signed server and to one given
--tls-cert/--tls-key, HTTP/2 and HTTP/1.1 on the same port, start-up errors for bad files, and
signed webhook deliveries to an https receiver trusted through --webhook-ca."""
import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import struct
import subprocess
import time

import pytest
from alibabacloud_cs20151215 import models

from conftest import AK, BIN, SECRET, Server, fresh_db, new_cluster, tea_client, wait_task
from test_webhooks import Receiver, create, deliveries, wait_until

ARGS = ["--access-key", f"{AK}:{SECRET}", "--stage-duration", "20ms", "--webhook-retry-base", "100ms"]


def pki(tmp, name):
    """A CA and a leaf for localhost and 127.0.0.1 it signed: the paths of the CA's PEM, the
    leaf's chain (leaf, then CA) and the leaf's key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def cert(subject, key, issuer, issuer_key, ca):
        b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
             .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
             .not_valid_after(now + datetime.timedelta(days=1))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            b = b.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return b.sign(issuer_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} test CA")])
    ca = cert(ca_name, ca_key, ca_name, ca_key, True)
    leaf = cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]), key, ca_name, ca_key, False)
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM)
    paths = [tmp / f"{name}-ca.pem", tmp / f"{name}-chain.pem", tmp / f"{name}-key.pem"]
    paths[0].write_bytes(pem(ca))
    paths[1].write_bytes(pem(leaf) + pem(ca))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return [str(p) for p in paths]


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    s = Server(fresh_db(tmp_path_factory.mktemp("tls"), "tls"), ARGS + ["--tls-self-signed"]).start()
    yield s
    s.stop()


def core_calls(c):
    """CreateCluster and its task, the status call, an install and its task."""
    cid = new_cluster(c, name="tls", addons=[{"name": "metrics-server", "version": "v0.3.9.4-ff225cd-aliyun"}]).cluster_id
    st = c.describe_cluster_addons_upgrade_status(cid, models.DescribeClusterAddonsUpgradeStatusRequest(
        component_ids=["metrics-server"])).body
    assert st["metrics-server"]["addon_info"]["version"] == "v0.3.9.4-ff225cd-aliyun"
    inst = c.install_cluster_addons(cid, models.InstallClusterAddonsRequest(
        body=[models.InstallClusterAddonsRequestBody(name="flannel", config="")])).body
    assert wait_task(c, inst.task_id) == "success"
    assert c.describe_task_info(inst.task_id).body.cluster_id == cid


def test_tea_sdk_over_https_to_a_self_signed_server(tls_server):
    assert tls_server.scheme == "https" and os.path.isfile(tls_server.ca)
    key = tls_server.ca.replace("cert.pem", "key.pem")
    assert os.stat(key).st_mode & 0o777 == 0o600, "the key is its owner's only"
    assert "PRIVATE KEY" not in open(tls_server.log.name).read(), "no key material in the log"
    for alg in (None, "v2"):
        core_calls(tea_client(tls_server, alg))
    with socket.create_connection(("127.0.0.1", tls_server.port)) as raw, pytest.raises(ssl.SSLCertVerificationError):
        ssl.create_default_context().wrap_socket(raw, server_hostname="127.0.0.1")  # untrusted without the CA


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def read_frame(s):
    head = b""
    while len(head) < 9:
        head += s.recv(9 - len(head)) or pytest.fail("connection closed")
    n, kind, flags, stream = int.from_bytes(head[:3], "big"), head[3], head[4], int.from_bytes(head[5:], "big")
    body = b""
    while len(body) < n:
        body += s.recv(n - len(body))
    return kind, flags, stream, body


def test_http2_and_http1_on_the_same_port(tls_server):
    ctx = ssl.create_default_context(cafile=tls_server.ca)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", tls_server.port)), server_hostname="127.0.0.1") as s:
        assert s.selected_alpn_protocol() == "h2"
        # GET /healthz, its header block literal (no Huffman, no indexing): the server's answer
        # is read frame by frame, up to the DATA ending stream 1.
        lit = lambda k, v: b"\x00" + bytes([len(k)]) + k + bytes([len(v)]) + v
        block = b"".join(lit(k, v) for k, v in [(b":method", b"GET"), (b":scheme", b"https"),
                                                 (b":authority", b"127.0.0.1"), (b":path", b"/healthz")])
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0) + frame(1, 0x5, 1, block))
        kinds, data = [], b""
        while True:
            kind, flags, stream, body = read_frame(s)
            kinds.append(kind)
            if kind == 4 and not flags & 1:
                s.sendall(frame(4, 1, 0))  # ack the server's SETTINGS
            if kind == 0 and stream == 1:
                data += body
                if flags & 1:
                    break
        assert kinds[0] == 4 and 1 in kinds, "SETTINGS first, then our answer's HEADERS"
        assert data == b'{"status":"ok"}'
        # A live HTTP/2 connection does not hold up a SIGTERM (checked when the module ends).
    http1 = ssl.create_default_context(cafile=tls_server.ca)
    http1.set_alpn_protocols(["http/1.1"])
    import http.client
    conn = http.client.HTTPSConnection("127.0.0.1", tls_server.port, context=http1, timeout=5)
    conn.request("GET", "/healthz")
    r = conn.getresponse()
    assert (r.status, r.version, r.read()) == (200, 11, data)
    assert conn.sock.selected_alpn_protocol() == "http/1.1"
    conn.close()
    if shutil.which("curl"):
        out = subprocess.run(["curl", "-sS", "--http2", "--cacert", tls_server.ca, "-o", "/dev/null", "-w",
                              "%{http_version} %{http_code}", f"https://localhost:{tls_server.port}/healthz"],
                             capture_output=True, text=True, timeout=10)
        assert out.stdout == "2 200", out


def test_given_certificate_and_key(tmp_path):
    ca, chain, key = pki(tmp_path, "srv")
    s = Server(fresh_db(tmp_path, "given"), ARGS + ["--tls-cert", chain, "--tls-key", key])
    s.ca = ca  # the client trusts the CA, the server sends the leaf and the chain up to it
    s.start()
    try:
        assert s.scheme == "https" and "tls certificate:" not in s.log_tail()
        core_calls(tea_client(s))
    finally:
        t0 = time.monotonic()
        s.stop()
    assert time.monotonic() - t0 < 5, "SIGTERM ends a TLS server promptly"


def start_fails(tmp_path, args):
    r = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--database", fresh_db(tmp_path, "bad")] + ARGS + args,
                       capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 and r.stdout == "" and "panicked" not in r.stderr, r
    return r.stderr


def test_bad_files_fail_start_up_with_a_message(tmp_path):
    ca, chain, key = pki(tmp_path, "bad")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a pem file\n")
    other_key = pki(tmp_path, "other")[2]
    assert str(garbage) in start_fails(tmp_path, ["--tls-cert", chain, "--tls-key", str(garbage)])
    assert key in start_fails(tmp_path, ["--tls-cert", key, "--tls-key", key]), "a key is no certificate"
    assert "cannot be served together" in start_fails(tmp_path, ["--tls-cert", chain, "--tls-key", other_key])
    assert "missing.pem" in start_fails(tmp_path, ["--tls-cert", str(tmp_path / "missing.pem"), "--tls-key", key])
    assert "--tls-key" in start_fails(tmp_path, ["--tls-cert", chain]), "one without the other"
    assert str(garbage) in start_fails(tmp_path, ["--webhook-ca", str(garbage)])


def test_https_webhook_to_a_receiver_trusted_through_webhook_ca(tmp_path):
    ca, chain, key = pki(tmp_path, "hook")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain, key)
    stranger_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    stranger_ctx.load_cert_chain(*pki(tmp_path, "stranger")[1:])
    s = Server(fresh_db(tmp_path, "hooks"), ARGS + ["--webhook-ca", ca]).start()
    r, stranger = Receiver(secret="tls-hook-secret", tls=ctx), Receiver(secret="tls-hook-secret", tls=stranger_ctx)
    try:
        c = tea_client(s)
        assert r.url.startswith("https://127.0.0.1:")
        wid = create(c, r.url, ["cluster.created"], secret="tls-hook-secret")["webhook_id"]
        untrusted = create(c, stranger.url, ["cluster.created"], secret="tls-hook-secret")["webhook_id"]
        cid = new_cluster(c, name="tlshook").cluster_id
        wait_until(lambda: r.got, 20, "delivered over https")
        assert [d["cluster_id"] for d in r.got] == [cid] and r.bad == [], "signed as over http"
        d = deliveries(c, wid)["deliveries"]
        assert [(x["state"], x["attempts"], x["last_status"]) for x in d] == [("delivered", 1, 200)]
        # A receiver whose certificate no trusted CA signed gets nothing: retried, the reason kept.
        wait_until(lambda: any(x["attempts"] >= 2 for x in deliveries(c, untrusted)["deliveries"]), 20, "retried")
        d = deliveries(c, untrusted)["deliveries"][0]
        assert d["state"] == "pending" and "certificate" in d["last_error"].lower() and stranger.got == [], d
    finally:
        s.stop()
        r.down()
        stranger.down()
