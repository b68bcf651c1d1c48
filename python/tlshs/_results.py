"""Results, trace events and alert names: tlshs.Result, tlshs.Event,
tlshs.alert_name.  Result is built from the C library's one list of results
(TLSHS_RESULTS in tlshs.h), so a result added there appears here."""

from __future__ import annotations

import enum
from typing import NamedTuple, Tuple, Type

from . import _tlshs as _c

# The members, named by the C library (tlshs_result_name), from 1 to
# TLSHS_RESULT_MAX without gaps.
Result: Type[enum.IntEnum] = enum.IntEnum(  # type: ignore[misc]
    "Result",
    [(_c.tlshs_result_name(value), value) for value in range(1, _c.TLSHS_RESULT_MAX + 1)],
    module="tlshs",
)
Result.__doc__ = """What a call on a Handshake answers; the values are the C ones.

WANT_READ   needs bytes from the peer: feed them (memory mode) or wait until
            the socket is readable (fd mode), then call again;
WANT_WRITE  has bytes for the peer: take them all (memory mode) or wait
            until the socket is writable (fd mode), then call again;
DONE        the operation completed (handshake finished, read or write done);
CLOSED      the connection is over (failed handshake, alert, EOF,
            close_notify); Handshake.error says why.
"""

# C value -> member, by index: what the C layer answers (index 0 is never
# answered; it reads CLOSED).
RESULTS: Tuple[enum.IntEnum, ...] = (Result(_c.TLSHS_CLOSED),) + tuple(Result(v) for v in range(1, _c.TLSHS_RESULT_MAX + 1))


class Event(NamedTuple):
    """One TLS message seen by a traced handshake (``Handshake(..., trace=True)``).

    sent:   True if this side sent it, False if it was received.
    kind:   "handshake", "alert" or "change_cipher_spec".
    name:   "ClientHello", "HelloRetryRequest", "Certificate", "Finished",
            "NewSessionTicket", ...; for an alert its level and name
            ("fatal:handshake_failure"); "ChangeCipherSpec".
    length: the message's length in bytes (with the 4-byte header of a
            handshake message).
    data:   the message's bytes as this side saw them before encryption:
            a handshake message with its 4-byte header, an alert's 2 bytes,
            a ChangeCipherSpec's 1 byte (len(data) == length).  Defaults to
            b"" when an Event is made by hand.
    """

    sent: bool
    kind: str
    name: str
    length: int
    data: bytes = b""


Event.__module__ = "tlshs"


def alert_name(code: int) -> str:
    """The name of a TLS alert code as RFC 8446 spells it (48 ->
    "unknown_ca"); "unknown" for a code with no name."""
    if not isinstance(code, int) or isinstance(code, bool):
        raise TypeError(f"code must be an int, not {type(code).__name__}")
    if not -(2**31) <= code < 2**31:
        return "unknown"
    return _c.tlshs_alert_name(code)


alert_name.__module__ = "tlshs"
