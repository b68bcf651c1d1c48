"""The Python surface of CONTRACT.md: names, types, errors, lifetimes,
threads.  Handshakes here run tlshs against tlshs in memory."""

import array
import enum
import gc
import inspect
import pydoc
import socket
import threading
import weakref

import pytest

import tlshs
from conftest import ROOT, cert, client_config, pump, server_config

# ---- names ----


def test_result_is_an_intenum_with_the_c_values():
    assert issubclass(tlshs.Result, enum.IntEnum)
    assert [(m.name, m.value) for m in tlshs.Result] == [
        ("WANT_READ", 1), ("WANT_WRITE", 2), ("DONE", 3), ("CLOSED", 4)]
    assert tlshs.WANT_READ is tlshs.Result.WANT_READ
    assert tlshs.WANT_WRITE is tlshs.Result.WANT_WRITE
    assert tlshs.DONE is tlshs.Result.DONE
    assert tlshs.CLOSED is tlshs.Result.CLOSED
    assert tlshs.DONE == 3


def test_error_hierarchy():
    assert issubclass(tlshs.Error, Exception)
    assert issubclass(tlshs.ConfigError, tlshs.Error)
    assert issubclass(tlshs.ConfigError, ValueError)


def test_event_fields():
    ev = tlshs.Event(True, "handshake", "ClientHello", 10)
    assert (ev.sent, ev.kind, ev.name, ev.length) == (True, "handshake", "ClientHello", 10)
    assert tlshs.Event._fields == ("sent", "kind", "name", "length")


def test_every_public_name_has_a_docstring():
    for name in tlshs.__all__:
        obj = getattr(tlshs, name)
        if isinstance(obj, (str, enum.Enum)):
            continue
        assert inspect.getdoc(obj), name
    for cls in (tlshs.Config, tlshs.Handshake):
        for name, member in vars(cls).items():
            if name.startswith("_"):
                continue
            assert inspect.getdoc(member), f"{cls.__name__}.{name}"
    text = pydoc.render_doc(tlshs.Handshake, renderer=pydoc.plaintext)
    for word in ("step", "feed", "take", "server_name", "WANT_WRITE", "session", "trace"):
        assert word in text


def test_alert_name():
    assert tlshs.alert_name(48) == "unknown_ca"
    assert tlshs.alert_name(40) == "handshake_failure"
    assert tlshs.alert_name(0) == "close_notify"
    assert tlshs.alert_name(999) == "unknown"
    with pytest.raises(TypeError):
        tlshs.alert_name("48")


def test_version_string():
    assert tlshs.__version__.count(".") == 2


# ---- Config ----


def test_config_unknown_key():
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Config("client", colour="blue")
    assert "colour" in str(e.value)
    assert isinstance(e.value, ValueError)


def test_config_bad_value_names_the_key():
    with pytest.raises(tlshs.ConfigError, match="verify"):
        tlshs.Config("client", verify="sometimes")
    with pytest.raises(tlshs.ConfigError, match="min_version"):
        tlshs.Config("client", min_version="9.9")
    with pytest.raises(tlshs.ConfigError, match="tickets"):
        tlshs.Config("server", tickets="maybe")


def test_config_missing_file_message():
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Config("client", ca_file="/nonexistent/ca.pem")
    msg = str(e.value)
    assert msg.startswith("ca_file: ")
    assert "/nonexistent/ca.pem" in msg
    assert "No such file or directory" in msg


def test_config_types():
    with pytest.raises(TypeError):
        tlshs.Config(1)
    with pytest.raises(TypeError):
        tlshs.Config("client", tickets=False)
    with pytest.raises(TypeError):
        tlshs.Config("client", min_version=1.3)
    with pytest.raises(TypeError):
        tlshs.Config("client", ca_file=b"/x")
    with pytest.raises(tlshs.ConfigError):
        tlshs.Config("peer")
    with pytest.raises(ValueError):
        tlshs.Config("client", alpn="h2\0x")


def test_config_accepts_paths(tmp_path):
    import pathlib
    cfg = tlshs.Config("client", ca_file=pathlib.Path(cert("ca.pem")))
    assert cfg.role == "client"
    cfg.close()


def test_config_read_only_once_in_use():
    cfg = client_config()
    cfg.set("alpn", "h2")
    hs = tlshs.Handshake(cfg, server_name="localhost")
    with pytest.raises(tlshs.ConfigError, match="in use"):
        cfg.set("alpn", "http/1.1")
    hs.close()
    cfg.close()


def test_config_close_twice_and_use_after_close():
    cfg = client_config()
    cfg.close()
    cfg.close()
    assert cfg.closed
    with pytest.raises(tlshs.Error):
        cfg.set("alpn", "h2")
    with pytest.raises(tlshs.Error):
        cfg.role
    with pytest.raises(tlshs.Error):
        tlshs.Handshake(cfg, server_name="localhost")
    with client_config() as cfg2:
        assert not cfg2.closed
    assert cfg2.closed


def test_server_without_certificate_is_a_config_error():
    cfg = tlshs.Config("server")
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Handshake(cfg)
    assert str(e.value)
    cfg.close()


def test_verifying_client_needs_a_server_name():
    cfg = client_config()
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Handshake(cfg)
    assert str(e.value)
    # verify=none may go without
    with tlshs.Handshake(tlshs.Config("client", verify="none")) as hs:
        assert hs.step() == tlshs.WANT_WRITE


def test_key_not_matching_certificate():
    cfg = tlshs.Config("server", cert_file=cert("server.pem"), key_file=cert("client.key"))
    with pytest.raises(tlshs.ConfigError):
        tlshs.Handshake(cfg)


# ---- Handshake: types ----


@pytest.fixture
def pair():
    ccfg, scfg = client_config(), server_config()
    c = tlshs.Handshake(ccfg, server_name="localhost", trace=True)
    s = tlshs.Handshake(scfg, trace=True)
    yield c, s
    c.close()
    s.close()


def test_wrong_argument_types(pair):
    c, _ = pair
    cfg = client_config()
    with pytest.raises(TypeError):
        tlshs.Handshake("not a config")
    with pytest.raises(TypeError):
        tlshs.Handshake(cfg, server_name=b"localhost")
    with pytest.raises(TypeError):
        tlshs.Handshake(cfg, server_name="localhost", sock=object())
    with pytest.raises(TypeError):
        tlshs.Handshake(cfg, server_name="localhost", session="text")
    with pytest.raises(TypeError):
        tlshs.Handshake(cfg, server_name="localhost", trace="yes")
    with pytest.raises(TypeError):
        c.feed("text")
    with pytest.raises(TypeError):
        c.feed(12)
    with pytest.raises(TypeError):
        c.feed(None)
    with pytest.raises(TypeError):
        c.take("1")
    with pytest.raises(TypeError):
        c.read(1.5)
    with pytest.raises(ValueError):
        c.read(0)
    with pytest.raises(TypeError):
        c.write("text")
    with pytest.raises(TypeError):
        c.write(None)


def test_handshake_in_memory_with_trace(pair):
    c, s = pair
    assert c.result == tlshs.WANT_READ  # before the first call
    assert c.version is None and c.cipher is None
    assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
    assert c.result == tlshs.DONE
    assert c.handshake_done and s.handshake_done
    assert c.version == s.version == "TLSv1.3"
    assert c.cipher == s.cipher
    assert c.error == s.error == ""
    assert c.alert_sent is None and c.alert_received is None
    assert c.verify_result == 0
    assert c.server_name == "localhost" and s.server_name == "localhost"
    assert c.peer_cert and s.peer_cert is None
    assert not c.resumed
    assert c.role == "client" and s.role == "server"
    ct = c.trace
    assert all(isinstance(e, tlshs.Event) for e in ct)
    assert ct[0].sent is True and ct[0].kind == "handshake" and ct[0].name == "ClientHello"
    assert ct[0].length > 4
    names = [(e.sent, e.name) for e in ct]
    assert (False, "ServerHello") in names and (False, "Finished") in names
    assert (True, "Finished") in names
    st = s.trace
    assert (st[0].sent, st[0].name) == (False, "ClientHello")
    assert st[0].length == ct[0].length
    # sticky
    assert c.step() == tlshs.DONE and s.step() == tlshs.DONE


def test_trace_off_is_empty():
    with tlshs.Handshake(client_config(), server_name="localhost") as hs:
        hs.step()
        assert hs.trace == []


def test_application_data_and_shutdown(pair):
    c, s = pair
    pump(c, s)
    assert c.write(b"ping") == (tlshs.DONE, 4)
    s.feed(c.take())
    r, data = s.read(10**12)  # no terabyte allocated: one read is one record
    assert (r, data) == (tlshs.DONE, b"ping")
    assert s.read() == (tlshs.WANT_READ, b"")
    assert s.write(bytearray(b"pong!")) == (tlshs.DONE, 5)
    c.feed(s.take())
    # the client first meets the server's tickets, then the data
    for _ in range(10):
        r, data = c.read()
        if data:
            break
    assert (r, data) == (tlshs.DONE, b"pong!")
    assert c.write(b"") == (tlshs.DONE, 0)
    # close_notify both ways
    assert c.shutdown() == tlshs.WANT_WRITE
    s.feed(c.take())
    assert c.shutdown() == tlshs.WANT_READ
    assert s.read() == (tlshs.CLOSED, b"")
    r = s.shutdown()
    assert r in (tlshs.WANT_WRITE, tlshs.CLOSED)
    c.feed(s.take())
    assert c.shutdown() == tlshs.CLOSED


def test_shutdown_before_done_closes_at_once():
    with tlshs.Handshake(client_config(), server_name="localhost") as hs:
        hs.step()
        hs.take()
        assert hs.shutdown() == tlshs.CLOSED
        assert hs.pending == 0


def test_bytes_like_inputs(pair):
    c, s = pair
    assert c.step() == tlshs.WANT_WRITE
    hello = c.take()
    s.feed(memoryview(hello)[:5])
    s.feed(bytearray(hello[5:20]))
    s.feed(array.array("B", hello[20:]))
    assert s.step() == tlshs.WANT_WRITE
    assert pump(c, s) == (tlshs.DONE, tlshs.DONE)


def test_take_sizes(pair):
    c, _ = pair
    assert c.take() == b""
    assert c.step() == tlshs.WANT_WRITE
    total = c.pending
    assert total > 10
    assert c.take(0) == b""
    first = c.take(3)
    assert len(first) == 3 and c.pending == total - 3
    rest = c.take(10**9)
    assert len(rest) == total - 3 and c.pending == 0
    assert first[0] == 0x16  # a handshake record


def test_read_before_done_continues_the_handshake():
    with tlshs.Handshake(client_config(), server_name="localhost") as hs:
        assert hs.read() == (tlshs.WANT_WRITE, b"")
        assert hs.pending > 0


def test_misuse_raises_error(pair):
    c, _ = pair
    c.step()
    c.take()
    c.feed_eof()
    c.feed_eof()  # harmless twice
    with pytest.raises(tlshs.Error):
        c.feed(b"late")
    # OpenSSL 3 answers an unexpected EOF with a decode_error alert, which
    # goes out (WANT_WRITE) before CLOSED is reported
    assert c.step() == tlshs.WANT_WRITE
    assert c.take() == bytes([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 50])
    assert c.step() == tlshs.CLOSED
    assert c.error == "peer closed the connection during the handshake"
    assert c.alert_sent == 50
    with pytest.raises(tlshs.Error, match="closed"):
        c.feed(b"x")


def test_set_session_garbage():
    cfg = client_config()
    with pytest.raises(tlshs.Error) as e:
        tlshs.Handshake(cfg, server_name="localhost", session=b"\x30\x03garbage")
    assert not isinstance(e.value, TypeError)
    assert str(e.value)


def test_session_on_server_is_refused():
    with pytest.raises(tlshs.Error):
        tlshs.Handshake(server_config(), session=b"\x30\x00")


def test_close_twice_and_use_after_close(pair):
    c, _ = pair
    c.close()
    c.close()
    assert c.closed
    assert "closed" in repr(c)
    for call in (c.step, c.feed_eof, c.take, c.read, c.shutdown, lambda: c.feed(b"x"),
                 lambda: c.write(b"x")):
        with pytest.raises(tlshs.Error):
            call()
    for prop in ("pending", "result", "error", "alert_sent", "alert_received", "version",
                 "cipher", "alpn", "server_name", "resumed", "verify_result", "peer_cert",
                 "session", "trace", "handshake_done", "config", "sock", "role"):
        with pytest.raises(tlshs.Error):
            getattr(c, prop)


def test_context_manager_closes():
    with tlshs.Handshake(client_config(), server_name="localhost") as hs:
        assert not hs.closed
        assert repr(hs) == "<tlshs.Handshake client memory WANT_READ>"
    assert hs.closed
    with pytest.raises(tlshs.Error):
        hs.step()


def test_handshake_keeps_its_config_alive():
    cfg = client_config()
    ref = weakref.ref(cfg)
    hs = tlshs.Handshake(cfg, server_name="localhost")
    del cfg
    gc.collect()
    assert ref() is not None
    assert hs.config is ref()
    hs.close()
    gc.collect()
    assert ref() is None


def test_handshake_outlives_closed_config():
    ccfg, scfg = client_config(), server_config()
    c = tlshs.Handshake(ccfg, server_name="localhost")
    s = tlshs.Handshake(scfg)
    ccfg.close()
    scfg.close()
    assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
    c.close()
    s.close()


class FilenoOnly:
    def __init__(self, sock):
        self._sock = sock

    def fileno(self):
        return self._sock.fileno()


def test_sock_is_any_object_with_fileno_and_kept_alive():
    a, b = socket.socketpair()
    holder = FilenoOnly(a)
    ref = weakref.ref(holder)
    hs = tlshs.Handshake(client_config(), server_name="localhost", sock=holder)
    del holder
    gc.collect()
    assert ref() is not None and hs.sock is ref()
    assert repr(hs).startswith("<tlshs.Handshake client fd")
    assert hs.step() == tlshs.WANT_READ  # ClientHello went into the socket
    b.settimeout(5)
    assert b.recv(5)[0] == 0x16
    assert hs.pending == 0
    with pytest.raises(tlshs.Error):
        hs.feed(b"x")  # fd mode
    hs.close()
    gc.collect()
    assert ref() is None
    assert a.fileno() != -1  # close() does not close the socket
    a.close()
    b.close()


def test_closed_socket_is_refused():
    a, b = socket.socketpair()
    a.close()
    b.close()
    with pytest.raises(tlshs.Error):
        tlshs.Handshake(client_config(), server_name="localhost", sock=a)


def test_unclosed_handshake_is_freed_by_gc():
    hs = tlshs.Handshake(client_config(), server_name="localhost")
    ref = weakref.ref(hs)
    hs.step()
    del hs
    gc.collect()
    assert ref() is None


# ---- threads ----


def test_gil_released_only_around_the_working_calls():
    """The SWIG wrapper made by `make python` drops the GIL in tlshs_step,
    tlshs_read, tlshs_write and tlshs_shutdown, and nowhere else."""
    import os
    import re
    path = os.path.join(ROOT, "build", "python", "tlshs_wrap.c")
    if not os.path.exists(path):
        pytest.skip("build/python/tlshs_wrap.c not built (make python)")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    bodies = dict(re.findall(r"SWIGINTERN PyObject \*_wrap_(tlshs_\w+)\(.*?\{(.*?)\n\}\n", text, re.S))
    assert len(bodies) > 30
    nogil = {name for name, body in bodies.items() if "Py_BEGIN_ALLOW_THREADS" in body}
    assert nogil == {"tlshs_step", "tlshs_read", "tlshs_write", "tlshs_shutdown"}
    for name in nogil:  # the call itself sits between the two macros
        body = bodies[name]
        start, end = body.index("Py_BEGIN_ALLOW_THREADS"), body.index("Py_END_ALLOW_THREADS")
        assert f"{name}(arg1" in body[start:end]


def test_threads_on_one_object_serialise_and_never_crash():
    ccfg, scfg = client_config(), server_config()
    errors = []
    for _ in range(5):
        c = tlshs.Handshake(ccfg, server_name="localhost")
        s = tlshs.Handshake(scfg)
        stop = threading.Event()

        def hammer(hs=c):
            try:
                while not stop.is_set():
                    try:
                        hs.step()
                        hs.pending
                        hs.take(7)
                        hs.read(10)
                        hs.error
                        hs.trace
                    except tlshs.Error:
                        pass  # closed under our feet: expected
            except BaseException as e:  # anything else is a failure
                errors.append(e)

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for t in threads:
            t.start()
        stop_after = threading.Timer(0.2, c.close)
        stop_after.start()
        stop_after.join(5)
        stop.set()
        for t in threads:
            t.join(5)
            assert not t.is_alive()
        s.close()
    assert errors == []


def test_handshakes_in_parallel_threads():
    ccfg, scfg = client_config(), server_config()
    results = []

    def one():
        for _ in range(10):
            with tlshs.Handshake(ccfg, server_name="localhost") as c, tlshs.Handshake(scfg) as s:
                results.append(pump(c, s))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
        assert not t.is_alive()
    assert results == [(tlshs.DONE, tlshs.DONE)] * 40


def test_stubs_match_the_package(tmp_path):
    """The .pyi stubs describe every public name, with the right kinds and
    signatures (mypy's stubtest; python3-mypy)."""
    import os
    import subprocess
    import sys
    pytest.importorskip("mypy.stubtest")
    pkg_dir = os.path.dirname(os.path.dirname(os.path.abspath(tlshs.__file__)))
    env = dict(os.environ, PYTHONPATH=pkg_dir, MYPYPATH=pkg_dir, MYPY_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-m", "mypy.stubtest", "tlshs"], cwd=tmp_path, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    assert proc.returncode == 0, proc.stdout.decode(errors="replace")
