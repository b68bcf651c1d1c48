"""The ClientHello's record arriving cut at every byte of its 5-byte header.

The receiver gets 1 byte, then 1, 1, 1, 1 (the header, one byte at a time)
and then the body, with a chance to read between pieces: a stack must
wait for a whole header before it reads a length.  Between two tlshs
objects the server steps after each piece (and waits: WANT_READ); over a
socket tamper answers a list of pieces, which drive sends one TCP segment
at a time.

Expected: the handshake completes (DONE) against tlshs, `openssl s_server`
and `gnutls-serv`.

    python3 header_split.py              # tlshs client and server
    python3 header_split.py HOST:PORT    # a tlshs client against a server
"""

import tlshs
from common import connect, main, peers, server_answer


def pieces(flight):
    return [flight[i:i + 1] for i in range(5)] + [flight[5:]]


def run_pair():
    client, server = peers()
    client.step()
    steps = []
    for piece in pieces(client.take()):
        server.feed(piece)
        steps.append(server.step())
    # waits through the header; with the body, answers its ServerHello
    assert steps == [tlshs.WANT_READ] * 5 + [tlshs.WANT_WRITE], steps
    outcome = tlshs.pair(client, server)
    return client, server, outcome


def run_drive(hostport):
    hs, sock = connect(hostport)
    first = [True]

    def tamper(direction, flight):
        if direction == "out" and first[0]:
            first[0] = False
            return pieces(flight)  # drive sends each piece on its own
        return flight

    if tlshs.drive(hs, sock, tamper, timeout=5) == tlshs.DONE:
        server_answer(hs, sock)
    tlshs.close_socket(sock)
    return hs


if __name__ == "__main__":
    main(run_pair, run_drive)
