"""A ChangeCipherSpec repeated: the client's CCS record sent twice (TLS 1.2).

In TLS 1.2 the CCS switches the sender's keys, so the second one arrives
where the receiver expects encrypted records.  (In TLS 1.3 the CCS is only
a middlebox-compatibility dummy: the same fault with max_version="1.3" is
ignored by tlshs, s_server and gnutls-serv alike, which all complete.)

Expected (observed with OpenSSL 3.0 and GnuTLS 3.7):
  tlshs server:      CLOSED, sends internal_error (OpenSSL: "invalid aad")
  openssl s_server:  sends internal_error
  gnutls-serv:       sends bad_record_mac

    python3 ccs_repeated.py              # tlshs client and server
    python3 ccs_repeated.py HOST:PORT    # a tlshs client against a server
"""

import tlshs
from common import connect, main, peers, server_answer


def tamper(direction, flight):
    if direction not in ("c2s", "out"):
        return flight
    recs, rest = tlshs.records(flight)
    twice = lambda rec: 2 if rec.type == tlshs.CHANGE_CIPHER_SPEC else 1
    return b"".join(bytes(rec) * twice(rec) for rec in recs) + rest


def run_pair():
    client, server = peers(max_version="1.2")
    outcome = tlshs.pair(client, server, tamper)
    return client, server, outcome


def run_drive(hostport):
    hs, sock = connect(hostport, max_version="1.2")
    if tlshs.drive(hs, sock, tamper, timeout=5) == tlshs.DONE:
        server_answer(hs, sock)
    tlshs.close_socket(sock)
    return hs


if __name__ == "__main__":
    main(run_pair, run_drive)
