"""tlshs in memory mode against CPython's ssl module (SSLObject over
MemoryBIO), as client and as server: versions, ALPN, client certificates,
resumption, 1-byte fragmentation and every failure path."""

import ssl

import pytest

import tlshs
from conftest import (PyPeer, cert, client_config, der, drain, pump_py, py_client_context,
                      py_server_context, server_config)

VERSIONS = ["1.2", "1.3"]


def tlshs_client(**keys):
    trace = keys.pop("trace", False)
    session = keys.pop("session", None)
    name = keys.pop("server_name", "localhost")
    return tlshs.Handshake(client_config(**keys), server_name=name, session=session, trace=trace)


def tlshs_server(**keys):
    name = keys.pop("name", "server")
    return tlshs.Handshake(server_config(name, **keys))


# ---- tlshs client, CPython server ----


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("frag", [None, 1], ids=["whole", "1-byte"])
def test_client_against_cpython_server(version, frag):
    peer = PyPeer(py_server_context(version=version), server_side=True)
    with tlshs_client() as hs:
        assert pump_py(hs, peer, frag) == tlshs.DONE
        assert peer.done and peer.exc is None
        assert hs.version == peer.obj.version() == f"TLSv{version}"
        assert hs.cipher == peer.obj.cipher()[0]
        assert hs.peer_cert == der("server.pem")
        assert hs.verify_result == 0
        assert hs.server_name == "localhost"
        assert hs.alpn is None
        # application data both ways
        assert hs.write(b"hello server") == (tlshs.DONE, 12)
        peer.feed(hs.take())
        assert peer.read_all() == b"hello server"
        peer.obj.write(b"hello client")
        data = peer.take()
        got = b""
        if frag:
            for i in range(len(data)):
                hs.feed(data[i:i + 1])
                r, chunk = hs.read()
                got += chunk
        else:
            hs.feed(data)
            for _ in range(10):
                r, chunk = hs.read()
                got += chunk
                if r == tlshs.WANT_READ:
                    break
        assert got == b"hello client"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("frag", [None, 1], ids=["whole", "1-byte"])
def test_server_against_cpython_client(version, frag):
    peer = PyPeer(py_client_context(version=version), server_side=False, server_hostname="localhost")
    with tlshs_server() as hs:
        assert pump_py(hs, peer, frag) == tlshs.DONE
        assert peer.done and peer.exc is None
        assert hs.version == peer.obj.version() == f"TLSv{version}"
        assert hs.cipher == peer.obj.cipher()[0]
        assert hs.server_name == "localhost"  # SNI as received
        assert hs.peer_cert is None
        peer.obj.write(b"ping")
        hs.feed(peer.take())
        assert hs.read() == (tlshs.DONE, b"ping")
        assert hs.write(b"pong") == (tlshs.DONE, 4)
        peer.feed(hs.take())
        assert peer.read_all() == b"pong"


def test_server_ecdsa_certificate():
    peer = PyPeer(py_client_context(), server_side=False, server_hostname="localhost")
    with tlshs_server(name="server-ec") as hs:
        assert pump_py(hs, peer) == tlshs.DONE
        assert peer.obj.getpeercert(binary_form=True) == der("server-ec.pem")


# ---- ALPN ----


def test_alpn_client():
    peer = PyPeer(py_server_context(alpn=["http/1.1"]), server_side=True)
    with tlshs_client(alpn="h2,http/1.1") as hs:
        assert pump_py(hs, peer) == tlshs.DONE
        assert hs.alpn == "http/1.1"
        assert peer.obj.selected_alpn_protocol() == "http/1.1"


def test_alpn_server_selects_in_its_order():
    peer = PyPeer(py_client_context(alpn=["http/1.1", "h2"]), server_side=False,
                  server_hostname="localhost")
    with tlshs_server(alpn="h2,http/1.1") as hs:
        assert pump_py(hs, peer) == tlshs.DONE
        assert hs.alpn == "h2"
        assert peer.obj.selected_alpn_protocol() == "h2"


# ---- client certificates ----


@pytest.mark.parametrize("version", VERSIONS)
def test_client_certificate_from_tlshs_client(version):
    peer = PyPeer(py_server_context(version=version, client_cert=True), server_side=True)
    with tlshs_client(cert_file=cert("client.pem"), key_file=cert("client.key")) as hs:
        assert pump_py(hs, peer) == tlshs.DONE
        assert peer.done and peer.exc is None
        assert peer.obj.getpeercert(binary_form=True) == der("client.pem")


@pytest.mark.parametrize("version", VERSIONS)
def test_client_certificate_to_tlshs_server(version):
    peer = PyPeer(py_client_context(version=version, client_cert="client"), server_side=False,
                  server_hostname="localhost")
    with tlshs_server(verify="require", ca_file=cert("ca.pem")) as hs:
        assert pump_py(hs, peer) == tlshs.DONE
        assert hs.peer_cert == der("client.pem")
        assert hs.verify_result == 0


# ---- resumption ----


@pytest.mark.parametrize("version", VERSIONS)
def test_resumption_tlshs_client(version):
    ctx = py_server_context(version=version)
    peer = PyPeer(ctx, server_side=True)
    cfg = client_config()  # a verifying client resumes only its own config's sessions
    with tlshs.Handshake(cfg, server_name="localhost") as hs:
        assert pump_py(hs, peer) == tlshs.DONE
        assert drain(hs, peer) == tlshs.WANT_READ
        session = hs.session
        assert not hs.resumed
    assert isinstance(session, bytes) and session[0] == 0x30  # DER SEQUENCE
    peer2 = PyPeer(ctx, server_side=True)
    with tlshs.Handshake(cfg, server_name="localhost", session=bytearray(session)) as hs2:
        assert pump_py(hs2, peer2) == tlshs.DONE
        assert hs2.resumed
        assert peer2.obj.session_reused
        assert hs2.version == f"TLSv{version}"


@pytest.mark.parametrize("version", VERSIONS)
def test_resumption_tlshs_server(version):
    cctx = py_client_context(version=version)
    cfg = server_config()
    peer = PyPeer(cctx, server_side=False, server_hostname="localhost")
    with tlshs.Handshake(cfg) as hs:
        assert pump_py(hs, peer) == tlshs.DONE
        peer.read_all()  # takes in the tickets
        session = peer.obj.session
        assert session is not None
    peer2 = PyPeer(cctx, server_side=False, server_hostname="localhost", session=session)
    with tlshs.Handshake(cfg) as hs2:
        assert pump_py(hs2, peer2) == tlshs.DONE
        assert hs2.resumed
        assert peer2.obj.session_reused


def test_no_session_before_tickets():
    peer = PyPeer(py_server_context(version="1.3"), server_side=True)
    with tlshs_client() as hs:
        assert hs.session is None
        assert pump_py(hs, peer) == tlshs.DONE


def test_tickets_off_gives_no_resumption():
    cctx = py_client_context(version="1.3")
    cfg = server_config(tickets="off")
    peer = PyPeer(cctx, server_side=False, server_hostname="localhost")
    with tlshs.Handshake(cfg) as hs:
        assert pump_py(hs, peer) == tlshs.DONE
        peer.read_all()
    session = peer.obj.session
    peer2 = PyPeer(cctx, server_side=False, server_hostname="localhost", session=session)
    with tlshs.Handshake(cfg) as hs2:
        assert pump_py(hs2, peer2) == tlshs.DONE
        assert not hs2.resumed


# ---- failure paths ----


@pytest.mark.parametrize("version", VERSIONS)
def test_unknown_ca(version):
    peer = PyPeer(py_server_context("unknown", version=version), server_side=True)
    with tlshs_client() as hs:
        assert pump_py(hs, peer) == tlshs.CLOSED
        assert hs.error_code == tlshs.Code.E_VERIFY, hs.error
        assert hs.alert_sent == 48 and tlshs.alert_name(hs.alert_sent) == "unknown_ca"
        assert hs.verify_result == 20  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        assert hs.version is None
        assert "TLSV1_ALERT_UNKNOWN_CA" in str(peer.exc)
        assert hs.step() == tlshs.CLOSED  # sticky
        assert hs.error.startswith("certificate verify failed")


@pytest.mark.parametrize("version", VERSIONS)
def test_wrong_host_name(version):
    peer = PyPeer(py_server_context("wrongname", version=version), server_side=True)
    with tlshs_client() as hs:
        assert pump_py(hs, peer) == tlshs.CLOSED
        assert hs.error_code == tlshs.Code.E_VERIFY, hs.error
        assert hs.alert_sent == 42  # bad_certificate
        assert hs.verify_result == 62  # X509_V_ERR_HOSTNAME_MISMATCH
        assert "SSLV3_ALERT_BAD_CERTIFICATE" in str(peer.exc)


def test_ip_address_is_checked_as_address():
    peer = PyPeer(py_server_context(), server_side=True)
    with tlshs_client(server_name="127.0.0.1") as hs:
        assert pump_py(hs, peer) == tlshs.DONE
    peer = PyPeer(py_server_context(), server_side=True)
    with tlshs_client(server_name="127.0.0.2") as hs:
        assert pump_py(hs, peer) == tlshs.CLOSED
        assert hs.verify_result == 64  # X509_V_ERR_IP_ADDRESS_MISMATCH


def test_version_mismatch_client():
    peer = PyPeer(py_server_context(version="1.3"), server_side=True)
    with tlshs_client(max_version="1.2") as hs:
        assert pump_py(hs, peer) == tlshs.CLOSED
        assert hs.alert_received == 70  # protocol_version
        assert hs.error_code == tlshs.Code.E_ALERT and tlshs.alert_name(hs.alert_received) == "protocol_version"
        assert "UNSUPPORTED_PROTOCOL" in str(peer.exc)


def test_version_mismatch_server():
    peer = PyPeer(py_client_context(version="1.2"), server_side=False, server_hostname="localhost")
    with tlshs_server(min_version="1.3") as hs:
        assert pump_py(hs, peer) == tlshs.CLOSED
        assert hs.alert_sent == 70
        assert hs.error_code == tlshs.Code.E_PROTOCOL and hs.error, hs.error  # OpenSSL: "unsupported protocol"
        assert "TLSV1_ALERT_PROTOCOL_VERSION" in str(peer.exc)


@pytest.mark.parametrize("version,alert", [("1.2", 40), ("1.3", 116)])
def test_missing_client_certificate(version, alert):
    peer = PyPeer(py_client_context(version=version), server_side=False, server_hostname="localhost")
    with tlshs_server(verify="require", ca_file=cert("ca.pem")) as hs:
        assert pump_py(hs, peer) == tlshs.CLOSED
        assert hs.error_code == tlshs.Code.E_PROTOCOL and hs.error, hs.error  # OpenSSL: "peer did not return a certificate"
        assert hs.alert_sent == alert
        if version == "1.2":
            assert "SSLV3_ALERT_HANDSHAKE_FAILURE" in str(peer.exc)
        else:  # a TLS 1.3 client finishes first, then reads the alert
            assert peer.done
            with pytest.raises(ssl.SSLError, match="CERTIFICATE_REQUIRED"):
                peer.read_all()


def test_unknown_client_certificate():
    peer = PyPeer(py_client_context(version="1.2", client_cert="unknown-client"), server_side=False,
                  server_hostname="localhost")
    with tlshs_server(verify="require", ca_file=cert("ca.pem")) as hs:
        assert pump_py(hs, peer) == tlshs.CLOSED
        assert hs.alert_sent == 48
        assert hs.verify_result == 20
        assert hs.error.startswith("certificate verify failed")
        assert "TLSV1_ALERT_UNKNOWN_CA" in str(peer.exc)


def test_garbage_to_server_http_request():
    with tlshs_server() as hs:
        hs.feed(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert hs.step() == tlshs.CLOSED
        assert hs.error_code == tlshs.Code.E_PROTOCOL and hs.error, hs.error  # OpenSSL: "http request"
        assert hs.alert_sent is None
        assert hs.pending == 0


def test_garbage_to_server_bad_record():
    with tlshs_server() as hs:
        hs.feed(b"\x16\x03\x01\x00\x10" + b"\xff" * 16)
        assert hs.step() == tlshs.WANT_WRITE  # the alert goes out first
        assert hs.take() == b"\x15\x03\x03\x00\x02\x02\x0a"
        assert hs.step() == tlshs.CLOSED
        assert hs.error_code == tlshs.Code.E_PROTOCOL and hs.error, hs.error  # OpenSSL: "unexpected message"
        assert hs.alert_sent == 10  # unexpected_message


def test_garbage_to_client():
    with tlshs_client() as hs:
        assert hs.step() == tlshs.WANT_WRITE
        hs.take()
        hs.feed(b"this is not TLS at all\r\n")
        assert hs.step() == tlshs.CLOSED
        assert hs.error_code == tlshs.Code.E_PROTOCOL and hs.error, hs.error  # OpenSSL: "wrong version number"
        with pytest.raises(tlshs.StateError, match="closed"):
            hs.feed(b"more")


@pytest.mark.parametrize("side", ["client", "server"])
def test_eof_mid_handshake(side):
    if side == "client":
        peer = PyPeer(py_server_context(), server_side=True)
        hs = tlshs_client()
    else:
        peer = PyPeer(py_client_context(), server_side=False, server_hostname="localhost")
        hs = tlshs_server()
    with hs:
        # one flight each way, then the peer's stream ends
        for _ in range(2):
            hs.step()
            peer.feed(hs.take())
            peer.step()
            data = peer.take()
            hs.feed(data[: len(data) // 2])
        hs.feed_eof()
        # OpenSSL answers the EOF with a decode_error alert, which goes out
        # (WANT_WRITE) before CLOSED is reported (memory-mode rule 1)
        assert hs.step() == tlshs.WANT_WRITE
        assert hs.take()[-2:] == b"\x02\x32"
        assert hs.step() == tlshs.CLOSED
        assert hs.error_code == tlshs.Code.E_EOF, hs.error
        assert hs.error_code == tlshs.Code.E_EOF
        assert hs.alert_sent == 50
        assert hs.alert_received is None


def test_peer_alert_is_received():
    """CPython's server refuses our client certificate's absence (TLS 1.2)."""
    peer = PyPeer(py_server_context(version="1.2", client_cert=True), server_side=True)
    with tlshs_client() as hs:
        assert pump_py(hs, peer) == tlshs.CLOSED
        assert hs.alert_received == 40
        assert hs.error_code == tlshs.Code.E_ALERT and tlshs.alert_name(hs.alert_received) == "handshake_failure"
        assert tlshs.alert_name(hs.alert_received) == "handshake_failure"
