"""One byte of the peer's encrypted Finished flipped (TLS 1.3).

The Finished is the last record of a flight once keys are in use: between
two tlshs objects the server's (the last record of its first flight), over
a socket the client's own (the last record of its second flight), so the
real server is the one that must notice.  AEAD decryption fails on one bit.

Expected: the receiver closes with bad_record_mac:
  tlshs client:      CLOSED, "decryption failed or bad record mac",
                     sends bad_record_mac
  openssl s_server:  sends bad_record_mac
  gnutls-serv:       sends bad_record_mac

    python3 finished_flipped.py              # tlshs client and server
    python3 finished_flipped.py HOST:PORT    # a tlshs client against a server
"""

import tlshs
from common import connect, main, peers, server_answer


def flip_last_record(flight):
    recs, rest = tlshs.records(flight)
    last = recs[-1]
    body = bytearray(last.body)
    body[len(body) // 2] ^= 0x01
    return b"".join(map(bytes, recs[:-1])) + bytes(last._replace(body=bytes(body))) + rest


def run_pair():
    client, server = peers()
    flights = []

    def tamper(direction, flight):
        if direction == "s2c":
            flights.append(flight)
            if len(flights) == 1:  # the server's first flight ends with its Finished
                return flip_last_record(flight)
        return flight

    outcome = tlshs.pair(client, server, tamper)
    return client, server, outcome


def run_drive(hostport):
    hs, sock = connect(hostport)
    flights = []

    def tamper(direction, flight):
        if direction == "out":
            flights.append(flight)
            if len(flights) == 2:  # CCS and the client's Finished
                return flip_last_record(flight)
        return flight

    if tlshs.drive(hs, sock, tamper, timeout=5) == tlshs.DONE:
        server_answer(hs, sock)
    tlshs.close_socket(sock)
    return hs


if __name__ == "__main__":
    main(run_pair, run_drive)
