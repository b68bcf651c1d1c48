"""A truncated Certificate: the server's Certificate message loses its last
10 bytes; its handshake header and record say the shorter length, but the
certificate list inside still announces the full one (TLS 1.2, where the
Certificate travels in plaintext).

Expected: the client closes with decode_error (tlshs: CLOSED, sends
decode_error).  This fault is the client's to notice; it runs between two
tlshs objects only (a server reads a Certificate only when it asks for a
client certificate).

    python3 truncated_certificate.py
"""

import tlshs
from common import main, peers

CERTIFICATE = 11  # handshake message type
CUT = 10


def truncate(rec):
    if rec.type != tlshs.HANDSHAKE or rec.body[:1] != bytes([CERTIFICATE]):
        return rec
    length = int.from_bytes(rec.body[1:4], "big") - CUT
    return rec._replace(body=rec.body[:1] + length.to_bytes(3, "big") + rec.body[4:4 + length])


def tamper(direction, flight):
    if direction != "s2c":
        return flight
    recs, rest = tlshs.records(flight)
    return b"".join(bytes(truncate(rec)) for rec in recs) + rest


def run_pair():
    client, server = peers(max_version="1.2")
    outcome = tlshs.pair(client, server, tamper)
    return client, server, outcome


if __name__ == "__main__":
    main(run_pair)
