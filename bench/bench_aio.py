#!/usr/bin/python3
"""Benchmarks tlshs.aio and `tlshs serve` against asyncio's own TLS and
openssl s_server, over loopback, each server in its own process.

1. Handshakes per second under `openssl s_time -new` (one client at a
   time: connect, handshake, close) against a server that waits for the
   client's end of stream: tlshs.aio and CPython's asyncio + ssl, each on
   asyncio's default loop and on uvloop (whose TLS is its own), and
   `openssl s_server` (the C limit for the same work).  Rounds interleaved,
   the median of ROUNDS reported.

2. Memory per connection: the server's resident set (VmRSS) grown by
   CONNECTIONS idle TLS connections (handshake done, each server task
   waiting in reader.read()), divided by their number: tlshs.aio against
   asyncio + ssl, on each loop.  One client process (tlshs.aio) holds them.

3. `tlshs serve` (GET / answered with its page, a report printed per
   connection) against `openssl s_server -www`, handshakes per second with
   CLIENTS concurrent clients (CLIENTS `openssl s_time -new -www /`
   processes; s_server serves one at a time, the others wait in its
   listen queue).

Everywhere: TLS 1.3, s_time's default cipher suite, X25519, the ECDSA P-256
certificate server-ec.pem; the machine's two cores are shared by the
clients and the server, as in a test.  Wall-clock rates: they swing by 5 to
15% from run to run on this machine.

Usage: TLSHS_CERTS=build/certs PYTHONPATH=python /usr/bin/python3 bench/bench_aio.py
       [--seconds S] [--rounds N] [--connections N] [--clients N]   (or: make bench-aio)
"""

import argparse
import asyncio
import os
import platform
import re
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import time

import tlshs
import tlshs.aio

CERTS = os.environ.get("TLSHS_CERTS") or os.path.join(os.path.dirname(__file__), "..", "build", "certs")
CA = os.path.join(CERTS, "ca.pem")
CERT = os.path.join(CERTS, "server-ec.pem")
KEY = os.path.join(CERTS, "server-ec.key")
PY = sys.executable
ENV = dict(os.environ)


# ---- the servers, each run as `bench_aio.py serve KIND LOOP` ----

def new_loop(loop_name):
    if loop_name == "uvloop":
        import uvloop
        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


async def until_eof(reader, writer):
    try:
        await reader.read()
    except Exception:  # a client that resets: its end
        pass
    writer.transport.abort()


async def serve(kind):
    if kind == "tlshs":
        cfg = tlshs.Config("server", cert_file=CERT, key_file=KEY, groups="X25519")
        server = await tlshs.aio.start_server(until_eof, "127.0.0.1", 0, cfg, backlog=1024)
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(CERT, KEY)
        server = await asyncio.start_server(until_eof, "127.0.0.1", 0, ssl=ctx, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


def run_server(kind, loop_name):
    with asyncio.Runner(loop_factory=lambda: new_loop(loop_name)) as runner:
        runner.get_loop().set_exception_handler(lambda loop, context: None)  # clients that reset
        runner.run(serve(kind))


class Server:
    """A server in its own process: `with Server(cmd) as s: s.port, s.pid`."""

    def __init__(self, cmd, port=None):
        self.cmd, self.port = cmd, port

    def __enter__(self):
        # (a server on a given port prints its reports: to nowhere, so a full pipe never stops it)
        out = subprocess.PIPE if self.port is None else subprocess.DEVNULL
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL,
                                     env=ENV)
        self.pid = self.proc.pid
        if self.port is None:
            self.port = int(self.proc.stdout.readline())
        else:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def s_server_cmd(port, *args):
    return ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", CERT, "-key", KEY, "-groups", "X25519",
            "-quiet", "-naccept", "1000000000", *args]


# ---- 1. s_time -new ----

def s_time(port, seconds, *args):
    """Runs `openssl s_time -new` for seconds; answers (connections, wall seconds)."""
    t0 = time.monotonic()
    p = subprocess.run(["openssl", "s_time", "-connect", f"127.0.0.1:{port}", "-new", "-time", str(seconds), *args],
                       capture_output=True, timeout=seconds + 60)
    wall = time.monotonic() - t0
    m = re.search(rb"^(\d+) connections in [\d.]+s;", p.stdout, re.M)
    if not m:
        raise SystemExit(f"s_time: no figure in {p.stdout[-500:]!r} {p.stderr[-500:]!r}")
    return int(m.group(1)), wall


SERVERS = [
    ("tlshs.aio, asyncio loop", lambda: [PY, __file__, "serve", "tlshs", "asyncio"], None),
    ("tlshs.aio, uvloop", lambda: [PY, __file__, "serve", "tlshs", "uvloop"], None),
    ("asyncio + ssl, asyncio loop", lambda: [PY, __file__, "serve", "ssl", "asyncio"], None),
    ("asyncio + ssl, uvloop", lambda: [PY, __file__, "serve", "ssl", "uvloop"], None),
    ("openssl s_server", None, s_server_cmd),
]


def cpu_seconds(pid):
    """The user + system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_s_time(args):
    print(f"1. handshakes per second, openssl s_time -new (one client at a time), "
          f"median of {args.rounds} rounds of {args.seconds} s; and the server's CPU time per handshake")
    rates = {name: [] for name, _, _ in SERVERS}
    cpu = {name: [] for name, _, _ in SERVERS}
    for _ in range(args.rounds):
        for name, cmd, direct in SERVERS:
            port = free_port() if direct else None
            with Server(direct(port) if direct else cmd(), port) as s:
                s_time(s.port, 1)  # warm up (imports, first handshakes)
                c0 = cpu_seconds(s.pid)
                n, wall = s_time(s.port, args.seconds)
                cpu[name].append((cpu_seconds(s.pid) - c0) / n)
                rates[name].append(n / wall)
    med = {name: statistics.median(r) for name, r in rates.items()}
    ms = {name: statistics.median(c) * 1000 for name, c in cpu.items()}
    for name, _, _ in SERVERS:
        print(f"   {name:<30} {med[name]:8.0f} handshakes/s  {ms[name]:6.3f} ms server CPU each   "
              f"(rounds: {', '.join(f'{r:.0f}' for r in rates[name])})")
    for loop_name in ("asyncio loop", "uvloop"):
        ours, theirs = f"tlshs.aio, {loop_name}", f"asyncio + ssl, {loop_name}"
        print(f"   tlshs.aio / asyncio + ssl, {loop_name}: {med[ours] / med[theirs]:.2f}x the rate, "
              f"{ms[ours] / ms[theirs]:.2f}x the CPU; / openssl s_server: {med[ours] / med['openssl s_server']:.2f}x "
              f"the rate, {ms[ours] / ms['openssl s_server']:.2f}x the CPU")


# ---- 2. memory per idle connection ----

async def hold(port, n):
    """Opens n TLS connections to port (tlshs.aio, 50 handshakes at a
    time), says "ready", and keeps them until stdin closes."""
    cfg = tlshs.Config("client", ca_file=CA)
    gate = asyncio.Semaphore(50)

    async def one():
        async with gate:
            return await tlshs.aio.open_connection("127.0.0.1", port, cfg, server_name="localhost")

    conns = await asyncio.gather(*(one() for _ in range(n)))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for _, w in conns:
        w.transport.abort()


def rss(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1)) * 1024


def idle_growth(cmd, n):
    """Bytes the server's RSS grew by per connection, for n idle ones."""
    with Server(cmd) as s:
        s_time(s.port, 1)  # warm up: the first handshakes' allocations are not the connections'
        time.sleep(0.3)
        before = rss(s.pid)
        client = subprocess.Popen([PY, __file__, "hold", str(s.port), str(n)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, env=ENV)
        try:
            if client.stdout.readline().strip() != b"ready":
                raise SystemExit("bench_aio: the client could not open its connections")
            time.sleep(0.5)  # the server's side of the last handshakes
            after = rss(s.pid)
        finally:
            client.stdin.close()
            client.wait(30)
            client.stdout.close()
    return (after - before) / n


def bench_memory(args):
    n = args.connections
    print(f"2. memory per idle TLS connection (server VmRSS growth / {n})")
    got = {}
    for name, cmd, _ in SERVERS[:4]:
        got[name] = idle_growth(cmd(), n)
        print(f"   {name:<30} {got[name] / 1024:6.1f} KiB per connection")
    for loop_name in ("asyncio loop", "uvloop"):
        print(f"   tlshs.aio / asyncio + ssl, {loop_name}: "
              f"{got[f'tlshs.aio, {loop_name}'] / got[f'asyncio + ssl, {loop_name}']:.2f}x")


# ---- 3. tlshs serve with concurrent clients ----

def many_s_time(port, clients, seconds):
    """clients `s_time -new -www /` processes at once; answers handshakes per second."""
    t0 = time.monotonic()
    procs = [subprocess.Popen(["openssl", "s_time", "-connect", f"127.0.0.1:{port}", "-new", "-www", "/",
                               "-time", str(seconds)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
             for _ in range(clients)]
    total = 0
    for p in procs:
        out, _ = p.communicate(timeout=seconds + 120)
        m = re.search(rb"^(\d+) connections in [\d.]+s;", out, re.M)
        total += int(m.group(1)) if m else 0
    return total / (time.monotonic() - t0)


def bench_serve(args):
    print(f"3. handshakes per second with {args.clients} concurrent clients (s_time -new -www /), "
          f"median of {args.rounds} rounds of {args.seconds} s")
    servers = [
        ("tlshs serve", lambda port: [PY, "-m", "tlshs", "serve", "--port", str(port), "--cert-file", CERT,
                                      "--key-file", KEY, "--groups", "X25519", "--timeout", "30"]),
        ("openssl s_server -www", lambda port: s_server_cmd(port, "-www")),
    ]
    rates = {name: [] for name, _ in servers}
    for _ in range(args.rounds):
        for name, cmd in servers:
            port = free_port()
            with Server(cmd(port), port):
                rates[name].append(many_s_time(port, args.clients, args.seconds))
    med = {name: statistics.median(r) for name, r in rates.items()}
    for name, _ in servers:
        print(f"   {name:<30} {med[name]:8.0f} handshakes/s   (rounds: {', '.join(f'{r:.0f}' for r in rates[name])})")
    print(f"   tlshs serve / openssl s_server -www: {med['tlshs serve'] / med['openssl s_server -www']:.2f}x")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        run_server(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "hold":
        asyncio.run(hold(int(sys.argv[2]), int(sys.argv[3])))
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=int, default=3, help="seconds per s_time run (default 3)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--connections", type=int, default=1000, help="idle connections for 2. (default 1000)")
    p.add_argument("--clients", type=int, default=50, help="concurrent clients for 3. (default 50)")
    p.add_argument("--only", choices=["s_time", "memory", "serve"], help="one part only")
    args = p.parse_args()
    import uvloop
    print(f"Python {platform.python_version()}, {tlshs.OPENSSL_VERSION}, uvloop {uvloop.__version__}, "
          f"{os.cpu_count()} cores")
    if args.only in (None, "s_time"):
        bench_s_time(args)
    if args.only in (None, "memory"):
        bench_memory(args)
    if args.only in (None, "serve"):
        bench_serve(args)


if __name__ == "__main__":
    main()
