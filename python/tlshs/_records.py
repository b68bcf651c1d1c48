"""Records: reshaping what goes on the wire.

Record, records and refragment read and rebuild the TLS records of a flight
(the bytes a memory-mode Handshake hands over with take), and with
``datagram=True`` the DTLS records of a datagram (DtlsRecord); pair carries every
flight between two memory-mode handshakes, through an optional tamper hook.
The record rules live in the C core (tlshs_records, tlshs_record_write,
tlshs_refragment, tlshs_pair); this module only moves bytes and names.
"""

from typing import Any, Callable, List, NamedTuple, Optional, Tuple

from . import _tlshs as _c
from ._results import Result

# The content types, from the C list TLSHS_CONTENT_TYPES: value by NAME.
CONTENT_TYPES = {name: value for value, name, _ in _c._content_types()}
CHANGE_CIPHER_SPEC: int = CONTENT_TYPES["CHANGE_CIPHER_SPEC"]
ALERT: int = CONTENT_TYPES["ALERT"]
HANDSHAKE: int = CONTENT_TYPES["HANDSHAKE"]
APPLICATION_DATA: int = CONTENT_TYPES["APPLICATION_DATA"]

Tamper = Callable[[str, bytes], Any]  # answers None, bytes-like, or a list of them


class Record(NamedTuple):
    """One TLS record: its content type (:data:`HANDSHAKE`, :data:`ALERT`, ...
    or any byte), the header's legacy version (0x0303 for TLS 1.2 and 1.3
    records, 0x0301 for a first ClientHello) and its body.

    ``bytes(rec)`` is its wire form, the 5-byte header and the body, written
    by the C core: any type 0..255, version 0..0xffff and body up to 65535
    bytes (what the header can say; TLS allows 2^14 + 256) is written as
    asked, so a test peer can send what TLS forbids.  Out of those ranges
    raises :class:`ArgumentError` (or OverflowError for type and version).
    """

    type: int
    version: int
    body: bytes

    def __bytes__(self) -> bytes:
        return _c._record_write(self.type, self.version, self.body)


class DtlsRecord(NamedTuple):
    """One DTLS record (RFC 6347 4.1): its content type, the header's
    version (0xfefd for DTLS 1.2; a first ClientHello may carry 0xfeff),
    its epoch (0 for plaintext, 1 and later encrypted), its 48-bit sequence
    number and its body.

    ``bytes(rec)`` is its wire form, the 13-byte header and the body,
    written by the C core: any type 0..255, version and epoch 0..0xffff,
    seq 0..2**48-1 and body up to 65535 bytes is written as asked.  Out of
    those ranges raises :class:`ArgumentError` (or OverflowError).
    """

    type: int
    version: int
    epoch: int
    seq: int
    body: bytes

    def __bytes__(self) -> bytes:
        return _c._dtls_record_write(self.type, self.version, self.epoch, self.seq, self.body)


def records(data: Any, datagram: bool = False) -> Tuple[List[Any], bytes]:
    """Splits data (any bytes-like object, e.g. a flight from
    :meth:`Handshake.take`) into its whole records, in order, and answers
    ``(records, rest)``: rest is a partial record at the end (a header cut
    short or a body shorter than announced), to prepend to the next bytes.
    The parser does not judge: whatever a 5-byte header announces is a
    record (an oversized length, an empty handshake record, bytes that are
    no TLS at all), so ``b"".join(map(bytes, recs)) + rest == data``.

    With ``datagram=True`` data is a datagram (one :meth:`Handshake.take`
    of a datagram handshake) and the records are :class:`DtlsRecord` with
    their 13-byte headers (epoch and seq); a datagram holds whole records,
    so a rest is bytes that are not one.
    """
    if datagram:
        dtls, rest = _c._dtls_records(data)
        return [DtlsRecord._make(r) for r in dtls], rest
    found, rest = _c._records(data)
    return [Record._make(r) for r in found], rest


def refragment(flight: Any, max_body: int, datagram: bool = False) -> bytes:
    """Re-cuts the handshake records of a flight into records whose bodies
    hold at most max_body (>= 1) bytes; other records (alerts,
    ChangeCipherSpec, encrypted records, everything after a
    ChangeCipherSpec) and a partial record at the end pass unchanged, and
    records are never joined.  In TLS 1.3 that re-cuts the ClientHello,
    ServerHello or HelloRetryRequest; in TLS 1.2 the plaintext messages
    before the ChangeCipherSpec.  max_body < 1 raises :class:`ArgumentError`.

    With ``datagram=True`` flight is a datagram, and the handshake fragments
    inside each plaintext (epoch 0) handshake record are re-cut into
    fragments of at most max_body bytes, each with its own 12-byte fragment
    header, in the same record: every record keeps its type, version, epoch
    and sequence number (two records with one sequence number would be
    dropped as a replay).  To spread a message over several datagrams, set
    the key ``mtu``.  Encrypted records pass unchanged.  A re-cut record
    over 65535 bytes raises :class:`ArgumentError`.  A server with the
    cookie on answers ClientHellos through OpenSSL's DTLSv1_listen, which
    takes only a record holding one fragment: it drops a re-cut ClientHello
    (the client's retransmission, not re-cut, then goes through), so re-cut
    the client's hellos against a server with ``cookie=False``.
    """
    if datagram:
        return _c._dtls_refragment(flight, max_body)
    return _c._refragment(flight, max_body)


class PairOutcome(tuple):  # type: ignore[type-arg]
    """What :func:`pair` answers: the 2-tuple ``(client_result,
    server_result)`` (so ``rc, rs = tlshs.pair(...)`` and
    ``tlshs.pair(...) == (DONE, DONE)`` work), with why pair stopped:

    * ``waiting``: the sides that are neither DONE nor CLOSED, ``()``,
      ``("client",)``, ``("server",)`` or ``("client", "server")``;
    * ``rounds_out``: True when the rounds ran out while bytes still moved;
      False when pair stopped because both were over or nothing moved (the
      waiting sides then wait for bytes that will not come).
    """

    client: Result
    server: Result
    waiting: Tuple[str, ...]
    rounds_out: bool

    def __new__(cls, client: Result, server: Result, status: int) -> "PairOutcome":
        self = super().__new__(cls, (client, server))  # type: ignore[arg-type]
        self.client, self.server = client, server
        self.waiting = tuple(side for side, bit in (("client", _c.TLSHS_PAIR_CLIENT_WAITS),
                                                    ("server", _c.TLSHS_PAIR_SERVER_WAITS))
                             if status & bit)
        self.rounds_out = bool(status & _c.TLSHS_PAIR_ROUNDS_OUT)
        return self

    def __repr__(self) -> str:
        return (f"PairOutcome({self.client!r}, {self.server!r}, waiting={self.waiting!r}, "
                f"rounds_out={self.rounds_out!r})")


def pair(client: Any, server: Any, tamper: Optional[Tamper] = None, rounds: int = 50) -> PairOutcome:
    """Carries every flight between two memory-mode handshakes until both
    are DONE or CLOSED, or nothing moves, or rounds rounds (>= 1) have run;
    answers ``(client_result, server_result)`` as a :class:`PairOutcome`.

    A round steps client, delivers its pending bytes to server, steps
    server and delivers its bytes to client.  With tamper, each flight
    goes through ``tamper(direction, flight)`` first (direction "c2s" or
    "s2c", flight the bytes): it answers the bytes to deliver instead (any
    bytes-like object; the same bytes deliver it unchanged), or b"" or None
    to drop it.  pair never reads application data and never calls
    feed_eof; bytes sent to a side already DONE (TLS 1.3 tickets) wait
    there for its read().

    A tamper may also answer a list (or tuple) of byte strings: they are
    delivered in order (pieces that are None or b"" are skipped; an empty
    list drops the flight).

    Datagrams (both handshakes from configs with transport "datagram"):
    pair carries one datagram at a time, and tamper sees each one alone;
    answering None or b"" loses it, bytes deliver those, a list delivers
    each as a datagram of its own, in order: ``[d, d]`` duplicates it, and
    a tamper that keeps one back in its own state (answering None) and
    answers ``[later, held]`` afterwards reorders.  pair keeps going while
    any datagram moves (a DONE side answers the peer's retransmissions)
    and, when neither side moves, fires the timer that would fire first
    (virtual time: no waiting on OpenSSL 3.0; on 3.2 and later each fired
    timer waits out the rest of its timeout, so use a low
    ``retransmit_ms``).  Each fired timer costs a round: give lossy
    handshakes a few hundred rounds.

    tamper runs in the calling thread while pair holds both handshakes:
    it must not call them (that raises StateError).  An exception in tamper
    stops the tampering: every later flight of the call is dropped, pair
    ends as soon as nothing moves, and the exception is raised.  (With
    datagrams the input of both sides ends then, as feed_eof: a side still
    in its handshake closes at once, where pair would otherwise fire its
    timers until it gives up.)  The GIL is
    released while OpenSSL works, as in step.

    Raises ArgumentError when client is server or rounds < 1, StateError
    for a closed handshake or one in fd mode, TypeError for other objects.
    """
    return PairOutcome(*_c._pair(client, server, tamper, rounds))

for _obj in (Record, DtlsRecord, records, refragment, PairOutcome, pair):
    _obj.__module__ = "tlshs"
