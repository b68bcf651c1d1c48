"""tlshs.trio: a tlshs handshake as a trio stream.

    stream = tlshs.trio.TLSStream(await trio.open_tcp_stream("127.0.0.1", 4433), cfg,
                                  server_name="localhost")
    await stream.do_handshake()
    await stream.send_all(b"GET / HTTP/1.0\\r\\n\\r\\n")
    data = await stream.receive_some()
    await stream.aclose()

TLSStream is a trio.abc.Stream as trio.SSLStream is, over any other
trio.abc.Stream, its side the config's role; ``stream.handshake`` is the
:class:`tlshs.Handshake` (memory mode).  It follows trio.SSLStream's rules:
one task at a time sends and one receives (trio.BusyResourceError
otherwise), both may run at once; a failure or a cancelled call in the
middle of a TLS exchange leaves the stream broken (trio.BrokenResourceError,
its __cause__ the tlshs.Error with the Handshake in .handshake).
"""

from __future__ import annotations

import operator
from typing import Any, Callable, Optional

import trio

from ._errors import Code, Error
from ._errors import closed_error as _error
from ._handshake import Handshake
from ._results import Result

__all__ = ["TLSStream"]

_WANT_READ = Result.WANT_READ  # type: ignore[attr-defined]
_WANT_WRITE = Result.WANT_WRITE  # type: ignore[attr-defined]
_DONE = Result.DONE  # type: ignore[attr-defined]
_CLOSED = Result.CLOSED  # type: ignore[attr-defined]

_OK, _BROKEN, _CLOSED_STATE = range(3)
_RECEIVE_SIZE = 16384  # one TLS record: what Handshake.read answers at most


class _Conflict:
    """Raises trio.BusyResourceError when a second task enters."""

    __slots__ = ("_busy", "_message")

    def __init__(self, message: str) -> None:
        self._busy = False
        self._message = message

    def __enter__(self) -> None:
        if self._busy:
            raise trio.BusyResourceError(self._message)
        self._busy = True

    def __exit__(self, *exc: object) -> None:
        self._busy = False


class TLSStream(trio.abc.Stream):
    """A TLS connection over another trio stream, driven by a memory-mode
    :class:`tlshs.Handshake` (the side is ``config``'s role).

    ``TLSStream(transport_stream, config, *, server_name=None,
    session=None, trace=False)``: the Handshake's own arguments.  The
    handshake runs on the first call that needs it, or on
    :meth:`do_handshake`.  :attr:`handshake` is the Handshake;
    :attr:`transport_stream` the stream underneath.
    """

    def __init__(self, transport_stream: trio.abc.Stream, config: Any, *, server_name: Optional[str] = None,
                 session: Any = None, trace: bool = False) -> None:
        if getattr(config, "role", None) == "server":
            server_name = None
        #: The stream underneath.
        self.transport_stream = transport_stream
        #: The :class:`tlshs.Handshake` (memory mode) of the connection.
        self.handshake = Handshake(config, server_name=server_name, session=session, trace=trace)
        self._state = _OK
        self._handshook = False
        self._handshake_started = False
        self._handshake_done_event = trio.Event()
        self._inner_send_lock = trio.StrictFIFOLock()
        self._inner_recv_lock = trio.Lock()
        self._inner_recv_count = 0
        self._send_conflict = _Conflict("another task is sending on this TLSStream")
        self._recv_conflict = _Conflict("another task is receiving on this TLSStream")

    def _check(self) -> None:
        if self._state == _BROKEN:
            raise trio.BrokenResourceError("the TLS connection is broken")
        if self._state == _CLOSED_STATE:
            raise trio.ClosedResourceError("the TLSStream is closed")

    def _broken(self) -> trio.BrokenResourceError:
        self._state = _BROKEN
        err = trio.BrokenResourceError(self.handshake.error or "the TLS connection is broken")
        err.__cause__ = _error(self.handshake)
        return err

    async def _retry(self, fn: Callable[[], Any], ignore_want_read: bool = False) -> Any:
        """Calls fn (a Handshake call) until it answers DONE or CLOSED,
        sending what it leaves for the peer (first, in order: one send at a
        time through a FIFO lock) and receiving when it wants to read (one
        receive at a time; a task that finds another receiving waits and
        calls fn again).  As trio.SSLStream does it."""
        await trio.lowlevel.checkpoint_if_cancelled()
        hs = self.handshake
        yielded = False
        while True:
            ans = fn()
            r = ans[0] if isinstance(ans, tuple) else ans
            to_send = hs.take()
            finished = r in (_DONE, _CLOSED) or (r == _WANT_READ and ignore_want_read)
            if to_send:
                async with self._inner_send_lock:
                    yielded = True
                    try:
                        await self.transport_stream.send_all(to_send)
                    except BaseException:
                        self._state = _BROKEN  # some of it went: the stream is lost
                        raise
            elif r == _WANT_READ and not finished:
                count = self._inner_recv_count
                async with self._inner_recv_lock:
                    yielded = True
                    if count == self._inner_recv_count:  # nobody received meanwhile
                        data = await self.transport_stream.receive_some()
                        try:
                            if data:
                                hs.feed(data)
                            else:
                                hs.feed_eof()
                        except Error:
                            pass  # closed meanwhile: fn answers CLOSED now
                        self._inner_recv_count += 1
            elif r == _WANT_WRITE:  # nothing to send and still a want: cannot go on
                raise self._broken()
            if finished:
                break
        if not yielded:
            await trio.lowlevel.cancel_shielded_checkpoint()
        return ans

    async def _ensure_handshake(self) -> None:
        if self._handshook:
            return
        if self._handshake_started:
            await self._handshake_done_event.wait()
            self._check()
            return
        self._handshake_started = True
        try:
            r = await self._retry(self.handshake.step)
            if r == _CLOSED:
                raise self._broken()
            self._handshook = True
        except BaseException:
            self._state = _BROKEN
            raise
        finally:
            self._handshake_done_event.set()

    async def do_handshake(self) -> None:
        """Completes the handshake (or waits for another task's); returns at
        once once it is done.  A failed handshake raises
        trio.BrokenResourceError from the tlshs.Error (its code, the
        Handshake in .handshake); so does any later call."""
        self._check()
        await self._ensure_handshake()
        await trio.lowlevel.checkpoint()

    async def receive_some(self, max_bytes: Optional[int] = None) -> bytes:
        """The next 1 to max_bytes bytes of application data (at most one
        TLS record); b"" once the peer sent close_notify.  An end of stream
        without close_notify, or an alert, raises trio.BrokenResourceError."""
        with self._recv_conflict:
            self._check()
            await self._ensure_handshake()
            if max_bytes is None:
                n = _RECEIVE_SIZE
            else:
                n = operator.index(max_bytes)
                if n < 1:
                    raise ValueError("max_bytes must be >= 1")
            r, data = await self._retry(lambda: self.handshake.read(n))
            if r == _DONE:
                return bytes(data)
            if self.handshake.error_code == Code.E_CLOSE_NOTIFY:  # type: ignore[attr-defined]
                return b""
            raise self._broken()

    async def send_all(self, data: Any) -> None:
        """Encrypts data and sends it all."""
        with self._send_conflict:
            self._check()
            await self._ensure_handshake()
            if not data:
                await trio.lowlevel.checkpoint()
                return
            data = bytes(data)
            r, _ = await self._retry(lambda: self.handshake.write(data))
            if r != _DONE:
                raise self._broken()

    async def wait_send_all_might_not_block(self) -> None:
        """As trio.SSLStream's: waits until the stream underneath may take data."""
        with self._send_conflict:
            self._check()
            async with self._inner_send_lock:
                await self.transport_stream.wait_send_all_might_not_block()

    async def aclose(self) -> None:
        """Sends close_notify (once the handshake is done; without waiting
        for the peer's), then closes the stream underneath.  A broken
        stream is closed at once.  Safe to call twice."""
        if self._state == _CLOSED_STATE:
            await trio.lowlevel.checkpoint()
            return
        if self._state == _BROKEN or not self._handshake_started:
            self._state = _CLOSED_STATE
            await self.transport_stream.aclose()
            return
        try:
            await self._ensure_handshake()
            try:
                await self._retry(self.handshake.shutdown, ignore_want_read=True)
            except (trio.BrokenResourceError, trio.BusyResourceError):
                pass  # the peer is gone, or a task is inside a send: no clean close
        except BaseException:
            await trio.aclose_forcefully(self.transport_stream)
            raise
        else:
            await self.transport_stream.aclose()
        finally:
            self._state = _CLOSED_STATE
