"""tlshs.aio: tlshs handshakes in asyncio (any loop that implements it, uvloop too).

    reader, writer = await tlshs.aio.open_connection("127.0.0.1", 4433, cfg, server_name="localhost")
    server = await tlshs.aio.start_server(handle, "127.0.0.1", 0, scfg)
    reader, writer = await tlshs.aio.start_tls(reader, writer, cfg, server_name="mail.example")
    await tlshs.aio.key_update(writer, request_peer=True)

The readers and writers are asyncio's own StreamReader and StreamWriter;
``writer.get_extra_info("tlshs")`` is the :class:`tlshs.Handshake`, the
other keys are the socket's (peername, sockname, socket).

How it works: the loop owns the socket and its transport calls a
:class:`asyncio.Protocol` of this module, which feeds what arrives to a
memory-mode Handshake and writes what the Handshake takes; the application
protocol (asyncio's StreamReaderProtocol) sits on a transport of this
module, made once the handshake is DONE.  Nothing here parses a record: the
C core does the TLS, this module moves bytes and keeps asyncio's promises
(flow control, close, cancellation).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
from collections import deque
from typing import Any, Callable, Deque, List, Optional, Tuple

from ._drive import PIECE_PAUSE, Tamper
from ._errors import Code, Error, StateError
from ._errors import closed_error as _error
from ._handshake import Handshake
from ._results import Result

__all__ = ["open_connection", "start_server", "start_tls", "key_update", "renegotiate",
           "request_client_cert", "HandshakeTimeoutError", "SHUTDOWN_TIMEOUT", "HANDSHAKE_TIMEOUT"]

_log = logging.getLogger("tlshs.aio")

#: open_connection's and start_tls's handshake_timeout when None is given
#: (asyncio's own default for its TLS handshakes).
HANDSHAKE_TIMEOUT = 60.0
#: How long ``writer.close()`` waits, after sending close_notify, for the
#: peer's close_notify or end of stream before it closes the socket anyway.
SHUTDOWN_TIMEOUT = 5.0
#: How long a connection whose handshake failed keeps reading (and
#: dropping) what the peer still sends after the alert, so that the alert
#: is not lost to a reset, before the socket closes.
_FAILED_LINGER = 0.5
_READ_SIZE = 16384  # one TLS record: what Handshake.read answers at most
_LIMIT = 2**16  # asyncio.streams._DEFAULT_LIMIT

_WANT_READ = Result.WANT_READ  # type: ignore[attr-defined]
_WANT_WRITE = Result.WANT_WRITE  # type: ignore[attr-defined]
_DONE = Result.DONE  # type: ignore[attr-defined]
_CLOSED = Result.CLOSED  # type: ignore[attr-defined]

# What the connection is doing.
_HANDSHAKE, _OPEN, _CLOSING, _CLOSED_STATE = range(4)


class HandshakeTimeoutError(Error, TimeoutError):
    """The handshake was not DONE within ``handshake_timeout`` seconds: a
    :class:`tlshs.Error` with code E_TIMEOUT that is also a TimeoutError
    (what asyncio raises for its own TLS).  ``handshake`` is the Handshake,
    as far as it got."""

    default_code = Code.E_TIMEOUT  # type: ignore[attr-defined]


def _capture_path(base: Any, index: int) -> Any:
    """FILE for the first connection, FILE.2, FILE.3 ... for the next (as serve names them)."""
    if base is None or index == 1:
        return base
    base = os.fspath(base)
    return base + (b".%d" % index if isinstance(base, bytes) else f".{index}")


class _TLSTransport(asyncio.Transport):
    """The transport the application protocol sees: plaintext in and out,
    TLS on the socket underneath (the loop's transport)."""

    __slots__ = ("_proto",)

    def __init__(self, proto: "_TLSProtocol") -> None:
        super().__init__()
        self._proto = proto

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """"tlshs": the Handshake; any other key, the socket transport's."""
        p = self._proto
        if name == "tlshs":
            return p._hs
        return p._transport.get_extra_info(name, default) if p._transport is not None else default

    def is_closing(self) -> bool:
        return self._proto._state != _OPEN

    def close(self) -> None:
        """Sends close_notify, then closes the socket once the peer answered
        with its own or ended its stream (at most SHUTDOWN_TIMEOUT seconds
        later); the protocol's connection_lost follows."""
        self._proto._close()

    def abort(self) -> None:
        """Closes the socket at once, without close_notify."""
        self._proto._abort()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._proto._app = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._proto._app

    def is_reading(self) -> bool:
        return not self._proto._app_reading_paused

    def pause_reading(self) -> None:
        self._proto._pause_reading()

    def resume_reading(self) -> None:
        self._proto._resume_reading()

    def write(self, data: Any) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data: expecting a bytes-like instance, got {type(data).__name__}")
        if data:
            self._proto._write(data)

    def write_eof(self) -> None:
        raise NotImplementedError("TLS has no half-close here: close() sends close_notify")

    def can_write_eof(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return self._proto._write_buffer_size()

    def get_write_buffer_limits(self) -> Tuple[int, int]:
        p = self._proto
        if p._saved_limits is not None:
            return p._saved_limits
        return p._transport.get_write_buffer_limits() if p._transport is not None else (0, 0)

    def set_write_buffer_limits(self, high: Optional[int] = None, low: Optional[int] = None) -> None:
        """The socket transport's limits (its buffer is the one that fills)."""
        p = self._proto
        if p._transport is None:
            return
        if p._saved_limits is None:
            p._transport.set_write_buffer_limits(high, low)
            return
        # a wait for the buffer to empty has them at 0: they apply after it (asyncio's defaults)
        if high is None:
            high = 4 * low if low is not None else 65536
        p._saved_limits = (high // 4 if low is None else low, high)

    def __repr__(self) -> str:
        return f"<tlshs.aio transport {('handshake', 'open', 'closing', 'closed')[self._proto._state]}>"


class _TLSProtocol(asyncio.Protocol):
    """Drives one memory-mode Handshake over the loop's transport and
    serves the application protocol once the handshake is DONE."""

    __slots__ = ("_loop", "_hs", "_app", "_waiter", "_timeout", "_tamper", "_on_end", "_transport",
                 "_app_transport", "_state", "_timer", "_app_connected", "_app_reading_paused",
                 "_raw_paused", "_app_writing_paused", "_queue", "_pump_handle", "_backlog", "_sent_waiters",
                 "_saved_limits", "_exc", "_hs_closed", "_leftover", "_keep", "_lost_writes", "_ended")

    def __init__(self, loop: asyncio.AbstractEventLoop, hs: Handshake, app: asyncio.BaseProtocol,
                 waiter: Optional["asyncio.Future[None]"], timeout: Optional[float], tamper: Optional[Tamper],
                 on_end: Optional[Callable[[Handshake], Any]], leftover: bytes = b"", keep: Any = None) -> None:
        self._loop = loop
        self._hs = hs
        self._app = app
        self._waiter = waiter
        self._timeout = timeout
        self._tamper = tamper
        self._on_end = on_end
        self._transport: Any = None
        self._app_transport: Optional[_TLSTransport] = _TLSTransport(self)
        self._state = _HANDSHAKE
        self._timer: Optional[asyncio.TimerHandle] = None
        self._app_connected = False
        self._app_reading_paused = False
        self._raw_paused = False  # the socket transport's buffer is over its high-water mark
        self._app_writing_paused = False
        self._queue: Optional[Deque[List[Any]]] = None  # output held back: [delay, bytes or callable]
        self._pump_handle: Optional[asyncio.TimerHandle] = None
        self._backlog: Optional[Deque[bytes]] = None  # plaintext the Handshake did not take yet
        self._sent_waiters: Optional[List["asyncio.Future[bool]"]] = None
        self._saved_limits: Optional[Tuple[int, int]] = None
        self._exc: Optional[BaseException] = None  # for the application's connection_lost
        self._hs_closed = False  # the Handshake answered CLOSED: nothing more is fed
        self._leftover = leftover  # bytes read before start_tls: the first TLS bytes
        self._keep = keep  # start_tls: the plain reader and writer, kept alive with the socket
        self._lost_writes = 0
        self._ended = False  # on_handshake_end was called

    # ---- the loop's transport calls these ----

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        if self._timeout is not None:
            self._timer = self._loop.call_later(self._timeout, self._handshake_timed_out)
        try:
            if self._leftover:
                data, self._leftover = self._leftover, b""
                self.data_received(data)
            else:
                self._handshake()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as e:  # the tamper hook's: the loop would only log it here
            self._state = _CLOSING
            self._end_handshake()
            self._fail(e)
            self._abort()

    def data_received(self, data: bytes) -> None:
        if self._tamper is not None:
            data = self._tamper("in", data)  # type: ignore[assignment]
            if not data:
                return
        if self._hs_closed or self._state == _CLOSED_STATE:
            return  # after the end: dropped, as the socket is drained before it closes
        self._hs.feed(data)
        if self._state == _HANDSHAKE:
            self._handshake()
        else:
            self._read()

    def eof_received(self) -> bool:
        if not self._hs_closed:
            self._hs.feed_eof()
        if self._state == _HANDSHAKE:
            self._handshake()
        elif self._state == _OPEN and not self._hs_closed:
            self._read()
        if self._state == _CLOSING:
            self._finish_close()
        return True  # this protocol closes the transport itself

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        state, self._state = self._state, _CLOSED_STATE
        for handle in (self._timer, self._pump_handle):
            if handle is not None:
                handle.cancel()
        self._timer = self._pump_handle = None
        self._queue = None
        self._backlog = None
        if state == _HANDSHAKE:  # the socket closed before the handshake ended
            if not self._hs_closed:
                self._hs_closed = True
                self._hs.feed_eof()
                self._hs.step()
            self._end_handshake()
            if exc is not None and not isinstance(exc, OSError):
                self._fail(exc)  # the tamper hook's exception, or another program error
            else:
                self._fail(_error(self._hs, exc))
        self._wake_sent(False)
        if self._app_connected:
            self._app_connected = False
            self._app.connection_lost(self._exc or exc)  # type: ignore[arg-type]
        self._app_transport = None  # the transport keeps this protocol; not the other way round
        self._keep = None

    def pause_writing(self) -> None:
        self._raw_paused = True
        self._pause_app_writing()

    def resume_writing(self) -> None:
        self._raw_paused = False
        if self._saved_limits is not None:  # the buffer is empty: the limits of before
            low, high = self._saved_limits
            self._saved_limits = None
            self._transport.set_write_buffer_limits(high, low)
        if not self._queue:
            self._wake_sent(True)
        if self._app_writing_paused and not self._raw_paused:
            self._app_writing_paused = False
            if self._app_connected:
                self._app.resume_writing()

    # ---- the handshake ----

    def _handshake(self) -> None:
        hs = self._hs
        r = hs.step()
        while r == _WANT_WRITE:
            self._flush()
            r = hs.step()
        if r == _DONE:
            self._handshake_done()
        elif r == _CLOSED:
            self._hs_closed = True
            self._handshake_failed()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _handshake_done(self) -> None:
        self._stop_timer()
        self._state = _OPEN
        self._end_handshake()
        self._app_connected = True
        self._app.connection_made(self._app_transport)  # type: ignore[arg-type]
        if self._raw_paused:
            self._pause_app_writing()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        self._waiter = None
        if self._state == _OPEN:
            self._read()  # what came with the last flight (tickets, the first request)

    def _handshake_failed(self) -> None:
        self._stop_timer()
        self._state = _CLOSING
        self._end_handshake()
        self._fail(_error(self._hs))
        self._linger(_FAILED_LINGER)

    def _handshake_timed_out(self) -> None:
        self._timer = None
        if self._state != _HANDSHAKE:
            return
        self._state = _CLOSING
        self._end_handshake()
        exc = HandshakeTimeoutError(f"the handshake was not done in {self._timeout:g} s")
        exc.handshake = self._hs
        self._fail(exc)
        self._abort()

    def _end_handshake(self) -> None:
        """on_handshake_end(hs), once per connection, whatever the outcome."""
        if self._ended:
            return
        self._ended = True
        if self._on_end is not None:
            try:
                self._on_end(self._hs)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as e:
                self._loop.call_exception_handler({"message": "tlshs.aio: on_handshake_end raised",
                                                   "exception": e, "protocol": self})

    def _fail(self, exc: BaseException) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    # ---- output: the Handshake's bytes to the socket ----

    def _flush(self) -> None:
        data = self._hs.take()
        if data:
            self._send(data)

    def _send(self, data: Any) -> None:
        if self._tamper is not None:
            data = self._tamper("out", data)
            if data is None:
                return
            if not isinstance(data, (bytes, bytearray, memoryview)):  # pieces, PIECE_PAUSE apart
                pieces = [bytes(p) for p in data if p]
                if not pieces:
                    return
                if self._queue is None:
                    self._queue = deque()
                self._queue.append([0.0, pieces[0]])
                self._queue.extend([PIECE_PAUSE, p] for p in pieces[1:])
                self._pump()
                return
            if not data:
                return
        if self._queue:
            self._queue.append([0.0, data])
        elif self._transport is not None and self._state != _CLOSED_STATE:
            self._transport.write(data)

    def _after_output(self, fn: Callable[[], Any]) -> None:
        """fn() once everything queued before it was written."""
        if self._queue:
            self._queue.append([0.0, fn])
        else:
            fn()

    def _pump(self) -> None:
        self._pump_handle = None
        queue = self._queue
        while queue:
            entry = queue[0]
            if entry[0] > 0:
                entry[0] = 0.0
                self._pump_handle = self._loop.call_later(PIECE_PAUSE, self._pump)
                return
            queue.popleft()
            if callable(entry[1]):
                entry[1]()
            elif self._transport is not None and self._state != _CLOSED_STATE:
                self._transport.write(entry[1])
        self._check_sent()

    def _write_buffer_size(self) -> int:
        size = self._transport.get_write_buffer_size() if self._transport is not None else 0
        if self._queue:
            size += sum(len(e[1]) for e in self._queue if not callable(e[1]))
        if self._backlog:
            size += sum(len(d) for d in self._backlog)
        return size

    def _pause_app_writing(self) -> None:
        if not self._app_writing_paused and self._app_connected:
            self._app_writing_paused = True
            self._app.pause_writing()

    async def _sent(self) -> None:
        """Returns once every byte handed to the socket transport so far has
        left it (the kernel has it); ConnectionResetError if the connection
        ended first."""
        while self._queue or (self._transport is not None and self._state != _CLOSED_STATE
                              and self._transport.get_write_buffer_size()):
            fut = self._loop.create_future()
            if self._sent_waiters is None:
                self._sent_waiters = []
            self._sent_waiters.append(fut)
            self._check_sent()
            if not await fut:
                raise ConnectionResetError("the connection closed before the message went out")
        if self._state == _CLOSED_STATE:
            raise ConnectionResetError("the connection is closed")

    def _check_sent(self) -> None:
        """Wakes the _sent waiters once nothing waits; else makes sure the
        socket transport says when its buffer empties: with both limits 0,
        its pause_writing comes now and its resume_writing once empty."""
        if not self._sent_waiters or self._queue:
            return
        t = self._transport
        if t is None or self._state == _CLOSED_STATE or not t.get_write_buffer_size():
            self._wake_sent(True)
        elif self._saved_limits is None:
            self._saved_limits = t.get_write_buffer_limits()
            t.set_write_buffer_limits(0, 0)

    def _wake_sent(self, ok: bool) -> None:
        waiters, self._sent_waiters = self._sent_waiters, None
        for fut in waiters or ():
            if not fut.done():
                fut.set_result(ok)

    # ---- application data ----

    def _read(self) -> None:
        """Reads what the Handshake has, for the application (until it
        pauses reading); answers the peer's KeyUpdate and renegotiation
        messages on the way; ends the connection on CLOSED."""
        hs = self._hs
        for _ in range(100_000):  # each pass consumes a record: bounded by what was fed
            if self._state == _OPEN and self._app_reading_paused:
                return
            r, data = hs.read(_READ_SIZE)
            if r == _DONE:
                if data and self._state == _OPEN:
                    self._app.data_received(data)  # type: ignore[attr-defined]
                continue
            if r == _WANT_WRITE:
                self._flush()
                continue
            if r == _CLOSED:
                self._hs_closed = True
                self._flush()  # our alert, if any
                self._tls_closed()
                return
            break  # WANT_READ
        if self._backlog and self._state == _OPEN:
            self._write_backlog()

    def _write(self, data: Any) -> None:
        if self._state != _OPEN:
            self._lost_writes += 1
            if self._lost_writes == 5:
                _log.warning("tlshs.aio: writing to a closed connection (the data is dropped)")
            return
        if self._backlog:
            self._backlog.append(bytes(data))
            return
        r, n = self._hs.write(data)
        if r == _DONE:
            self._flush()
            return
        self._flush()
        if r == _CLOSED:
            self._hs_closed = True
            self._tls_closed()
            return
        # WANT_READ (WANT_WRITE): a renegotiation needs the peer first
        self._backlog = deque([bytes(data)])

    def _write_backlog(self) -> None:
        backlog = self._backlog
        while backlog:
            r, n = self._hs.write(backlog[0])
            self._flush()
            if r == _CLOSED:
                self._hs_closed = True
                self._tls_closed()
                return
            if r != _DONE:
                return
            backlog.popleft()
        self._backlog = None

    def _tls_closed(self) -> None:
        """The Handshake answered CLOSED after the handshake: the peer's
        close_notify, its end of stream, an alert or a failure."""
        if self._state == _OPEN:
            code = self._hs.error_code
            self._state = _CLOSING
            if code in (Code.E_CLOSE_NOTIFY, Code.E_EOF):  # type: ignore[attr-defined]
                if code == Code.E_CLOSE_NOTIFY:  # type: ignore[attr-defined]
                    r = self._hs.shutdown()  # answer with ours
                    while r == _WANT_WRITE:
                        self._flush()
                        r = self._hs.shutdown()
                try:
                    self._app.eof_received()  # type: ignore[attr-defined]
                except (SystemExit, KeyboardInterrupt):
                    raise
                except BaseException as e:
                    self._loop.call_exception_handler({"message": "eof_received() raised",
                                                       "exception": e, "protocol": self})
            else:
                self._exc = _error(self._hs)
        if self._state == _CLOSING:
            self._finish_close()

    # ---- flow control for the application ----

    def _pause_reading(self) -> None:
        if self._app_reading_paused:
            return
        self._app_reading_paused = True
        if self._state == _OPEN and self._transport is not None:
            self._transport.pause_reading()

    def _resume_reading(self) -> None:
        if not self._app_reading_paused:
            return
        self._app_reading_paused = False
        if self._state == _OPEN and self._transport is not None:
            self._transport.resume_reading()
            self._loop.call_soon(self._read_if_open)  # what the Handshake holds already

    def _read_if_open(self) -> None:
        if self._state == _OPEN:
            self._read()

    # ---- closing ----

    def _close(self) -> None:
        if self._state == _HANDSHAKE:
            self._abort()
            return
        if self._state != _OPEN:
            return
        self._state = _CLOSING
        hs = self._hs
        r = hs.shutdown()
        while r == _WANT_WRITE:
            self._flush()
            r = hs.shutdown()
        if r == _CLOSED:  # the peer's close_notify was in already, or the connection was over
            self._hs_closed = True
            self._finish_close()
            return
        self._linger(SHUTDOWN_TIMEOUT)
        if self._app_reading_paused:  # the peer's answer must be read now
            self._transport.resume_reading()
        self._loop.call_soon(self._read_closing)

    def _read_closing(self) -> None:
        if self._state == _CLOSING and not self._hs_closed:
            self._read()

    def _linger(self, seconds: float) -> None:
        """After the last flight (close_notify, an alert): ends the
        stream (the peer reads EOF after it), then reads and drops until
        the peer ends its own, or seconds pass; then closes."""
        def end_stream() -> None:
            t = self._transport
            if t is not None and self._state == _CLOSING and not t.is_closing() and t.can_write_eof():
                try:
                    t.write_eof()
                except OSError:
                    pass
        self._after_output(end_stream)
        self._stop_timer()
        self._timer = self._loop.call_later(seconds, self._finish_close)

    def _finish_close(self) -> None:
        if self._state == _CLOSED_STATE:
            return
        self._stop_timer()
        t = self._transport
        if t is not None:
            self._after_output(t.close)

    def _abort(self) -> None:
        if self._state == _OPEN:
            self._state = _CLOSING
        if self._transport is not None:
            self._transport.abort()


# ---- the public functions ----


def _new_handshake(config: Any, server_name: Optional[str], session: Any, trace: bool,
                   capture: Any = None, on_client_hello: Any = None) -> Handshake:
    if getattr(config, "role", None) == "server":
        server_name = None  # a server is told its name by the client
    return Handshake(config, server_name=server_name, session=session, trace=trace, capture=capture,
                     on_client_hello=on_client_hello)


async def _wait_handshake(proto: _TLSProtocol, waiter: "asyncio.Future[None]") -> None:
    """Awaits the handshake; a cancelled wait closes the socket at once."""
    try:
        await waiter
    except BaseException:
        proto._abort()
        raise


async def open_connection(host: Optional[str], port: Optional[int], config: Any, *,
                          server_name: Optional[str] = None, session: Any = None, trace: bool = False,
                          capture: Any = None, tamper: Optional[Tamper] = None,
                          handshake_timeout: Optional[float] = None, limit: int = _LIMIT,
                          **kwds: Any) -> Tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connects to host:port and drives the config's handshake over the
    connection; answers asyncio's (StreamReader, StreamWriter) once it is
    DONE.  See docs/python.md, "tlshs.aio"."""
    if "ssl" in kwds:
        raise TypeError("open_connection: ssl= is asyncio's; the TLS here is config's")
    loop = asyncio.get_running_loop()
    hs = _new_handshake(config, host if server_name is None else server_name, session, trace, capture)
    reader = asyncio.StreamReader(limit=limit, loop=loop)
    app = asyncio.StreamReaderProtocol(reader, loop=loop)
    waiter = loop.create_future()
    timeout = HANDSHAKE_TIMEOUT if handshake_timeout is None else handshake_timeout
    try:
        _, proto = await loop.create_connection(
            lambda: _TLSProtocol(loop, hs, app, waiter, timeout, tamper, None), host, port, **kwds)  # type: ignore[arg-type]
    except BaseException:
        hs.close()
        raise
    await _wait_handshake(proto, waiter)
    return reader, asyncio.StreamWriter(proto._app_transport, app, reader, loop)  # type: ignore[arg-type]


async def start_server(client_connected_cb: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Any],
                       host: Any, port: Optional[int], config: Any, *,
                       on_client_hello: Optional[Callable[[Any], Any]] = None,
                       on_handshake_end: Optional[Callable[[Handshake], Any]] = None, trace: bool = False,
                       capture: Any = None, tamper: Optional[Tamper] = None,
                       handshake_timeout: Optional[float] = 10.0, limit: int = _LIMIT,
                       **kwds: Any) -> asyncio.Server:
    """As asyncio.start_server, each connection driven through the config's
    handshake first: client_connected_cb(reader, writer) runs once it is
    DONE, on_handshake_end(hs) for every handshake.  See docs/python.md."""
    if "ssl" in kwds:
        raise TypeError("start_server: ssl= is asyncio's; the TLS here is config's")
    loop = asyncio.get_running_loop()
    _new_handshake(config, None, None, False).close()  # a config that cannot serve fails here
    factory = _server_factory(loop, client_connected_cb, config, on_client_hello, on_handshake_end, trace,
                              capture, tamper, handshake_timeout, limit)
    return await loop.create_server(factory, host, port, **kwds)


def _server_factory(loop: asyncio.AbstractEventLoop, client_connected_cb: Any, config: Any,
                    on_client_hello: Any, on_handshake_end: Any, trace: bool, capture: Any,
                    tamper: Optional[Tamper], handshake_timeout: Optional[float],
                    limit: int = _LIMIT) -> Callable[[], _TLSProtocol]:
    """The protocol factory of a TLS server: one Handshake per connection
    (capture FILE, FILE.2 ... in the order of the connections)."""
    count = itertools.count(1)

    def factory() -> _TLSProtocol:
        hs = _new_handshake(config, None, None, trace, _capture_path(capture, next(count)), on_client_hello)
        app = asyncio.StreamReaderProtocol(asyncio.StreamReader(limit=limit, loop=loop), client_connected_cb,
                                           loop=loop)
        return _TLSProtocol(loop, hs, app, None, handshake_timeout, tamper, on_handshake_end)

    return factory


async def start_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, config: Any, *,
                    server_name: Optional[str] = None, session: Any = None, trace: bool = False,
                    handshake_timeout: Optional[float] = None) -> Tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Upgrades a plain asyncio connection to TLS (after a STARTTLS
    exchange); answers a new (reader, writer) once the handshake is DONE.
    The old pair must not be used any more.  See docs/python.md."""
    transport = writer.transport
    if isinstance(transport, _TLSTransport):
        raise StateError("start_tls: the connection is TLS already")
    if transport.is_closing():
        raise StateError("start_tls: the connection is closed")
    loop = asyncio.get_running_loop()
    await writer.drain()
    # Bytes the plain reader holds beyond the STARTTLS exchange are the
    # peer's first TLS bytes (a client that did not wait for the answer).
    buffered = getattr(reader, "_buffer", None)
    leftover = bytes(buffered) if buffered else b""
    if buffered:
        buffered.clear()
    hs = _new_handshake(config, server_name, session, trace)
    new_reader = asyncio.StreamReader(limit=getattr(reader, "_limit", _LIMIT), loop=loop)
    app = asyncio.StreamReaderProtocol(new_reader, loop=loop)
    waiter = loop.create_future()
    timeout = HANDSHAKE_TIMEOUT if handshake_timeout is None else handshake_timeout
    proto = _TLSProtocol(loop, hs, app, waiter, timeout, None, None, leftover, keep=(reader, writer))
    transport.set_protocol(proto)
    proto.connection_made(transport)
    if hasattr(transport, "is_reading") and not transport.is_reading():
        transport.resume_reading()  # type: ignore[attr-defined]
    await _wait_handshake(proto, waiter)
    return new_reader, asyncio.StreamWriter(proto._app_transport, app, new_reader, loop)  # type: ignore[arg-type]


# ---- the moves ----


def _protocol(writer: asyncio.StreamWriter) -> _TLSProtocol:
    transport = getattr(writer, "transport", None)
    if not isinstance(transport, _TLSTransport):
        raise TypeError("writer must come from tlshs.aio (open_connection, start_server, start_tls)")
    proto = transport._proto
    if proto._state != _OPEN:
        raise StateError("the connection is closing or closed")
    return proto


async def _move(writer: asyncio.StreamWriter, name: str, *args: Any) -> None:
    proto = _protocol(writer)
    move = getattr(proto._hs, name)
    r = move(*args)  # StateError (nothing changed) when the move does not fit
    while r == _WANT_WRITE:
        proto._flush()
        r = move(*args)
    proto._flush()
    if r == _CLOSED:
        proto._hs_closed = True
        proto._tls_closed()
        raise _error(proto._hs)
    await proto._sent()


async def key_update(writer: asyncio.StreamWriter, request_peer: bool = False) -> None:
    """TLS 1.3: sends a KeyUpdate (request_peer: asking the peer for its
    own, which the connection takes in as it reads) and returns once it has
    gone out.  StateError when it does not fit (TLS 1.2, closing)."""
    await _move(writer, "key_update", request_peer)


async def renegotiate(writer: asyncio.StreamWriter) -> None:
    """TLS 1.2: starts a renegotiation (a client's ClientHello, a server's
    HelloRequest) and returns once that has gone out; the rest runs as the
    connection reads."""
    await _move(writer, "renegotiate")


async def request_client_cert(writer: asyncio.StreamWriter) -> None:
    """A TLS 1.3 server asks for the client's certificate (the client
    offered post_handshake_auth) and returns once the request has gone
    out; the certificate arrives as the connection reads
    (``writer.get_extra_info("tlshs").peer_cert``)."""
    await _move(writer, "request_client_cert")
