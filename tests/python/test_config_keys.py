"""Every configuration key through the Python binding, each with a
handshake that shows it took effect (tlshs against tlshs or CPython)."""

import shutil
import subprocess

import pytest

import tlshs
from conftest import OPENSSL35, PyPeer, cert, client_config, pump, pump_py, py_client_context, server_config, settle


def run(ccfg, scfg, server_name="localhost"):
    c = tlshs.Handshake(ccfg, server_name=server_name)
    s = tlshs.Handshake(scfg)
    results = pump(c, s)
    return results, c, s


def pem(name):
    with open(cert(name), encoding="ascii") as f:
        return f.read()


def test_pem_keys():
    (rc, rs), c, s = run(tlshs.Config("client", ca_pem=pem("ca.pem")),
                         tlshs.Config("server", cert_pem=pem("server.pem"), key_pem=pem("server.key")))
    assert (rc, rs) == (tlshs.DONE, tlshs.DONE)


def test_ca_path(tmp_path):
    shutil.copy(cert("ca.pem"), tmp_path)
    subprocess.run(["openssl", "rehash", str(tmp_path)], check=True, timeout=30)
    (rc, _), c, _ = run(tlshs.Config("client", ca_path=str(tmp_path)), server_config())
    assert rc == tlshs.DONE, c.error
    empty = tmp_path / "empty"
    empty.mkdir()
    (rc, _), c, _ = run(tlshs.Config("client", ca_path=str(empty)), server_config())
    assert rc == tlshs.CLOSED and c.verify_result == 20
    with pytest.raises(tlshs.ConfigError, match="^ca_path: .*No such file or directory"):
        tlshs.Config("client", ca_path=str(tmp_path / "nothing-here"))


def test_verify_none_accepts_any_certificate():
    (rc, _), c, _ = run(tlshs.Config("client", verify="none"), server_config("unknown"))
    assert rc == tlshs.DONE
    assert c.verify_result == 20  # verified, reported, not enforced


def test_ciphersuites():
    (rc, _), c, s = run(client_config(ciphersuites="TLS_AES_128_GCM_SHA256"), server_config())
    assert rc == tlshs.DONE and c.cipher == s.cipher == "TLS_AES_128_GCM_SHA256"


def test_ciphers_tls12():
    (rc, _), c, _ = run(client_config(max_version="1.2", ciphers="ECDHE-ECDSA-AES128-GCM-SHA256"),
                        server_config("server-ec"))
    assert rc == tlshs.DONE and c.cipher == "ECDHE-ECDSA-AES128-GCM-SHA256"
    assert c.version == "TLSv1.2"


def test_groups_without_overlap():
    (rc, rs), c, s = run(client_config(groups="P-256"), server_config(groups="P-384"))
    assert (rc, rs) == (tlshs.CLOSED, tlshs.CLOSED)
    assert s.error_code == tlshs.Code.E_PROTOCOL and s.error, s.error  # OpenSSL: "no suitable key share"
    assert s.alert_sent == 40
    assert c.error_code == tlshs.Code.E_ALERT and tlshs.alert_name(c.alert_received) == "handshake_failure"


def test_groups_with_overlap_via_hello_retry():
    c = tlshs.Handshake(client_config(groups="X25519:P-256"), server_name="localhost", trace=True)
    s = tlshs.Handshake(server_config(groups="P-256"))
    assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
    assert (False, "HelloRetryRequest") in [(e.sent, e.name) for e in c.trace]


def test_sigalgs_without_overlap():
    (rc, rs), c, s = run(client_config(sigalgs="rsa_pss_rsae_sha256"), server_config("server-ec"))
    assert (rc, rs) == (tlshs.CLOSED, tlshs.CLOSED)
    assert s.error_code == tlshs.Code.E_PROTOCOL and s.error, s.error  # OpenSSL: "no suitable signature algorithm"


def test_tickets_off_sends_no_ticket():
    c = tlshs.Handshake(client_config(), server_name="localhost", trace=True)
    s = tlshs.Handshake(server_config(tickets="off"))
    assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
    settle(c, s)
    assert "NewSessionTicket" not in [e.name for e in c.trace]
    assert c.session is None  # no ticket: nothing resumable in TLS 1.3


def test_keylog_file(tmp_path):
    log = tmp_path / "keys.log"
    (rc, _), c, _ = run(client_config(keylog_file=str(log)), server_config())
    assert rc == tlshs.DONE
    c.close()
    text = log.read_text()
    assert "CLIENT_HANDSHAKE_TRAFFIC_SECRET " in text and "SERVER_TRAFFIC_SECRET_0 " in text


def test_min_version_13_against_cpython_12():
    peer = PyPeer(py_client_context(version="1.2"), server_side=False, server_hostname="localhost")
    with tlshs.Handshake(server_config(min_version="1.3")) as hs:
        assert pump_py(hs, peer) == tlshs.CLOSED
        assert hs.alert_sent == 70


@pytest.mark.parametrize("keys,message", [
    (dict(ciphersuites="NOPE"), "ciphersuites: "),
    (dict(ciphers="NOPE"), "ciphers: "),
    (dict(groups="nope"), "groups: "),
    (dict(sigalgs="nope"), "sigalgs: "),
    (dict(alpn=""), "alpn: "),
    (dict(alpn="a,,b"), "alpn: "),
    (dict(cert_pem="junk"), "cert_pem: "),
    (dict(ca_pem="junk"), "ca_pem: "),
    (dict(keylog_file="/nonexistent/x"), "keylog_file: cannot open /nonexistent/x: No such file or directory"),
    (dict(verify="maybe"), "verify: "),
    (dict(tickets="yes"), "tickets: "),
])
def test_bad_values_name_the_key(keys, message):
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Config("client", **keys)
    assert str(e.value).startswith(message), str(e.value)


@pytest.mark.parametrize("keys", [dict(min_version="1.3", max_version="1.1"),
                                  dict(max_version="1.1", min_version="1.3")])
def test_version_keys_checked_at_first_handshake(keys):
    """Keys are checked against each other when the first handshake freezes
    the config, so their order never matters."""
    cfg = tlshs.Config("client", verify="none", **keys)
    with pytest.raises(tlshs.ConfigError, match="^max_version: 1.1 is below min_version 1.3"):
        tlshs.Handshake(cfg)
# ---- the same keys give the same config in every order ----

ORDERED_KEYS = [
    ("min_version", "1.0"), ("max_version", "1.1"),
]


@pytest.mark.parametrize("order", ["min first", "max first"])
def test_version_keys_in_either_order(order):
    """min_version 1.0 and max_version 1.1 are accepted at set time in
    both orders (the cross-key check is made once, at the first handshake,
    in C), and the config then behaves the same: this client offers TLS 1.1
    at most, which a server at the default floor of 1.2 refuses with
    protocol_version.  (Needs the core's order-independent check: branch
    core-config.)"""
    keys = ORDERED_KEYS if order == "min first" else ORDERED_KEYS[::-1]
    for level in (None, 0):
        cfg = tlshs.Config("client", ca_file=cert("ca.pem"))
        if level is not None:
            cfg.set("security_level", level)
        for key, value in keys:
            cfg.set(key, value)  # neither order fails here
        c = tlshs.Handshake(cfg, server_name="localhost", trace=True)
        s = tlshs.Handshake(server_config())
        assert pump(c, s) == (tlshs.CLOSED, tlshs.CLOSED)
        if OPENSSL35 and level is None:
            # 3.5 allows TLS 1.0/1.1 only at security level 0: the client
            # sends no ClientHello, only a protocol_version alert
            assert c.error_code == tlshs.Code.E_PROTOCOL and c.alert_sent == 70
            assert [e.name for e in c.trace if e.sent] == ["fatal:protocol_version"]
            assert s.error_code == tlshs.Code.E_PROTOCOL and s.alert_sent == 10  # unexpected_message
        else:  # the client offers TLS 1.1 at most, which the server refuses
            assert s.alert_sent == 70 and s.error_code == tlshs.Code.E_PROTOCOL  # protocol_version
            assert c.error_code == tlshs.Code.E_ALERT and c.alert_received == 70


def test_refused_version_range_is_refused_in_either_order():
    """A floor above the ceiling is refused whatever the order of the keys,
    with the same code: at the first handshake, as an incomplete config."""
    codes = set()
    for keys in (dict(min_version="1.3", max_version="1.2"), dict(max_version="1.2", min_version="1.3")):
        cfg = tlshs.Config("client", ca_file=cert("ca.pem"), **keys)
        with pytest.raises(tlshs.ConfigError) as e:
            tlshs.Handshake(cfg, server_name="localhost")
        codes.add(e.value.code)
        assert "min_version" in str(e.value) or "max_version" in str(e.value)
    assert codes == {tlshs.Code.E_INCOMPLETE}


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_psk_without_certificates(version):
    """A server with a pre-shared key and no certificate; a client with the
    same key and identity; another identity is refused."""
    key = "00112233445566778899aabbccddeeff"
    scfg = tlshs.Config("server", psk=key, psk_identity="device-7", max_version=version)
    good = tlshs.Config("client", verify="none", psk=key, psk_identity="device-7")
    other = tlshs.Config("client", verify="none", psk=key)  # Client_identity
    c, s = tlshs.Handshake(good), tlshs.Handshake(scfg)
    assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
    assert c.peer_cert is None
    assert ("PSK" in c.cipher) == (version == "1.2")
    c, s = tlshs.Handshake(other), tlshs.Handshake(scfg)
    assert pump(c, s) == (tlshs.CLOSED, tlshs.CLOSED)
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Config("client", psk="xyz")
    assert e.value.code == tlshs.Code.E_BAD_VALUE and str(e.value).startswith("psk: ")
