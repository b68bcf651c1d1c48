"""Soak: 10,000 handshakes in flight at once in one process.

10,000 client and 10,000 server handshakes (memory mode, one shared config
per side) are all made first, then driven round-robin, one step each per
round, until every one is DONE.  The bounds:

- the C heap in use (glibc's mallinfo2, which counts OpenSSL's allocations)
  peaks at most at 256 KB per connection (client + server; 156 KB measured
  on 2026-11-30 with OpenSSL 3.0);
- once every handshake is closed, the C heap is back within 2 MB of where
  it started (whatever N: a leak of 200 bytes per connection would show),
  and Python's allocated blocks (sys.getallocatedblocks) within 1,000.

TLSHS_SOAK_N scales N down (the ASan target sets it: under ASan a handshake
costs ten times more); the test prints when it does.  Under an allocator
that mallinfo2 does not see (ASan's), the heap figures read zero and the
resident set size (/proc/self/statm) is bounded instead, at 1 MB per
connection, and leaks are LeakSanitizer's to find.
"""

import ctypes
import gc
import os
import sys
import time

import tlshs
from conftest import client_config, server_config

N_DEFAULT = 10000


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]


_libc = ctypes.CDLL(None)
_libc.mallinfo2.restype = _Mallinfo2


def heap_in_use():
    return _libc.mallinfo2().uordblks


def rss():
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_ten_thousand_handshakes_in_flight(capsys):
    n = int(os.environ.get("TLSHS_SOAK_N", N_DEFAULT))
    if n != N_DEFAULT:
        with capsys.disabled():
            print(f"\n[soak: N scaled down from {N_DEFAULT} to {n} by TLSHS_SOAK_N]")
    ccfg, scfg = client_config(), server_config()
    gc.collect()
    heap0, rss0, blocks0 = heap_in_use(), rss(), sys.getallocatedblocks()
    t0 = time.monotonic()

    pairs = [(tlshs.Handshake(ccfg, server_name="localhost"), tlshs.Handshake(scfg)) for _ in range(n)]
    live = pairs
    peak_heap = peak_rss = 0
    rounds = 0
    while live:
        rounds += 1
        assert rounds <= 10, f"{len(live)} handshakes still going after 10 rounds"
        going = []
        for c, s in live:
            rc = c.step()
            if rc == tlshs.WANT_WRITE:
                s.feed(c.take())
            rs = s.step()
            if rs == tlshs.WANT_WRITE:
                c.feed(s.take())
            assert tlshs.CLOSED not in (rc, rs), (c.error, s.error)
            if rc != tlshs.DONE or rs != tlshs.DONE or c.pending or s.pending:
                going.append((c, s))
        peak_heap = max(peak_heap, heap_in_use() - heap0)
        peak_rss = max(peak_rss, rss() - rss0)
        live = going
    assert all(c.result == s.result == tlshs.DONE for c, s in pairs)
    assert all(c.version == "TLSv1.3" and c.verify_result == 0 for c, _ in pairs)

    for c, s in pairs:
        c.close()
        s.close()
    del pairs, live, going, c, s
    gc.collect()
    heap_left, blocks_left = heap_in_use() - heap0, sys.getallocatedblocks() - blocks0
    seconds = time.monotonic() - t0
    with capsys.disabled():
        print(f"\n[soak: {n} connections in flight, DONE in {rounds} rounds, {seconds:.1f} s; "
              f"peak C heap {peak_heap / n / 1024:.0f} KB and RSS {peak_rss / n / 1024:.0f} KB per "
              f"connection; after close C heap {heap_left / 1024:+.0f} KB, Python blocks {blocks_left:+d}]")
    if peak_heap > 0:
        assert peak_heap <= 256 * 1024 * n
        assert heap_left <= 2 * 1024 * 1024
    else:  # an allocator mallinfo2 does not see (ASan): bound what the kernel sees
        assert peak_rss <= 1024 * 1024 * n
    assert blocks_left <= 1000
