"""Writes the seed corpus of `make fuzz-hello`: real hellos, captured now.

Usage: python3 tests/fuzz/hello_seeds.py DIR

ClientHellos of openssl s_client (several option sets), gnutls-cli (several
priority strings), CPython's ssl and curl, caught by a listener on 127.0.0.1
that reads the first handshake message and hangs up; ServerHellos (and a
HelloRetryRequest) of CPython's ssl server in memory.  Each file is the
fuzz target's mode byte (0 ClientHello, 1 ServerHello) and the message.
A client that is missing is skipped; at least one hello of each kind must be
written or the script fails.
"""

import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading

TIMEOUT = 10


def first_handshake_message(sock):
    """Reads TLS records until the first handshake message is whole."""
    stream, hs = b"", b""
    sock.settimeout(TIMEOUT)
    while True:
        while len(stream) >= 5 and len(stream) >= 5 + struct.unpack("!H", stream[3:5])[0]:
            n = struct.unpack("!H", stream[3:5])[0]
            if stream[0] == 22:
                hs += stream[5:5 + n]
            stream = stream[5 + n:]
        if len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
            return hs[:4 + int.from_bytes(hs[1:4], "big")]
        data = sock.recv(65536)
        if not data:
            return None
        stream += data


def client_hello_of(argv=None, fn=None):
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(TIMEOUT)
    port = lsock.getsockname()[1]
    proc = None
    if argv:
        proc = subprocess.Popen([a.format(port=port) for a in argv], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        threading.Thread(target=fn, args=(port,), daemon=True).start()
    try:
        conn, _ = lsock.accept()
        with conn:
            return first_handshake_message(conn)
    finally:
        lsock.close()
        if proc:
            proc.kill()
            proc.wait()


def python_client(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
            ctx.wrap_socket(s, server_hostname="python.example")
    except OSError:
        pass


def server_hellos(certs):
    """ServerHellos of CPython's ssl server, TLS 1.3 and 1.2, and an HRR."""
    out = []
    for version, curve in ((ssl.TLSVersion.TLSv1_3, None), (ssl.TLSVersion.TLSv1_2, None),
                           (ssl.TLSVersion.TLSv1_3, "secp384r1")):
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(os.path.join(certs, "server.pem"), os.path.join(certs, "server.key"))
        if curve:
            sctx.set_ecdh_curve(curve)
        cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        cctx.check_hostname = False
        cctx.verify_mode = ssl.CERT_NONE
        cctx.maximum_version = version
        bios = [ssl.MemoryBIO() for _ in range(4)]
        c = cctx.wrap_bio(bios[0], bios[1])
        s = sctx.wrap_bio(bios[2], bios[3], server_side=True)
        for _ in range(2):
            try:
                c.do_handshake()
            except ssl.SSLError:
                pass
            bios[2].write(bios[1].read())
            try:
                s.do_handshake()
            except ssl.SSLError:
                pass
            flight = bios[3].read()
            if len(flight) > 9 and flight[0] == 22 and flight[5] == 2:
                n = int.from_bytes(flight[6:9], "big")
                out.append(flight[5:9 + n])
            bios[0].write(flight)
    return out


def main():
    outdir = sys.argv[1]
    certs = os.environ.get("TLSHS_CERTS") or "build/certs"
    os.makedirs(outdir, exist_ok=True)
    s_client = ["openssl", "s_client", "-connect", "127.0.0.1:{port}", "-quiet"]
    gnutls = ["gnutls-cli", "--insecure", "--port", "{port}", "--sni-hostname=g.example", "--alpn=h2"]
    clients = [
        s_client + ["-servername", "a.example"],
        s_client + ["-servername", "b.example", "-alpn", "h2,http/1.1", "-groups", "X25519:P-256:ffdhe2048"],
        s_client + ["-no_tls1_3", "-noservername", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"],
        s_client + ["-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256", "-sigalgs", "ed25519:rsa_pss_rsae_sha256"],
        gnutls + ["--priority=NORMAL", "127.0.0.1"],
        gnutls + ["--priority=NORMAL:-VERS-TLS1.3", "127.0.0.1"],
        ["curl", "-s", "-k", "--max-time", "5", "--resolve", "c.example:{port}:127.0.0.1",
         "https://c.example:{port}/"],
    ]
    written = {0: 0, 1: 0}

    def write(mode, msg, name):
        with open(os.path.join(outdir, f"{name}.bin"), "wb") as f:
            f.write(bytes([mode]) + msg)
        written[mode] += 1

    for i, argv in enumerate(clients):
        if shutil.which(argv[0]):
            msg = client_hello_of(argv)
            if msg and msg[0] == 1:
                write(0, msg, f"client-{argv[0]}-{i}")
    msg = client_hello_of(fn=python_client)
    if msg and msg[0] == 1:
        write(0, msg, "client-python")
    for i, msg in enumerate(server_hellos(certs)):
        write(1, msg, f"server-{i}")
    print(f"hello_seeds: {written[0]} ClientHellos, {written[1]} ServerHellos in {outdir}")
    return 0 if written[0] and written[1] else 1


if __name__ == "__main__":
    sys.exit(main())
