"""After the handshake, and the options protocol tests need (issue 11), in
Python: key_update, renegotiate, request_client_cert, write_early /
read_early / early_data, ocsp_response, peer_extensions, the new config keys
and Config.fingerprint / cert_pem.  Between two tlshs objects in memory, and
in fd mode against openssl s_server and s_client (whose stdin commands k, K
and c make their own moves)."""

import hashlib
import os
import pathlib
import select
import socket
import ssl
import subprocess
import time

import pytest

import tlshs
from conftest import (TIMEOUT, cert, client_config, der, drive_fd, early_handshake, flows, move_bytes, pump,
                      server_config, settle)


def count(hs, sent, name):
    return sum(1 for e in hs.trace if e.sent == sent and e.name == name)


def drive_move(call, hs, peer):
    """A move in memory mode: WANT_WRITE (its message waits), then DONE once
    it was taken."""
    assert call() == tlshs.WANT_WRITE
    assert move_bytes(hs, peer) > 0
    assert call() == tlshs.DONE
    assert hs.pending == 0


def connected(ckeys=None, skeys=None, version=None, scfg=None, ccfg=None):
    ckeys = dict(ckeys or {})
    if version:
        ckeys["max_version"] = version
    c = tlshs.Handshake(ccfg or client_config(**ckeys), server_name="localhost", trace=True)
    s = tlshs.Handshake(scfg or server_config(**(skeys or {})), trace=True)
    assert pump(c, s) == (tlshs.DONE, tlshs.DONE), (c.error, s.error)
    return c, s


# ---- KeyUpdate (memory) ----

@pytest.mark.parametrize("mover", ["client", "server"])
@pytest.mark.parametrize("request_peer", [False, True])
def test_key_update(mover, request_peer):
    c, s = connected()
    with c, s:
        settle(c, s)  # the tickets
        me, other = (c, s) if mover == "client" else (s, c)
        drive_move(lambda: me.key_update(request_peer=request_peer), me, other)
        r, _ = other.read()
        assert r == (tlshs.WANT_WRITE if request_peer else tlshs.WANT_READ)
        move_bytes(other, me)
        assert flows(me, other, b"after the update, this way")
        assert flows(other, me, b"and that way")
        assert count(me, True, "KeyUpdate") == 1 and count(other, False, "KeyUpdate") == 1
        assert count(other, True, "KeyUpdate") == count(me, False, "KeyUpdate") == int(request_peer)


def test_key_update_takes_request_peer_by_position_and_name():
    c, s = connected()
    with c, s:
        assert c.key_update(True) == tlshs.WANT_WRITE
        with pytest.raises(TypeError):
            s.key_update(request_peer=True, other=1)


# ---- refusals: misuse is a StateError (code E_STATE), nothing changes ----

def refused(call):
    with pytest.raises(tlshs.StateError) as e:
        call()
    assert e.value.code == tlshs.Code.E_STATE
    return str(e.value)


def test_moves_refused_on_the_wrong_version_or_state():
    c, s = connected(version="1.2")
    with c, s:
        assert "TLS 1.3" in refused(c.key_update)
        assert "TLS 1.3" in refused(s.request_client_cert)
        assert refused(c.request_client_cert)  # a client never asks
        # nothing changed: the connection still works
        assert flows(c, s, b"still fine")
    c, s = connected(version="1.3")
    with c, s:
        assert "TLS 1.2" in refused(c.renegotiate)
        assert "post-handshake" in refused(s.request_client_cert)  # not offered
        drive_move(c.key_update, c, s)
        assert flows(c, s, b"after")
    fresh = tlshs.Handshake(client_config(), server_name="localhost")
    with fresh:
        refused(fresh.key_update)  # not DONE
        refused(fresh.renegotiate)
        refused(lambda: fresh.write_early(b"x"))  # no session
        refused(fresh.read_early)  # a client
    srv = tlshs.Handshake(server_config())
    with srv:
        refused(lambda: srv.write_early(b"x"))  # a server
        srv.step()
        refused(srv.read_early)  # started with step


def test_a_move_under_way_refuses_another():
    c, s = connected()
    with c, s:
        settle(c, s)
        assert s.key_update() == tlshs.WANT_WRITE
        assert "under way" in refused(s.request_client_cert)
        move_bytes(s, c)
        assert s.key_update() == tlshs.DONE
        assert flows(s, c, b"after")


def test_early_data_arguments():
    c = tlshs.Handshake(client_config(), server_name="localhost")
    with c:
        with pytest.raises(tlshs.ArgumentError) as e:
            c.write_early(b"")
        assert e.value.code == tlshs.Code.E_ARGUMENT
        with pytest.raises(TypeError):
            c.write_early("text")
        with pytest.raises(ValueError):
            c.read_early(0)
        with pytest.raises(TypeError):
            c.read_early("1")
    with pytest.raises(tlshs.StateError):
        c.key_update()  # closed


# ---- renegotiation (memory, TLS 1.2) ----

def test_server_renegotiates():
    c, s = connected(version="1.2")
    with c, s:
        drive_move(s.renegotiate, s, c)
        for _ in range(10):
            settle(c, s)
        assert count(c, False, "HelloRequest") == 1
        assert count(c, True, "ClientHello") == 2 and count(s, False, "Finished") == 2
        assert flows(c, s, b"renegotiated") and flows(s, c, b"both ways")


def test_client_renegotiation_refused_by_a_tlshs_server():
    """OpenSSL 3 servers refuse a client's renegotiation: the client's read
    answers CLOSED, the peer's no_renegotiation received."""
    c, s = connected(version="1.2")
    with c, s:
        assert c.renegotiate() == tlshs.WANT_WRITE
        move_bytes(c, s)
        assert c.renegotiate() == tlshs.DONE
        for _ in range(10):
            r, _ = c.read()
            move_bytes(c, s)
            s.read()
            move_bytes(s, c)
            if r == tlshs.CLOSED:
                break
        assert c.result == tlshs.CLOSED
        assert c.alert_received == 100 and c.error_code == tlshs.Code.E_PROTOCOL


# ---- post-handshake authentication (memory) ----

@pytest.mark.parametrize("name,verified", [("client", True), ("unknown-client", False)])
def test_post_handshake_auth(name, verified):
    c, s = connected({"post_handshake_auth": "on", "cert_file": cert(name + ".pem"),
                      "key_file": cert(name + ".key")},
                     {"ca_file": cert("ca.pem")})
    with c, s:
        settle(c, s)
        assert s.peer_cert is None
        drive_move(s.request_client_cert, s, c)
        settle(c, s)
        assert s.peer_cert == der(name + ".pem")
        assert (s.verify_result == 0) == verified  # verify none: taken, and what verifying found
        assert count(c, False, "CertificateRequest") == 1 and count(c, True, "CertificateVerify") == 1
        assert flows(c, s, b"authenticated")


# ---- 0-RTT (memory) ----

EARLY = b"GET / early"


def session_from(scfg, ccfg):
    c = tlshs.Handshake(ccfg, server_name="localhost")
    s = tlshs.Handshake(scfg)
    with c, s:
        assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
        settle(c, s)
        sess = c.session
        s.shutdown()  # a session of a connection ended without close_notify leaves the cache
    assert sess
    return sess


@pytest.mark.parametrize("case", ["accepted", "rejected_other_config", "rejected_max_0", "not_sent"])
def test_early_data_between_tlshs(case):
    ccfg = client_config()
    origin = server_config(max_early_data="16384")
    target = {"accepted": origin, "not_sent": origin,
              "rejected_other_config": server_config(max_early_data="16384"),
              "rejected_max_0": server_config(max_early_data="0")}[case]
    sess = session_from(origin, ccfg)
    c = tlshs.Handshake(ccfg, server_name="localhost", session=sess, trace=True)
    s = tlshs.Handshake(target, trace=True)
    with c, s:
        if case != "not_sent":
            assert c.write_early(EARLY) == (tlshs.WANT_WRITE, len(EARLY))
            move_bytes(c, s)
        got = early_handshake(c, s)
        want = "not_sent" if case == "not_sent" else case.split("_")[0]
        assert c.early_data == s.early_data == want
        if want == "accepted":
            assert got == EARLY
            assert c.resumed and count(c, True, "EndOfEarlyData") == count(s, False, "EndOfEarlyData") == 1
        else:
            assert got == b"" and count(c, True, "EndOfEarlyData") == 0
        assert flows(c, s, b"after the early data") and flows(s, c, b"and back")


def test_early_data_replayed_is_rejected():
    """The same ClientHello with early data fed to two servers of one
    config: the first accepts, the replay rejects (OpenSSL's anti-replay)."""
    scfg, ccfg = server_config(max_early_data="16384"), client_config()
    sess = session_from(scfg, ccfg)
    c = tlshs.Handshake(ccfg, server_name="localhost", session=sess)
    s1, s2 = tlshs.Handshake(scfg), tlshs.Handshake(scfg)
    with c, s1, s2:
        assert c.write_early(EARLY)[0] == tlshs.WANT_WRITE
        flight = c.take()
        s1.feed(flight)
        s2.feed(flight)
        assert early_handshake(c, s1) == EARLY and s1.early_data == "accepted"
        r = None
        for _ in range(5):
            r, data = s2.read_early()
            assert data == b""
            if r == tlshs.WANT_WRITE:
                s2.take()
            else:
                break
        assert r == tlshs.WANT_READ
        assert s2.early_data == "rejected" and not s2.resumed


def test_step_read_write_refused_while_early_data_may_come():
    c = tlshs.Handshake(client_config(), server_name="localhost")
    s = tlshs.Handshake(server_config(max_early_data="16384"))
    with c, s:
        assert s.read_early() == (tlshs.WANT_READ, b"")
        assert "read_early" in refused(s.step)
        refused(s.read)
        refused(lambda: s.write(b"x"))
        c.step()
        move_bytes(c, s)
        assert early_handshake(c, s) == b""
        assert s.early_data == "not_sent"
        assert s.read_early() == (tlshs.DONE, b"")  # as step
        assert s.step() == tlshs.DONE  # and step works again


def test_write_early_refused_with_a_session_that_does_not_allow_it():
    ccfg = client_config()
    sess = session_from(server_config(), ccfg)
    with tlshs.Handshake(ccfg, server_name="localhost", session=sess) as c:
        assert "early data" in refused(lambda: c.write_early(b"x"))


# ---- OCSP, custom extensions, tickets, max_fragment_length (memory) ----

@pytest.mark.parametrize("kind", [str, bytes, pathlib.Path])
@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_ocsp_stapled_between_tlshs(kind, version):
    path = cert("ocsp-server.der")
    c, s = connected({"status_request": "on"}, {"ocsp_response_file": kind(os.fsencode(path) if kind is bytes else path)},
                     version=version)
    with c, s:
        with open(path, "rb") as f:
            assert c.ocsp_response == f.read()
        assert s.ocsp_response is None
        if version == "1.2":
            assert count(c, False, "CertificateStatus") == 1
    c, s = connected(None, {"ocsp_response_file": path})  # not asked: none
    with c, s:
        assert c.ocsp_response is None


def test_ocsp_response_file_must_parse(tmp_path):
    bad = tmp_path / "bad.der"
    bad.write_bytes(b"not DER")
    with pytest.raises(tlshs.ConfigError) as e:
        server_config(ocsp_response_file=bad)
    assert e.value.code == tlshs.Code.E_BAD_VALUE
    with pytest.raises(TypeError):
        server_config(ocsp_response_file=3)


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_custom_extensions_exchanged(version):
    # the server sees the types its own key names (65301 is not: unreported)
    c, s = connected({"extensions": "65280:cafe,65300:,65301:01"}, {"extensions": "65280:beef,65300:"},
                     version=version)
    with c, s:
        assert s.peer_extensions == {65280: b"\xca\xfe", 65300: b""}
        assert c.peer_extensions == {65280: b"\xbe\xef", 65300: b""}
        assert {65280, 65300, 65301} <= set(s.client_hello.extensions)
    c, s = connected()
    with c, s:
        assert c.peer_extensions == s.peer_extensions == {}


@pytest.mark.parametrize("tickets", [0, 1, 5])
def test_num_tickets_counted(tickets):
    c, s = connected(skeys={"num_tickets": str(tickets)})
    with c, s:
        settle(c, s)
        assert count(c, False, "NewSessionTicket") == tickets
        assert (c.session is not None) == (tickets > 0)


def records(flight):
    out, i = [], 0
    while i + 5 <= len(flight):
        n = int.from_bytes(flight[i + 3:i + 5], "big")
        out.append((flight[i], n))
        i += 5 + n
    assert i == len(flight)
    return out


@pytest.mark.parametrize("version,limit", [("1.2", 512 + 8 + 16), ("1.3", 512 + 1 + 16)])
def test_max_fragment_length(version, limit):
    c, s = connected({"max_fragment_length": "512"}, version=version)
    with c, s:
        settle(c, s)
        assert s.write(b"x" * 4000) == (tlshs.DONE, 4000)
        lens = [n for t, n in records(s.take()) if t == 23]
        assert len(lens) >= 8 and max(lens) <= limit


# ---- config keys and properties ----

def test_new_keys_refuse_bad_values():
    """(Their types, by kind, are tested for every key in test_key_table.py.)"""
    for key, value in [("num_tickets", "many"), ("max_fragment_length", "1000"), ("max_fragment_length", 1000),
                       ("post_handshake_auth", "yes"), ("extensions", "65280:xyz"), ("extensions", ["65280:xyz"])]:
        with pytest.raises(tlshs.ConfigError) as e:
            tlshs.Config("client", **{key: value})
        assert e.value.code == tlshs.Code.E_BAD_VALUE, key
    with pytest.raises(TypeError):
        tlshs.Config("server", self_signed=None)


def fingerprint_of(der_bytes):
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der_bytes).digest())


def test_fingerprint_and_cert_pem_of_a_file_config():
    cfg = server_config()
    assert cfg.fingerprint == fingerprint_of(der("server.pem"))
    assert len(cfg.fingerprint) == 95
    assert ssl.PEM_cert_to_DER_cert(cfg.cert_pem) == der("server.pem")
    bare = tlshs.Config("client")
    assert bare.fingerprint is None and bare.cert_pem is None
    bare.close()
    with pytest.raises(tlshs.StateError):
        bare.fingerprint


def test_self_signed_server_trusted_by_its_cert_pem():
    scfg = tlshs.Config("server", self_signed="test.example")
    pem = scfg.cert_pem
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    assert scfg.fingerprint == fingerprint_of(ssl.PEM_cert_to_DER_cert(pem))
    out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=pem.encode(),
                         stdout=subprocess.PIPE, timeout=TIMEOUT).stdout.decode()
    assert out.strip().endswith(scfg.fingerprint)
    c = tlshs.Handshake(tlshs.Config("client", ca_pem=pem), server_name="test.example")
    s = tlshs.Handshake(scfg)
    with c, s:
        assert pump(c, s) == (tlshs.DONE, tlshs.DONE), c.error
        assert c.verify_result == 0 and fingerprint_of(c.peer_cert) == scfg.fingerprint
    # another one: another key and certificate
    assert tlshs.Config("server", self_signed="test.example").fingerprint != scfg.fingerprint


# ---- against openssl s_server and s_client (fd mode) ----

class Link:
    """A tlshs handshake in fd mode on sock, with the openssl process proc
    on the other end (its stdin a pipe, its stdout read into out)."""

    def __init__(self, hs, sock, proc):
        self.hs, self.sock, self.proc = hs, sock, proc
        self.data = b""
        self.out = b""

    def drive(self, op):
        return drive_fd(op, self.sock)

    def read_for(self, seconds, pred=None):
        deadline = time.monotonic() + seconds
        r = tlshs.WANT_READ
        while time.monotonic() < deadline:
            r, data = self.hs.read()
            self.data += data
            if r == tlshs.CLOSED or (pred and pred()):
                break
            if r == tlshs.WANT_READ:
                select.select([self.sock], [], [], 0.05)
            elif r == tlshs.WANT_WRITE:
                select.select([], [self.sock], [], 0.05)
        return r

    def wait_out(self, marker, seconds=TIMEOUT):
        deadline = time.monotonic() + seconds
        fd = self.proc.stdout.fileno()
        while marker not in self.out:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if select.select([fd], [], [], min(left, 0.1))[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return marker in self.out
                self.out += chunk
        return True

    def to_peer(self, msg):
        assert self.drive(lambda: self.hs.write(msg)) == (tlshs.DONE, len(msg))
        return self.wait_out(msg)

    def command(self, line):
        self.proc.stdin.write(line)
        self.proc.stdin.flush()

    def from_peer(self, msg):
        self.command(msg)
        self.read_for(TIMEOUT, lambda: msg in self.data)
        return msg in self.data


def s_server_link(s_server, cfg, *args, trace=True, session=None):
    port = s_server("-cert", cert("server.pem"), "-key", cert("server.key"), *args)
    proc = s_server.procs[-1]
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.setblocking(False)
    hs = tlshs.Handshake(cfg, server_name="localhost", sock=sock, trace=trace, session=session)
    link = Link(hs, sock, proc)
    link.port = port
    assert link.drive(hs.step) == tlshs.DONE, hs.error
    return link


def s_client_link(listener, s_client, cfg, *args):
    port = listener.getsockname()[1]
    proc = s_client(port, "-CAfile", cert("ca.pem"), "-servername", "localhost", *args)
    conn, _ = listener.accept()
    conn.setblocking(False)
    hs = tlshs.Handshake(cfg, sock=conn, trace=True)
    link = Link(hs, conn, proc)
    assert link.drive(hs.step) == tlshs.DONE, hs.error
    return link


def close(link):
    link.hs.close()
    link.sock.close()


@pytest.mark.parametrize("request_peer", [False, True])
def test_key_update_with_s_server(s_server, request_peer):
    link = s_server_link(s_server, client_config(), "-tls1_3")
    hs = link.hs
    try:
        link.read_for(0.3)  # the tickets
        assert link.drive(lambda: hs.key_update(request_peer)) == tlshs.DONE
        assert link.to_peer(b"1111 after our update\n")
        assert link.from_peer(b"2222 from s_server\n")  # s_server answers a request on its next write
        assert count(hs, True, "KeyUpdate") == 1 and count(hs, False, "KeyUpdate") == int(request_peer)
        # s_server's k: its own KeyUpdate, unasked
        link.command(b"k\n")
        link.read_for(TIMEOUT, lambda: count(hs, False, "KeyUpdate") == int(request_peer) + 1)
        assert link.from_peer(b"3333 after its update\n")
        assert count(hs, False, "KeyUpdate") == int(request_peer) + 1 and count(hs, True, "KeyUpdate") == 1
        assert link.to_peer(b"4444 still flowing\n")
    finally:
        close(link)


def test_key_update_with_s_client(listener, s_client):
    link = s_client_link(listener, s_client, server_config(), "-tls1_3")
    hs = link.hs
    try:
        assert link.drive(lambda: hs.key_update(request_peer=True)) == tlshs.DONE
        assert link.to_peer(b"1111 after our update\n")
        assert link.from_peer(b"2222 from s_client\n")
        assert count(hs, False, "KeyUpdate") == 1
        link.command(b"K\n")  # its own, asking for ours
        link.read_for(TIMEOUT, lambda: count(hs, False, "KeyUpdate") == 2)
        assert link.from_peer(b"3333 after its update\n")
        assert count(hs, False, "KeyUpdate") == 2 and count(hs, True, "KeyUpdate") == 2
        assert link.to_peer(b"4444 still flowing\n")
    finally:
        close(link)


def test_renegotiation_with_s_server(s_server):
    link = s_server_link(s_server, client_config(), "-tls1_2", "-client_renegotiation")
    hs = link.hs
    try:
        assert link.drive(hs.renegotiate) == tlshs.DONE
        link.read_for(TIMEOUT, lambda: count(hs, False, "Finished") >= 2)
        assert count(hs, True, "ClientHello") == 2 and count(hs, False, "Finished") == 2
        assert link.to_peer(b"1111 renegotiated\n")
        assert link.from_peer(b"2222 from s_server\n")
    finally:
        close(link)


def test_renegotiation_refused_by_s_server(s_server):
    link = s_server_link(s_server, client_config(), "-tls1_2")
    hs = link.hs
    try:
        # the refusal may already come in while the ClientHello goes out
        r = link.drive(hs.renegotiate)
        if r == tlshs.DONE:
            r = link.read_for(TIMEOUT)
        assert r == tlshs.CLOSED
        assert hs.alert_received == 100 and hs.error_code == tlshs.Code.E_PROTOCOL
    finally:
        close(link)


def test_renegotiation_by_a_tlshs_server_with_s_client(listener, s_client):
    link = s_client_link(listener, s_client, server_config(), "-tls1_2")
    hs = link.hs
    try:
        assert link.drive(hs.renegotiate) == tlshs.DONE
        link.read_for(TIMEOUT, lambda: count(hs, False, "Finished") >= 2)
        assert count(hs, True, "HelloRequest") == 1 and count(hs, False, "ClientHello") == 2
        assert link.to_peer(b"1111 renegotiated\n")
        assert link.from_peer(b"2222 from s_client\n")
    finally:
        close(link)


def test_post_handshake_auth_with_s_client(listener, s_client):
    link = s_client_link(listener, s_client, server_config(ca_file=cert("ca.pem")), "-tls1_3", "-enable_pha",
                         "-cert", cert("client.pem"), "-key", cert("client.key"))
    hs = link.hs
    try:
        assert hs.peer_cert is None
        assert link.drive(hs.request_client_cert) == tlshs.DONE
        link.read_for(TIMEOUT, lambda: hs.peer_cert is not None)
        assert hs.peer_cert == der("client.pem") and hs.verify_result == 0
        assert link.from_peer(b"2222 authenticated\n")
    finally:
        close(link)


def test_post_handshake_auth_with_s_server(s_server):
    cfg = client_config(post_handshake_auth="on", cert_file=cert("client.pem"), key_file=cert("client.key"))
    link = s_server_link(s_server, cfg, "-tls1_3", "-verify", "1", "-CAfile", cert("ca.pem"))
    hs = link.hs
    try:
        link.read_for(0.3)
        link.command(b"c\n")
        link.read_for(TIMEOUT, lambda: count(hs, False, "CertificateRequest") >= 2 and
                      count(hs, True, "Finished") >= 2)
        assert count(hs, False, "CertificateRequest") == 2  # in the handshake, and after it
        assert count(hs, True, "Certificate") == 2 and count(hs, True, "CertificateVerify") == 2
        assert link.to_peer(b"1111 authenticated\n")
    finally:
        close(link)


def test_early_data_to_s_server(s_server):
    cfg = client_config()
    link = s_server_link(s_server, cfg, "-tls1_3", "-early_data")
    try:
        link.read_for(0.5)
        sess = link.hs.session
        assert sess and link.hs.early_data == "not_sent"
        link.drive(link.hs.shutdown)
    finally:
        close(link)
    # s_server serves connections one after another, on the same port
    sock = socket.create_connection(("127.0.0.1", link.port), timeout=TIMEOUT)
    sock.setblocking(False)
    hs = tlshs.Handshake(cfg, server_name="localhost", sock=sock, session=sess, trace=True)
    link2 = Link(hs, sock, link.proc)
    try:
        for _ in range(100):
            r, n = hs.write_early(b"5555 early\n")
            if n:
                break
            select.select([], [sock], [], 0.1)  # the socket was full: again, the same data
        assert n == 11 and r in (tlshs.WANT_READ, tlshs.WANT_WRITE)
        assert link2.drive(hs.step) == tlshs.DONE, hs.error
        assert hs.early_data == "accepted" and hs.resumed
        assert count(hs, True, "EndOfEarlyData") == 1
        assert link2.wait_out(b"5555 early\n")
        assert link2.to_peer(b"1111 after early\n")
    finally:
        close(link2)


@pytest.mark.parametrize("other_config", [False, True])
def test_early_data_from_s_client(listener, s_client, tmp_path, other_config):
    """s_client -sess_out, then s_client -early_data FILE -sess_in to a
    tlshs server that reads it with read_early; a server of another config
    rejects it."""
    sess, early = tmp_path / "sess.pem", tmp_path / "early.txt"
    early.write_bytes(b"6666 early from s_client\n")
    scfg = server_config(max_early_data="16384")
    link = s_client_link(listener, s_client, scfg, "-tls1_3", "-sess_out", str(sess))
    try:
        link.read_for(0.3)
        for _ in range(100):
            if sess.exists() and sess.stat().st_size:
                break
            time.sleep(0.02)
        link.drive(link.hs.shutdown)
    finally:
        close(link)
    assert sess.stat().st_size > 0
    port = listener.getsockname()[1]
    proc = s_client(port, "-CAfile", cert("ca.pem"), "-servername", "localhost", "-tls1_3",
                    "-sess_in", str(sess), "-early_data", str(early))
    conn, _ = listener.accept()
    conn.setblocking(False)
    target = server_config(max_early_data="16384") if other_config else scfg
    hs = tlshs.Handshake(target, sock=conn, trace=True)
    link = Link(hs, conn, proc)
    try:
        got = b""
        for _ in range(200):
            r, data = drive_fd(hs.read_early, conn)
            got += data
            if r != tlshs.DONE or not data:
                break
        assert r == tlshs.DONE and hs.handshake_done, hs.error
        if other_config:
            assert hs.early_data == "rejected" and got == b""
        else:
            assert hs.early_data == "accepted" and got == b"6666 early from s_client\n"
            assert count(hs, False, "EndOfEarlyData") == 1
        assert link.to_peer(b"1111 after early\n")
    finally:
        close(link)


def test_ocsp_from_s_server(s_server):
    link = s_server_link(s_server, client_config(status_request="on"), "-status_file",
                         cert("ocsp-server.der"))
    try:
        with open(cert("ocsp-server.der"), "rb") as f:
            assert link.hs.ocsp_response == f.read()
    finally:
        close(link)


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_ocsp_stapled_for_s_client(listener, s_client, version):
    link = s_client_link(listener, s_client, server_config(ocsp_response_file=cert("ocsp-server.der")),
                         version, "-status")
    try:
        assert link.wait_out(b"OCSP Response Status: successful")
        assert link.wait_out(b"Cert Status: good")
    finally:
        close(link)


def test_custom_extension_to_s_server(s_server):
    """s_server does not choke on an extension it does not know, and sends
    none back."""
    link = s_server_link(s_server, client_config(extensions="65280:cafe"), "-tls1_3")
    try:
        assert 65280 in link.hs.client_hello.extensions
        assert link.hs.peer_extensions == {}
        assert link.to_peer(b"7777 still fine\n")
    finally:
        close(link)


@pytest.mark.parametrize("tickets", [0, 1, 5])
def test_num_tickets_to_s_client(listener, s_client, tickets):
    """A tlshs server's num_tickets: the tickets it sends (s_client, which
    counts them unreliably in its output, only has to go on)."""
    link = s_client_link(listener, s_client, server_config(num_tickets=str(tickets)), "-tls1_3")
    try:
        link.read_for(0.2)
        assert count(link.hs, True, "NewSessionTicket") == tickets
        assert link.from_peer(b"2222 from s_client\n")
        assert link.to_peer(b"3333 to s_client\n")
    finally:
        close(link)


@pytest.mark.parametrize("tickets", [0, 1, 5])
def test_num_tickets_from_s_server_counted(s_server, tickets):
    """Counted on the client side: a tlshs client reads what s_server
    -num_tickets N sends."""
    link = s_server_link(s_server, client_config(), "-tls1_3", "-num_tickets", str(tickets))
    try:
        # none to wait for with 0: a second shows that none comes
        link.read_for(TIMEOUT if tickets else 1.0, lambda: count(link.hs, False, "NewSessionTicket") >= max(tickets, 1))
        assert count(link.hs, False, "NewSessionTicket") == tickets
        assert (link.hs.session is not None) == (tickets > 0)
    finally:
        close(link)


def test_wrong_values_to_the_new_calls_get_our_message(tmp_path, monkeypatch):
    """As test_arguments.py: every new entry point, given each wrong value,
    answers with our message (never SWIG's), in a scratch directory since
    capture= creates the file it is given."""
    from test_arguments import WRONG, attempt
    ccfg, scfg = client_config(), server_config()
    monkeypatch.chdir(tmp_path)
    c = tlshs.Handshake(ccfg, server_name="localhost")
    s = tlshs.Handshake(scfg)
    calls = [
        lambda v: tlshs.Handshake(scfg, capture=v),
        lambda v: tlshs.Handshake(scfg, on_client_hello=v),
        lambda v: c.key_update(v),
        lambda v: c.key_update(request_peer=v),
        c.write_early, s.read_early,
        tlshs.cipher_suite_name, tlshs.extension_name, tlshs.group_name, tlshs.sigalg_name,
        tlshs.version_name,
        lambda v: tlshs.Config("server", num_tickets=v),
        lambda v: tlshs.Config("server", ocsp_response_file=v),
        lambda v: tlshs.Config("server", self_signed=v),
    ]
    for call in calls:
        for value in WRONG:
            attempt(call, value)
    for name in ("renegotiate", "request_client_cert"):
        with pytest.raises(TypeError):
            getattr(c, name)(1)
    c.close()
    s.close()


# ---- the keying-material exporter ----

EXPORTER_LABEL = "EXPERIMENTAL-tlshs-test"


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_export_keying_material_pair(version):
    """Both ends derive the same bytes; a context changes them; no context
    and an empty one differ in TLS 1.2 only; refused before DONE."""
    c = tlshs.Handshake(client_config(max_version=version), server_name="localhost")
    s = tlshs.Handshake(server_config())
    with pytest.raises(tlshs.StateError) as e:
        c.export_keying_material(EXPORTER_LABEL, 32)
    assert e.value.code == tlshs.Code.E_STATE
    assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
    a = c.export_keying_material(EXPORTER_LABEL, 32)
    assert len(a) == 32 and a == s.export_keying_material(EXPORTER_LABEL, 32)
    with_ctx = c.export_keying_material(EXPORTER_LABEL, 32, context=b"ctx")
    assert with_ctx == s.export_keying_material(EXPORTER_LABEL, 32, b"ctx") != a
    assert (c.export_keying_material(EXPORTER_LABEL, 32, b"") == a) == (version == "1.3")
    with pytest.raises(tlshs.ArgumentError):
        c.export_keying_material(EXPORTER_LABEL, 0)
    with pytest.raises(TypeError):
        c.export_keying_material(b"label", 8)
    c.close()
    s.close()


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_export_keying_material_matches_s_client(listener, s_client, version):
    """A tlshs server derives what `openssl s_client -keymatexport` prints."""
    proc = s_client(listener.getsockname()[1], "-CAfile", cert("ca.pem"), version, "-keymatexport",
                    EXPORTER_LABEL, "-keymatexportlen", "24", "-ign_eof")
    conn, _ = listener.accept()
    with conn:
        conn.setblocking(False)
        with tlshs.Handshake(server_config(), sock=conn) as hs:
            assert drive_fd(hs.step, conn) == tlshs.DONE
            km = hs.export_keying_material(EXPORTER_LABEL, 24)
            drive_fd(hs.shutdown, conn)
    out, _ = proc.communicate(timeout=TIMEOUT)
    assert f"Keying material: {km.hex().upper()}" in out.decode(errors="replace")
