"""`tlshs serve` serving many clients at once (on tlshs.aio): idle and
stalled connections never hold up another client, --concurrency bounds how
many are served at once, and GET /json answers the client's own ClientHello
and the outcome so far (the HTML page shows the same).  Real clients
(curl, CPython's ssl) on 127.0.0.1; every wait bounded."""

import html
import json
import socket
import ssl
import subprocess
import time

import pytest

from conftest import TIMEOUT
from test_cli import PEER_ENV, SLOW, SERVE_FIELDS, check_fingerprints, needs, server, tlshs  # noqa: F401 (server: a fixture)


def curl(port, path, *args, timeout=SLOW):
    """curl https://json.example:PORT/PATH (verifying nothing); answers
    (exit status, body, seconds it took)."""
    needs("curl")
    t0 = time.monotonic()
    p = subprocess.run(["curl", "-sS", "-k", "--http1.1", "--max-time", "5", "--resolve",
                        f"json.example:{port}:127.0.0.1", f"https://json.example:{port}{path}", *args],
                       capture_output=True, timeout=timeout, env=PEER_ENV)
    return p.returncode, p.stdout, time.monotonic() - t0


def idle(port, n):
    """n TCP connections to port that send nothing, or half a ClientHello
    (every other one)."""
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        if i % 2:
            s.sendall(bytes.fromhex("16030100c8010000c40303"))
        socks.append(s)
    return socks


def test_json_is_the_clients_own_hello(server):
    s = server("--json", "--alpn", "h2,http/1.1")
    rc, body, _ = curl(s.port, "/json?x=1", "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256", "--tls13-ciphers",
                       "TLS_CHACHA20_POLY1305_SHA256")
    assert rc == 0, body
    mine = json.loads(body)
    (report,) = s.reports(1)
    # the fields --json prints that exist by then: all but "closed"
    assert set(mine) == set(SERVE_FIELDS) - {"closed"}
    assert mine["client_hello"] == report["client_hello"]  # the same hello, as serve saw it
    assert mine["request"] == "GET /json?x=1 HTTP/1.1" == report["request"]
    assert mine["result"] == "DONE" and mine["version"] == "TLSv1.3" and mine["alpn"] == "http/1.1"
    assert mine["alert_sent"] is None and report["alert_sent"] == "close_notify"  # so far, then at the end
    names = [c["name"] for c in mine["client_hello"]["ciphers"]]
    assert names[0] == "TLS_CHACHA20_POLY1305_SHA256" and "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" in names
    assert mine["client_hello"]["server_name"] == "json.example"
    assert mine["client_hello"]["alpn"] == ["http/1.1"]
    check_fingerprints(mine)
    assert report["closed"] == "page sent, close_notify sent"


def test_page_shows_the_same(server):
    s = server()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["<b>x</b>", "h2"])  # markup in the hello: escaped on the page
    with socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="page.example") as c:
            c.sendall(b"GET / HTTP/1.0\r\n\r\n")
            page = b""
            while chunk := c.recv(65536):
                page += chunk
    page = page.decode()
    (out,) = s.reports(1)
    assert "Protocol  : TLSv1.3" in page and "SNI       : page.example" in page
    hello = out[out.index("  ClientHello"):out.index("  < ")]  # the hello as serve printed it
    shown = html.escape(hello, quote=False)
    assert "&lt;b&gt;x&lt;/b&gt;, h2" in shown and shown in page
    assert "<b>" not in page
    assert "  outcome   DONE" in page and "  request   GET / HTTP/1.0" in out


def test_100_idle_connections_never_hold_up_curl(server):
    s = server("--json", "--timeout", "10")
    socks = idle(s.port, 100)
    try:
        time.sleep(0.2)  # all accepted, all waiting for their hello
        rc, body, took = curl(s.port, "/json")
        assert rc == 0 and json.loads(body)["result"] == "DONE"
        assert took < 1.0, took
        (report,) = s.reports(1)  # only curl's is done
        assert report["result"] == "DONE"
    finally:
        for sock in socks:
            sock.close()
    reports = s.reports(100)  # then each idle one ends (they closed: the handshake failed)
    assert len(reports) == 100 and all(r["result"] != "DONE" for r in reports)


def test_concurrency_bounds_the_clients_served_at_once(server):
    s = server("--concurrency", "1", "--timeout", "1")
    socks = idle(s.port, 1)  # takes the only place for its second
    try:
        time.sleep(0.1)
        rc, body, took = curl(s.port, "/")
        assert rc == 0 and b"Protocol  : TLSv1.3" in body
        assert took > 0.7, took  # curl waited in the kernel's queue for the staller's timeout
        staller, mine = s.reports(2)
        assert "timed out after 1 s in the handshake" in staller and "outcome   DONE" in mine
    finally:
        for sock in socks:
            sock.close()


def test_concurrency_usage_error():
    rc, out, err = tlshs("serve", "--port", "0", "--concurrency", "0")
    assert rc == 2 and "--concurrency must be at least 1" in err


def test_capture_files_follow_the_connections(server, tmp_path):
    path = tmp_path / "serve.pcapng"
    s = server("--capture", str(path), "--count", "2")
    for _ in range(2):
        rc, _, _ = curl(s.port, "/")
        assert rc == 0
    s.reports(2)
    assert s.proc.wait(TIMEOUT) == 0
    for p in (path, tmp_path / "serve.pcapng.2"):
        assert p.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
