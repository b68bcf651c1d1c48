"""Application data sent before the handshake finished: a plaintext
application_data record ("hello") right after the ClientHello (TLS 1.3).

Expected (observed with OpenSSL 3.0 and GnuTLS 3.7): the server closes.
In TLS 1.3 it takes the record for an encrypted one and fails to decrypt
it: tlshs server CLOSED ("decryption failed or bad record mac") sending
bad_record_mac; `openssl s_server` and `gnutls-serv` send bad_record_mac.
(With max_version="1.2" all three send unexpected_message.)

    python3 early_app_data.py              # tlshs client and server
    python3 early_app_data.py HOST:PORT    # a tlshs client against a server
"""

import tlshs
from common import connect, main, peers, server_answer

DATA = bytes(tlshs.Record(tlshs.APPLICATION_DATA, 0x0303, b"hello"))


def tamper(direction, flight):
    if direction in ("c2s", "out") and flight[:1] == bytes([tlshs.HANDSHAKE]) and flight[5] == 1:
        return flight + DATA  # after the ClientHello
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
