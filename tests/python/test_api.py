"""The Python surface of CONTRACT.md: names, types, errors, lifetimes,
threads.  Handshakes here run tlshs against tlshs in memory."""

import array
import enum
import gc
import inspect
import os
import pydoc
import re
import socket
import threading
import weakref

import pytest

import tlshs
from conftest import ROOT, cert, client_config, pump, server_config
from tlshs import _tlshs as _c

# ---- names ----


def test_result_is_an_intenum_with_the_c_values():
    assert issubclass(tlshs.Result, enum.IntEnum)
    assert [(m.name, m.value) for m in tlshs.Result] == [
        ("WANT_READ", 1), ("WANT_WRITE", 2), ("DONE", 3), ("CLOSED", 4)]
    # built from the C list: every value 1..TLSHS_RESULT_MAX, named by C
    assert len(tlshs.Result) == _c.TLSHS_RESULT_MAX
    for m in tlshs.Result:
        assert _c.tlshs_result_name(m) == m.name
        assert getattr(_c, "TLSHS_" + m.name) == m.value
        assert getattr(tlshs, m.name) is m and m.name in tlshs.__all__
    assert tlshs.WANT_READ is tlshs.Result.WANT_READ
    assert tlshs.WANT_WRITE is tlshs.Result.WANT_WRITE
    assert tlshs.DONE is tlshs.Result.DONE
    assert tlshs.CLOSED is tlshs.Result.CLOSED
    assert tlshs.DONE == 3


def test_error_hierarchy():
    assert issubclass(tlshs.Error, Exception)
    assert issubclass(tlshs.ConfigError, tlshs.Error)
    assert issubclass(tlshs.ConfigError, ValueError)
    for cls in (tlshs.StateError, tlshs.SessionError, tlshs.ArgumentError):
        assert issubclass(cls, tlshs.Error)
    assert issubclass(tlshs.ArgumentError, ValueError)
    assert not issubclass(tlshs.StateError, ValueError)


def test_code_is_the_c_table():
    """tlshs.Code has one member per TLSHS_OK / TLSHS_E_* constant of the C
    layer, with the C value, name and description."""
    consts = {n[len("TLSHS_"):]: getattr(_c, n) for n in dir(_c)
              if n == "TLSHS_OK" or n.startswith("TLSHS_E_")}
    assert {m.name: m.value for m in tlshs.Code} == consts
    assert len(consts) >= 17
    assert issubclass(tlshs.Code, enum.IntEnum)
    assert tlshs.Code.OK == 0
    for m in tlshs.Code:
        assert m.code_name == _c.tlshs_code_name(m) != "unknown"
        assert m.description == _c.tlshs_code_description(m) != ""
    assert tlshs.Code.E_VERIFY.code_name == "verify_failed"
    assert tlshs.Code.E_SESSION.code_name == "bad_session"


@pytest.mark.parametrize("code,cls", [
    ("E_ARGUMENT", tlshs.ArgumentError), ("E_STATE", tlshs.StateError),
    ("E_SESSION", tlshs.SessionError), ("E_NOMEM", tlshs.Error),
    ("E_UNKNOWN_KEY", tlshs.ConfigError), ("E_BAD_VALUE", tlshs.ConfigError),
    ("E_FILE", tlshs.ConfigError), ("E_IN_USE", tlshs.ConfigError),
    ("E_INCOMPLETE", tlshs.ConfigError)])
def test_each_raised_code_has_its_class(code, cls):
    """The C layer raises the class of the code (the table the package hands
    it at import), with the code on the exception."""
    from tlshs._errors import CLASSES
    value = tlshs.Code[code]
    assert CLASSES[value] is cls
    e = cls("why", value)
    assert (e.code, e.code_name, str(e)) == (value, value.code_name, "why")
    assert isinstance(e.code, tlshs.Code)


def test_error_without_a_code_takes_its_class_default():
    assert tlshs.StateError("x").code == tlshs.Code.E_STATE
    assert tlshs.SessionError("x").code == tlshs.Code.E_SESSION
    assert tlshs.ConfigError("x").code == tlshs.Code.E_BAD_VALUE
    assert tlshs.ArgumentError("x").code_name == "bad_argument"


def test_event_fields():
    ev = tlshs.Event(True, "handshake", "ClientHello", 10)
    assert (ev.sent, ev.kind, ev.name, ev.length) == (True, "handshake", "ClientHello", 10)
    assert tlshs.Event._fields == ("sent", "kind", "name", "length", "data")
    assert ev.data == b""  # made by hand; the trace always fills it
    assert tlshs.Event(False, "alert", "fatal:unknown_ca", 2, b"\x02\x30").data == b"\x02\x30"


def test_every_public_name_has_a_docstring():
    for name in tlshs.__all__:
        obj = getattr(tlshs, name)
        if isinstance(obj, (str, enum.Enum)):
            continue
        assert inspect.getdoc(obj), name
        assert getattr(obj, "__module__", "tlshs") == "tlshs", name
    for cls in (tlshs.Config, tlshs.Handshake, tlshs.Error, tlshs.Code):
        for name in dir(cls):  # inherited from the C handles too
            if name.startswith("_") or (cls is tlshs.Code and name in tlshs.Code.__members__):
                continue
            owner = next(k for k in cls.__mro__ if name in vars(k))
            if not owner.__module__.startswith("tlshs"):
                continue  # Exception's, int's, enum's own
            member = inspect.getattr_static(cls, name)
            if isinstance(member, (int, str)):
                continue
            doc = getattr(member, "__doc__", None)
            assert doc and doc.strip(), f"{cls.__name__}.{name}"
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
    with open(os.path.join(ROOT, "csrc", "tlshs.h"), encoding="utf-8") as f:
        header = f.read()
    string = re.search(r'#define TLSHS_VERSION_STRING "([^"]+)"', header).group(1)
    number = int(re.search(r"#define TLSHS_VERSION_NUMBER (\d+)", header).group(1))
    assert tlshs.__version__ == string
    major, minor, patch = map(int, string.split("."))
    assert number == major * 10000 + minor * 100 + patch


# ---- Config ----


def test_config_unknown_key():
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Config("client", colour="blue")
    assert "colour" in str(e.value)
    assert isinstance(e.value, ValueError)
    assert e.value.code == tlshs.Code.E_UNKNOWN_KEY and e.value.code_name == "unknown_key"


def test_config_bad_value_names_the_key():
    with pytest.raises(tlshs.ConfigError, match="verify") as e:
        tlshs.Config("client", verify="sometimes")
    assert e.value.code == tlshs.Code.E_BAD_VALUE
    with pytest.raises(tlshs.ConfigError, match="min_version"):
        tlshs.Config("client", min_version="9.9")
    with pytest.raises(tlshs.ConfigError, match="tickets"):
        tlshs.Config("server", tickets="maybe")


def test_config_missing_file_message():
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Config("client", ca_file="/nonexistent/ca.pem")
    assert e.value.code == tlshs.Code.E_FILE
    msg = str(e.value)
    assert msg.startswith("ca_file: ")
    assert "/nonexistent/ca.pem" in msg
    assert "No such file or directory" in msg


def test_config_types():
    with pytest.raises(TypeError):
        tlshs.Config(1)
    with pytest.raises(TypeError, match="^tickets must be a bool or 'on'/'off', not int$"):
        tlshs.Config("client", tickets=0)
    with pytest.raises(TypeError, match="^min_version must be a str, not float$"):
        tlshs.Config("client", min_version=1.3)
    with pytest.raises(TypeError, match="^alpn must be a str or a list of str, not bytes$"):
        tlshs.Config("client", alpn=b"h2")  # bytes only for the path and PEM keys
    with pytest.raises(TypeError, match="^ca_file must be a str, bytes or os.PathLike, not int$"):
        tlshs.Config("client", ca_file=3)
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Config("peer")
    assert e.value.code == tlshs.Code.E_BAD_VALUE
    with pytest.raises(tlshs.ArgumentError, match="^alpn: embedded null character$"):
        tlshs.Config("client", alpn="h2\0x")
    with pytest.raises(tlshs.ArgumentError, match="^ca_file: embedded null character$"):
        tlshs.Config("client", ca_file=b"/x\0y")


def test_config_accepts_paths(tmp_path):
    import pathlib
    cfg = tlshs.Config("client", ca_file=pathlib.Path(cert("ca.pem")))
    assert cfg.role == "client"
    cfg.close()


def test_config_read_only_once_in_use():
    cfg = client_config()
    cfg.set("alpn", "h2")
    hs = tlshs.Handshake(cfg, server_name="localhost")
    with pytest.raises(tlshs.ConfigError, match="in use") as e:
        cfg.set("alpn", "http/1.1")
    assert e.value.code == tlshs.Code.E_IN_USE
    hs.close()
    cfg.close()


def test_config_close_twice_and_use_after_close():
    cfg = client_config()
    cfg.close()
    cfg.close()
    assert cfg.closed
    assert repr(cfg) == "<tlshs.Config closed>"
    for call in (lambda: cfg.set("alpn", "h2"), lambda: cfg.role,
                 lambda: tlshs.Handshake(cfg, server_name="localhost")):
        with pytest.raises(tlshs.StateError, match="^the config is closed$") as e:
            call()
        assert e.value.code == tlshs.Code.E_STATE
    with client_config() as cfg2:
        assert not cfg2.closed
    assert cfg2.closed


def test_server_without_certificate_is_a_config_error():
    cfg = tlshs.Config("server")
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Handshake(cfg)
    assert e.value.code == tlshs.Code.E_INCOMPLETE
    assert "certificate" in str(e.value)
    cfg.close()


def test_verifying_client_needs_a_server_name():
    cfg = client_config()
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Handshake(cfg)
    assert e.value.code == tlshs.Code.E_INCOMPLETE
    assert "server_name" in str(e.value)
    # verify=none may go without
    with tlshs.Handshake(tlshs.Config("client", verify="none")) as hs:
        assert hs.step() == tlshs.WANT_WRITE


def test_key_not_matching_certificate():
    cfg = tlshs.Config("server", cert_file=cert("server.pem"), key_file=cert("client.key"))
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Handshake(cfg)
    assert e.value.code == tlshs.Code.E_INCOMPLETE  # the keys together cannot make a handshake
    assert str(e.value).startswith("key_file: ")


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
    assert c.error_code == s.error_code == tlshs.Code.OK
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
    assert s.error_code == tlshs.Code.E_CLOSE_NOTIFY
    # the server has the client's close_notify: its own goes out (WANT_WRITE
    # while pending, rule 1), then both are exchanged
    assert s.shutdown() == tlshs.WANT_WRITE
    c.feed(s.take())
    assert s.shutdown() == tlshs.CLOSED
    assert c.shutdown() == tlshs.CLOSED
    assert c.error_code == tlshs.Code.E_SHUTDOWN


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
    with pytest.raises(tlshs.StateError) as e:
        c.feed(b"late")
    assert e.value.code == tlshs.Code.E_STATE
    # OpenSSL 3 answers an unexpected EOF with a decode_error alert, which
    # goes out (WANT_WRITE) before CLOSED is reported
    assert c.step() == tlshs.WANT_WRITE
    assert c.take() == bytes([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 50])
    assert c.step() == tlshs.CLOSED
    assert c.error_code == tlshs.Code.E_EOF, c.error
    assert c.error_code == tlshs.Code.E_EOF
    assert c.alert_sent == 50
    with pytest.raises(tlshs.StateError, match="closed") as e:
        c.feed(b"x")
    assert e.value.code == tlshs.Code.E_STATE


def test_set_session_garbage():
    cfg = client_config()
    with pytest.raises(tlshs.SessionError) as e:
        tlshs.Handshake(cfg, server_name="localhost", session=b"\x30\x03garbage")
    assert e.value.code == tlshs.Code.E_SESSION
    assert str(e.value).startswith("set_session: ")


def test_session_on_server_is_refused():
    with pytest.raises(tlshs.StateError) as e:
        tlshs.Handshake(server_config(), session=b"\x30\x00")
    assert e.value.code == tlshs.Code.E_STATE


def test_close_twice_and_use_after_close(pair):
    c, _ = pair
    c.close()
    c.close()
    assert c.closed
    assert "closed" in repr(c)
    for call in (c.step, c.feed_eof, c.take, c.read, c.shutdown, lambda: c.feed(b"x"),
                 lambda: c.write(b"x")):
        with pytest.raises(tlshs.StateError, match="^the handshake is closed$") as e:
            call()
        assert e.value.code == tlshs.Code.E_STATE
    for prop in ("pending", "result", "error", "error_code", "alert_sent", "alert_received",
                 "version", "cipher", "alpn", "server_name", "resumed", "verify_result",
                 "peer_cert", "session", "trace", "handshake_done", "config", "sock", "role"):
        with pytest.raises(tlshs.StateError, match="^the handshake is closed$"):
            getattr(c, prop)


def test_context_manager_closes():
    with tlshs.Handshake(client_config(), server_name="localhost") as hs:
        assert not hs.closed
        assert repr(hs) == "<tlshs.Handshake client memory WANT_READ>"
    assert hs.closed
    with pytest.raises(tlshs.StateError):
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
    with pytest.raises(tlshs.StateError) as e:
        hs.feed(b"x")  # fd mode
    assert e.value.code == tlshs.Code.E_STATE
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
    with pytest.raises(tlshs.ArgumentError) as e:  # fileno() is -1 now
        tlshs.Handshake(client_config(), server_name="localhost", sock=a)
    assert e.value.code == tlshs.Code.E_ARGUMENT


def test_unclosed_handshake_is_freed_by_gc():
    hs = tlshs.Handshake(client_config(), server_name="localhost")
    ref = weakref.ref(hs)
    hs.step()
    del hs
    gc.collect()
    assert ref() is None


# ---- stubs ----


def test_stubs_match_the_package(tmp_path):
    """The .pyi stubs describe every public name, with the right kinds and
    signatures (mypy's stubtest; python3-mypy)."""
    import os
    import subprocess
    import sys
    pytest.importorskip("mypy.stubtest")
    pkg_dir = os.path.dirname(os.path.dirname(os.path.abspath(tlshs.__file__)))
    env = dict(os.environ, PYTHONPATH=pkg_dir, MYPYPATH=pkg_dir, MYPY_CACHE_DIR=str(tmp_path / "cache"))
    # The private modules are checked through the public package (their
    # dynamic enums cannot be stubs of themselves); _tlshs against _tlshs.pyi.
    allow = tmp_path / "allowlist"
    allow.write_text("tlshs\\._(results|errors|config|handshake|records|drive|hello)\\..*\n")
    proc = subprocess.run([sys.executable, "-m", "mypy.stubtest", "--allowlist", str(allow), "tlshs"],
                          cwd=tmp_path, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    assert proc.returncode == 0, proc.stdout.decode(errors="replace")


def test_openssl_versions():
    """The OpenSSL tlshs runs on is the one this process loaded (CPython's
    ssl reads the same library), of the major and minor version it was
    built for (else the import would have failed)."""
    import ssl
    assert tlshs.OPENSSL_VERSION == ssl.OPENSSL_VERSION
    assert tlshs._tlshs.tlshs_openssl_mismatch() is None
    major_minor = [v.split(".")[:2] for v in (tlshs.OPENSSL_VERSION.split()[1], tlshs.OPENSSL_BUILT_VERSION.split()[1])]
    assert tlshs.OPENSSL_BUILT_VERSION.startswith("OpenSSL 3.") and major_minor[0] == major_minor[1]


def test_import_after_another_openssl(tmp_path):
    """A process that loaded another OpenSSL 3 first (CPython's ssl, linked
    to Debian's 3.0) may import tlshs only if tlshs was built for that minor
    version: built for 3.5 (make test-openssl35), the import raises
    ImportError naming both versions instead of running tlshs on 3.0."""
    import subprocess
    import sys
    code = "import ssl, tlshs; print('loaded', tlshs.OPENSSL_VERSION)"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    out = proc.stdout.decode(errors="replace")
    if tlshs.OPENSSL_BUILT_VERSION.startswith("OpenSSL 3.0."):
        assert proc.returncode == 0, out
        assert "loaded OpenSSL 3.0." in out
    else:
        assert proc.returncode != 0, out
        assert "ImportError" in out and f"tlshs was built for {tlshs.OPENSSL_BUILT_VERSION}" in out, out
        assert "but runs on OpenSSL 3.0." in out, out


def test_cli_version():
    """tlshs --version names the package and both OpenSSL versions."""
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-m", "tlshs", "--version"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    out = proc.stdout.decode()
    assert proc.returncode == 0, out
    assert out.strip() == (f"tlshs {tlshs.__version__}, built for {tlshs.OPENSSL_BUILT_VERSION}, "
                           f"running on {tlshs.OPENSSL_VERSION}")
