"""tlshs: a resumable, non-blocking TLS handshake object over OpenSSL.

A :class:`Handshake` drives one TLS connection from its first byte to
:data:`DONE` or :data:`CLOSED`.  It never blocks and owns no loop: every call
does as much as it can and answers a :class:`Result`:

* :data:`WANT_READ`  -- bytes from the peer are needed: :meth:`Handshake.feed`
  them (memory mode) or wait until the socket is readable (fd mode);
* :data:`WANT_WRITE` -- bytes for the peer are waiting: :meth:`Handshake.take`
  them all (memory mode) or wait until the socket is writable (fd mode);
* :data:`DONE`       -- the operation completed;
* :data:`CLOSED`     -- the connection is over; :attr:`Handshake.error` says why.

Results are return values, never exceptions.  Settings live in a
:class:`Config` that any number of handshakes share::

    import socket, tlshs
    sock = socket.create_connection(("localhost", 4433))
    cfg = tlshs.Config("client", ca_file="ca.pem", alpn="h2,http/1.1")
    with tlshs.Handshake(cfg, server_name="localhost") as hs:
        while (r := hs.step()) != tlshs.DONE:
            if r == tlshs.WANT_WRITE:
                sock.sendall(hs.take())
            elif r == tlshs.WANT_READ:
                data = sock.recv(16384)
                if data:
                    hs.feed(data)
                else:
                    hs.feed_eof()
            else:
                raise RuntimeError(hs.error)
        print(hs.version, hs.alpn)

(That is memory mode over a blocking socket; ``Handshake(..., sock=sock)``
lets the object use a non-blocking socket itself.)

Errors: :class:`Error` for misuse (feeding a closed handshake, using a closed
object); :class:`ConfigError` (also a :class:`ValueError`) for a bad key or
value; :class:`TypeError` for an argument of the wrong type.

Objects are safe to share between threads: each has a lock, so calls on one
object from several threads run one at a time.  The GIL is released while
OpenSSL works (step, read, write, shutdown).
"""

from __future__ import annotations

import enum
import os
import threading
import weakref
from typing import Any, NamedTuple, Optional, Tuple

from . import _tlshs as _c

__all__ = [
    "Result",
    "WANT_READ",
    "WANT_WRITE",
    "DONE",
    "CLOSED",
    "Event",
    "Error",
    "ConfigError",
    "Config",
    "Handshake",
    "alert_name",
    "__version__",
]

#: The version of the tlshs library this package wraps ("0.1.0").
__version__: str = _c.TLSHS_VERSION_STRING


class Result(enum.IntEnum):
    """What a call on a :class:`Handshake` answers; the values are the C ones."""

    #: Needs bytes from the peer: feed them (memory) or wait for readable (fd).
    WANT_READ = _c.TLSHS_WANT_READ
    #: Has bytes for the peer: take them all (memory) or wait for writable (fd).
    WANT_WRITE = _c.TLSHS_WANT_WRITE
    #: The operation completed (handshake finished, read or write done).
    DONE = _c.TLSHS_DONE
    #: The connection is over (failed handshake, alert, EOF, close_notify).
    CLOSED = _c.TLSHS_CLOSED


WANT_READ = Result.WANT_READ
WANT_WRITE = Result.WANT_WRITE
DONE = Result.DONE
CLOSED = Result.CLOSED

# C value -> member, by index: cheaper than Result(value) on every call.
# (Index 0 is never answered by the C library.)
_RESULTS: Tuple[Result, ...] = (Result.CLOSED, Result.WANT_READ, Result.WANT_WRITE, Result.DONE,
                                 Result.CLOSED)


class Event(NamedTuple):
    """One TLS message seen by a traced handshake (``Handshake(..., trace=True)``).

    sent:   True if this side sent it, False if it was received.
    kind:   "handshake", "alert" or "change_cipher_spec".
    name:   "ClientHello", "HelloRetryRequest", "Certificate", "Finished",
            "NewSessionTicket", ...; for an alert its level and name
            ("fatal:handshake_failure"); "ChangeCipherSpec".
    length: the message's length in bytes (with the 4-byte header of a
            handshake message).
    """

    sent: bool
    kind: str
    name: str
    length: int


class Error(Exception):
    """Base of tlshs's exceptions; raised for misuse, such as feeding a closed
    handshake or using an object after close()."""


class ConfigError(Error, ValueError):
    """A bad configuration key or value, or a config that cannot make a
    handshake (a server without a certificate...).  The message names the key
    and why, as the C library words it."""


def alert_name(code: int) -> str:
    """The name of a TLS alert code as RFC 8446 spells it (48 ->
    "unknown_ca"); "unknown" for a code with no name."""
    if not isinstance(code, int) or isinstance(code, bool):
        raise TypeError(f"code must be an int, not {type(code).__name__}")
    if not -(2**31) <= code < 2**31:
        return "unknown"
    return _c.tlshs_alert_name(code)


def _check_str(what: str, value: Any, *, path: bool = False) -> str:
    if path and isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    if "\0" in value:
        raise ValueError(f"{what}: embedded null character")
    return value


# One read answers at most one record (16 KiB of plaintext): a bigger n only
# costs a bigger allocation, so it is capped (with room to spare).
_READ_MAX = 65536

_PATH_KEYS = frozenset({"ca_file", "ca_path", "cert_file", "key_file", "keylog_file"})
_ROLES = {"client": _c.TLSHS_CLIENT, "server": _c.TLSHS_SERVER}


class Config:
    """Settings shared by handshakes (one OpenSSL SSL_CTX).

    ``Config(role, **keys)``: role is "client" or "server"; every keyword is
    a configuration key, every value a str (the paths ca_file, ca_path,
    cert_file, key_file and keylog_file also take an os.PathLike):

    ca_file, ca_path, ca_pem          trust anchors (client default: the system store)
    cert_file, key_file, cert_pem, key_pem   own certificate chain and key
    verify                            "none", "peer", "require"
                                      (client default "peer", server "none")
    min_version, max_version          "1.2", "1.3" (and "1.0", "1.1")
    alpn                              comma list, e.g. "h2,http/1.1"
    ciphers, ciphersuites, groups, sigalgs   OpenSSL list syntax
    tickets                           "on" (default), "off"
    keylog_file                       path: NSS key log lines appended

    Keys are applied in the order given.  An unknown key or a bad value
    raises :class:`ConfigError` with the C library's message, e.g.
    "ca_file: cannot read /x: No such file or directory"; a value that is
    not a str raises TypeError.  Booleans and numbers are not converted:
    write ``tickets="off"``, ``min_version="1.3"``.

    A config becomes read-only once a handshake uses it (a later
    :meth:`set` raises ConfigError "config is in use").  It lives on while
    any handshake made from it lives, whatever happens to this object.
    Use it as a context manager or call :meth:`close` when done.
    """

    __slots__ = ("_c", "_lock", "_role", "_finalizer", "__weakref__")

    def __init__(self, role: str, **keys: Any) -> None:
        if not isinstance(role, str):
            raise TypeError(f"role must be a str, not {type(role).__name__}")
        if role not in _ROLES:
            raise ConfigError(f"role: must be 'client' or 'server', not {role!r}")
        ptr = _c.tlshs_config_new(_ROLES[role])
        if ptr is None:
            raise MemoryError("tlshs_config_new failed")
        self._c = ptr
        self._lock = threading.Lock()
        self._role = role
        self._finalizer = weakref.finalize(self, _c.tlshs_config_free, ptr)
        try:
            for key, value in keys.items():
                self.set(key, value)
        except BaseException:
            self.close()
            raise

    def set(self, key: str, value: Any) -> None:
        """Sets one key (see the class's documentation).  Raises ConfigError
        for an unknown key, a bad value or a config in use; TypeError when
        key or value is not a str."""
        key = _check_str("key", key)
        value = _check_str(key, value, path=key in _PATH_KEYS)
        with self._lock:
            ptr = self._ptr()
            if _c.tlshs_config_set(ptr, key, value) != 0:
                raise ConfigError(_c.tlshs_config_error(ptr))

    @property
    def role(self) -> str:
        """"client" or "server"."""
        with self._lock:
            self._ptr()  # raises if closed
        return self._role

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._c is None

    def close(self) -> None:
        """Drops this object's reference to the C config.  Handshakes made
        from it keep working.  Safe to call more than once."""
        with self._lock:
            self._c = None
            self._finalizer()

    def __enter__(self) -> Config:
        """Answers self; the ``with`` block closes it at its end."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Calls :meth:`close`; exceptions go on."""
        self.close()

    def __repr__(self) -> str:
        state = " closed" if self._c is None else ""
        return f"<tlshs.Config {self._role}{state}>"

    # Called with self._lock held.
    def _ptr(self) -> Any:
        ptr = self._c
        if ptr is None:
            raise Error("the config is closed")
        return ptr


class Handshake:
    """One TLS connection, driven step by step (one OpenSSL SSL).

    ``Handshake(cfg, server_name=None, sock=None, session=None, trace=False)``

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

    Raises ConfigError when the config cannot make a handshake (a server
    without a certificate, a verifying client without server_name), Error
    when the session is not resumable, TypeError for wrong types.

    In memory mode, every call answers WANT_WRITE while bytes for the peer
    are pending, so the last flight and the alert of a failure go out
    before DONE or CLOSED.  DONE and CLOSED, once answered by step, stay.

    Use it as a context manager, or call :meth:`close`; close() is safe to
    call twice and any other use afterwards raises :class:`Error`.  Calls
    from several threads on one object are serialised by a lock.
    """

    __slots__ = ("_h", "_lock", "_cfg", "_sock", "_role", "__weakref__")

    def __init__(
        self,
        cfg: Config,
        server_name: Optional[str] = None,
        sock: Any = None,
        session: Any = None,
        trace: bool = False,
    ) -> None:
        self._h: Any = None  # so that close() and repr work if __init__ fails
        self._lock = threading.Lock()
        self._cfg: Optional[Config] = None
        self._sock: Any = None
        if not isinstance(cfg, Config):
            raise TypeError(f"cfg must be a tlshs.Config, not {type(cfg).__name__}")
        if server_name is not None:
            server_name = _check_str("server_name", server_name)
        fd = -1
        if sock is not None:
            fileno = getattr(sock, "fileno", None)
            if not callable(fileno):
                raise TypeError(f"sock must have a fileno() method, not {type(sock).__name__}")
            fd = fileno()
            if not isinstance(fd, int) or isinstance(fd, bool):
                raise TypeError(f"sock.fileno() must return an int, not {type(fd).__name__}")
        if session is not None:
            session = memoryview(session)  # TypeError if not bytes-like
        if not isinstance(trace, bool):
            raise TypeError(f"trace must be a bool, not {type(trace).__name__}")

        with cfg._lock:
            cptr = cfg._ptr()
            ptr = _c.tlshs_new(cptr, server_name)
            if ptr is None:
                raise ConfigError(_c.tlshs_config_error(cptr) or "cannot make a handshake")
        self._h = ptr  # from here on close() (or, failing that, __del__) frees it
        try:
            if sock is not None:
                if not -(2**31) <= fd < 2**31 or _c.tlshs_set_fd(ptr, fd) != 0:
                    raise Error(_c.tlshs_usage_error(ptr) or f"sock: bad file descriptor {fd}")
            if session is not None and _c.tlshs_set_session(ptr, session) != 0:
                raise Error(_c.tlshs_usage_error(ptr))
            if trace and _c.tlshs_set_trace(ptr, 1) != 0:
                raise Error(_c.tlshs_usage_error(ptr))
        except BaseException:
            self.close()
            raise
        self._cfg = cfg
        self._sock = sock
        self._role = "client" if _c.tlshs_get_role(ptr) == _c.TLSHS_CLIENT else "server"

    # ---- driving ----

    def step(self) -> Result:
        """Drives the handshake as far as it can go and answers the Result.
        Once DONE or CLOSED it answers the same again."""
        with self._lock:
            h = self._h
            if h is None:
                raise Error("the handshake is closed")
            return _RESULTS[_c.tlshs_step(h)]

    def feed(self, data: Any) -> None:
        """Memory mode: hands bytes received from the peer (any bytes-like
        object; they are copied).  Raises Error in fd mode, after
        :meth:`feed_eof`, or once the connection is closed."""
        with self._lock:
            h = self._h
            if h is None:
                raise Error("the handshake is closed")
            if _c.tlshs_feed(h, data) != 0:
                raise Error(_c.tlshs_usage_error(h))

    def feed_eof(self) -> None:
        """Memory mode: says the peer's byte stream has ended.  A handshake
        not yet done then closes ("peer closed the connection during the
        handshake").  Harmless twice; raises Error in fd mode."""
        with self._lock:
            h = self._h
            if h is None:
                raise Error("the handshake is closed")
            if _c.tlshs_feed_eof(h) != 0:
                raise Error(_c.tlshs_usage_error(h))

    @property
    def pending(self) -> int:
        """Memory mode: how many bytes wait to be taken for the peer
        (always 0 in fd mode)."""
        with self._lock:
            h = self._h
            if h is None:
                raise Error("the handshake is closed")
            return _c.tlshs_pending(h)

    def take(self, n: int = -1) -> bytes:
        """Memory mode: removes and answers up to n pending bytes for the
        peer (all of them when n is negative, the default); b"" if none."""
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"n must be an int, not {type(n).__name__}")
        with self._lock:
            h = self._h
            if h is None:
                raise Error("the handshake is closed")
            avail = _c.tlshs_pending(h)
            if n < 0 or n > avail:
                n = avail
            data = _c.tlshs_take(h, n) if n else b""
            assert isinstance(data, bytes)  # an int only when n exceeds pending
            return data

    def read(self, n: int = 16384) -> Tuple[Result, bytes]:
        """Reads up to n bytes of application data; answers (result, data).

        Before the handshake is done it continues it first.  (DONE, data)
        when data was read; (WANT_READ, b"") when none is there yet;
        (WANT_WRITE, b"") when reading made bytes for the peer; (CLOSED,
        b"") when the peer closed or sent an alert.  One call answers at
        most one TLS record's worth (16 KiB), so n beyond that changes
        nothing.  In TLS 1.3 a client
        reads until WANT_READ after the handshake to receive the server's
        session tickets before asking for :attr:`session`.
        """
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"n must be an int, not {type(n).__name__}")
        if n < 1:
            raise ValueError("n must be at least 1")
        with self._lock:
            h = self._h
            if h is None:
                raise Error("the handshake is closed")
            r, data = _c.tlshs_read(h, min(n, _READ_MAX))
            return _RESULTS[r], data

    def write(self, data: Any) -> Tuple[Result, int]:
        """Writes application data (any bytes-like object); answers (result,
        accepted).  (DONE, len(data)) when all was accepted (in memory mode
        the record then waits in :attr:`pending`); WANT_WRITE or WANT_READ
        (fd mode): call again with the same data; CLOSED when the
        connection is over.  Continues an unfinished handshake first."""
        with self._lock:
            h = self._h
            if h is None:
                raise Error("the handshake is closed")
            r, count = _c.tlshs_write(h, data)
            return _RESULTS[r], count

    def shutdown(self) -> Result:
        """Sends close_notify and waits for the peer's: WANT_WRITE while ours
        waits to be sent (memory: take it), WANT_READ once it went and the
        peer's has not come (a caller that does not care may stop there),
        CLOSED when both were exchanged or the connection was over.  On a
        handshake that is not done it closes at once, sending nothing."""
        with self._lock:
            h = self._h
            if h is None:
                raise Error("the handshake is closed")
            return _RESULTS[_c.tlshs_shutdown(h)]

    def close(self) -> None:
        """Frees the connection's state.  Does not close ``sock``.  Safe to
        call more than once; any other use afterwards raises Error."""
        with self._lock:
            h = self._h
            if h is None:
                return
            self._h = None
            self._cfg = None
            self._sock = None
            _c.tlshs_free(h)

    def __del__(self, _free: Any = _c.tlshs_free) -> None:
        # The safety net for a handshake never closed; close() is the way.
        # Nothing else can hold the object now, so no lock is needed, and
        # _free is bound early so this works at interpreter shutdown too.
        h = getattr(self, "_h", None)
        if h is not None:
            self._h = None
            _free(h)

    def __enter__(self) -> Handshake:
        """Answers self; the ``with`` block closes it at its end."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Calls :meth:`close`; exceptions go on."""
        self.close()

    def __repr__(self) -> str:
        h = self._h
        if h is None:
            return "<tlshs.Handshake closed>"
        with self._lock:
            h = self._h
            if h is None:
                return "<tlshs.Handshake closed>"
            mode = "fd" if self._sock is not None else "memory"
            r = _c.tlshs_result_name(_c.tlshs_last_result(h))
            return f"<tlshs.Handshake {self._role} {mode} {r}>"

    # ---- outcome ----

    def _get(self, func: Any) -> Any:
        with self._lock:
            h = self._h
            if h is None:
                raise Error("the handshake is closed")
            return func(h)

    @property
    def result(self) -> Result:
        """The last result of step, read, write or shutdown (WANT_READ
        before the first call)."""
        return _RESULTS[self._get(_c.tlshs_last_result)]

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (not whether the connection is
        over: that is ``result == CLOSED``)."""
        return self._h is None

    @property
    def role(self) -> str:
        """"client" or "server"."""
        self._get(_c.tlshs_last_result)  # raises if closed
        return self._role

    @property
    def config(self) -> Config:
        """The :class:`Config` this handshake was made from."""
        with self._lock:
            cfg = self._cfg
            if self._h is None or cfg is None:
                raise Error("the handshake is closed")
            return cfg

    @property
    def sock(self) -> Any:
        """The socket given as ``sock`` (fd mode), or None (memory mode)."""
        self._get(_c.tlshs_last_result)
        return self._sock

    @property
    def handshake_done(self) -> bool:
        """Whether the handshake has completed, whatever later reads and
        writes answered."""
        return bool(self._get(_c.tlshs_handshake_done))

    @property
    def error(self) -> str:
        """Why the connection closed ("" unless a call answered CLOSED):
        "certificate verify failed: ...", "peer sent fatal alert ...",
        "peer closed the connection during the handshake", or OpenSSL's
        reason."""
        return self._get(_c.tlshs_error)

    @property
    def alert_sent(self) -> Optional[int]:
        """The code of the last TLS alert sent (see :func:`alert_name`), or None."""
        code = self._get(_c.tlshs_alert_sent)
        return None if code < 0 else code

    @property
    def alert_received(self) -> Optional[int]:
        """The code of the last TLS alert received, or None."""
        code = self._get(_c.tlshs_alert_received)
        return None if code < 0 else code

    @property
    def version(self) -> Optional[str]:
        """The negotiated version ("TLSv1.3"), None before the handshake is done."""
        return self._get(_c.tlshs_version)

    @property
    def cipher(self) -> Optional[str]:
        """The negotiated cipher's OpenSSL name, None before the handshake is done."""
        return self._get(_c.tlshs_cipher)

    @property
    def alpn(self) -> Optional[str]:
        """The protocol ALPN selected, or None."""
        return self._get(_c.tlshs_alpn)

    @property
    def server_name(self) -> Optional[str]:
        """A client's server_name as given; a server's SNI as received; or None."""
        return self._get(_c.tlshs_server_name)

    @property
    def resumed(self) -> bool:
        """Whether the handshake resumed a session."""
        return bool(self._get(_c.tlshs_resumed))

    @property
    def verify_result(self) -> int:
        """The result of verifying the peer's chain: 0 (X509_V_OK, also when
        the peer sent no certificate) or an X509_V_ERR_* code."""
        return self._get(_c.tlshs_verify_result)

    @property
    def peer_cert(self) -> Optional[bytes]:
        """The peer's certificate, DER-encoded, or None if it sent none."""
        return self._get(_c.tlshs_peer_cert)

    @property
    def session(self) -> Optional[bytes]:
        """The session to resume later (pass it as ``session=``), DER; None
        if there is none.  In TLS 1.3 a client has one once it has read the
        server's NewSessionTicket: after DONE, read() until WANT_READ."""
        with self._lock:
            h = self._h
            if h is None:
                raise Error("the handshake is closed")
            size = _c.tlshs_session(h, 0)
            while isinstance(size, int):  # the size, as it was > 0
                size = _c.tlshs_session(h, size)
            return size or None

    @property
    def trace(self) -> list[Event]:
        """The TLS messages recorded so far, oldest first ([] unless made
        with ``trace=True``)."""
        with self._lock:
            h = self._h
            if h is None:
                raise Error("the handshake is closed")
            count = _c.tlshs_trace_count(h)
            events = []
            for i in range(count):
                ev = _c.tlshs_trace_event(h, i)
                if ev is not None:
                    events.append(Event(*ev))
            return events
