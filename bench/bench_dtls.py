"""DTLS 1.2 handshakes in memory from Python, for bench/instructions.sh
(make bench-dtls): the same handshake as bench/bench_dtls.c's "tlshs"
(ECDHE-ECDSA-AES128-GCM-SHA256, X25519 and P-256, mtu 1200, cookies off,
the client verifying the chain and the name), carried by tlshs.pair.

usage: PYTHONPATH=python python3 bench/bench_dtls.py CERTDIR --only tlshs --count N
"""
import os
import sys

import tlshs

CIPHER = "ECDHE-ECDSA-AES128-GCM-SHA256"


def main() -> None:
    certs, only, count = sys.argv[1], sys.argv[3], int(sys.argv[5])
    if sys.argv[2] != "--only" or only != "tlshs" or sys.argv[4] != "--count":
        sys.exit(__doc__)
    common = {"transport": "datagram", "ciphers": CIPHER, "groups": "X25519:P-256"}
    ccfg = tlshs.Config("client", ca_file=os.path.join(certs, "ca.pem"), **common)
    scfg = tlshs.Config("server", cert_file=os.path.join(certs, "server-ec.pem"),
                        key_file=os.path.join(certs, "server-ec.key"), cookie=False, **common)
    for _ in range(count + 1):
        with tlshs.Handshake(ccfg, server_name="localhost") as c, tlshs.Handshake(scfg) as s:
            if tlshs.pair(c, s, rounds=20) != (tlshs.DONE, tlshs.DONE):
                raise RuntimeError(f"DTLS handshake failed: {c.error!r} {s.error!r}")


if __name__ == "__main__":
    main()
