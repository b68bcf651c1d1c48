"""The key table (issue 15): tlshs.config_keys() from the C table, the value
rule each key's kind decides (CONTRACT Part 3), the roles a key belongs to,
and Config.check().  The keys of each kind are read from the table, so a
key added in C is tested here without a change."""

import os
import pathlib

import pytest

import tlshs
from conftest import cert, client_config, pump, server_config, settle
from tlshs import _tlshs as _c

KINDS = ("text", "path", "pem", "switch", "number", "list")
KEYS = tlshs.config_keys()


def of_kind(kind):
    keys = [k for k in KEYS if k.kind == kind]
    assert keys, f"no key of kind {kind}"
    return keys


def role_of(key):
    """A role that uses the key, and one that does not (or None)."""
    other = [r for r in ("client", "server") if r not in key.roles]
    return key.roles[0], (other[0] if other else None)


def refused_type(key, value):
    with pytest.raises(TypeError) as e:
        tlshs.Config(role_of(key)[0], **{key.name: value})
    assert str(e.value).startswith(key.name + ": ") or str(e.value).startswith(key.name + " must be "), str(e.value)
    return str(e.value)


def refused_value(key, value, code=tlshs.Code.E_BAD_VALUE):
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Config(role_of(key)[0], **{key.name: value})
    assert e.value.code == code and str(e.value).startswith(key.name + ": "), str(e.value)
    return str(e.value)


# ---- config_keys() is the C table ----

def test_config_keys_is_the_c_table():
    assert isinstance(KEYS, tuple) and len(KEYS) == _c.tlshs_config_key_count() > 0
    assert tlshs.config_keys() is KEYS
    assert len({k.name for k in KEYS}) == len(KEYS)
    for i, k in enumerate(KEYS):
        assert isinstance(k, tlshs.KeyInfo) and k._fields == ("name", "kind", "roles", "metavar", "default", "help")
        name, kind, roles, metavar, default, help_text = _c.tlshs_config_key(i)
        assert _c.tlshs_config_key_find(k.name) == _c.tlshs_config_key(i)
        assert (k.name, k.metavar, k.default, k.help) == (name, metavar, default, help_text)
        assert k.kind == _c.tlshs_key_kind_name(kind) and k.kind in KINDS
        assert k.roles == tuple(_c.tlshs_role_name(r) for r in (_c.TLSHS_CLIENT, _c.TLSHS_SERVER) if roles >> r & 1)
        assert k.roles in (("client", "server"), ("client",), ("server",)), k
        assert k.metavar and k.help and (k.default is None or k.default)
    assert _c.tlshs_config_key(len(KEYS)) is None and _c.tlshs_config_key_find("nope") is None


def test_kinds_and_roles_of_some_keys_as_the_contract_names_them():
    by_name = {k.name: k for k in KEYS}
    assert by_name["ca_file"].kind == "path" and by_name["ca_pem"].kind == "pem"
    assert by_name["tickets"].kind == "switch" and by_name["num_tickets"].kind == "number"
    assert by_name["alpn"].kind == "list" and by_name["verify"].kind == "text"
    assert by_name["self_signed"].roles == ("server",) and by_name["status_request"].roles == ("client",)


@pytest.mark.parametrize("key", [k for k in KEYS if len(k.roles) == 1], ids=lambda k: k.name)
def test_a_key_of_the_other_role_is_refused(key):
    mine, other = role_of(key)
    with pytest.raises(tlshs.ConfigError) as e:
        tlshs.Config(other, **{key.name: "x"})
    assert str(e.value) == f"{key.name}: only a {mine} uses this key"
    assert e.value.code == tlshs.Code.E_BAD_VALUE


@pytest.mark.parametrize("value", ["x", 1, None, True, [1], b"x"])
def test_an_unknown_key_reaches_c_whatever_its_value(value):
    for call in (lambda: tlshs.Config("client", nope=value), lambda: tlshs.Config("server").set("nope", value)):
        with pytest.raises(tlshs.ConfigError) as e:
            call()
        assert str(e.value) == "nope: unknown key" and e.value.code == tlshs.Code.E_UNKNOWN_KEY


# ---- the value rule, by kind ----

@pytest.mark.parametrize("key", of_kind("switch"), ids=lambda k: k.name)
def test_switch_takes_a_bool_or_on_off(key):
    role = role_of(key)[0]
    for value in (True, False, "on", "off"):
        tlshs.Config(role, **{key.name: value}).close()
        with tlshs.Config(role) as cfg:
            cfg.set(key.name, value)
    for value in (1, 0, 1.0, None, b"on", ["on"]):
        assert "a bool or 'on'/'off'" in refused_type(key, value)
    refused_value(key, "yes")
    refused_value(key, "True")


@pytest.mark.parametrize("key", of_kind("number"), ids=lambda k: k.name)
def test_number_takes_an_int_or_its_decimal_string(key):
    role = role_of(key)[0]
    good = next(n for n in (0, 1, 512) if _accepted(role, key.name, str(n)))
    for value in (good, str(good)):
        tlshs.Config(role, **{key.name: value}).close()
    for value in (True, False, 1.5, float(good), None, b"1", [good]):
        assert "an int or its decimal str" in refused_type(key, value)
    for value in ("1.5", "many", -1, 2**70):
        refused_value(key, value)


def _accepted(role, key, value):
    try:
        tlshs.Config(role, **{key: value}).close()
    except tlshs.ConfigError:
        return False
    return True


# good items for each list key: a new list key needs its own here
LIST_ITEMS = {"alpn": ["h2", "http/1.1"], "extensions": ["65280:cafe", "65300:"]}


@pytest.mark.parametrize("key", of_kind("list"), ids=lambda k: k.name)
def test_list_takes_a_string_or_a_list_of_strings(key):
    role = role_of(key)[0]
    items = LIST_ITEMS[key.name]
    for value in (",".join(items), items, tuple(items), items[:1]):
        tlshs.Config(role, **{key.name: value}).close()
    assert "item 1 is empty" in refused_value(key, [items[0], ""])
    assert "item 0 'a,b' contains ','" in refused_value(key, ["a,b"])
    with pytest.raises(TypeError, match=f"^{key.name}: item 1 must be a str, not int$"):
        tlshs.Config(role, **{key.name: [items[0], 1]})
    for value in (b"h2", 5, None, True, {items[0]}, iter(items)):
        assert "a str or a list of str" in refused_type(key, value)


@pytest.mark.parametrize("key", of_kind("path"), ids=lambda k: k.name)
def test_path_takes_str_bytes_or_pathlike(key, tmp_path):
    for value in (3, True, None, ["x"], 1.5):
        assert "a str, bytes or os.PathLike" in refused_type(key, value)
    # each form reaches C as the same name: a file that is not there
    missing = tmp_path / "no-dir" / "not-here"
    messages = {refused_value(key, form, code=tlshs.Code.E_FILE)
                for form in (str(missing), os.fsencode(missing), missing)}
    assert len(messages) == 1 and str(missing) in messages.pop()


def test_path_forms_take_effect(tmp_path):
    for form in (cert("ca.pem"), os.fsencode(cert("ca.pem")), pathlib.Path(cert("ca.pem"))):
        with tlshs.Handshake(tlshs.Config("client", ca_file=form), server_name="localhost") as c, \
                tlshs.Handshake(server_config()) as s:
            assert pump(c, s) == (tlshs.DONE, tlshs.DONE), c.error


@pytest.mark.parametrize("key", of_kind("pem"), ids=lambda k: k.name)
def test_pem_takes_str_or_bytes(key):
    for value in (3, None, True, bytearray(b"x"), ["x"]):
        assert "a str or bytes" in refused_type(key, value)
    for value in ("junk", b"junk"):
        refused_value(key, value)


def test_pem_forms_take_effect():
    with open(cert("ca.pem"), "rb") as f:
        pem = f.read()
    for form in (pem, pem.decode()):
        with tlshs.Handshake(tlshs.Config("client", ca_pem=form), server_name="localhost") as c, \
                tlshs.Handshake(server_config()) as s:
            assert pump(c, s) == (tlshs.DONE, tlshs.DONE), c.error


@pytest.mark.parametrize("key", of_kind("text"), ids=lambda k: k.name)
def test_text_takes_a_string(key):
    for value in (b"x", 1, 1.3, True, None, ["x"]):
        assert "must be a str" in refused_type(key, value)


# ---- the natural values take effect ----

def tickets_sent(scfg):
    c = tlshs.Handshake(client_config(), server_name="localhost", trace=True)
    s = tlshs.Handshake(scfg)
    with c, s:
        assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
        settle(c, s)
        return sum(1 for e in c.trace if e.name == "NewSessionTicket")


def test_a_bool_switches_and_an_int_counts():
    assert tickets_sent(server_config(tickets=False)) == 0
    assert tickets_sent(server_config(tickets=True, num_tickets=3)) == 3
    assert tickets_sent(server_config(num_tickets="1")) == 1


def test_a_list_of_strings_is_the_comma_list():
    c = tlshs.Handshake(client_config(alpn=["h2", "http/1.1"]), server_name="localhost")
    s = tlshs.Handshake(server_config(alpn=("http/1.1",)))
    with c, s:
        assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
        assert c.alpn == s.alpn == "http/1.1"


# ---- Config.check() ----

@pytest.mark.parametrize("keys", [dict(min_version="1.3", max_version="1.2"),
                                  dict(max_version="1.2", min_version="1.3")])
def test_check_finds_a_version_range_that_leaves_none(keys):
    with client_config(**keys) as cfg:
        with pytest.raises(tlshs.ConfigError) as e:
            cfg.check()
        assert e.value.code == tlshs.Code.E_INCOMPLETE
        assert "min_version" in str(e.value) and "max_version" in str(e.value)


def test_check_finds_a_key_that_does_not_match_the_certificate():
    with tlshs.Config("server", cert_file=cert("server.pem"), key_file=cert("server-ec.key")) as cfg:
        with pytest.raises(tlshs.ConfigError) as e:
            cfg.check()
        assert e.value.code == tlshs.Code.E_INCOMPLETE and str(e.value).startswith("key_file: "), str(e.value)


def test_check_passes_a_good_config_and_leaves_what_is_missing_to_the_handshake():
    with client_config() as ccfg, server_config() as scfg:
        assert ccfg.check() is None and scfg.check() is None
        with tlshs.Handshake(ccfg, server_name="localhost") as c, tlshs.Handshake(scfg) as s:
            assert pump(c, s) == (tlshs.DONE, tlshs.DONE)
        assert ccfg.check() is None  # in use: it passed then
    with tlshs.Config("server") as bare:
        bare.check()  # no certificate yet: keys may still be added
        with pytest.raises(tlshs.ConfigError) as e:
            tlshs.Handshake(bare)
        assert e.value.code == tlshs.Code.E_INCOMPLETE
    cfg = client_config()
    cfg.close()
    with pytest.raises(tlshs.StateError):
        cfg.check()


def test_role_names_are_the_c_library_s():
    for role in ("client", "server"):
        with tlshs.Config(role) as cfg:
            assert cfg.role == role == _c.tlshs_role_name(cfg._role)
    with pytest.raises(tlshs.ConfigError, match="^role: ") as e:
        tlshs.Config("peer")
    assert e.value.code == tlshs.Code.E_BAD_VALUE
    with pytest.raises(tlshs.ArgumentError, match="^role: embedded null character$"):
        tlshs.Config("client\0")
