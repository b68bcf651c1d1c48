"""The server's flight dropped: the client never hears from the server.

pair does not loop forever: after the round in which nothing moves it
returns, and its answer says who waits (PairOutcome.waiting; rounds_out
False: nothing moved, more rounds would not help).  Over a socket drive
returns once the peer has been quiet for its timeout (every byte it
received was dropped, so hs still waits).

Expected: tlshs: (WANT_READ, WANT_READ), waiting ("client", "server"),
within 2 rounds.  Against `openssl s_server` and `gnutls-serv`: drive
answers WANT_READ after the timeout (1 s here); neither server sends
anything more.

    python3 server_flight_dropped.py              # tlshs client and server
    python3 server_flight_dropped.py HOST:PORT    # a tlshs client against a server
"""

import tlshs
from common import connect, main, peers


def tamper(direction, flight):
    return None if direction in ("s2c", "in") else flight  # None (or b"") drops


def run_pair():
    client, server = peers()
    outcome = tlshs.pair(client, server, tamper)
    return client, server, outcome


def run_drive(hostport):
    hs, sock = connect(hostport)
    tlshs.drive(hs, sock, tamper, timeout=1.0)
    tlshs.close_socket(sock)
    return hs


if __name__ == "__main__":
    main(run_pair, run_drive)
