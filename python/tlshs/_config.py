"""tlshs.Config: settings shared by handshakes."""

from __future__ import annotations

import os
from typing import Any, Dict, Optional

from . import _tlshs as _c
from ._errors import ArgumentError, ConfigError

# The keys whose value names a file or directory: they take str, bytes or
# os.PathLike, through os.fsencode, so any name the file system allows
# (one that is not UTF-8 too) reaches the C library as its bytes.
PATH_KEYS = frozenset(
    {"ca_file", "ca_path", "cert_file", "key_file", "keylog_file", "dh_params_file", "ocsp_response_file"}
)

# (The C library is gaining tlshs_role_from_name; until then, the names here.)
_ROLES: Dict[str, int] = {"client": _c.TLSHS_CLIENT, "server": _c.TLSHS_SERVER}
_ROLE_NAMES = {value: name for name, value in _ROLES.items()}


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


def key_value(key: Any, value: Any) -> Any:
    """Checks one key and its value; answers the value as the C layer takes it."""
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, not {type(key).__name__}")
    if key in PATH_KEYS:
        if not isinstance(value, (str, bytes, os.PathLike)):
            raise TypeError(f"{key} must be a str, bytes or os.PathLike, not {type(value).__name__}")
        try:
            value = os.fsencode(value)  # TypeError if a PathLike answers neither
        except UnicodeEncodeError as e:
            raise ArgumentError(f"{key}: {e}", _c.TLSHS_E_ARGUMENT) from e
    elif not isinstance(value, str):
        raise TypeError(f"{key} must be a str, not {type(value).__name__}")
    return _c_string(key, value)


class Config(_c.ConfigHandle):
    """Settings shared by handshakes (one OpenSSL SSL_CTX).

    ``Config(role, **keys)``: role is "client" or "server"; every keyword is
    a configuration key, every value a str (the path keys also take bytes
    and os.PathLike, see below):

    ca_file, ca_path, ca_pem          trust anchors (client default: the system store)
    cert_file, key_file, cert_pem, key_pem   own certificate chain and key
    verify                            "none", "peer", "require"
                                      (client default "peer", server "none")
    min_version, max_version          "1.2", "1.3" (and "1.0", "1.1")
    alpn                              comma list, e.g. "h2,http/1.1"
    ciphers, ciphersuites, groups, sigalgs   OpenSSL list syntax
    tickets                           "on" (default), "off"
    keylog_file                       path: NSS key log lines appended
    security_level                    OpenSSL's security level "0"-"5"
    dh_params_file                    server: PEM DH parameters for TLS 1.2 DHE
    num_tickets                       server: TLS 1.3 tickets sent ("0"-"100")
    max_early_data                    server: bytes of 0-RTT data accepted ("0" refuses)
    post_handshake_auth               client: "on" offers post-handshake auth
    status_request                    client: "on" asks for a stapled OCSP response
    ocsp_response_file                server: path of a DER OCSP response to staple
    max_fragment_length               client: "512", "1024", "2048", "4096"
    extensions                        custom extensions sent: "TYPE:HEX,..."
    self_signed                       server: a host name; a throwaway P-256
                                      key and self-signed certificate
                                      (see :attr:`fingerprint`, :attr:`cert_pem`)

    Path keys (ca_file, ca_path, cert_file, key_file, keylog_file,
    dh_params_file, ocsp_response_file) take a str, bytes or os.PathLike
    and go to the C library through os.fsencode, so a name that is not UTF-8 (as
    os.listdir(bytes) answers it, or a str with surrogate escapes) works.

    Keys are applied in the order given; whether they fit together is
    checked when the first handshake uses the config.  An unknown key or a
    bad value raises :class:`ConfigError` (with ``code`` E_UNKNOWN_KEY,
    E_BAD_VALUE or E_FILE) and the C library's message, e.g. "ca_file:
    cannot read /x: No such file or directory"; a value of the wrong type
    raises TypeError; a value C cannot take (a NUL inside, a str UTF-8
    cannot encode) raises ArgumentError naming the key.  Booleans and numbers are not converted: write
    ``tickets="off"``, ``min_version="1.3"``.

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
        if role not in _ROLES:
            raise ConfigError(f"role: must be 'client' or 'server', not {role!r}", _c.TLSHS_E_BAD_VALUE)
        self._open(_ROLES[role])
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

    @property
    def role(self) -> str:
        """"client" or "server"."""
        return _ROLE_NAMES[self._role]

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
