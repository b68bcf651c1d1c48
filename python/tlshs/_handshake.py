"""tlshs.Handshake: one TLS connection, driven step by step.

The calls that drive it (step, feed, feed_eof, take, read, write, shutdown,
close, pending, result, closed, config, sock) are methods of its C base,
tlshs._tlshs.HandshakeHandle (bindings/tlshs.i); the outcome is read here,
through the SWIG functions, which take the handshake itself.  Either way
every call passes the handle's guard: see "Threads" in docs/python.md.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Optional, Union

from . import _tlshs as _c
from ._errors import ArgumentError, Code, _CodeBase
from ._hello import ClientHello
from ._results import Event


def _fileno(sock: Any) -> int:
    fileno = getattr(sock, "fileno", None)
    if not callable(fileno):
        raise TypeError(f"sock must have a fileno() method, not {type(sock).__name__}")
    fd = fileno()
    if not isinstance(fd, int) or isinstance(fd, bool):
        raise TypeError(f"sock.fileno() must return an int, not {type(fd).__name__}")
    if not -(2**31) <= fd < 2**31:
        raise ArgumentError(f"sock: bad file descriptor {fd}", _c.TLSHS_E_ARGUMENT)
    return fd


class Handshake(_c.HandshakeHandle):
    """One TLS connection, driven step by step (one OpenSSL SSL).

    ``Handshake(cfg, server_name=None, sock=None, session=None, trace=False,
    capture=None, on_client_hello=None)``

    cfg          the :class:`Config`; the handshake keeps it alive.
    server_name  a client's name for the server: sent as SNI and checked
                 against the certificate (an IP literal is checked as an
                 address).  A verifying client (the default) needs one.
    sock         fd mode: any connected socket-like object with fileno();
                 it is put in non-blocking mode, and the handshake keeps a
                 reference to it but never closes it.  None (the default)
                 means memory mode: move bytes with :meth:`feed` and
                 :meth:`take`.
    session      a client's saved session (:attr:`session` of an earlier
                 connection, any bytes-like object) to resume.
    trace        record every TLS message in :attr:`trace`.
    capture      a path (str, bytes or os.PathLike): every byte this side
                 sends and receives is written there as a pcapng file with
                 the connection's secrets, complete after every call, so
                 ``tshark -r FILE`` shows the decrypted exchange.
    on_client_hello  a server's look at the ClientHello before it answers:
                 called as ``fn(hello)`` (a :class:`ClientHello`) once per
                 ClientHello, inside the call that received it; it answers
                 None (go on), a server :class:`Config` (switch to it: its
                 certificate, ALPN, versions and verify settings apply), or
                 an alert to refuse with (its name, "unrecognized_name", or
                 its code, 112).  An exception refuses with internal_error:
                 :attr:`error` reads "on_client_hello raised TYPE: TEXT",
                 :attr:`error_code` is Code.E_REFUSED, and the exception is
                 :attr:`hello_exception` (KeyboardInterrupt and SystemExit
                 are also raised again by the call).  Inside fn, the
                 handshake may be read (client_hello, server_name, trace,
                 ...) but not driven or changed (StateError).

    Raises ConfigError when the config cannot make a handshake (a server
    without a certificate, a verifying client without server_name),
    SessionError when the session cannot be resumed, StateError for a
    closed config, ArgumentError for a server_name with a NUL inside or
    that UTF-8 cannot encode, TypeError for wrong types.

    Driving: :meth:`step`, :meth:`feed`, :meth:`feed_eof`, :attr:`pending`,
    :meth:`take`, :meth:`read`, :meth:`write`, :meth:`shutdown`, each
    answering a :class:`Result` (a want is a return value, never an
    exception).  In memory mode, every call answers WANT_WRITE while bytes
    for the peer are pending, so the last flight and the alert of a failure
    go out before DONE or CLOSED.  DONE and CLOSED, once answered by step,
    stay.

    Use it as a context manager, or call :meth:`close`; close() is safe to
    call twice and any other use afterwards raises :class:`StateError`.
    Calls on one object from several threads run one at a time: a thread
    that arrives while another is inside a call waits for it.
    """

    __slots__ = ()

    def __init__(
        self,
        cfg: Any,
        server_name: Optional[str] = None,
        sock: Any = None,
        session: Any = None,
        trace: bool = False,
        capture: Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]", None] = None,
        on_client_hello: Optional[Callable[[ClientHello], Any]] = None,
    ) -> None:
        if sock is None:
            self._open(cfg, server_name, None, -1)
        else:
            self._open(cfg, server_name, sock, _fileno(sock))
        if session is None and trace is False and capture is None and on_client_hello is None:
            return
        try:
            if session is not None:
                _c.tlshs_set_session(self, session)
            if not isinstance(trace, bool):
                raise TypeError(f"trace must be a bool, not {type(trace).__name__}")
            if trace:
                _c.tlshs_set_trace(self, 1)
            if capture is not None:
                if not isinstance(capture, (str, bytes, os.PathLike)):
                    raise TypeError(f"capture must be a str, bytes or os.PathLike, not {type(capture).__name__}")
                _c.tlshs_set_capture(self, os.fsencode(capture))
            if on_client_hello is not None:
                self._set_hello_cb(on_client_hello)
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        if self.closed:
            return "<tlshs.Handshake closed>"
        mode = "memory" if self.sock is None else "fd"
        return f"<tlshs.Handshake {self.role} {mode} {self.result.name}>"

    # ---- outcome ----

    @property
    def role(self) -> str:
        """"client" or "server"."""
        return "client" if _c.tlshs_get_role(self) == _c.TLSHS_CLIENT else "server"

    @property
    def handshake_done(self) -> bool:
        """Whether the handshake has completed, whatever later reads and
        writes answered."""
        return bool(_c.tlshs_handshake_done(self))

    @property
    def error(self) -> str:
        """Why the connection closed ("" unless a call answered CLOSED):
        "certificate verify failed: ...", "peer sent fatal alert ...",
        "peer closed the connection during the handshake", or OpenSSL's
        reason.  :attr:`error_code` is its code."""
        return _c.tlshs_error(self)

    @property
    def error_code(self) -> _CodeBase:
        """The :class:`Code` of :attr:`error`: Code.OK unless a call
        answered CLOSED; then E_ALERT (the peer sent a fatal alert),
        E_VERIFY (its certificate failed verification), E_EOF (its stream
        ended without close_notify), E_CLOSE_NOTIFY, E_SHUTDOWN (this side
        shut down), E_SOCKET or E_PROTOCOL (the exchange failed here)."""
        return Code(_c.tlshs_error_code(self))

    @property
    def alert_sent(self) -> Optional[int]:
        """The code of the last TLS alert sent (see :func:`alert_name`), or None."""
        code = _c.tlshs_alert_sent(self)
        return None if code < 0 else code

    @property
    def alert_received(self) -> Optional[int]:
        """The code of the last TLS alert received, or None."""
        code = _c.tlshs_alert_received(self)
        return None if code < 0 else code

    @property
    def version(self) -> Optional[str]:
        """The negotiated version ("TLSv1.3"), None before the handshake is done."""
        return _c.tlshs_version(self)

    @property
    def cipher(self) -> Optional[str]:
        """The negotiated cipher's OpenSSL name, None before the handshake is done."""
        return _c.tlshs_cipher(self)

    @property
    def alpn(self) -> Optional[str]:
        """The protocol ALPN selected, or None."""
        return _c.tlshs_alpn(self)

    @property
    def srtp_profile(self) -> Optional[str]:
        """The DTLS-SRTP profile the handshake chose from the config's
        ``use_srtp`` ("SRTP_AES128_CM_SHA1_80"), or None (none negotiated,
        not done yet, or a stream).  The SRTP keys are
        ``export_keying_material("EXTRACTOR-dtls_srtp", length)``."""
        return _c.tlshs_srtp_profile(self)

    @property
    def server_name(self) -> Optional[str]:
        """A client's server_name as given; a server's SNI as received; or None."""
        return _c.tlshs_server_name(self)

    @property
    def resumed(self) -> bool:
        """Whether the handshake resumed a session."""
        return bool(_c.tlshs_resumed(self))

    @property
    def verify_result(self) -> int:
        """The result of verifying the peer's chain: 0 (X509_V_OK, also when
        the peer sent no certificate) or an X509_V_ERR_* code."""
        return _c.tlshs_verify_result(self)

    @property
    def peer_cert(self) -> Optional[bytes]:
        """The peer's certificate, DER-encoded, or None if it sent none."""
        return _c.tlshs_peer_cert(self)

    @property
    def session(self) -> Optional[bytes]:
        """The session to resume later (pass it as ``session=``), DER; None
        if there is none.  In TLS 1.3 a client has one once it has read the
        server's NewSessionTicket: after DONE, read() until WANT_READ."""
        size = _c.tlshs_session(self, 0)
        while isinstance(size, int):  # the size, as it was > 0 (or grew meanwhile)
            size = _c.tlshs_session(self, size)
        return size or None

    @property
    def timeout(self) -> Optional[float]:
        """Datagrams: the seconds until the retransmission timer fires (0.0
        when due: call :meth:`on_timeout`), counted down by the monotonic
        clock; None when no timer runs (no flight waits for an answer, or a
        stream handshake).  Each new flight starts at the config's
        ``retransmit_ms`` (1 s by default), doubling at every timeout up to
        60 s."""
        ms = _c.tlshs_timeout_ms(self)
        return None if ms < 0 else ms / 1000.0

    def set_peer(self, address: Union[str, bytes]) -> None:
        """Datagrams, memory mode, before the first step: names the peer's
        address (a str such as "192.0.2.7:5684", or bytes: 1 to 128 bytes
        that name it, as the script knows it from recvfrom) for a server's
        stateless cookie, so a cookie is only good from the address it was
        sent to.  Without it a memory-mode cookie binds only the
        ClientHello; fd mode uses the socket's peer.  Raises StateError
        once started or on a stream handshake, ArgumentError for an empty
        or too long address, TypeError for other types."""
        if isinstance(address, str):
            address = address.encode("utf-8")
        elif not isinstance(address, bytes):
            raise TypeError(f"address must be a str or bytes, not {type(address).__name__}")
        _c.tlshs_set_peer(self, address)

    @property
    def client_hello(self) -> Optional[ClientHello]:
        """The ClientHello, parsed (a :class:`ClientHello`): on a server the
        one it received, on a client the one it sent; after a
        HelloRetryRequest, the second.  None before it was sent or received.
        A new object on every read."""
        return _c.tlshs_client_hello(self)

    @property
    def ja3s(self) -> Optional[str]:
        """The JA3S string of the ServerHello sent or received
        ("771,4865,43-51": version, cipher, extensions), None before it."""
        return _c.tlshs_ja3s(self)

    @property
    def ja3s_hash(self) -> Optional[str]:
        """The MD5 of :attr:`ja3s`, 32 lowercase hex digits, None before it."""
        return _c.tlshs_ja3s_hash(self)

    @property
    def early_data(self) -> str:
        """What became of 0-RTT data: "not_sent" (none offered, or not yet
        known), "rejected", "accepted".  Final once the handshake is DONE
        (a server: once read_early saw the ClientHello)."""
        return _c.tlshs_early_data(self)

    @property
    def ocsp_response(self) -> Optional[bytes]:
        """A client's stapled OCSP response (DER) as the server sent it
        (asked for with ``status_request="on"``); None if none came."""
        return _c.tlshs_ocsp_response(self)

    @property
    def peer_extensions(self) -> Dict[int, bytes]:
        """The peer's custom extensions (of the types named in the config's
        ``extensions`` key): type -> data, in the order they arrived.  A
        client sees the server's replies, a server the client's
        ClientHello's."""
        out = {}
        for i in range(_c.tlshs_peer_extension_count(self)):
            kind = _c.tlshs_peer_extension_type(self, i)
            if kind >= 0:
                data = _c.tlshs_peer_extension(self, kind)
                if data is not None:
                    out[kind] = data
        return out

    @property
    def trace(self) -> List[Event]:
        """The TLS messages recorded so far, oldest first ([] unless made
        with ``trace=True``)."""
        events = []
        for i in range(_c.tlshs_trace_count(self)):
            ev = _c.tlshs_trace_event(self, i)
            if ev is not None:
                events.append(Event(*ev))
        return events


Handshake.__module__ = "tlshs"
