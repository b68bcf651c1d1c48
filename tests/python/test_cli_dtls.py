"""The command line over datagrams (python/tlshs/_cli_dtls.py): `tlshs
probe --dtls` against `openssl s_server -dtls1_2` and `tlshs serve --dtls`,
and `tlshs serve --dtls` (one UDP socket, clients told apart by address)
against `openssl s_client -dtls1_2`, on 127.0.0.1, every wait bounded."""

import json
import subprocess

from conftest import TIMEOUT, cert, read_until
from test_cli import CA, PEER_ENV, SLOW, field, jsons, probe, server  # noqa: F401 - server is a fixture
from test_dtls_peers import dtls_s_server  # noqa: F401 - a fixture


def s_client(port, *args, send=b""):
    """Runs `openssl s_client -dtls1_2` to port with send on its standard
    input (then a pause, so the answer comes before it quits); answers
    its output."""
    proc = subprocess.Popen(["openssl", "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{port}", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=PEER_ENV)
    try:
        proc.stdin.write(send)
        proc.stdin.flush()
        out = read_until(proc, b"closed\n", timeout=SLOW)  # our close_notify after the page
    finally:
        proc.kill()
        proc.communicate(timeout=TIMEOUT)
    return out


def test_probe_dtls_s_server_resumes_and_sends(dtls_s_server):
    port, proc = dtls_s_server()
    rc, out, err = probe(f"localhost:{port}", *CA, "--dtls", "--count", "2", "--send", "hello dtls\\n", "--json")
    assert rc == 0, err
    reports = jsons(out)
    assert [r["result"] for r in reports] == ["DONE", "DONE"]
    assert all(r["version"] == "DTLSv1.2" for r in reports)
    assert [r["resumed"] for r in reports] == [False, True]
    first = reports[0]["flights"]
    assert first[0]["messages"] == ["ClientHello"] and first[1]["messages"] == ["HelloVerifyRequest"]
    assert "Certificate" in first[3]["messages"]
    read_until(proc, b"hello dtls\n")


def test_probe_dtls_text_and_mtu(dtls_s_server):
    port, _ = dtls_s_server("-mtu", "512")
    rc, out, err = probe(f"127.0.0.1:{port}", *CA, "--server-name", "localhost", "--transport", "datagram",
                         "--mtu", "512")
    assert rc == 0, err
    assert field(out, "outcome") == "DONE" and field(out, "version") == "DTLSv1.2"
    assert field(out, "closed") == "closed by the probe (close_notify sent)"


def test_probe_dtls_no_server():
    """Nobody on the port: ICMP port unreachable is no answer; the probe
    retransmits and gives up at --timeout."""
    from conftest import free_port
    rc, out, _ = probe(f"127.0.0.1:{free_port()}", *CA, "--dtls", "--retransmit-ms", "100", "--timeout", "1",
                       "--json")
    (r,) = jsons(out)
    assert rc == 1 and r["result"] == "TIMEOUT"
    assert [f["messages"] for f in r["flights"]][0][:2] == ["ClientHello", "ClientHello"]  # retransmitted


def test_probe_dtls_refuses_tamper_and_stream():
    rc, _, err = probe("127.0.0.1:1", "--dtls", "--tamper", "refragment=1")
    assert rc == 2 and "--tamper" in err
    rc, _, err = probe("127.0.0.1:1", "--dtls", "--transport", "stream")
    assert rc == 2 and "--dtls" in err


def test_serve_dtls_s_client_get_json(server):
    s = server("--dtls", "--json")
    out = s_client(s.port, "-CAfile", cert("ca.pem"), send=b"GET /json HTTP/1.0\n")
    (r,) = s.reports(1)
    assert r["result"] == "DONE" and r["version"] == "DTLSv1.2"
    assert r["request"] == "GET /json HTTP/1.0" and r["closed"] == "page sent, close_notify sent"
    assert r["client_hello"]["ja4"].startswith("dd2") and r["client_hello"]["legacy_version"] == 0xFEFD
    sent = [m for f in r["flights"] if f["direction"] == "sent" for m in f["messages"]]
    assert sent[0] == "ServerHello"  # the HelloVerifyRequest came from a handshake that kept no state
    body = out[out.index(b'{\n "command"'):out.rindex(b"}") + 1]  # (s_client's ticket dump may hold a "{")
    page = json.loads(body)
    assert page["version"] == "DTLSv1.2" and page["request"] == "GET /json HTTP/1.0"
    assert page["peer"] == r["peer"]


def test_serve_dtls_tells_clients_apart(server):
    """Three s_clients at once on one UDP socket: each gets its own page."""
    s = server("--dtls", "--json", "--cookie", "on")
    procs = [subprocess.Popen(["openssl", "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{s.port}"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=PEER_ENV)
             for _ in range(3)]
    try:
        for i, p in enumerate(procs):
            p.stdin.write(f"GET /client-{i}\n".encode())
            p.stdin.flush()
        reports = s.reports(3)
        outs = [read_until(p, b"closed\n", timeout=SLOW) for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.communicate(timeout=TIMEOUT)
    assert sorted(r["request"] for r in reports) == [f"GET /client-{i}" for i in range(3)]
    assert len({r["peer"] for r in reports}) == 3 and all(r["result"] == "DONE" for r in reports)
    for i, out in enumerate(outs):
        assert b"Protocol  : DTLSv1.2" in out


def test_probe_dtls_against_serve_dtls(server):
    s = server("--dtls", "--json", "--mtu", "400")
    rc, out, err = probe(f"localhost:{s.port}", "--verify", "none", "--dtls", "--mtu", "400",
                         "--send", "GET /json\\n", "--json")
    assert rc == 0, err
    (p,) = jsons(out)
    assert p["result"] == "DONE" and "closed" in p and '"command": "serve"' in p["received"]
    (r,) = s.reports(1)
    assert r["result"] == "DONE" and r["request"] == "GET /json"
