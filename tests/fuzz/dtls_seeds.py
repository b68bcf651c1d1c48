"""Writes the seeds of the DTLS fuzz targets: datagrams and hellos of real runs.

Usage: PYTHONPATH=python python3 tests/fuzz/dtls_seeds.py DIR

DIR/record: for fuzz-dtls-record, a max_body byte then a datagram: every
datagram of a tlshs DTLS handshake (mtu 300, so the certificate is in
fragments) and the first datagram (the ClientHello) of `openssl s_client
-dtls1_2` and of `gnutls-cli --udp`, caught on a UDP socket on 127.0.0.1.
DIR/hello: for fuzz-hello, the mode byte (4 a DTLS ClientHello, 5 a DTLS
ServerHello) then the message with its 12-byte header: tlshs's (from the
trace) and the peers' ClientHellos (when whole in one fragment).

The output is small and committed (tests/fuzz/seeds-dtls-*); run again to
refresh it.  A peer that is missing is skipped.
"""

import os
import shutil
import socket
import subprocess
import sys

import tlshs

TIMEOUT = 10
CERTS = os.environ.get("TLSHS_CERTS", "build/certs")


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def tlshs_run():
    """The datagrams of a tlshs handshake, and its hellos from the trace."""
    dgs = []
    c = tlshs.Handshake(tlshs.Config("client", transport="datagram", mtu=300,
                                     ca_file=os.path.join(CERTS, "ca.pem")), server_name="localhost", trace=True)
    s = tlshs.Handshake(tlshs.Config("server", transport="datagram", mtu=300,
                                     cert_file=os.path.join(CERTS, "server.pem"),
                                     key_file=os.path.join(CERTS, "server.key")), trace=True)
    assert tlshs.pair(c, s, lambda d, dg: dgs.append(dg) or dg) == (tlshs.DONE, tlshs.DONE)
    hellos = [(4, e.data) for e in c.trace if e.name == "ClientHello" and e.sent]
    hellos += [(5, e.data) for e in c.trace if e.name == "ServerHello" and not e.sent]
    return dgs, hellos


def first_datagram(argv):
    """The first datagram a client sends to a UDP socket on 127.0.0.1."""
    if not shutil.which(argv[0]):
        return None
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(TIMEOUT)
    port = sock.getsockname()[1]
    proc = subprocess.Popen([a.format(port=port) for a in argv], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return sock.recv(65536)
    except socket.timeout:
        return None
    finally:
        proc.kill()
        proc.wait()
        sock.close()


def whole_client_hello(dg):
    """The ClientHello message of a datagram when its one fragment is whole."""
    recs, _ = tlshs.records(dg, datagram=True)
    for r in recs:
        b = r.body
        if r.type == tlshs.HANDSHAKE and len(b) >= 12 and b[0] == 1 and b[6:9] == b"\0\0\0" \
                and b[1:4] == b[9:12] and len(b) >= 12 + int.from_bytes(b[1:4], "big"):
            return b[:12 + int.from_bytes(b[1:4], "big")]
    return None


def main(out):
    for sub in ("record", "hello"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    dgs, hellos = tlshs_run()
    peers = {
        "openssl": ["openssl", "s_client", "-dtls1_2", "-connect", "127.0.0.1:{port}", "-quiet"],
        "gnutls": ["gnutls-cli", "--udp", "--insecure", "--port", "{port}", "127.0.0.1"],
    }
    for name, argv in peers.items():
        dg = first_datagram(argv)
        if dg is None:
            print(f"dtls_seeds: no datagram from {name}, skipped", file=sys.stderr)
            continue
        write(os.path.join(out, "record", f"{name}-client-hello"), bytes([255]) + dg)
        msg = whole_client_hello(dg)
        if msg:
            hellos.append((4, msg))
    for i, dg in enumerate(dgs):
        # max_body: 1, 16, 100 and no limit in turn
        write(os.path.join(out, "record", f"tlshs-{i:02d}"), bytes([(0, 15, 99, 255)[i % 4]]) + dg)
    for i, (mode, msg) in enumerate(hellos):
        write(os.path.join(out, "hello", f"dtls-{i:02d}"), bytes([mode]) + msg)
    print(f"dtls_seeds: {len(os.listdir(os.path.join(out, 'record')))} datagrams, "
          f"{len(hellos)} hellos in {out}")


if __name__ == "__main__":
    main(sys.argv[1])
