"""The hellos: tlshs.ClientHello (what a ClientHello offered, parsed by the C
library from the message itself) and IANA's names for the numbers a hello
carries (tlshs.cipher_suite_name, extension_name, group_name, sigalg_name,
version_name)."""

from __future__ import annotations

from typing import NamedTuple, Optional, Tuple

from . import _tlshs as _c


class ClientHello(NamedTuple):
    """What a ClientHello offered (:attr:`Handshake.client_hello`): on a
    server the one it received, on a client the one it sent; after a
    HelloRetryRequest, the second.  Parsed by the C library from the
    message's bytes, so unknown and GREASE values are kept, in the order
    sent.

    legacy_version  the legacy_version field (0x0303 for TLS 1.2 and 1.3)
    versions        supported_versions (ints)
    ciphers         cipher_suites (ints; :func:`cipher_suite_name` names them)
    extensions      extension types in the order sent (:func:`extension_name`)
    groups          supported_groups (:func:`group_name`)
    key_shares      the group of each key_share entry
    sigalgs         signature_algorithms (:func:`sigalg_name`)
    server_name     the SNI host name, or None (bytes that are not UTF-8
                    read as surrogate escapes)
    alpn            the offered ALPN protocols (str, as server_name)
    ja3, ja3_hash   the JA3 string and its MD5 (32 lowercase hex digits)
    ja4             the JA4 fingerprint (FoxIO's definition; "dd2..." for
                    a DTLS 1.2 ClientHello, whose ja3 starts with 65277)
    raw             the whole message, its 4-byte handshake header included
                    (a DTLS one: its 12-byte header, as reassembled)
    cookie          a DTLS ClientHello's cookie: b"" in a first ClientHello,
                    the HelloVerifyRequest's cookie in the retry; None for
                    TLS, whose ClientHello has no such field
    """

    legacy_version: int
    versions: Tuple[int, ...]
    ciphers: Tuple[int, ...]
    extensions: Tuple[int, ...]
    groups: Tuple[int, ...]
    key_shares: Tuple[int, ...]
    sigalgs: Tuple[int, ...]
    server_name: Optional[str]
    alpn: Tuple[str, ...]
    ja3: str
    ja3_hash: str
    ja4: str
    raw: bytes
    cookie: Optional[bytes] = None


ClientHello.__module__ = "tlshs"


def _number(n: int) -> bool:
    """Whether n is a 16-bit number (TypeError unless an int)."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"n must be an int, not {type(n).__name__}")
    return 0 <= n <= 0xFFFF


def cipher_suite_name(n: int) -> Optional[str]:
    """IANA's name of a cipher suite (0x1301 -> "TLS_AES_128_GCM_SHA256",
    0x00FF -> "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"); "GREASE" for a GREASE
    value; None for a number with no name."""
    return _c.tlshs_cipher_suite_name(n) if _number(n) else None


def extension_name(n: int) -> Optional[str]:
    """IANA's name of an extension type (0 -> "server_name", 16 ->
    "application_layer_protocol_negotiation"); "GREASE" for a GREASE
    value; None for a number with no name."""
    return _c.tlshs_extension_name(n) if _number(n) else None


def group_name(n: int) -> Optional[str]:
    """IANA's name of a supported group (29 -> "x25519", 23 -> "secp256r1");
    "GREASE" for a GREASE value; None for a number with no name."""
    return _c.tlshs_group_name(n) if _number(n) else None


def sigalg_name(n: int) -> Optional[str]:
    """IANA's name of a signature scheme (0x0804 -> "rsa_pss_rsae_sha256");
    "GREASE" for a GREASE value; None for a number with no name."""
    return _c.tlshs_sigalg_name(n) if _number(n) else None


def version_name(n: int) -> Optional[str]:
    """The name of a protocol version (0x0304 -> "TLSv1.3", 0x0303 ->
    "TLSv1.2"); "GREASE" for a GREASE value; None for a number with no
    name."""
    return _c.tlshs_version_name(n) if _number(n) else None


for _f in (cipher_suite_name, extension_name, group_name, sigalg_name, version_name):
    _f.__module__ = "tlshs"
