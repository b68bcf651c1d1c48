"""DTLS 1.2 against real peers over UDP on 127.0.0.1 (issue 18): `openssl
s_server -dtls1_2` and `s_client -dtls1_2` in both roles, in fd mode (a
connected UDP socket) and memory mode (tlshs.drive over a connected UDP
socket); `gnutls-serv --udp` and `gnutls-cli --udp`; a client
certificate, resumption, PSK, DTLS-SRTP with the exporter, and mtu 512.

Every wait has a timeout; peers are killed at the end of each test."""

import os
import re
import select
import shutil
import socket
import subprocess
import time

import pytest

import tlshs
from conftest import TIMEOUT, cert, client_config, der as _der, drive_fd, free_port, read_until, server_config, stop

PEER_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
SRTP = "SRTP_AES128_CM_SHA1_80"
EXPORT_LABEL = "EXTRACTOR-dtls_srtp"
PSK = "0123456789abcdef0123456789abcdef"


def needs(program):
    if not shutil.which(program):
        pytest.fail(f"{program} is missing: run `make deps`")


def dtls_client(**keys):
    return client_config(transport="datagram", **keys)


def dtls_server(**keys):
    return server_config(transport="datagram", **keys)


def udp_connect(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


def udp_listen():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]


def first_datagram(sock, peek):
    """Waits for the first datagram on an unconnected socket, connects the
    socket to its sender and answers (datagram, address); with peek the
    datagram stays queued (for fd mode)."""
    ready, _, _ = select.select([sock], [], [], TIMEOUT)
    assert ready, "no datagram from the peer"
    data, addr = sock.recvfrom(65536, socket.MSG_PEEK if peek else 0)
    sock.connect(addr)
    sock.setblocking(False)
    return data, addr


# ---- memory mode after the handshake: datagrams over the socket ----

def send_all(hs, sock):
    """Sends every datagram hs has pending, one send each; answers them."""
    sent = []
    for _ in range(1000):
        d = hs.take()
        if not d:
            return sent
        sock.send(d)
        sent.append(d)
    raise AssertionError("send_all: no end")


def mem_write(hs, sock, data):
    assert hs.write(data) == (tlshs.DONE, len(data))
    return send_all(hs, sock)


def mem_read_until(hs, sock, marker, timeout=TIMEOUT):
    """Reads application data (memory mode) until marker shows or hs
    closes; answers (last result, all data read)."""
    got = b""
    deadline = time.monotonic() + timeout
    while marker not in got:
        r, data = hs.read()
        send_all(hs, sock)  # a DONE side answers retransmissions here
        got += data
        if r == tlshs.CLOSED:
            return r, got
        if data:
            continue
        left = deadline - time.monotonic()
        assert left > 0, f"mem_read_until: timed out waiting for {marker!r}; got {got!r}"
        ready, _, _ = select.select([sock], [], [], left)
        if ready:
            try:
                hs.feed(sock.recv(65536))
            except ConnectionRefusedError:
                pass
    return hs.result, got


def mem_close(hs, sock):
    """close_notify from hs (memory mode), sent; answers shutdown's result
    (WANT_READ: the peer's has not come yet)."""
    for _ in range(10):
        r = hs.shutdown()
        send_all(hs, sock)
        if r != tlshs.WANT_WRITE:
            return r
    raise AssertionError("mem_close: no end")


# ---- the openssl peers ----

@pytest.fixture
def dtls_s_server():
    """`openssl s_server -dtls1_2` on 127.0.0.1: start(*args) -> (port, proc)."""
    procs = []

    def start(*args, keys=True):
        base = ["-cert", cert("server.pem"), "-key", cert("server.key")] if keys else []
        for _ in range(5):
            port = free_port()
            proc = subprocess.Popen(["openssl", "s_server", "-dtls1_2", "-accept", f"127.0.0.1:{port}", *base, *args],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    env=PEER_ENV)
            procs.append(proc)
            try:
                read_until(proc, b"ACCEPT")
                return port, proc
            except AssertionError:
                stop(proc)
        pytest.fail("openssl s_server -dtls1_2 would not start")

    yield start
    for p in procs:
        stop(p)


@pytest.fixture
def dtls_s_client():
    """`openssl s_client -dtls1_2` to 127.0.0.1:port: start(port, *args) -> proc."""
    procs = []

    def start(port, *args):
        proc = subprocess.Popen(["openssl", "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{port}", *args],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=PEER_ENV)
        procs.append(proc)
        return proc

    yield start
    for p in procs:
        stop(p)


def keying_material(proc, *also):
    """What an openssl peer printed for -keymatexport (bytes), once its
    output also showed each of also."""
    out = read_until(proc, b"Keying material: ")
    for _ in range(20):
        m = re.search(rb"Keying material: ([0-9A-Fa-f]+)\s", out)
        if m and all(a in out for a in also):
            return bytes.fromhex(m.group(1).decode())
        out += read_until(proc, b"\n")
    raise AssertionError(f"no keying material in {out!r}")


def say(proc, line):
    proc.stdin.write(line)
    proc.stdin.flush()


# ---- tlshs client against s_server ----

@pytest.mark.parametrize("mode", ["fd", "memory"])
def test_client_against_s_server(dtls_s_server, mode):
    port, proc = dtls_s_server()
    with udp_connect(port) as sock:
        if mode == "fd":
            hs = tlshs.Handshake(dtls_client(), server_name="localhost", sock=sock, trace=True)
            assert drive_fd(hs.step, sock) == tlshs.DONE
        else:
            hs = tlshs.Handshake(dtls_client(), server_name="localhost", trace=True)
            assert tlshs.drive(hs, sock, timeout=TIMEOUT) == tlshs.DONE
        with hs:
            assert hs.version == "DTLSv1.2" and hs.verify_result == 0
            names = [e.name for e in hs.trace if e.kind == "handshake" and not e.sent]
            assert names[0] == "HelloVerifyRequest" or names[0] == "ServerHello"
            # data both ways
            if mode == "fd":
                assert drive_fd(lambda: hs.write(b"hello from tlshs\n"), sock) == (tlshs.DONE, 17)
            else:
                mem_write(hs, sock, b"hello from tlshs\n")
            read_until(proc, b"hello from tlshs\n")
            say(proc, b"hello from openssl\n")
            if mode == "fd":
                assert drive_fd(hs.read, sock) == (tlshs.DONE, b"hello from openssl\n")
            else:
                assert mem_read_until(hs, sock, b"\n")[1] == b"hello from openssl\n"
            # close_notify: s_server answers with its own
            if mode == "fd":
                assert drive_fd(hs.shutdown, sock) == tlshs.CLOSED
            else:
                assert mem_close(hs, sock) == tlshs.WANT_READ
                assert mem_read_until(hs, sock, b"never")[0] == tlshs.CLOSED
            assert hs.error_code in (tlshs.Code.E_SHUTDOWN, tlshs.Code.E_CLOSE_NOTIFY)
    read_until(proc, b"DONE\n")  # s_server read our close_notify


def test_drive_fires_the_timer_in_real_time(dtls_s_server):
    """drive loses the first ClientHello and the server's first answer, waits
    hs.timeout each time and calls on_timeout: the flight goes again.  Every
    other datagram out is sent twice (a list answer); s_server takes it."""
    port, proc = dtls_s_server()
    seen = {"out": 0, "in": 0}

    def tamper(direction, dg):
        seen[direction] += 1
        if seen[direction] == 1:
            return None  # the first each way: lost
        return [dg, dg] if direction == "out" else dg

    cfg = dtls_client(retransmit_ms=100)
    with udp_connect(port) as sock, tlshs.Handshake(cfg, server_name="localhost", trace=True) as hs:
        t0 = time.monotonic()
        assert tlshs.drive(hs, sock, tamper, timeout=TIMEOUT) == tlshs.DONE
        took = time.monotonic() - t0
        hellos = [e for e in hs.trace if e.sent and e.name == "ClientHello"]
        assert len(hellos) >= 3  # the lost one again, then the retry with the cookie
        assert 0.1 <= took < 5, took  # waited for the timer, not for drive's timeout
        mem_write(hs, sock, b"after loss\n")
        read_until(proc, b"after loss\n")


def test_client_certificate_and_resumption_against_s_server(dtls_s_server):
    port, proc = dtls_s_server("-Verify", "1", "-CAfile", cert("ca.pem"), "-verify_return_error")
    cfg = dtls_client(cert_file=cert("client.pem"), key_file=cert("client.key"))
    with udp_connect(port) as sock, tlshs.Handshake(cfg, server_name="localhost", sock=sock) as hs:
        assert drive_fd(hs.step, sock) == tlshs.DONE
        assert not hs.resumed
        session = hs.session
        assert session
        assert drive_fd(hs.shutdown, sock) == tlshs.CLOSED
    out = read_until(proc, b"DONE\n")
    assert b"tlshs test client" in out  # s_server shows the client's certificate subject
    with udp_connect(port) as sock, tlshs.Handshake(cfg, server_name="localhost", sock=sock,
                                                     session=session) as hs:
        assert drive_fd(hs.step, sock) == tlshs.DONE
        assert hs.resumed
        assert drive_fd(hs.shutdown, sock) == tlshs.CLOSED
    assert b"Reused session-id" in read_until(proc, b"DONE\n")


def test_psk_against_s_server(dtls_s_server):
    port, proc = dtls_s_server("-psk", PSK, "-nocert", keys=False)
    cfg = tlshs.Config("client", transport="datagram", verify="none", psk=PSK)
    with udp_connect(port) as sock, tlshs.Handshake(cfg, sock=sock) as hs:
        assert drive_fd(hs.step, sock) == tlshs.DONE
        assert "PSK" in hs.cipher and hs.peer_cert is None
        assert drive_fd(lambda: hs.write(b"psk ok\n"), sock) == (tlshs.DONE, 7)
        read_until(proc, b"psk ok\n")


def test_srtp_against_s_server(dtls_s_server):
    port, proc = dtls_s_server("-use_srtp", SRTP, "-keymatexport", EXPORT_LABEL, "-keymatexportlen", "60")
    with udp_connect(port) as sock, tlshs.Handshake(dtls_client(use_srtp=f"SRTP_AEAD_AES_128_GCM:{SRTP}"),
                                                     server_name="localhost", sock=sock) as hs:
        assert drive_fd(hs.step, sock) == tlshs.DONE
        assert hs.srtp_profile == SRTP
        keys = hs.export_keying_material(EXPORT_LABEL, 60)
        assert keying_material(proc) == keys


# ---- tlshs server against s_client ----

def s_client_args(*more):
    return ["-CAfile", cert("ca.pem"), "-verify_return_error", "-servername", "localhost", *more]


@pytest.mark.parametrize("mode", ["fd", "memory"])
def test_server_against_s_client(dtls_s_client, mode):
    lsock, port = udp_listen()
    with lsock:
        proc = dtls_s_client(port, *s_client_args())
        first, addr = first_datagram(lsock, peek=mode == "fd")
        if mode == "fd":
            hs = tlshs.Handshake(dtls_server(), sock=lsock, trace=True)
            assert drive_fd(hs.step, lsock) == tlshs.DONE
        else:
            hs = tlshs.Handshake(dtls_server(), trace=True)
            hs.set_peer(f"{addr[0]}:{addr[1]}")
            hs.feed(first)
            assert tlshs.drive(hs, lsock, timeout=TIMEOUT) == tlshs.DONE
        with hs:
            assert hs.version == "DTLSv1.2" and hs.server_name == "localhost"
            sent = [e.name for e in hs.trace if e.sent and e.kind == "handshake"]
            assert "ServerHello" in sent
            if mode == "memory":  # cookie on by default (fd mode does not trace the HelloVerifyRequest)
                assert sent[0] == "HelloVerifyRequest"
            out = read_until(proc, b"Verify return code: 0 (ok)")
            assert b"DTLSv1.2" in out
            if mode == "fd":
                assert drive_fd(lambda: hs.write(b"hello from tlshs\n"), lsock) == (tlshs.DONE, 17)
            else:
                mem_write(hs, lsock, b"hello from tlshs\n")
            read_until(proc, b"hello from tlshs\n")
            say(proc, b"hello from openssl\n")
            if mode == "fd":
                assert drive_fd(hs.read, lsock) == (tlshs.DONE, b"hello from openssl\n")
                assert drive_fd(hs.shutdown, lsock) == tlshs.CLOSED  # s_client answers with its own
            else:
                assert mem_read_until(hs, lsock, b"\n")[1] == b"hello from openssl\n"
                mem_close(hs, lsock)
            read_until(proc, b"closed\n")  # s_client read our close_notify


def test_server_requires_s_client_certificate(dtls_s_client):
    lsock, port = udp_listen()
    with lsock:
        proc = dtls_s_client(port, *s_client_args("-cert", cert("client.pem"), "-key", cert("client.key")))
        first_datagram(lsock, peek=True)
        cfg = dtls_server(verify="require", ca_file=cert("ca.pem"))
        with tlshs.Handshake(cfg, sock=lsock) as hs:
            assert drive_fd(hs.step, lsock) == tlshs.DONE
            assert hs.peer_cert == _der("client.pem") and hs.verify_result == 0
            read_until(proc, b"Verify return code: 0 (ok)")
    # and without one: refused
    lsock, port = udp_listen()
    with lsock:
        proc = dtls_s_client(port, *s_client_args())
        first_datagram(lsock, peek=True)
        with tlshs.Handshake(cfg, sock=lsock) as hs:
            assert drive_fd(hs.step, lsock) == tlshs.CLOSED
            assert hs.alert_sent is not None and hs.peer_cert is None


def test_server_srtp_keys_equal_s_client_keymatexport(dtls_s_client):
    lsock, port = udp_listen()
    with lsock:
        proc = dtls_s_client(port, *s_client_args("-use_srtp", SRTP, "-keymatexport", EXPORT_LABEL,
                                                   "-keymatexportlen", "60"))
        first_datagram(lsock, peek=True)
        with tlshs.Handshake(dtls_server(use_srtp=SRTP), sock=lsock) as hs:
            assert drive_fd(hs.step, lsock) == tlshs.DONE
            assert hs.srtp_profile == SRTP
            keys = hs.export_keying_material(EXPORT_LABEL, 60)
            assert keying_material(proc, f"SRTP Extension negotiated, profile={SRTP}".encode()) == keys


def _handshake_fragments(datagrams, msg_type):
    """(fragment_offset, fragment_length, length) of every fragment of the
    plaintext handshake message msg_type in the datagrams."""
    found = []
    for d in datagrams:
        i = 0
        while i + 13 <= len(d):
            ctype, epoch, length = d[i], int.from_bytes(d[i + 3:i + 5], "big"), int.from_bytes(d[i + 11:i + 13], "big")
            body = d[i + 13:i + 13 + length]
            j = 0
            while ctype == tlshs.HANDSHAKE and epoch == 0 and j + 12 <= len(body):
                mlen, foff, flen = (int.from_bytes(body[j + k:j + k + 3], "big") for k in (1, 6, 9))
                if body[j] == msg_type:
                    found.append((foff, flen, mlen))
                j += 12 + flen
            i += 13 + length
    return found


def test_mtu_512_server_fragments_its_certificate_for_s_client(dtls_s_client):
    lsock, port = udp_listen()
    sent = []

    def tamper(direction, dg):
        if direction == "out":
            sent.append(dg)
        return dg

    with lsock:
        proc = dtls_s_client(port, *s_client_args("-mtu", "512"))
        first, addr = first_datagram(lsock, peek=False)
        with tlshs.Handshake(dtls_server(mtu=512)) as hs:
            hs.set_peer(f"{addr[0]}:{addr[1]}")
            hs.feed(first)
            assert tlshs.drive(hs, lsock, tamper, timeout=TIMEOUT) == tlshs.DONE
            read_until(proc, b"Verify return code: 0 (ok)")  # s_client took the fragmented certificate
            assert max(map(len, sent)) <= 512
            frags = _handshake_fragments(sent, 11)  # Certificate
            assert len(frags) >= 2 and all(flen < mlen for _, flen, mlen in frags), frags
            assert sum(flen for _, flen, _ in frags) == frags[0][2]
            sent.clear()
            mem_write(hs, lsock, b"z" * 1500)  # application data: several datagrams, each within mtu
            read_until(proc, b"z" * 64)


def test_mtu_512_client_against_s_server(dtls_s_server):
    port, proc = dtls_s_server("-mtu", "512")
    sent = []
    with udp_connect(port) as sock, tlshs.Handshake(dtls_client(mtu=512), server_name="localhost") as hs:
        out = tlshs.drive(hs, sock, lambda d, dg: (sent.append(dg) if d == "out" else None) or dg, timeout=TIMEOUT)
        assert out == tlshs.DONE
        assert sent and max(map(len, sent)) <= 512
        big = mem_write(hs, sock, b"y" * 3000)
        assert len(big) >= 6 and max(map(len, big)) <= 512
        read_until(proc, b"y" * 64)


# ---- gnutls ----

def test_client_against_gnutls_serv():
    needs("gnutls-serv")
    port = free_port()
    proc = subprocess.Popen(["gnutls-serv", "--udp", "--echo", "--port", str(port),
                             "--x509certfile", cert("server.pem"), "--x509keyfile", cert("server.key")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=PEER_ENV)
    try:
        read_until(proc, b"UDP")  # "... listening on UDP" once the socket is bound
        with udp_connect(port) as sock, tlshs.Handshake(dtls_client(), server_name="localhost") as hs:
            assert tlshs.drive(hs, sock, timeout=TIMEOUT) == tlshs.DONE
            assert hs.version == "DTLSv1.2"
            mem_write(hs, sock, b"hello gnutls\n")
            assert mem_read_until(hs, sock, b"\n")[1] == b"hello gnutls\n"  # --echo sends it back
            assert mem_close(hs, sock) == tlshs.WANT_READ
    finally:
        stop(proc)


def test_psk_client_against_gnutls_serv(tmp_path):
    needs("gnutls-serv")
    passwd = tmp_path / "psk-passwd.txt"
    passwd.write_text(f"device-7:{PSK}\n")
    port = free_port()
    proc = subprocess.Popen(["gnutls-serv", "--udp", "--echo", "--port", str(port), "--pskpasswd", str(passwd),
                             "--priority", "NORMAL:+PSK:+ECDHE-PSK:+DHE-PSK"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=PEER_ENV)
    try:
        read_until(proc, b"UDP")
        cfg = tlshs.Config("client", transport="datagram", verify="none", psk=PSK, psk_identity="device-7")
        with udp_connect(port) as sock, tlshs.Handshake(cfg) as hs:
            assert tlshs.drive(hs, sock, timeout=TIMEOUT) == tlshs.DONE
            assert "PSK" in hs.cipher and hs.peer_cert is None
            mem_write(hs, sock, b"psk gnutls\n")
            assert mem_read_until(hs, sock, b"\n")[1] == b"psk gnutls\n"
    finally:
        stop(proc)


def test_server_against_gnutls_cli():
    needs("gnutls-cli")
    lsock, port = udp_listen()
    with lsock:
        proc = subprocess.Popen(["gnutls-cli", "--udp", "--port", str(port), "--x509cafile", cert("ca.pem"),
                                 "--verify-hostname", "localhost", "127.0.0.1"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=PEER_ENV)
        try:
            first_datagram(lsock, peek=True)
            with tlshs.Handshake(dtls_server(), sock=lsock) as hs:
                assert drive_fd(hs.step, lsock) == tlshs.DONE
                assert hs.version == "DTLSv1.2"
                read_until(proc, b"Handshake was completed")
                assert drive_fd(lambda: hs.write(b"hello from tlshs\n"), lsock) == (tlshs.DONE, 17)
                read_until(proc, b"hello from tlshs")
                say(proc, b"hello from gnutls\n")
                assert drive_fd(hs.read, lsock) == (tlshs.DONE, b"hello from gnutls\n")
                assert hs.shutdown() == tlshs.WANT_READ  # sent: gnutls-cli does not answer with its own
                read_until(proc, b"Peer has closed the GnuTLS connection")
        finally:
            stop(proc)
