"""The 0-RTT server call releases the GIL, proven as in test_threads.py: a
read_early on a socket switched back to blocking blocks inside recv() while
this thread runs (it could not, had the call kept the GIL)."""

import socket
import time

import tlshs
from conftest import TIMEOUT, client_config, server_config
from test_threads import Call, blocked_inside, make_blocking


def test_read_early_releases_the_gil():
    a, b = socket.socketpair()
    c = tlshs.Handshake(client_config(), server_name="localhost", sock=a)
    s = tlshs.Handshake(server_config(max_early_data="16384"), sock=b)
    with a, b, c, s:
        make_blocking(b)
        call = Call(s.read_early).begin()
        assert blocked_inside(call), f"read_early ended while this thread could not run: {call.answer!r}"
        # the client's handshake runs in this thread meanwhile; the server's
        # read_early ends once the client's Finished came (no early data)
        deadline = time.monotonic() + TIMEOUT
        while c.step() != tlshs.DONE and time.monotonic() < deadline:
            assert c.result != tlshs.CLOSED, c.error
            time.sleep(0.001)
        call.join(TIMEOUT)
        assert call.exc is None and call.answer[0] in (tlshs.WANT_READ, tlshs.WANT_WRITE, tlshs.DONE)
        assert s.client_hello is not None and s.client_hello.server_name == "localhost"
