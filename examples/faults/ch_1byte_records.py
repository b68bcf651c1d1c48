"""The ClientHello cut into records of 1 body byte each.

TLS lets a handshake message span any number of records; a stack that
assumes one message per record breaks here.  The client's first flight
goes through tlshs.refragment(flight, 1): some 300 records of 6 bytes.

Expected: the handshake completes (DONE) against tlshs, `openssl s_server`
and `gnutls-serv` (observed with OpenSSL 3.0 and GnuTLS 3.7).

    python3 ch_1byte_records.py              # tlshs client and server (pair)
    python3 ch_1byte_records.py HOST:PORT    # a tlshs client against a server
"""

import tlshs
from common import connect, main, peers, server_answer


def tamper(direction, flight):
    if direction in ("c2s", "out") and flight[:1] == bytes([tlshs.HANDSHAKE]) and flight[5] == 1:
        return tlshs.refragment(flight, 1)  # the ClientHello (handshake type 1)
    return flight


def run_pair():
    client, server = peers()
    outcome = tlshs.pair(client, server, tamper)
    return client, server, outcome


def run_drive(hostport):
    hs, sock = connect(hostport)
    if tlshs.drive(hs, sock, tamper, timeout=5) == tlshs.DONE:
        server_answer(hs, sock)
    tlshs.close_socket(sock)
    return hs


if __name__ == "__main__":
    main(run_pair, run_drive)
