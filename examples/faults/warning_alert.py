"""An unexpected warning alert mid-handshake: the client sends a warning
unrecognized_name (level 1, description 112) right after its ClientHello.

TLS 1.2 allows unrecognized_name as a warning; TLS 1.3 (RFC 8446 6.2)
says every alert but close_notify and user_canceled is fatal whatever its
level.  The handshake here is TLS 1.3.

Expected (observed with OpenSSL 3.0 and GnuTLS 3.7):
  tlshs server:   CLOSED ("tlsv1 unrecognized name"), having received the
                  alert; it had already answered the ClientHello, so the
                  client is DONE before it hears of it
  openssl s_server: answers the ClientHello (the client is DONE), then
                  reads the alert, fails ("tlsv1 unrecognized name") and
                  closes the connection without an alert: the client
                  reads an end of stream (CLOSED; OpenSSL sends
                  decode_error for it)
  gnutls-serv:    the handshake completes; then it answers the client's
                  encrypted records with bad_record_mac

    python3 warning_alert.py              # tlshs client and server
    python3 warning_alert.py HOST:PORT    # a tlshs client against a server
"""

import tlshs
from common import connect, main, peers, server_answer

WARNING, UNRECOGNIZED_NAME = 1, 112
ALERT = bytes(tlshs.Record(tlshs.ALERT, 0x0303, bytes([WARNING, UNRECOGNIZED_NAME])))


def tamper(direction, flight):
    if direction in ("c2s", "out") and flight[:1] == bytes([tlshs.HANDSHAKE]) and flight[5] == 1:
        return flight + ALERT  # after the ClientHello
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
