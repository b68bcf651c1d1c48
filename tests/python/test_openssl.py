"""tlshs in fd mode (sock= a real TCP socket) against the openssl command:
`openssl s_server` for the tlshs client, `openssl s_client` for the tlshs
server, on 127.0.0.1."""

import socket

import pytest

import tlshs
from conftest import TIMEOUT, cert, client_config, der, drive_fd, read_until, server_config

VERSIONS = {"1.2": "-tls1_2", "1.3": "-tls1_3"}


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.setblocking(False)
    return sock


def www_get(hs, sock):
    """Sends GET / to an `s_server -www` and answers the whole response."""
    assert drive_fd(lambda: hs.write(b"GET / HTTP/1.0\r\n\r\n"), sock) == (tlshs.DONE, 18)
    body = b""
    for _ in range(1000):
        r, data = drive_fd(hs.read, sock)
        body += data
        if r == tlshs.CLOSED:
            return body
    raise AssertionError("no end of response")


def server_args(version=None, *more, name="server"):
    args = ["-cert", cert(name + ".pem"), "-key", cert(name + ".key"), "-www"]
    if version:
        args.append(VERSIONS[version])
    return args + list(more)


# ---- tlshs client against s_server ----


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_client_against_s_server(s_server, version):
    port = s_server(*server_args(version))
    with connect(port) as sock, tlshs.Handshake(client_config(), server_name="localhost",
                                                 sock=sock, trace=True) as hs:
        assert drive_fd(hs.step, sock) == tlshs.DONE
        assert hs.version == f"TLSv{version}"
        assert hs.peer_cert == der("server.pem")
        assert hs.verify_result == 0
        assert hs.pending == 0  # fd mode: nothing waits in memory
        body = www_get(hs, sock)
        assert b"HTTP/1.0 200 ok" in body
        assert f"Protocol  : TLSv{version}".encode() in body
        names = [e.name for e in hs.trace if e.kind == "handshake"]
        assert names[0] == "ClientHello" and "Finished" in names


def test_client_alpn_against_s_server(s_server):
    port = s_server(*server_args(None, "-alpn", "h2"))
    with connect(port) as sock, tlshs.Handshake(client_config(alpn="http/1.1,h2"),
                                                 server_name="localhost", sock=sock) as hs:
        assert drive_fd(hs.step, sock) == tlshs.DONE
        assert hs.alpn == "h2"


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_client_certificate_to_s_server(s_server, version):
    port = s_server(*server_args(version, "-Verify", "1", "-CAfile", cert("ca.pem"),
                                 "-verify_return_error"))
    cfg = client_config(cert_file=cert("client.pem"), key_file=cert("client.key"))
    with connect(port) as sock, tlshs.Handshake(cfg, server_name="localhost", sock=sock) as hs:
        assert drive_fd(hs.step, sock) == tlshs.DONE
        body = www_get(hs, sock)
        assert b"HTTP/1.0 200 ok" in body
        assert b"tlshs test client" in body  # s_server shows the client's certificate


def test_missing_client_certificate_against_s_server(s_server):
    port = s_server(*server_args("1.3", "-Verify", "1", "-CAfile", cert("ca.pem"),
                                 "-verify_return_error"))
    with connect(port) as sock, tlshs.Handshake(client_config(), server_name="localhost",
                                                 sock=sock) as hs:
        # a TLS 1.3 client finishes first; the server's alert comes after
        assert drive_fd(hs.step, sock) == tlshs.DONE
        r, data = drive_fd(hs.read, sock)
        assert (r, data) == (tlshs.CLOSED, b"")
        assert hs.alert_received == 116
        assert hs.error_code == tlshs.Code.E_ALERT and tlshs.alert_name(hs.alert_received) == "certificate_required"


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_resumption_against_s_server(s_server, version):
    port = s_server(*server_args(version))
    cfg = client_config()
    with connect(port) as sock, tlshs.Handshake(cfg, server_name="localhost", sock=sock) as hs:
        assert drive_fd(hs.step, sock) == tlshs.DONE
        assert www_get(hs, sock)  # reading took in the tickets
        session = hs.session
        assert session and not hs.resumed
    with connect(port) as sock, tlshs.Handshake(cfg, server_name="localhost", sock=sock,
                                                 session=session) as hs:
        assert drive_fd(hs.step, sock) == tlshs.DONE
        assert hs.resumed
        assert f"Reused, TLSv{version}".encode() in www_get(hs, sock)


def test_unknown_ca_against_s_server(s_server):
    port = s_server(*server_args(None, name="unknown"))
    with connect(port) as sock, tlshs.Handshake(client_config(), server_name="localhost",
                                                 sock=sock) as hs:
        assert drive_fd(hs.step, sock) == tlshs.CLOSED
        assert hs.alert_sent == 48
        assert hs.verify_result == 20
        assert hs.error_code == tlshs.Code.E_VERIFY, hs.error


def test_wrong_name_against_s_server(s_server):
    port = s_server(*server_args(None, name="wrongname"))
    with connect(port) as sock, tlshs.Handshake(client_config(), server_name="localhost",
                                                 sock=sock) as hs:
        assert drive_fd(hs.step, sock) == tlshs.CLOSED
        assert hs.alert_sent == 42
        assert hs.error_code == tlshs.Code.E_VERIFY, hs.error


def test_version_mismatch_against_s_server(s_server):
    port = s_server(*server_args("1.3"))
    with connect(port) as sock, tlshs.Handshake(client_config(max_version="1.2"),
                                                 server_name="localhost", sock=sock) as hs:
        assert drive_fd(hs.step, sock) == tlshs.CLOSED
        assert hs.alert_received == 70
        assert hs.error_code == tlshs.Code.E_ALERT and tlshs.alert_name(hs.alert_received) == "protocol_version"


def test_eof_mid_handshake_from_plain_server(listener):
    """A server that reads the ClientHello and closes: CLOSED, not a hang."""
    port = listener.getsockname()[1]
    with connect(port) as sock, tlshs.Handshake(client_config(), server_name="localhost",
                                                 sock=sock) as hs:
        conn, _ = listener.accept()
        assert hs.step() == tlshs.WANT_READ
        conn.settimeout(TIMEOUT)
        header = conn.recv(5, socket.MSG_WAITALL)
        assert header[0] == 0x16
        conn.recv(int.from_bytes(header[3:5], "big"), socket.MSG_WAITALL)
        conn.close()  # all read: a clean FIN, not a reset
        assert drive_fd(hs.step, sock) == tlshs.CLOSED
        assert hs.error_code == tlshs.Code.E_EOF, hs.error


def test_garbage_from_plain_server(listener):
    port = listener.getsockname()[1]
    with connect(port) as sock, tlshs.Handshake(client_config(), server_name="localhost",
                                                 sock=sock) as hs:
        conn, _ = listener.accept()
        with conn:
            assert hs.step() == tlshs.WANT_READ
            conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
            assert drive_fd(hs.step, sock) == tlshs.CLOSED
            assert hs.error_code == tlshs.Code.E_PROTOCOL and hs.error, hs.error  # OpenSSL: "wrong version number"


# ---- tlshs server against s_client ----


def serve_one(listener, cfg, greeting=b"hello from tlshs\n"):
    """Accepts one connection, runs the tlshs server handshake on it, sends
    greeting and close_notify; answers the handshake's facts."""
    conn, _ = listener.accept()
    with conn:
        conn.setblocking(False)
        with tlshs.Handshake(cfg, sock=conn) as hs:
            r = drive_fd(hs.step, conn)
            facts = {"result": r, "version": hs.version, "alpn": hs.alpn,
                     "server_name": hs.server_name, "resumed": hs.resumed,
                     "peer_cert": hs.peer_cert, "error": hs.error,
                     "alert_sent": hs.alert_sent, "verify_result": hs.verify_result}
            if r == tlshs.DONE:
                assert drive_fd(lambda: hs.write(greeting), conn) == (tlshs.DONE, len(greeting))
                r = drive_fd(hs.shutdown, conn)
                assert r == tlshs.CLOSED
    return facts


def client_args(*more):
    return ["-CAfile", cert("ca.pem"), "-servername", "localhost", "-verify_return_error",
            "-verify_hostname", "localhost", "-ign_eof", *more]


def finish(proc):
    out, _ = proc.communicate(timeout=TIMEOUT)
    return out.decode(errors="replace")


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_server_against_s_client(listener, s_client, version):
    port = listener.getsockname()[1]
    proc = s_client(port, *client_args(VERSIONS[version]))
    facts = serve_one(listener, server_config())
    out = finish(proc)
    assert facts["result"] == tlshs.DONE, facts
    assert facts["version"] == f"TLSv{version}"
    assert facts["server_name"] == "localhost"
    assert facts["peer_cert"] is None
    assert "hello from tlshs" in out
    assert f"New, TLSv{version}" in out
    assert "Verify return code: 0 (ok)" in out


def test_server_alpn_against_s_client(listener, s_client):
    port = listener.getsockname()[1]
    proc = s_client(port, *client_args("-alpn", "http/1.1,h2"))
    facts = serve_one(listener, server_config(alpn="h2,http/1.1"))
    out = finish(proc)
    assert facts["alpn"] == "h2"
    assert "ALPN protocol: h2" in out


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_server_client_certificate_from_s_client(listener, s_client, version):
    port = listener.getsockname()[1]
    proc = s_client(port, *client_args(VERSIONS[version], "-cert", cert("client.pem"),
                                       "-key", cert("client.key")))
    facts = serve_one(listener, server_config(verify="require", ca_file=cert("ca.pem")))
    out = finish(proc)
    assert facts["result"] == tlshs.DONE, facts
    assert facts["peer_cert"] == der("client.pem")
    assert "hello from tlshs" in out


def test_server_missing_client_certificate_from_s_client(listener, s_client):
    port = listener.getsockname()[1]
    proc = s_client(port, *client_args("-tls1_3"))
    facts = serve_one(listener, server_config(verify="require", ca_file=cert("ca.pem")))
    out = finish(proc)
    assert facts["result"] == tlshs.CLOSED
    assert facts["alert_sent"] == 116
    assert facts["error"] == "peer did not return a certificate"
    assert "certificate required" in out


def test_server_version_mismatch_from_s_client(listener, s_client):
    port = listener.getsockname()[1]
    proc = s_client(port, *client_args("-tls1_2"))
    facts = serve_one(listener, server_config(min_version="1.3"))
    out = finish(proc)
    assert facts["result"] == tlshs.CLOSED
    assert facts["alert_sent"] == 70
    assert facts["error"] == "unsupported protocol"
    assert "protocol version" in out


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_server_resumption_with_s_client(listener, s_client, tmp_path, version):
    port = listener.getsockname()[1]
    sess = str(tmp_path / "sess.pem")
    cfg = server_config()
    proc = s_client(port, *client_args(VERSIONS[version], "-sess_out", sess))
    facts = serve_one(listener, cfg)
    out = finish(proc)
    assert facts["result"] == tlshs.DONE and not facts["resumed"]
    assert "hello from tlshs" in out
    proc = s_client(port, *client_args(VERSIONS[version], "-sess_in", sess))
    facts = serve_one(listener, cfg)
    out = finish(proc)
    assert facts["result"] == tlshs.DONE
    assert facts["resumed"]
    assert f"Reused, TLSv{version}" in out


def test_read_until_helper_times_out(s_server):
    """The s_server fixture's readiness wait is bounded."""
    port = s_server(*server_args(None))
    proc = s_server.procs[-1]
    with pytest.raises(AssertionError, match="timed out"):
        read_until(proc, b"never printed", timeout=0.3)
    assert port > 0
