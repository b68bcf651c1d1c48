"""tlshs.Config: settings shared by handshakes."""

from __future__ import annotations

import os
import textwrap
from typing import Any, Dict, NamedTuple, Optional, Tuple

from . import _tlshs as _c
from ._errors import ArgumentError, ConfigError


class KeyInfo(NamedTuple):
    """One configuration key, a row of the C library's key table
    (TLSHS_CONFIG_KEYS in tlshs.h), as :func:`config_keys` answers it.

    name     the key, as Config takes it ("ca_file")
    kind     what its value is: "text", "path", "pem", "switch", "number"
             or "list" (which values Config takes follows from it)
    roles    the roles that use it: ("client", "server"), ("client",) or
             ("server",); a config of the other role refuses it
    metavar  the value's form for a usage line ("FILE", "on|off", "0-5")
    default  the default in words ("on", "the system store (client)"), or
             None when unset means none
    help     what it does, one line
    """

    name: str
    kind: str
    roles: Tuple[str, ...]
    metavar: str
    default: Optional[str]
    help: str


KeyInfo.__module__ = "tlshs"


def _roles(bits: int) -> Tuple[str, ...]:
    return tuple(_c.tlshs_role_name(r) for r in range(bits.bit_length()) if bits >> r & 1)


def _key_table() -> Tuple[KeyInfo, ...]:
    rows = []
    for i in range(_c.tlshs_config_key_count()):
        row = _c.tlshs_config_key(i)
        if row is None:
            raise ImportError(f"tlshs: the C key table has no row {i} of {_c.tlshs_config_key_count()}")
        name, kind, roles, metavar, default, help_text = row
        rows.append(KeyInfo(name, _c.tlshs_key_kind_name(kind), _roles(roles), metavar, default, help_text))
    return tuple(rows)


_KEYS = _key_table()
_KINDS: Dict[str, str] = {k.name: k.kind for k in _KEYS}


def config_keys() -> Tuple[KeyInfo, ...]:
    """Every configuration key, in the C library's order (its table,
    TLSHS_CONFIG_KEYS): one :class:`KeyInfo` (name, kind, roles, metavar,
    default, help) each."""
    return _KEYS


config_keys.__module__ = "tlshs"


def _c_string(key: str, value: Any) -> bytes:
    """value (str or bytes) as the bytes of a C string, or ArgumentError
    naming key: a str C cannot take (a lone surrogate), a NUL inside."""
    if isinstance(value, str):
        try:
            value = value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ArgumentError(f"{key}: {e}", _c.TLSHS_E_ARGUMENT) from e
    if b"\0" in value:
        raise ArgumentError(f"{key}: embedded null character", _c.TLSHS_E_ARGUMENT)
    return value


def _wrong(key: str, wanted: str, value: Any) -> TypeError:
    return TypeError(f"{key} must be {wanted}, not {type(value).__name__}")


def _list_value(key: str, value: Any) -> str:
    """A list key's items joined with "," (each a str, not empty, no ",")."""
    items = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise TypeError(f"{key}: item {i} must be a str, not {type(item).__name__}")
        if not item or "," in item:
            why = "is empty" if not item else f"{item!r} contains ',', which separates the items"
            raise ConfigError(f"{key}: item {i} {why}", _c.TLSHS_E_BAD_VALUE)
        items.append(item)
    return ",".join(items)


def key_value(key: Any, value: Any) -> bytes:
    """Checks one key and its value by the key's kind (the C table's); answers
    the value as the C layer takes it, the bytes of a string:

    switch  "on"/"off", or a bool (True is "on")
    number  an int (not a bool), or its decimal str
    list    a comma-separated str, or a list/tuple of str (joined with ",")
    path    a str, bytes or os.PathLike (through os.fsencode)
    pem     a str or bytes
    text    a str

    An unknown key goes to C as it is, which refuses it ("KEY: unknown key",
    E_UNKNOWN_KEY)."""
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, not {type(key).__name__}")
    kind = _KINDS.get(key)
    if kind is None:
        return b""  # C refuses the key before it reads a value
    if kind == "path":
        if not isinstance(value, (str, bytes, os.PathLike)):
            raise _wrong(key, "a str, bytes or os.PathLike", value)
        try:
            value = os.fsencode(value)  # TypeError if a PathLike answers neither
        except UnicodeEncodeError as e:
            raise ArgumentError(f"{key}: {e}", _c.TLSHS_E_ARGUMENT) from e
    elif kind == "switch":
        if isinstance(value, bool):
            value = "on" if value else "off"
        elif not isinstance(value, str):
            raise _wrong(key, "a bool or 'on'/'off'", value)
    elif kind == "number":
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        elif not isinstance(value, str):
            raise _wrong(key, "an int or its decimal str", value)
    elif kind == "list":
        if isinstance(value, (list, tuple)):
            value = _list_value(key, value)
        elif not isinstance(value, str):
            raise _wrong(key, "a str or a list of str", value)
    elif kind == "pem":
        if not isinstance(value, (str, bytes)):
            raise _wrong(key, "a str or bytes", value)
    elif not isinstance(value, str):  # text, and any kind C adds later
        raise _wrong(key, "a str", value)
    return _c_string(key, value)


class Config(_c.ConfigHandle):
    """Settings shared by handshakes (one OpenSSL SSL_CTX).

    ``Config(role, **keys)``: role is "client" or "server"; every keyword is
    a configuration key (:func:`config_keys` answers them all, from the C
    library's table):

    <the keys: made from config_keys() at import>

    A value is taken by its key's kind: a switch takes "on"/"off" or a
    bool; a number an int (not a bool) or its decimal str; a list a
    comma-separated str or a list/tuple of str (an item that is empty or
    holds "," raises ConfigError); a path a str, bytes or os.PathLike,
    through os.fsencode, so a name that is not UTF-8 (as os.listdir(bytes)
    answers it, or a str with surrogate escapes) works; a pem a str or
    bytes; text a str.  Any other type raises TypeError naming the key.

    Keys are applied in the order given; :meth:`check` checks them together
    (the first handshake does too, and finds what is missing).  An unknown
    key, a key of the other role or a bad value raises :class:`ConfigError`
    (with ``code`` E_UNKNOWN_KEY, E_BAD_VALUE or E_FILE) and the C
    library's message, e.g. "ca_file: cannot read /x: No such file or
    directory"; a value C cannot take (a NUL inside, a str UTF-8 cannot
    encode) raises ArgumentError naming the key.

    A config becomes read-only once a handshake uses it (a later
    :meth:`set` raises ConfigError with code E_IN_USE).  It lives on while
    any handshake made from it lives, whatever happens to this object.
    Use it as a context manager or call :meth:`close` when done; a closed
    config raises StateError.
    """

    __slots__ = ()

    def __init__(self, role: str, **keys: Any) -> None:
        if not isinstance(role, str):
            raise TypeError(f"role must be a str, not {type(role).__name__}")
        self._open(_c.tlshs_role_from_name(_c_string("role", role)))
        try:
            for key, value in keys.items():
                _c.tlshs_config_set(self, key, key_value(key, value))
        except BaseException:
            self.close()
            raise

    def set(self, key: str, value: Any) -> None:
        """Sets one key (see the class's documentation).  Raises ConfigError
        for an unknown key, a bad value or a config in use; TypeError when
        key or value has the wrong type; StateError once closed."""
        _c.tlshs_config_set(self, key, key_value(key, value))

    def check(self) -> None:
        """Checks the keys together, as the first handshake will: that
        min_version and max_version leave a version, that the key matches
        the certificate, that the own certificates and DH parameters meet
        the security level.  Raises ConfigError (code E_INCOMPLETE) with the
        C library's reason, which names the keys.  What is missing (a
        server's certificate, a client's server_name) is not checked here,
        since keys may still be added: the first Handshake finds it."""
        _c.tlshs_config_check(self)

    @property
    def role(self) -> str:
        """"client" or "server"."""
        return _c.tlshs_role_name(self._role)

    @property
    def fingerprint(self) -> Optional[str]:
        """The SHA-256 fingerprint of the config's own certificate (the last
        given by cert_file, cert_pem or self_signed) as ``openssl x509
        -fingerprint -sha256`` prints it ("AB:01:...", 95 characters), or
        None if the config has no certificate."""
        return _c.tlshs_config_fingerprint(self) or None

    @property
    def cert_pem(self) -> Optional[str]:
        """The config's own certificate (as for :attr:`fingerprint`) as PEM
        text, e.g. a client's ``ca_pem`` to trust a self_signed server; None
        if the config has no certificate."""
        return _c.tlshs_config_cert_pem(self)

    def __repr__(self) -> str:
        if self.closed:
            return "<tlshs.Config closed>"
        return f"<tlshs.Config {self.role}>"


Config.__module__ = "tlshs"


def _keys_doc() -> str:
    """The key list of Config's docstring: one entry per row of the table."""
    out = []
    for k in _KEYS:
        words = k.kind + ("" if len(k.roles) > 1 else f", {k.roles[0]} only") + ": " + k.help
        if k.default:
            words += f" (default: {k.default})"
        out.append(f"    {k.name}={k.metavar}")
        out += textwrap.wrap(words, 76, initial_indent=" " * 8, subsequent_indent=" " * 8)
    return "\n".join(out).lstrip()


if Config.__doc__:  # (None under python -OO)
    Config.__doc__ = Config.__doc__.replace("<the keys: made from config_keys() at import>", _keys_doc())
