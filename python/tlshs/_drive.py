"""drive and close_socket: one memory-mode handshake over a connected socket.

Socket I/O is Python's business here; the records logic stays in the C
core.  drive never blocks past its timeout: every wait is a select() with
the time left, and every send and receive is non-blocking.
"""

import select
import socket
import time
from typing import Any, Callable, Iterable, Optional, Union

from . import _tlshs as _c
from ._results import Result

_CLOSED, _DONE, _WANT_WRITE = _c.TLSHS_CLOSED, _c.TLSHS_DONE, _c.TLSHS_WANT_WRITE

#: The pause between the pieces of a flight tamper answers as a list, so
#: each leaves in its own TCP segment (Nagle's algorithm is turned off).
PIECE_PAUSE = 0.02

Tamper = Callable[[str, bytes], Union[None, bytes, Iterable[bytes]]]


_SENT, _GONE, _LATE = 0, 1, 2  # what a send came to


def _send(sock: socket.socket, data: Any, deadline: float) -> int:
    """Sends all of data before deadline: _SENT, _GONE (the peer closed or
    reset) or _LATE (the peer did not take it in time)."""
    view = memoryview(data).cast("B")
    while view:
        left = deadline - time.monotonic()
        if left <= 0:
            return _LATE
        _, ready, _ = select.select([], [sock], [], left)
        if not ready:
            return _LATE
        try:
            n = sock.send(view, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:  # EPIPE, ECONNRESET: the peer is gone
            return _GONE
        view = view[n:]
    return _SENT


def _deliver_out(sock: socket.socket, data: Any, timeout: float) -> int:
    """Sends what tamper answered: bytes, or a list of pieces sent one by one."""
    deadline = time.monotonic() + timeout
    if data is None or isinstance(data, (bytes, bytearray, memoryview)):
        return _send(sock, data, deadline) if data else _SENT
    pieces = [p for p in data if p]
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass  # not TCP: pieces go as they can
    for i, piece in enumerate(pieces):
        if i:
            time.sleep(PIECE_PAUSE)
        sent = _send(sock, piece, deadline)
        if sent != _SENT:
            return sent
    return _SENT


def drive(hs: Any, sock: socket.socket, tamper: Optional[Tamper] = None, timeout: float = 10.0) -> Result:
    """Carries the bytes of one memory-mode handshake over a connected
    socket until hs is DONE or CLOSED, the peer goes quiet for timeout
    seconds, or the socket closes; answers hs's last result.

    Each step's bytes for the peer are sent (DONE and CLOSED answers are
    returned once their last flight, a Finished or an alert, has gone);
    bytes from the peer are fed and stepped.  When nothing arrives for
    timeout seconds (the clock restarts with every byte received), or the
    peer takes none of a flight for timeout seconds, drive answers the last
    result (WANT_READ or WANT_WRITE): a peer that went quiet.  When the
    peer closes the connection (or resets it) drive calls feed_eof, so a
    handshake not yet done answers CLOSED.  No call blocks past the time
    left: waits are select() calls, sends and receives are non-blocking.

    ``tamper(direction, flight)``: direction "out" (bytes hs sends) or "in"
    (bytes received, before hs sees them), flight the bytes.  It answers
    the bytes to deliver instead, b"" or None to drop them, or a list of
    pieces to send one by one (out only: each in its own TCP segment,
    PIECE_PAUSE seconds apart, to cut a record wherever the test wants).
    An "in" flight is what one recv() answered, not a whole TLS flight:
    use :func:`records` and keep the rest to work record by record.

    drive does not close sock (nor read application data after DONE).  To
    end the connection as s_server does, use :func:`close_socket`.

    Datagrams (hs made from a config with transport "datagram", sock a
    connected UDP socket): each datagram hs takes is sent alone, each one
    received is fed alone, and tamper sees one datagram per call ("out" or
    "in"); it may also answer a list of datagrams, sent or fed in order
    (duplicate; hold one back in its own state and answer it later in a
    list to reorder).  While hs waits, drive waits at most :attr:`timeout
    <Handshake.timeout>` (real time) and then calls
    :meth:`~Handshake.on_timeout`, which sends the last flight again; the
    quiet time of timeout seconds still ends it, and so does the
    handshake giving up (CLOSED, Code.E_TIMEOUT).  A refused send or
    receive (ICMP port unreachable: no peer there yet) is ignored; there
    is no end of stream.  drive answers once hs is DONE and its last
    flight has gone: should that flight be lost, the peer retransmits,
    and hs answers it only while the script feeds and reads (after DONE,
    ``hs.read()`` processes fed retransmissions and puts the answer in
    pending: send it), so keep doing that while the peer may still be in
    its handshake.
    """
    if timeout < 0:
        raise ValueError("timeout must not be negative")
    if sock.type == socket.SOCK_DGRAM:
        return _drive_datagrams(hs, sock, tamper, timeout)
    r = hs.step()
    deadline = time.monotonic() + timeout
    gone = False  # the peer closed or reset: nothing more is sent or received
    for _ in range(1_000_000):  # each pass moves bytes or waits: bounded by the clock
        out = hs.take()
        if out and not gone:
            sent = _deliver_out(sock, tamper("out", out) if tamper else out, timeout)
            if sent == _LATE:
                return r  # the peer took nothing for timeout seconds: quiet
            if sent == _GONE:
                gone = True
                if r not in (_DONE, _CLOSED):
                    hs.feed_eof()  # the peer is gone: hs closes (and its alert is dropped)
                    r = hs.step()
                    continue
        if r in (_DONE, _CLOSED):
            return r
        if r == _WANT_WRITE:
            r = hs.step()
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            return r
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            return r
        try:
            data = sock.recv(65536, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:  # ECONNRESET: as an end of stream
            data = b""
        if not data:
            hs.feed_eof()  # hs closes; its alert may still reach a half-closed peer
            r = hs.step()
            continue
        deadline = time.monotonic() + timeout
        given = tamper("in", data) if tamper else data
        if given:
            hs.feed(given)
        r = hs.step()
    return r


def _send_datagrams(sock: socket.socket, data: Any) -> None:
    """Sends what tamper answered for one datagram: bytes, or a list of
    datagrams, each in its own send; None or b"" sends nothing."""
    pieces = [data] if data is None or isinstance(data, (bytes, bytearray, memoryview)) else list(data)
    for piece in pieces:
        if piece:
            try:
                sock.send(piece)
            except (BlockingIOError, InterruptedError, ConnectionRefusedError):
                pass  # a full buffer or no peer yet: lost, as UDP may lose it; the timer resends
            except OSError:
                pass  # EMSGSIZE and the like: lost too


def _feed_datagrams(hs: Any, data: Any) -> None:
    """Feeds what tamper answered for one datagram received."""
    pieces = [data] if data is None or isinstance(data, (bytes, bytearray, memoryview)) else list(data)
    for piece in pieces:
        if piece and hs.result != _CLOSED:
            hs.feed(piece)


def _drive_datagrams(hs: Any, sock: socket.socket, tamper: Optional[Tamper], timeout: float) -> Result:
    """drive over a connected UDP socket (see drive)."""
    r = hs.step()
    deadline = time.monotonic() + timeout
    for _ in range(1_000_000):  # each pass moves a datagram or waits: bounded by the clock
        for _ in range(10_000):
            out = hs.take()
            if not out:
                break
            _send_datagrams(sock, tamper("out", out) if tamper else out)
        if r in (_DONE, _CLOSED):
            return r
        if r == _WANT_WRITE:
            r = hs.step()
            continue
        now = time.monotonic()
        left = deadline - now
        if left <= 0:
            return r
        timer = hs.timeout
        wait = left if timer is None else min(left, timer)
        ready, _, _ = select.select([sock], [], [], wait)
        if not ready:
            if timer is not None and timer <= wait:
                r = hs.on_timeout()  # the flight again, or CLOSED after the 12th
            continue
        try:
            data = sock.recv(65536, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError, ConnectionRefusedError):
            continue  # ICMP port unreachable: no peer there yet; the timer resends
        deadline = time.monotonic() + timeout
        _feed_datagrams(hs, tamper("in", data) if tamper else data)
        r = hs.step()
    return r


def close_socket(sock: socket.socket, timeout: float = 1.0) -> None:
    """Closes a connected socket as s_server does: shutdown(SHUT_WR) (the
    peer reads an end of stream after everything sent), then reads and
    drops what the peer still sends until it closes or timeout seconds
    pass, then close().  So the last bytes sent (an alert, a Finished) are
    not lost to a reset.  Safe on a socket the peer already closed.
    """
    deadline = time.monotonic() + timeout
    try:
        sock.shutdown(socket.SHUT_WR)
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([sock], [], [], left)
            if not ready or not sock.recv(65536, socket.MSG_DONTWAIT):
                break
    except OSError:
        pass  # not connected, reset: nothing left to drain
    finally:
        sock.close()


for _obj in (drive, close_socket):
    _obj.__module__ = "tlshs"
