"""The hellos in Python (issue 9): Handshake.client_hello, ja3s, the IANA
name helpers, on_client_hello (go on, switch config, refuse), Event.data and
capture.  Peers are real: openssl s_client told what to offer, CPython's ssl,
and another tlshs; captures are read back by tshark."""

import gc
import hashlib
import os
import pathlib
import shutil
import socket
import ssl
import subprocess
import threading
import weakref

import pytest

import tlshs
from conftest import (TIMEOUT, PyPeer, cert, client_config, der, drive_fd, flows, pump, pump_py,
                      py_client_context, server_config)

SCSV = 0x00FF  # TLS_EMPTY_RENEGOTIATION_INFO_SCSV, which OpenSSL clients add


def client_args(*more, name="localhost"):
    return ["-CAfile", cert("ca.pem"), "-verify_return_error", "-ign_eof", *more]


def serve(listener, cfg, **opts):
    """Accepts one connection and runs a tlshs server handshake on it (fd
    mode) with opts (on_client_hello, trace...), then a greeting and
    close_notify if it completed; answers the handshake's facts."""
    opts.setdefault("trace", True)
    conn, _ = listener.accept()
    with conn:
        conn.setblocking(False)
        with tlshs.Handshake(cfg, sock=conn, **opts) as hs:
            r = drive_fd(hs.step, conn)
            facts = {"result": r, "hello": hs.client_hello, "error": hs.error,
                     "error_code": hs.error_code, "alert_sent": hs.alert_sent,
                     "hello_exception": hs.hello_exception, "ja3s": hs.ja3s,
                     "ja3s_hash": hs.ja3s_hash, "trace": hs.trace}
            if r == tlshs.DONE:
                assert drive_fd(lambda: hs.write(b"hello from tlshs\n"), conn)[0] == tlshs.DONE
                drive_fd(hs.shutdown, conn)
    return facts


def finish(proc):
    out, _ = proc.communicate(timeout=TIMEOUT)
    return out.decode(errors="replace")


def memory_pair(client_keys=None, server_name="localhost", **server_opts):
    c = tlshs.Handshake(client_config(**(client_keys or {})), server_name=server_name, trace=True)
    s = tlshs.Handshake(server_opts.pop("cfg", None) or server_config(), trace=True, **server_opts)
    return c, s


# ---- the ClientHello: fields match what s_client was told to offer ----

S_CLIENT_CASES = [
    # (s_client options, expected fields: exact values, or a callable check)
    (["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
      "-servername", "localhost"],
     {"ciphers": (0xC02F, 0xC030, SCSV), "versions": (), "key_shares": (), "server_name": "localhost"}),
    (["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256",
      "-servername", "localhost"],
     {"ciphers": lambda v: v[:2] == (0x1301, 0x1303) and all(c not in v for c in (0x1302,)),
      "versions": (0x0304,)}),
    (["-groups", "X25519:secp384r1", "-servername", "localhost"],
     {"groups": (29, 24), "key_shares": (29,)}),
    (["-groups", "secp384r1:X25519", "-servername", "localhost"],
     {"groups": (24, 29), "key_shares": (24,)}),
    (["-sigalgs", "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256", "-servername", "localhost"],
     {"sigalgs": (0x0403, 0x0804)}),
    (["-alpn", "h2,http/1.1", "-servername", "localhost"],
     {"alpn": ("h2", "http/1.1"), "extensions": lambda v: 16 in v}),
    (["-servername", "localhost"], {"alpn": (), "extensions": lambda v: 16 not in v and 0 in v}),
    (["-noservername"], {"server_name": None, "extensions": lambda v: 0 not in v}),
    (["-no_tls1_3", "-servername", "localhost"],
     {"versions": (), "legacy_version": 0x0303, "ciphers": lambda v: 0x1301 not in v}),
]


@pytest.mark.parametrize("opts,expect", S_CLIENT_CASES, ids=[" ".join(c[0][:2]) for c in S_CLIENT_CASES])
def test_client_hello_fields_from_s_client(listener, s_client, opts, expect):
    port = listener.getsockname()[1]
    verify = [] if "-noservername" in opts else ["-verify_hostname", "localhost"]
    proc = s_client(port, *client_args(*opts, *verify))
    seen = []
    facts = serve(listener, server_config(alpn="h2,http/1.1"), on_client_hello=seen.append)
    out = finish(proc)
    assert facts["result"] == tlshs.DONE, (facts["error"], out)
    assert "hello from tlshs" in out
    hello = facts["hello"]
    assert isinstance(hello, tlshs.ClientHello)
    assert seen == [hello]  # the callback saw the hello the handshake keeps
    for field, want in expect.items():
        got = getattr(hello, field)
        if callable(want):
            assert want(got), (field, got)
        else:
            assert got == want, (field, got)
    # the form of every field
    assert hello.legacy_version == 0x0303
    for field in ("versions", "ciphers", "extensions", "groups", "key_shares", "sigalgs", "alpn"):
        assert isinstance(getattr(hello, field), tuple), field
    assert hello.raw[0] == 1 and len(hello.raw) == 4 + int.from_bytes(hello.raw[1:4], "big")
    assert hello.ja3.startswith("771,") and hello.ja3_hash == hashlib.md5(hello.ja3.encode()).hexdigest()
    assert hello.ja4[:3] in ("t13", "t12") and hello.ja4.count("_") == 2
    # the trace's received ClientHello is the same bytes
    first = facts["trace"][0]
    assert (first.sent, first.name) == (False, "ClientHello") and first.data == hello.raw
    assert facts["ja3s"] and facts["ja3s_hash"] == hashlib.md5(facts["ja3s"].encode()).hexdigest()


def test_client_hello_of_cpython_ssl():
    """CPython's ssl client: the ciphers are the context's own list, in its
    order, SNI and ALPN as given."""
    ctx = py_client_context(alpn=["h2", "http/1.1"])
    ctx.set_ciphers("ECDHE+AESGCM")
    offered = [c["id"] & 0xFFFF for c in ctx.get_ciphers()]
    peer = PyPeer(ctx, server_side=False, server_hostname="localhost")
    with tlshs.Handshake(server_config(alpn="h2")) as hs:
        assert hs.client_hello is None
        assert pump_py(hs, peer) == tlshs.DONE
        hello = hs.client_hello
        assert hello.server_name == "localhost"
        assert hello.alpn == ("h2", "http/1.1")
        assert [c for c in hello.ciphers if c != SCSV] == offered
        assert hello.versions[0] == 0x0304 and 0x0303 in hello.versions
        assert hs.ja3s.startswith("771,")


def test_client_hello_on_both_sides():
    """A client's client_hello is the one it sent, the server's the one it
    received: the same bytes; ja3s the same on both sides."""
    c, s = memory_pair({"alpn": "h2"})
    with c, s:
        assert c.client_hello is None and c.ja3s is None
        c.step()
        sent = c.client_hello
        assert sent is not None and sent.server_name == "localhost" and sent.alpn == ("h2",)
        assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
        assert s.client_hello == c.client_hello == sent
        assert c.ja3s == s.ja3s and c.ja3s_hash == s.ja3s_hash
        # JA3S's cipher is the one chosen (TLS 1.3: OpenSSL's name is IANA's)
        assert tlshs.cipher_suite_name(int(c.ja3s.split(",")[1])) == c.cipher


def test_client_hello_after_hello_retry_request():
    """After a HelloRetryRequest, client_hello is the second ClientHello."""
    c, s = memory_pair({"groups": "X25519:secp384r1"}, cfg=server_config(groups="secp384r1"))
    with c, s:
        assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
        names = [e.name for e in c.trace if e.kind == "handshake"]
        assert "HelloRetryRequest" in names
        hellos = [e.data for e in c.trace if e.name == "ClientHello"]
        assert len(hellos) == 2
        assert c.client_hello.raw == hellos[1] == s.client_hello.raw
        assert c.client_hello.key_shares == (24,)


# ---- the IANA names ----

@pytest.mark.parametrize("fn,n,name", [
    (tlshs.cipher_suite_name, 0x1301, "TLS_AES_128_GCM_SHA256"),
    (tlshs.cipher_suite_name, 0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (tlshs.cipher_suite_name, 0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
    (tlshs.extension_name, 0, "server_name"),
    (tlshs.extension_name, 16, "application_layer_protocol_negotiation"),
    (tlshs.group_name, 29, "x25519"),
    (tlshs.group_name, 23, "secp256r1"),
    (tlshs.sigalg_name, 0x0804, "rsa_pss_rsae_sha256"),
    (tlshs.version_name, 0x0304, "TLSv1.3"),
    (tlshs.version_name, 0x0303, "TLSv1.2"),
    (tlshs.cipher_suite_name, 0x0A0A, "GREASE"),
    (tlshs.extension_name, 0xFAFA, "GREASE"),
    (tlshs.group_name, 0xBABA, "GREASE"),
    (tlshs.cipher_suite_name, 0xFFFE, None),
    (tlshs.group_name, 0x1234, None),
    (tlshs.version_name, 0x0299, None),
    (tlshs.extension_name, -1, None),
    (tlshs.sigalg_name, 0x10000, None),
    (tlshs.version_name, 2**80, None),
])
def test_names(fn, n, name):
    assert fn(n) == name


@pytest.mark.parametrize("fn", [tlshs.cipher_suite_name, tlshs.extension_name, tlshs.group_name,
                                tlshs.sigalg_name, tlshs.version_name])
@pytest.mark.parametrize("bad", ["29", 29.0, True, None])
def test_names_want_an_int(fn, bad):
    with pytest.raises(TypeError):
        fn(bad)


def test_names_of_a_real_hello():
    """Every cipher, extension, group and sigalg OpenSSL's default client
    offers has a name."""
    c, s = memory_pair()
    with c, s:
        c.step()
        h = c.client_hello
        assert all(tlshs.cipher_suite_name(x) for x in h.ciphers)
        assert all(tlshs.extension_name(x) for x in h.extensions)
        assert all(tlshs.group_name(x) for x in h.groups)
        assert all(tlshs.sigalg_name(x) for x in h.sigalgs)
        assert [tlshs.version_name(x) for x in h.versions] == ["TLSv1.3", "TLSv1.2"]


# ---- on_client_hello ----

@pytest.mark.parametrize("sni,name", [("localhost", "server"), ("wrong.example", "wrongname")])
def test_sni_picks_the_certificate_for_s_client(listener, s_client, sni, name):
    """The callback switches to wrongname.pem for wrong.example; s_client
    verifying that name accepts the one it gets."""
    port = listener.getsockname()[1]
    proc = s_client(port, *client_args("-servername", sni, "-verify_hostname", sni))
    others = {"wrong.example": server_config("wrongname")}
    facts = serve(listener, server_config(), on_client_hello=lambda h: others.get(h.server_name))
    out = finish(proc)
    assert facts["result"] == tlshs.DONE, (facts["error"], out)
    assert "Verify return code: 0 (ok)" in out
    assert f"CN = {sni}" in out
    assert "hello from tlshs" in out


@pytest.mark.parametrize("sni,name", [("localhost", "server"), ("wrong.example", "wrongname")])
def test_sni_picks_the_certificate_for_a_verifying_client(sni, name):
    others = {"wrong.example": server_config("wrongname", alpn="h2")}
    c, s = memory_pair({"alpn": "h2"}, server_name=sni,
                       on_client_hello=lambda h: others.get(h.server_name))
    with c, s:
        assert pump(c, s) == (tlshs.DONE, tlshs.DONE), (c.error, s.error)
        assert c.verify_result == 0
        assert c.peer_cert == der(name + ".pem")
        # the switched config's ALPN list applies
        assert c.alpn == ("h2" if name == "wrongname" else None)


def test_without_switch_the_wrong_name_fails():
    """The control: without the callback, a client asking for wrong.example
    gets server.pem and fails to verify it."""
    c, s = memory_pair(server_name="wrong.example")
    with c, s:
        assert pump(c, s)[0] == tlshs.CLOSED
        assert c.error_code == tlshs.Code.E_VERIFY


@pytest.mark.parametrize("answer,code", [("unrecognized_name", 112), ("handshake_failure", 40),
                                         ("access_denied", 49), (112, 112), (40, 40), (86, 86)])
def test_refusal_reaches_s_client(listener, s_client, answer, code):
    port = listener.getsockname()[1]
    proc = s_client(port, *client_args("-servername", "localhost"))
    facts = serve(listener, server_config(), on_client_hello=lambda h: answer)
    out = finish(proc)
    assert facts["result"] == tlshs.CLOSED
    assert facts["error_code"] == tlshs.Code.E_REFUSED
    assert facts["alert_sent"] == code
    assert facts["hello_exception"] is None
    assert f"SSL alert number {code}" in out
    assert facts["trace"][-1].kind == "alert" and facts["trace"][-1].data == bytes([2, code])


def test_exception_refuses_with_internal_error(listener, s_client):
    port = listener.getsockname()[1]
    proc = s_client(port, *client_args("-servername", "localhost"))
    raised = []

    def fn(hello):
        raised.append(LookupError(f"no tenant for {hello.server_name}"))
        raise raised[0]

    facts = serve(listener, server_config(), on_client_hello=fn)
    out = finish(proc)
    assert facts["result"] == tlshs.CLOSED
    assert facts["error_code"] == tlshs.Code.E_REFUSED
    assert facts["alert_sent"] == 80
    assert "no tenant for localhost" in facts["error"] and "LookupError" in facts["error"]
    assert facts["hello_exception"] is raised[0]
    assert facts["hello_exception"].__traceback__ is not None
    assert "SSL alert number 80" in out


@pytest.mark.parametrize("answer,exc", [
    ("no_such_alert", ValueError),
    ("close_notify", ValueError),
    (0, ValueError),
    (256, ValueError),
    (-1, ValueError),
    (2**70, ValueError),
    (True, TypeError),
    (b"handshake_failure", TypeError),
    (object(), TypeError),
    ("wrong_role", tlshs.ArgumentError),
])
def test_bad_answers_refuse_with_internal_error(answer, exc):
    if answer == "wrong_role":
        answer = client_config()  # a client config cannot answer a ClientHello
    c, s = memory_pair(on_client_hello=lambda h: answer)
    with c, s:
        assert pump(c, s) == (tlshs.CLOSED, tlshs.CLOSED)
        assert s.error_code == tlshs.Code.E_REFUSED and s.alert_sent == 80
        assert c.alert_received == 80
        assert type(s.hello_exception) is exc
        if exc is tlshs.ArgumentError:
            assert s.hello_exception.code == tlshs.Code.E_ARGUMENT
        assert str(s.hello_exception) in s.error


def test_switch_to_an_incomplete_config_refuses():
    c, s = memory_pair(on_client_hello=lambda h: tlshs.Config("server"))
    with c, s:
        assert pump(c, s) == (tlshs.CLOSED, tlshs.CLOSED)
        assert s.hello_exception.code == tlshs.Code.E_INCOMPLETE
        assert s.alert_sent == 80


def test_a_refused_switch_is_no_refusal_of_the_step():
    """use_config, refused inside on_client_hello, leaves its usage code in
    the core; the step that ran the callback still answers its result (the
    refusal is the callback's exception), and the next refused call raises
    its own reason."""
    c, s = memory_pair(on_client_hello=lambda h: tlshs.Config("server"))
    with c, s:
        c.step()
        s.feed(c.take())
        assert s.step() == tlshs.WANT_WRITE  # the alert
        assert s.hello_exception.code == tlshs.Code.E_INCOMPLETE
        c.feed(s.take())
        assert s.step() == tlshs.CLOSED and s.alert_sent == 80
        with pytest.raises(tlshs.StateError, match="^key_update: ") as e:
            s.key_update()
        assert e.value.code == tlshs.Code.E_STATE


def test_callback_may_read_but_not_drive():
    """Inside the callback the handshake's reading calls work (the guard is
    the callback's thread's); driving or closing it raises StateError (and
    so refuses).  Nothing deadlocks."""
    seen = {}

    def fn(hello):
        seen["hello"] = s.client_hello == hello
        seen["role"] = s.role
        seen["result"] = s.result
        seen["pending"] = s.pending
        seen["trace"] = [e.name for e in s.trace]
        seen["error"] = s.error
        seen["config"] = s.config is cfg
        for call in (s.step, s.close, lambda: s.feed(b"x"), s.take, s.read, s.renegotiate):
            with pytest.raises(tlshs.StateError) as e:
                call()
            assert e.value.code == tlshs.Code.E_STATE
        seen["closed"] = s.closed

    cfg = server_config()
    c, s = memory_pair(cfg=cfg, on_client_hello=fn)
    with c, s:
        assert pump(c, s) == (tlshs.DONE, tlshs.DONE), s.error
        assert seen == {"hello": True, "role": "server", "result": tlshs.WANT_READ, "pending": 0,
                        "trace": ["ClientHello"], "error": "", "config": True, "closed": False}
        assert s.hello_exception is None


def test_callback_from_another_thread_waits():
    """While the callback runs, another thread's call on the handshake waits
    for the step to end (the guard), then runs."""
    entered, release = threading.Event(), threading.Event()
    results = []

    def fn(hello):
        entered.set()
        release.wait(TIMEOUT)

    c, s = memory_pair(on_client_hello=fn)
    with c, s:
        c.step()
        s.feed(c.take())
        stepper = threading.Thread(target=lambda: results.append(s.step()))
        stepper.start()
        assert entered.wait(TIMEOUT)
        reader = threading.Thread(target=lambda: results.append(s.client_hello.server_name))
        reader.start()
        for _ in range(1000):
            if s._waiting:
                break
            threading.Event().wait(0.005)
        assert s._waiting == 1  # the reader waits for the step
        release.set()
        stepper.join(TIMEOUT)
        reader.join(TIMEOUT)
        assert results == [tlshs.WANT_WRITE, "localhost"]


def test_keyboard_interrupt_is_raised_again():
    def fn(hello):
        raise KeyboardInterrupt

    c, s = memory_pair(on_client_hello=fn)
    with c, s:
        c.step()
        s.feed(c.take())
        with pytest.raises(KeyboardInterrupt):
            s.step()
        assert isinstance(s.hello_exception, KeyboardInterrupt)
        assert s.step() == tlshs.WANT_WRITE  # the alert, then CLOSED: no second raise
        c.feed(s.take())
        assert s.step() == tlshs.CLOSED and c.step() == tlshs.CLOSED
        assert s.error_code == tlshs.Code.E_REFUSED and "KeyboardInterrupt" in s.error
        assert c.alert_received == 80


def test_callback_cycle_is_freed():
    """hs -> fn -> hs: close() breaks it at once; unclosed, the collector
    frees it."""
    gc.collect()
    gc.disable()
    try:
        for close in (True, False):
            hs = tlshs.Handshake(server_config())
            hs._set_hello_cb(lambda h, hs=hs: hs.server_name)
            ref = weakref.ref(hs)
            if close:
                hs.close()
            del hs
            if close:
                assert ref() is None  # no collector needed
            else:
                assert ref() is not None  # the cycle keeps it
                gc.collect()
                assert ref() is None
    finally:
        gc.enable()


def test_exception_cycle_is_freed():
    """The kept exception's traceback holds the frame that holds hs."""
    def run():
        c, s = memory_pair(on_client_hello=lambda h: 1 / 0)
        pump(c, s)
        c.close()
        assert isinstance(s.hello_exception, ZeroDivisionError)
        return weakref.ref(s)

    ref = run()
    gc.collect()
    assert ref() is None


def test_on_client_hello_arguments():
    with pytest.raises(TypeError, match="on_client_hello must be callable"):
        tlshs.Handshake(server_config(), on_client_hello="unrecognized_name")
    with pytest.raises(tlshs.StateError) as e:
        tlshs.Handshake(client_config(), server_name="localhost", on_client_hello=lambda h: None)
    assert e.value.code == tlshs.Code.E_STATE
    # after the first step it is refused
    with tlshs.Handshake(server_config()) as s:
        s.step()
        with pytest.raises(tlshs.StateError):
            s._set_hello_cb(lambda h: None)
        s.close()
        with pytest.raises(tlshs.StateError):
            s.hello_exception


def test_callback_runs_once_per_client_hello_with_hrr():
    seen = []
    c, s = memory_pair({"groups": "X25519:secp384r1"}, cfg=server_config(groups="secp384r1"),
                       on_client_hello=seen.append)
    with c, s:
        assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
        assert [h.key_shares for h in seen] == [(29,), (24,)]


# ---- Event.data ----

@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_event_data_on_every_event(version):
    c, s = memory_pair({"max_version": version})
    with c, s:
        assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
        for hs in (c, s):
            assert hs.trace
            for ev in hs.trace:
                assert isinstance(ev.data, bytes) and len(ev.data) == ev.length, ev
                if ev.kind == "handshake":
                    assert len(ev.data) == 4 + int.from_bytes(ev.data[1:4], "big")
                elif ev.kind == "change_cipher_spec":
                    assert ev.data == b"\x01"
        # what one side sent is what the other received
        sent = [e.data for e in c.trace if e.sent and e.kind == "handshake"]
        got = [e.data for e in s.trace if not e.sent and e.kind == "handshake"]
        assert sent == got
        assert c.trace[0].data == c.client_hello.raw


def test_event_data_of_an_alert():
    c, s = memory_pair(server_name="wrong.example")
    with c, s:
        pump(c, s)
        alerts = [e for e in c.trace if e.kind == "alert"]
        assert alerts and alerts[-1].data == bytes([2, 42]) and alerts[-1].name == "fatal:bad_certificate"


# ---- capture ----

TSHARK = shutil.which("tshark")


def tshark(path, *args):
    """tshark on a capture, with no key log file: the secrets are in the file."""
    assert TSHARK, "tshark is missing (Debian package tshark)"
    proc = subprocess.run([TSHARK, "-r", str(path), "-o", "tls.keylog_file:", *args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                          env=dict(os.environ, HOME=str(pathlib.Path(path).parent)))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout.decode(errors="replace")


def handshake_types(path):
    out = tshark(path, "-Y", "tls.handshake", "-T", "fields", "-e", "tls.handshake.type")
    return [int(t) for line in out.split() for t in line.split(",") if t]


def trace_types(hs):
    return [e.data[0] for e in hs.trace if e.kind == "handshake"]


@pytest.mark.parametrize("version", ["1.2", "1.3"])
@pytest.mark.parametrize("side", ["client", "server"])
@pytest.mark.parametrize("kind", [str, bytes, pathlib.Path])
def test_capture_in_memory(tmp_path, version, side, kind):
    path = tmp_path / f"{side}.pcapng"
    cap = {side: kind(os.fsencode(path)) if kind is bytes else kind(path)}
    c = tlshs.Handshake(client_config(max_version=version), server_name="localhost", trace=True,
                        capture=cap.get("client"))
    s = tlshs.Handshake(server_config(), trace=True, capture=cap.get("server"))
    with c, s:
        assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
        assert flows(c, s, b"GET /secret-words HTTP/1.0\r\n\r\n")  # the client takes the tickets in too
        me = c if side == "client" else s
        # complete after every call: read before close
        assert handshake_types(path) == trace_types(me)
        follow = tshark(path, "-q", "-z", "follow,tls,ascii,0")
        assert "GET /secret-words" in follow


def test_capture_in_fd_mode_against_s_server(tmp_path, s_server):
    port = s_server("-cert", cert("server.pem"), "-key", cert("server.key"), "-www")
    path = tmp_path / "fd.pcapng"
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.setblocking(False)
        with tlshs.Handshake(client_config(), server_name="localhost", sock=sock, trace=True,
                             capture=path) as hs:
            assert drive_fd(hs.step, sock) == tlshs.DONE
            assert drive_fd(lambda: hs.write(b"GET / HTTP/1.0\r\n\r\n"), sock)[0] == tlshs.DONE
            for _ in range(100):
                r, _ = drive_fd(hs.read, sock)
                if r == tlshs.CLOSED:
                    break
            assert handshake_types(path) == trace_types(hs)
    assert "GET / HTTP/1.0" in tshark(path, "-q", "-z", "follow,tls,ascii,0")


def test_capture_of_a_failed_handshake_shows_the_alert(tmp_path):
    path = tmp_path / "fail.pcapng"
    c = tlshs.Handshake(client_config(), server_name="localhost")
    s = tlshs.Handshake(server_config(), capture=path, on_client_hello=lambda h: "access_denied")
    with c, s:
        assert pump(c, s) == (tlshs.CLOSED, tlshs.CLOSED)
    out = tshark(path, "-Y", "tls.alert_message", "-T", "fields", "-e", "tls.alert_message.desc")
    assert out.split() == ["49"]


def test_capture_arguments(tmp_path):
    with pytest.raises(TypeError, match="capture must be"):
        tlshs.Handshake(server_config(), capture=3)
    with pytest.raises(tlshs.ArgumentError) as e:
        tlshs.Handshake(server_config(), capture=str(tmp_path / "no" / "such" / "dir.pcapng"))
    assert e.value.code == tlshs.Code.E_ARGUMENT
    with pytest.raises(ValueError):
        tlshs.Handshake(server_config(), capture=str(tmp_path / "nul\0name"))


def test_names_that_are_not_utf8_read_as_surrogate_escapes():
    """A hand-edited ClientHello (a real one with bytes of its SNI and ALPN
    replaced): the names read as os.fsdecode would, raw keeps the bytes."""
    c = tlshs.Handshake(client_config(alpn="qqqq", verify="none"), server_name="zzzzzz.example")
    s = tlshs.Handshake(server_config())
    with c, s:
        c.step()
        flight = c.take()
        assert flight.count(b"zzzzzz") == 1 and flight.count(b"qqqq") == 1
        flight = flight.replace(b"zzzzzz", b"\xffzz\xfezz").replace(b"qqqq", b"q\x80qq")
        s.feed(flight)
        s.step()
        hello = s.client_hello
        assert hello is not None
        assert hello.server_name == "\udcffzz\udcfezz.example"
        assert os.fsencode(hello.server_name) == b"\xffzz\xfezz.example"
        assert hello.alpn == ("q\udc80qq",)
        assert b"\xffzz\xfezz.example" in hello.raw
