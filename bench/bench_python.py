#!/usr/bin/python3
"""Benchmarks the Python binding of tlshs against CPython's ssl and pyOpenSSL.

1. Full in-memory handshakes per second, client and server in this process,
   through tlshs (Handshake, tlshs.pair; --only tlshs-loop counts the
   hand-written step/feed/take loop it replaces), CPython's ssl (SSLObject over
   MemoryBIO) and pyOpenSSL (Connection(ctx, None), bio_read/bio_write).
   Same certificate (server-ec.pem, ECDSA P-256, signed by ca.pem) and
   settings everywhere: TLS 1.3 only, the client verifies the chain and the
   host name "localhost", session tickets at their default (on, two per
   handshake).  The key exchange group is X25519: set with groups= in tlshs,
   OpenSSL's default first choice in the other two (neither exposes it).
   The three run interleaved, REPS times; the median is reported.

2. The cost of one call that makes no progress: a client that has sent its
   ClientHello and waits for the ServerHello, calling tlshs's step() (which
   answers WANT_READ) against CPython's do_handshake() (which raises
   SSLWantReadError) and pyOpenSSL's (WantReadError), in ns per call,
   with timeit (best of REPS).  Beside them, hs.pending: a call through the
   same guard that does no work, the floor of any call on a Handshake.

3. A client config with the system's trust store, to its first handshake
   object: tlshs.Config("client") + Handshake against CPython's
   ssl.create_default_context() + wrap_bio, ms each (median of REPS
   interleaved).

4. (make bench-python) instructions per handshake, through
   bench/instructions.sh with --only LIB: each library in a process that
   imports only that library.  (Importing pyOpenSSL, with the
   cryptography bindings under it, makes every later handshake in the
   process, whatever library drives it, about 100,000 instructions dearer,
   all of them inside libcrypto and libc (measured 2026-11-30: tlshs 8.29
   million alone, 8.40 million with pyOpenSSL imported): a tlshs or CPython
   figure taken beside it would count pyOpenSSL's cost.)

Times are this process's CPU time (time.process_time), not wall time.

Usage: TLSHS_CERTS=build/certs PYTHONPATH=python /usr/bin/python3 bench/bench_python.py
       [--reps N] [--handshakes N]   (or: make bench-python)
"""

import argparse
import os
import platform
import statistics
import sys
import time
import timeit

import tlshs

# CPython's ssl and pyOpenSSL are imported only by the runs that use them
# (see 4. above): load_ssl() and load_pyopenssl().
ssl = None
SSL = OpenSSL = _ossl_lib = None


def load_ssl():
    global ssl
    import ssl as module
    ssl = module


def load_pyopenssl():
    """Imports pyOpenSSL; False if python3-openssl is missing."""
    global SSL, OpenSSL, _ossl_lib
    try:
        import OpenSSL as top
        from OpenSSL import SSL as ssl_module
        from OpenSSL._util import lib
    except ImportError:
        return False
    OpenSSL, SSL, _ossl_lib = top, ssl_module, lib
    return True

CERTS = os.environ.get("TLSHS_CERTS") or os.path.join(os.path.dirname(__file__), "..", "build", "certs")
CA = os.path.join(CERTS, "ca.pem")
CERT = os.path.join(CERTS, "server-ec.pem")
KEY = os.path.join(CERTS, "server-ec.key")
HOST = "localhost"
CLIENT_CERT = os.path.join(CERTS, "client.pem")
CLIENT_KEY = os.path.join(CERTS, "client.key")
# --mutual: the server requires a client certificate and verifies it against CA
MUTUAL = "--mutual" in sys.argv
# This process's CPU time: everything measured is CPU-bound and single-threaded,
# and other load on the machine then skews the figures less than wall time.
CLOCK = time.process_time


# ---- tlshs ----

def tlshs_setup():
    mutual_c = {"cert_file": CLIENT_CERT, "key_file": CLIENT_KEY} if MUTUAL else {}
    mutual_s = {"ca_file": CA, "verify": "require"} if MUTUAL else {}
    ccfg = tlshs.Config("client", ca_file=CA, min_version="1.3", max_version="1.3", groups="X25519",
                        **mutual_c)
    scfg = tlshs.Config("server", cert_file=CERT, key_file=KEY, min_version="1.3",
                        max_version="1.3", groups="X25519", **mutual_s)
    return ccfg, scfg


def tlshs_handshake(ccfg, scfg):
    with tlshs.Handshake(ccfg, server_name=HOST) as c, tlshs.Handshake(scfg) as s:
        if tlshs.pair(c, s, rounds=20) != (tlshs.DONE, tlshs.DONE):
            raise RuntimeError(f"tlshs handshake failed: {c.error!r} {s.error!r}")


def tlshs_loop_handshake(ccfg, scfg):
    """The hand-written loop tlshs.pair replaces (--only tlshs-loop: the
    instructions of pair against it)."""
    with tlshs.Handshake(ccfg, server_name=HOST) as c, tlshs.Handshake(scfg) as s:
        rc = rs = None
        for _ in range(20):
            rc = c.step()
            if rc == tlshs.WANT_WRITE:
                s.feed(c.take())
            rs = s.step()
            if rs == tlshs.WANT_WRITE:
                c.feed(s.take())
            if rc == tlshs.DONE and rs == tlshs.DONE:
                break
        if rc != tlshs.DONE or rs != tlshs.DONE:
            raise RuntimeError(f"tlshs handshake failed: {c.error!r} {s.error!r}")


# ---- CPython ssl ----

def cpython_setup():
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(CERT, KEY)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, check_hostname
    cctx.load_verify_locations(CA)
    for ctx in (sctx, cctx):
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    if MUTUAL:
        sctx.load_verify_locations(CA)
        sctx.verify_mode = ssl.CERT_REQUIRED
        cctx.load_cert_chain(CLIENT_CERT, CLIENT_KEY)
    return cctx, sctx


def cpython_handshake(cctx, sctx):
    cin, cout, sin, sout = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    c = cctx.wrap_bio(cin, cout, server_hostname=HOST)
    s = sctx.wrap_bio(sin, sout, server_side=True)
    cdone = sdone = False
    for _ in range(20):
        if not cdone:
            try:
                c.do_handshake()
                cdone = True
            except ssl.SSLWantReadError:
                pass
        if cout.pending:
            sin.write(cout.read())
        if not sdone:
            try:
                s.do_handshake()
                sdone = True
            except ssl.SSLWantReadError:
                pass
        if sout.pending:
            cin.write(sout.read())
        if cdone and sdone:
            return
    raise RuntimeError("CPython handshake failed")


# ---- pyOpenSSL ----

def pyopenssl_setup():
    sctx = SSL.Context(SSL.TLS_METHOD)
    sctx.use_certificate_file(CERT)
    sctx.use_privatekey_file(KEY)
    cctx = SSL.Context(SSL.TLS_METHOD)
    cctx.load_verify_locations(CA)
    cctx.set_verify(SSL.VERIFY_PEER)  # no Python callback: OpenSSL decides
    for ctx in (sctx, cctx):
        ctx.set_min_proto_version(SSL.TLS1_3_VERSION)
        ctx.set_max_proto_version(SSL.TLS1_3_VERSION)
    if MUTUAL:
        sctx.load_verify_locations(CA)
        sctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
        sctx.set_session_id(b"bench")
        cctx.use_certificate_file(CLIENT_CERT)
        cctx.use_privatekey_file(CLIENT_KEY)
    return cctx, sctx


def _bio_move(src, dst):
    try:
        data = src.bio_read(65536)
    except SSL.WantReadError:
        return
    dst.bio_write(data)


def pyopenssl_handshake(cctx, sctx):
    c = SSL.Connection(cctx, None)
    c.set_tlsext_host_name(HOST.encode())
    # pyOpenSSL has no host-name check of its own; set OpenSSL's, as tlshs and CPython do
    _ossl_lib.X509_VERIFY_PARAM_set1_host(_ossl_lib.SSL_get0_param(c._ssl), HOST.encode(), 0)
    c.set_connect_state()
    s = SSL.Connection(sctx, None)
    s.set_accept_state()
    cdone = sdone = False
    for _ in range(20):
        if not cdone:
            try:
                c.do_handshake()
                cdone = True
            except SSL.WantReadError:
                pass
        _bio_move(c, s)
        if not sdone:
            try:
                s.do_handshake()
                sdone = True
            except SSL.WantReadError:
                pass
        _bio_move(s, c)
        if cdone and sdone:
            return
    raise RuntimeError("pyOpenSSL handshake failed")


# ---- the no-progress call ----

def tlshs_waiting_client(ccfg):
    hs = tlshs.Handshake(ccfg, server_name=HOST)
    assert hs.step() == tlshs.WANT_WRITE
    hs.take()
    assert hs.step() == tlshs.WANT_READ
    return hs


def cpython_waiting_client(cctx):
    cin, cout = ssl.MemoryBIO(), ssl.MemoryBIO()
    c = cctx.wrap_bio(cin, cout, server_hostname=HOST)
    try:
        c.do_handshake()
    except ssl.SSLWantReadError:
        pass
    cout.read()

    def call():
        try:
            c.do_handshake()
        except ssl.SSLWantReadError:
            pass
    return call


def pyopenssl_waiting_client(cctx):
    c = SSL.Connection(cctx, None)
    c.set_tlsext_host_name(HOST.encode())
    c.set_connect_state()
    try:
        c.do_handshake()
    except SSL.WantReadError:
        pass
    c.bio_read(65536)

    def call():
        try:
            c.do_handshake()
        except SSL.WantReadError:
            pass
    return call


# ---- the system's trust store, to the first handshake object ----

def tlshs_system_store():
    with tlshs.Config("client") as cfg, tlshs.Handshake(cfg, server_name=HOST):
        pass


def cpython_system_store():
    ctx = ssl.create_default_context()
    ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname=HOST)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--handshakes", type=int, default=300, help="handshakes per repetition")
    ap.add_argument("--calls", type=int, default=200000, help="calls per no-progress timing")
    ap.add_argument("--only", choices=("tlshs", "tlshs-loop", "ssl", "pyopenssl"),
                    help="do --count handshakes with one library after one warm-up, and print "
                         "nothing (for bench/instructions.sh, which counts instructions)")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--mutual", action="store_true",
                    help="the server requires a client certificate and verifies it")
    args = ap.parse_args()

    if args.only:
        if args.only == "ssl":
            load_ssl()
        elif args.only == "pyopenssl" and not load_pyopenssl():
            raise SystemExit("bench_python.py: pyOpenSSL (python3-openssl) is not installed")
        cfgs, fn = {"tlshs": (tlshs_setup, tlshs_handshake), "tlshs-loop": (tlshs_setup, tlshs_loop_handshake),
                    "ssl": (cpython_setup, cpython_handshake),
                    "pyopenssl": (pyopenssl_setup, pyopenssl_handshake)}[args.only]
        cfgs = cfgs()
        for _ in range(args.count + 1):
            fn(*cfgs)
        return 0

    load_ssl()
    load_pyopenssl()
    libs = {
        "tlshs": (tlshs_setup(), tlshs_handshake),
        "CPython ssl": (cpython_setup(), cpython_handshake),
    }
    if SSL is not None:
        libs["pyOpenSSL"] = (pyopenssl_setup(), pyopenssl_handshake)

    print(f"Python {platform.python_version()}, {ssl.OPENSSL_VERSION}, tlshs {tlshs.__version__}"
          + (f", pyOpenSSL {OpenSSL.__version__}" if SSL else ""))
    print(f"{platform.machine()}, {os.cpu_count()} CPUs; certificate {os.path.basename(CERT)} "
          f"(ECDSA P-256), TLS 1.3, X25519, verification on")
    print()
    print(f"1. full in-memory handshakes per CPU second (client + server in one process; "
          f"{args.handshakes} per run, median of {args.reps} interleaved runs)")
    for (cfgs, fn) in libs.values():
        fn(*cfgs)  # warm up
    rates = {name: [] for name in libs}
    for _ in range(args.reps):
        for name, (cfgs, fn) in libs.items():
            t0 = CLOCK()
            for _ in range(args.handshakes):
                fn(*cfgs)
            rates[name].append(args.handshakes / (CLOCK() - t0))
    base = statistics.median(rates["CPython ssl"])
    for name, r in rates.items():
        med = statistics.median(r)
        print(f"   {name:<12} {med:8.0f} handshakes/s  (min {min(r):.0f}, max {max(r):.0f}; "
              f"{med / base:.2f}x CPython ssl)")

    print()
    print(f"2. one call that makes no progress (client waiting for the ServerHello); "
          f"CPU ns/call, best of {args.reps} x {args.calls}")
    ccfg = libs["tlshs"][0][0]
    hs = tlshs_waiting_client(ccfg)
    calls = {
        "tlshs hs.step() -> WANT_READ": hs.step,
        "  (hs.pending: the guard, no work)": lambda: hs.pending,
        "CPython do_handshake() raising SSLWantReadError": cpython_waiting_client(libs["CPython ssl"][0][0]),
    }
    if SSL is not None:
        calls["pyOpenSSL do_handshake() raising WantReadError"] = pyopenssl_waiting_client(libs["pyOpenSSL"][0][0])
    for name, fn in calls.items():
        best = min(timeit.repeat(fn, timer=CLOCK, number=args.calls, repeat=args.reps)) / args.calls * 1e9
        print(f"   {name:<52} {best:7.0f} ns")
    assert hs.step() == tlshs.WANT_READ
    hs.close()

    print()
    print(f"3. a client config with the system's trust store, to its first handshake object; "
          f"CPU ms, median of {args.reps} interleaved")
    stores = {"tlshs Config(\"client\") + Handshake": tlshs_system_store,
              "CPython create_default_context() + wrap_bio": cpython_system_store}
    times = {name: [] for name in stores}
    for _ in range(args.reps):
        for name, fn in stores.items():
            t0 = CLOCK()
            fn()
            times[name].append((CLOCK() - t0) * 1e3)
    for name, t in times.items():
        print(f"   {name:<52} {statistics.median(t):7.2f} ms  (min {min(t):.2f}, max {max(t):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
