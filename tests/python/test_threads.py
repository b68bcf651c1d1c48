"""Threads and the GIL, by behaviour.

Proof that a call releases the GIL: a handshake in fd mode whose socket is
switched back to blocking (with a kernel receive/send timeout, SO_RCVTIMEO
/ SO_SNDTIMEO, so nothing hangs for good) blocks inside the C call in
recv() or send().  While one thread is blocked there, this thread polls
/proc/self/task/TID/syscall until it sees that thread in a socket system
call.  It can only poll while it holds the GIL: had the call kept the GIL,
this thread would stand still until the kernel timeout ended the call, and
would then find the call over (the assertion fails, it does not hang).

The same probe proves overlap (several threads inside GIL-released calls
at once) and the guard's waiting (a second thread arriving on the same
object waits until the first leaves).
"""

import platform
import socket
import struct
import threading
import time

import pytest

import tlshs
from conftest import TIMEOUT, client_config, pump, server_config

# Socket read and write system calls, by machine: the numbers
# /proc/self/task/TID/syscall shows for a thread blocked in one.
SOCKET_IO = {
    "x86_64": {0, 1, 44, 45, 46, 47},         # read write sendto recvfrom sendmsg recvmsg
    "aarch64": {63, 64, 206, 207, 211, 212},  # read write sendto recvfrom sendmsg recvmsg
}[platform.machine()]


def in_socket_io(tid):
    """Whether thread tid (a native id) is blocked in a socket read or write now."""
    try:
        with open(f"/proc/self/task/{tid}/syscall", encoding="ascii") as f:
            first = f.read().split()[0]
    except FileNotFoundError:  # the thread has ended
        return False
    return first not in ("running", "-1") and int(first) in SOCKET_IO


class Call(threading.Thread):
    """Runs fn() in a thread; its answer (or exception) and native id are kept."""

    def __init__(self, fn):
        super().__init__(daemon=True)
        self.fn = fn
        self.answer = self.exc = None
        self.tid = None
        self.started_ = threading.Event()
        self.finished = threading.Event()

    def run(self):
        self.tid = threading.get_native_id()
        self.started_.set()
        try:
            self.answer = self.fn()
        except BaseException as e:  # reported by the test
            self.exc = e
        self.finished.set()

    def begin(self):
        self.start()
        assert self.started_.wait(TIMEOUT)
        return self


def wait_until(cond, what):
    deadline = time.monotonic() + TIMEOUT
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {what}")
        time.sleep(0.001)


def blocked_inside(*calls):
    """Waits until every call's thread is blocked in socket I/O, or one has
    finished; answers whether all were blocked at once (none finished)."""
    wait_until(lambda: any(c.finished.is_set() for c in calls) or all(in_socket_io(c.tid) for c in calls),
               "the threads block in socket I/O")
    return not any(c.finished.is_set() for c in calls)


def make_blocking(sock):
    """Back to blocking mode behind the handshake's back, with a kernel
    timeout as the bound of any one recv or send."""
    sock.setblocking(True)
    limit = struct.pack("ll", int(TIMEOUT), 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, limit)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, limit)


def fd_pair(ccfg=None, scfg=None):
    """A client and a server handshake in fd mode over a socketpair, driven to
    DONE (non-blocking, in this thread); answers (c, s, a, b)."""
    a, b = socket.socketpair()
    c = tlshs.Handshake(ccfg or client_config(), server_name="localhost", sock=a)
    s = tlshs.Handshake(scfg or server_config(), sock=b)
    rc = rs = None
    for _ in range(200):
        rc, rs = c.step(), s.step()
        if rc == rs == tlshs.DONE:
            break
        time.sleep(0.001)
    assert (rc, rs) == (tlshs.DONE, tlshs.DONE), (c.error, s.error)
    return c, s, a, b


def test_step_releases_the_gil():
    a, b = socket.socketpair()
    with a, b, tlshs.Handshake(client_config(), server_name="localhost", sock=a) as hs:
        make_blocking(a)
        call = Call(hs.step).begin()
        assert blocked_inside(call), f"step ended while this thread could not run: {call.answer!r}"
        b.settimeout(TIMEOUT)
        assert b.recv(5)[0] == 0x16  # the ClientHello it sent from inside that step
        b.shutdown(socket.SHUT_WR)   # the step then meets EOF and ends
        call.join(TIMEOUT)
        assert call.exc is None and call.answer == tlshs.CLOSED
        assert hs.error_code == tlshs.Code.E_EOF


def test_read_write_shutdown_release_the_gil():
    c, s, a, b = fd_pair()
    with a, b, c, s:
        assert c.read() == (tlshs.WANT_READ, b"")  # the tickets are in, nothing else
        make_blocking(a)

        # read: blocks in recv until the server writes
        call = Call(c.read).begin()
        assert blocked_inside(call), f"read ended while this thread could not run: {call.answer!r}"
        assert s.write(b"ping") == (tlshs.DONE, 4)
        call.join(TIMEOUT)
        assert call.answer == (tlshs.DONE, b"ping")

        # write: a megabyte into small socket buffers blocks in send until
        # the server reads
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        data = bytes(range(256)) * 4096
        call = Call(lambda: c.write(data)).begin()
        assert blocked_inside(call), f"write ended while this thread could not run: {call.answer!r}"
        got = bytearray()
        deadline = time.monotonic() + TIMEOUT
        while len(got) < len(data) and time.monotonic() < deadline:
            r, chunk = s.read()
            got += chunk
            if r == tlshs.WANT_READ:
                time.sleep(0.001)
        call.join(TIMEOUT)
        assert call.answer == (tlshs.DONE, len(data)) and bytes(got) == data

        # shutdown: our close_notify goes out; the second call blocks in
        # recv for the server's
        assert c.shutdown() == tlshs.WANT_READ
        call = Call(c.shutdown).begin()
        assert blocked_inside(call), f"shutdown ended while this thread could not run: {call.answer!r}"
        assert s.read() == (tlshs.CLOSED, b"")
        assert s.shutdown() == tlshs.CLOSED  # sends the server's close_notify
        call.join(TIMEOUT)
        assert call.answer == tlshs.CLOSED


def test_threads_overlap_inside_released_calls_from_one_config():
    """Four threads make handshakes from one shared config and are inside
    step at the same moment; then each runs ten handshakes in memory."""
    ccfg, scfg = client_config(), server_config()
    n = 4
    socks = [socket.socketpair() for _ in range(n)]
    start = threading.Barrier(n + 1)
    release = threading.Event()
    results = []

    def one(a):
        start.wait(TIMEOUT)
        with tlshs.Handshake(ccfg, server_name="localhost", sock=a) as hs:
            make_blocking(a)
            first = hs.step()  # blocks until this thread's peer hangs up
        release.wait(TIMEOUT)
        for _ in range(10):
            with tlshs.Handshake(ccfg, server_name="localhost") as c, tlshs.Handshake(scfg) as s:
                results.append(pump(c, s))
        return first

    calls = [Call(lambda a=a: one(a)) for a, _ in socks]
    for call in calls:
        call.start()
    start.wait(TIMEOUT)
    assert blocked_inside(*calls), "a thread's step ended while the others were inside theirs"
    for _, b in socks:
        b.shutdown(socket.SHUT_WR)
    release.set()
    for call in calls:
        call.join(60)
        assert call.exc is None and call.answer == tlshs.CLOSED
    assert results == [(tlshs.DONE, tlshs.DONE)] * (10 * n)
    for a, b in socks:
        a.close()
        b.close()


@pytest.mark.parametrize("second", ["pending", "close"])
def test_second_thread_on_one_object_waits(second):
    """While one thread is inside step (GIL released), another thread's call
    on the same object (pending, a GIL-held call; or close) waits for it,
    then runs."""
    a, b = socket.socketpair()
    with a, b:
        hs = tlshs.Handshake(client_config(), server_name="localhost", sock=a)
        make_blocking(a)
        stepping = Call(hs.step).begin()
        assert blocked_inside(stepping)
        other = Call((lambda: hs.pending) if second == "pending" else hs.close).begin()
        wait_until(lambda: hs._waiting == 1 or other.finished.is_set(), f"{second} waits")
        assert not other.finished.is_set(), f"{second} ran while step was inside the object"
        assert not hs.closed and not stepping.finished.is_set()
        b.shutdown(socket.SHUT_WR)
        for call in (stepping, other):
            call.join(TIMEOUT)
            assert call.finished.is_set() and call.exc is None
        assert stepping.answer == tlshs.CLOSED
        if second == "pending":
            assert other.answer == 0 and not hs.closed
        else:
            assert hs.closed
        assert hs._waits == 1 and hs._waiting == 0
        hs.close()


def test_threads_hammering_one_object_never_crash():
    """Four threads call everything on one object while another closes it.
    The object is in fd mode over a socket made blocking with a 5 ms
    receive timeout, so each step or read holds it for 5 ms with the GIL
    released and the other threads arrive meanwhile: the test runs until
    the guard has made at least 20 calls wait, then closes.  Only
    StateError ("closed") may come out."""
    ccfg = client_config()
    for _ in range(3):
        a, b = socket.socketpair()
        c = tlshs.Handshake(ccfg, server_name="localhost", sock=a)
        a.setblocking(True)
        a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 5000))
        errors = []
        stop = threading.Event()

        def hammer(hs=c):
            try:
                while not stop.is_set():
                    try:
                        hs.step()
                        hs.pending
                        hs.take(7)
                        hs.read(10)
                        hs.error
                        hs.trace
                        hs.result
                    except tlshs.StateError:
                        pass  # closed under our feet: expected
            except BaseException as e:  # anything else is a failure
                errors.append(e)

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for t in threads:
            t.start()
        wait_until(lambda: c._waits >= 20, "calls overlap on the object")
        closer = threading.Thread(target=c.close)
        closer.start()
        closer.join(TIMEOUT)
        stop.set()
        for t in threads:
            t.join(TIMEOUT)
            assert not t.is_alive()
        assert c.closed
        a.close()
        b.close()
        assert errors == []
