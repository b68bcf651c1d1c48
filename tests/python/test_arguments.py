"""What reaches a user when an argument is wrong: our message, never SWIG's
("in method 'tlshs_config_set', argument 3 of type 'char const *'"); and
file names that are not UTF-8 work (defect 9)."""

import inspect
import os
import pathlib
import re
import shutil

import pytest

import tlshs
from conftest import cert, pump, server_config
from tlshs import _tlshs as _c

SWIG_WORDS = re.compile(r"in method '|argument \d+ of type|expected \d+ arguments|SwigPyObject")

# Values of every kind but the right one; each call below is tried with each.
WRONG = [None, True, 1, 2**70, -1, 1.5, "text", "nul\0in", "\udcff", b"bytes", b"\xff\0",
         bytearray(b"x"), object(), [1], {"k": "v"}, tlshs.Code.OK]


def check_message(exc):
    assert isinstance(exc, (TypeError, ValueError, OverflowError, tlshs.Error)), repr(exc)
    assert not SWIG_WORDS.search(str(exc)), f"SWIG's message reached the user: {exc}"


def attempt(call, *args):
    try:
        call(*args)
    except BaseException as e:  # noqa: B902 - every kind is checked
        check_message(e)


def public_calls(cfg, hs):
    """(name, callable taking one argument) for every public entry point."""
    return [
        ("Config(role)", lambda v: tlshs.Config(v)),
        ("Config(key=)", lambda v: tlshs.Config("client", alpn=v)),
        ("Config(path key=)", lambda v: tlshs.Config("client", ca_file=v)),
        ("Config.set(key)", lambda v: cfg.set(v, "x")),
        ("Config.set(value)", lambda v: cfg.set("alpn", v)),
        ("Config.set(path)", lambda v: cfg.set("keylog_file", v)),
        ("Handshake(cfg)", lambda v: tlshs.Handshake(v)),
        ("Handshake(server_name)", lambda v: tlshs.Handshake(cfg, server_name=v)),
        ("Handshake(sock)", lambda v: tlshs.Handshake(cfg, server_name="x", sock=v)),
        ("Handshake(session)", lambda v: tlshs.Handshake(cfg, server_name="x", session=v)),
        ("Handshake(trace)", lambda v: tlshs.Handshake(cfg, server_name="x", trace=v)),
        ("feed", hs.feed),
        ("take", hs.take),
        ("read", hs.read),
        ("write", hs.write),
        ("alert_name", tlshs.alert_name),
        ("Code", tlshs.Code),
        ("Error", lambda v: tlshs.Error("x", v)),
    ]


def test_wrong_types_to_every_public_call_get_our_message():
    cfg = tlshs.Config("client", ca_file=cert("ca.pem"))
    hs = tlshs.Handshake(cfg, server_name="localhost")
    tried = 0
    for name, call in public_calls(cfg, hs):
        for value in WRONG:
            attempt(call, value)
            tried += 1
    # and the calls without arguments given one
    for name in ("step", "feed_eof", "shutdown", "close", "__enter__"):
        with pytest.raises(TypeError) as e:
            getattr(hs, name)(1)
        check_message(e.value)
    assert tried == 18 * len(WRONG)
    hs.close()


def test_wrong_types_to_every_c_function_get_our_message(tmp_path, monkeypatch):
    """Every function SWIG wraps, each argument in turn given each wrong
    value (the others right): the typemaps of bindings/tlshs.i answer.
    (In a scratch directory: some "wrong" values are valid file names.)"""
    monkeypatch.chdir(tmp_path)
    cfg = tlshs.Config("client", verify="none")
    hs = tlshs.Handshake(cfg)
    right = {"cfg": cfg, "hs": hs, "key": "alpn", "value": "h2", "der": b"", "on": 0, "code": 0,
             "r": 1, "i": 0, "cap": 0, "role": 0, "name": "client", "path": "/nonexistent/x.pcapng",
             "cb": None, "arg": None, "why": "x", "version": 0x0304, "suite": 0x1301, "type": 0,
             "group": 29, "scheme": 0x0804, "request_peer": 0, "buf": b"x", "kind": 0,
             "peer": b"x"}
    funcs = [(n, f) for n, f in vars(_c).items() if n.startswith("tlshs_") and callable(f)]
    assert len(funcs) >= 25
    for name, func in funcs:
        params = _params(name)
        for i, param in enumerate(params):
            for value in WRONG:
                args = [right[p] for p in params]
                args[i] = value
                attempt(func, *args)
    hs.close()


def _params(name):
    """The parameter names of a C layer function, from _tlshs.pyi."""
    stub = pathlib.Path(inspect.getfile(_c)).with_name("_tlshs.pyi").read_text()
    m = re.search(rf"^def {name}\((.*?)\)", stub, re.M)
    assert m, name
    return re.findall(r"(\w+)\s*:", m.group(1))


# ---- defect 9: path names that are not UTF-8 ----


@pytest.fixture
def odd_dir(tmp_path):
    """A directory holding the test PKI under names that are not UTF-8, as
    os.listdir(bytes) answers them."""
    base = os.fsencode(tmp_path) + b"/d\xff\xfe"
    os.mkdir(base)
    for src, dst in (("ca.pem", b"ca-\xff.pem"), ("server.pem", b"srv-\xe9.pem"),
                     ("server.key", b"srv-\xe9.key")):
        shutil.copy(cert(src), base + b"/" + dst)
    return base


def test_path_keys_take_names_that_are_not_utf8(odd_dir):
    names = sorted(os.listdir(odd_dir))
    assert names == [b"ca-\xff.pem", b"srv-\xe9.key", b"srv-\xe9.pem"]
    ca = odd_dir + b"/" + names[0]
    # bytes as listdir gives them, str with surrogate escapes, and a Path
    for value in (ca, os.fsdecode(ca), pathlib.Path(os.fsdecode(ca))):
        ccfg = tlshs.Config("client", ca_file=value, keylog_file=odd_dir + b"/keys-\xff.log")
        scfg = tlshs.Config("server", cert_file=odd_dir + b"/" + names[2], key_file=os.fsdecode(odd_dir + b"/" + names[1]))
        with tlshs.Handshake(ccfg, server_name="localhost") as c, tlshs.Handshake(scfg) as s:
            assert pump(c, s) == (tlshs.DONE, tlshs.DONE), (c.error, s.error)
    assert os.path.getsize(odd_dir + b"/keys-\xff.log") > 0


def test_ca_path_that_is_not_utf8(odd_dir):
    import subprocess
    subprocess.run(["openssl", "rehash", odd_dir], check=True, timeout=30)
    with tlshs.Handshake(tlshs.Config("client", ca_path=odd_dir), server_name="localhost") as c, \
            tlshs.Handshake(server_config()) as s:
        assert pump(c, s) == (tlshs.DONE, tlshs.DONE), c.error


def test_missing_file_with_a_name_that_is_not_utf8():
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Config("client", ca_file=b"/nonexistent/\xff.pem")
    assert e.value.code == tlshs.Code.E_FILE
    assert str(e.value).startswith("ca_file: ") and "\\xff" in str(e.value)
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Config("client", ca_file="/nonexistent/\udcff.pem")  # the same name as a str
    assert e.value.code == tlshs.Code.E_FILE and "\\xff" in str(e.value)


# ---- a value C cannot take names its key (issue 15) ----

@pytest.mark.parametrize("key,value", [("alpn", "h2\0x"), ("ca_pem", "-----BEGIN\0"), ("ca_file", b"/x\0y"),
                                       ("keylog_file", "/tmp/k\0l"), ("verify", "peer\0")])
def test_nul_in_a_config_value_names_the_key(key, value):
    for call in (lambda: tlshs.Config("client", **{key: value}),
                 lambda: tlshs.Config("client").set(key, value)):
        with pytest.raises(tlshs.ArgumentError) as e:
            call()
        assert str(e.value) == f"{key}: embedded null character"
        assert e.value.code == tlshs.Code.E_ARGUMENT and isinstance(e.value, ValueError)


@pytest.mark.parametrize("key,value", [("alpn", "h2,\ud800"), ("ca_file", "/x/\ud800.pem"), ("verify", "\udfff")])
def test_unencodable_config_value_names_the_key(key, value):
    """A lone surrogate that is no surrogate escape (those stand for bytes of
    a file name, see above) cannot reach C: the error says which key."""
    with pytest.raises(tlshs.ArgumentError) as e:
        tlshs.Config("client", **{key: value})
    assert str(e.value).startswith(f"{key}: ") and "surrogates not allowed" in str(e.value), str(e.value)
    assert e.value.code == tlshs.Code.E_ARGUMENT
    assert isinstance(e.value.__cause__, UnicodeEncodeError)


@pytest.mark.parametrize("name", ["\ud800", "host.\udcff.example"])
def test_unencodable_server_name_is_a_tlshs_error(name):
    cfg = tlshs.Config("client", verify="none")
    with pytest.raises(tlshs.ArgumentError) as e:
        tlshs.Handshake(cfg, server_name=name)
    assert str(e.value).startswith("server_name: ") and "surrogates not allowed" in str(e.value), str(e.value)
    assert e.value.code == tlshs.Code.E_ARGUMENT
    assert isinstance(e.value.__cause__, UnicodeEncodeError)
    with pytest.raises(tlshs.ArgumentError, match="^server_name: embedded null character$"):
        tlshs.Handshake(cfg, server_name="local\0host")
    with tlshs.Handshake(cfg, server_name="localhost") as hs:  # the config is still usable
        assert hs.server_name == "localhost"
