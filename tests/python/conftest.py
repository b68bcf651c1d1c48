"""Shared helpers for the tlshs Python tests.

TLSHS_CERTS names the directory of test certificates (make certs); the
default is build/certs under the project's root.  Peers are real: CPython's
ssl module (SSLObject over MemoryBIO), another tlshs object, and the openssl
command (s_server, s_client) on 127.0.0.1.  Every loop is bounded and every
wait has a timeout.
"""

# tlshs before ssl: both load libssl.so.3, and the first one loaded is the
# process's.  Built for another OpenSSL 3 (make test-openssl35), tlshs must
# come first (its rpath loads its own), and CPython's ssl then runs on it too.
import tlshs  # isort: skip

import os
import select
import socket
import ssl
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CERTS = os.environ.get("TLSHS_CERTS") or os.path.join(ROOT, "build", "certs")
TIMEOUT = 10.0  # seconds, for anything that waits
MAX_ROUNDS = 2000  # for in-memory loops


def cert(name):
    """The path of a test certificate or key, e.g. cert("ca.pem")."""
    path = os.path.join(CERTS, name)
    if not os.path.exists(path):
        pytest.fail(f"missing test certificate {path}: run `make certs`")
    return path


def der(name):
    with open(cert(name), encoding="ascii") as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


# ---- tlshs configs ----

def client_config(**keys):
    keys.setdefault("ca_file", cert("ca.pem"))
    return tlshs.Config("client", **keys)


def server_config(name="server", **keys):
    keys.setdefault("cert_file", cert(name + ".pem"))
    keys.setdefault("key_file", cert(name + ".key"))
    return tlshs.Config("server", **keys)


# ---- CPython ssl peers ----

TLS_VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def py_server_context(name="server", version=None, client_cert=False, alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert(name + ".pem"), cert(name + ".key"))
    if version:
        ctx.minimum_version = ctx.maximum_version = TLS_VERSIONS[version]
    if client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cert("ca.pem"))
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def py_client_context(version=None, client_cert=None, alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cert("ca.pem"))
    if version:
        ctx.minimum_version = ctx.maximum_version = TLS_VERSIONS[version]
    if client_cert:
        ctx.load_cert_chain(cert(client_cert + ".pem"), cert(client_cert + ".key"))
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


class PyPeer:
    """A CPython SSLObject over two MemoryBIOs."""

    def __init__(self, ctx, server_side, server_hostname=None, session=None):
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.incoming, self.outgoing, server_side=server_side,
                                server_hostname=server_hostname, session=session)
        self.done = False
        self.exc = None

    def step(self):
        if self.done or self.exc:
            return
        try:
            self.obj.do_handshake()
            self.done = True
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLError as e:
            self.exc = e

    def feed(self, data):
        if data:
            self.incoming.write(data)

    def take(self):
        return self.outgoing.read()

    def read_all(self):
        """Reads what application data there is; b"" when none."""
        out = b""
        for _ in range(MAX_ROUNDS):
            try:
                chunk = self.obj.read(65536)
            except ssl.SSLWantReadError:
                return out
            if not chunk:
                return out
            out += chunk
        raise AssertionError("read_all: no end")


def hs_feed(hs, data, frag=None):
    """Feeds data to hs (memory mode), frag bytes at a time, stepping between
    pieces.  Bytes that arrive once hs is CLOSED are dropped, as a program
    would drop them."""
    if not data or hs.result == tlshs.CLOSED:
        return
    if frag is None:
        hs.feed(data)
        return
    for i in range(0, len(data), frag):
        hs.feed(data[i:i + frag])
        if hs.step() == tlshs.CLOSED:
            return


def hs_take(hs, frag=None):
    """Takes every pending byte of hs, frag bytes at a time."""
    if frag is None:
        return hs.take()
    out = b""
    for _ in range(MAX_ROUNDS * 10):
        piece = hs.take(frag)
        if not piece:
            return out
        assert len(piece) <= frag
        out += piece
    raise AssertionError("hs_take: no end")


def pump_py(hs, peer, frag=None):
    """Drives a tlshs handshake (memory mode) and a PyPeer until both have
    finished or failed and no bytes move; answers hs's last result."""
    r = hs.result
    for _ in range(MAX_ROUNDS):
        if r not in (tlshs.DONE, tlshs.CLOSED) or hs.pending:
            r = hs.step()
        mine = hs_take(hs, frag)
        peer.feed(mine)
        peer.step()
        theirs = peer.take()
        hs_feed(hs, theirs, frag)
        if theirs and r == tlshs.DONE:
            pass  # post-handshake bytes (tickets) wait in hs for read()
        if not mine and not theirs and r in (tlshs.DONE, tlshs.CLOSED) and (peer.done or peer.exc):
            return r
    raise AssertionError(f"pump_py: no end (tlshs {r!r}, peer done={peer.done} exc={peer.exc!r})")


def pump(a, b, frag=None):
    """Drives two tlshs handshakes (memory mode) against each other until
    both are DONE or CLOSED and no bytes move; answers both results.
    Whole flights go through tlshs.pair; with frag, bytes move frag at a
    time with a step between pieces (the loop below)."""
    if frag is None:
        out = tlshs.pair(a, b, rounds=MAX_ROUNDS)
        if out.waiting:
            raise AssertionError(f"pump: no end ({out.client!r}, {out.server!r}, "
                                 f"waiting {out.waiting}, rounds out {out.rounds_out})")
        return out.client, out.server
    ra, rb = a.result, b.result
    for _ in range(MAX_ROUNDS):
        if ra not in (tlshs.DONE, tlshs.CLOSED) or a.pending:
            ra = a.step()
        ab = hs_take(a, frag)
        hs_feed(b, ab, frag)
        if rb not in (tlshs.DONE, tlshs.CLOSED) or b.pending or ab:
            rb = b.step()
        ba = hs_take(b, frag)
        hs_feed(a, ba, frag)
        if not ab and not ba and ra in (tlshs.DONE, tlshs.CLOSED) and rb in (tlshs.DONE, tlshs.CLOSED):
            return ra, rb
    raise AssertionError(f"pump: no end ({ra!r}, {rb!r})")


# ---- two tlshs handshakes in memory, after pump: the shared helpers ----
# (the same three as tests/c and tests/lua have: settle, flows, early_handshake)

def move_bytes(a, b):
    """Moves a's pending bytes to b; answers how many."""
    data = a.take()
    if data:
        b.feed(data)
    return len(data)


def settle(a, b, rounds=30):
    """Reads on both sides (memory), moving bytes, until neither has
    anything to do (tickets, a KeyUpdate, a renegotiation's messages);
    answers the application data each read."""
    got = {id(a): b"", id(b): b""}
    for _ in range(rounds):
        moved = 0
        for x, y in ((a, b), (b, a)):
            _, data = x.read()
            got[id(x)] += data
            moved += move_bytes(x, y) + len(data)
        if not moved:
            return got[id(a)], got[id(b)]
    raise AssertionError("settle: no end")


def flows(src, dst, msg):
    """src writes msg, dst reads it (memory), with what either side owes
    the other meanwhile (tickets, a KeyUpdate) passed on; answers whether
    dst read msg, whole and alone."""
    assert src.write(msg) == (tlshs.DONE, len(msg))
    move_bytes(src, dst)
    got = b""
    for _ in range(10):
        _, data = dst.read()
        got += data
        move_bytes(dst, src)
        src.read()
        move_bytes(src, dst)
        if got == msg:
            return True
    return got == msg


def early_handshake(c, s, rounds=30):
    """The server side of 0-RTT: s.read_early() until (DONE, b"") with the
    client's steps between; answers the early data s read."""
    got = b""
    for _ in range(rounds):
        rs, data = s.read_early()
        got += data
        move_bytes(s, c)
        rc = c.step()
        move_bytes(c, s)
        if rs == tlshs.DONE and not data and rc == tlshs.DONE and not s.pending and not c.pending:
            return got
        assert tlshs.CLOSED not in (rs, rc), (s.error, c.error)
    raise AssertionError("early handshake: no end")


def drain(hs, peer):
    """After DONE: reads (hs) until WANT_READ so post-handshake messages
    (TLS 1.3 tickets) are processed, passing bytes both ways."""
    for _ in range(MAX_ROUNDS):
        r, data = hs.read()
        assert data == b"", data
        if r == tlshs.WANT_WRITE:
            peer.feed(hs.take())
            continue
        return r
    raise AssertionError("drain: no end")


# ---- fd mode ----

def drive_fd(op, sock, timeout=TIMEOUT):
    """Calls op() (hs.step, a read...) until it answers something other than
    WANT_READ/WANT_WRITE, waiting on sock in between; answers the last
    answer.  Fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        ans = op()
        r = ans[0] if isinstance(ans, tuple) else ans
        if r not in (tlshs.WANT_READ, tlshs.WANT_WRITE):
            return ans
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"drive_fd: timed out at {r!r}")
        if r == tlshs.WANT_READ:
            select.select([sock], [], [], left)
        else:
            select.select([], [sock], [], left)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_until(proc, marker, timeout=TIMEOUT):
    """Reads proc's stdout (a pipe) until marker shows; answers all read.
    Fails on timeout or when the process ends first."""
    deadline = time.monotonic() + timeout
    buf = b""
    fd = proc.stdout.fileno()
    while marker not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {marker!r}; got {buf!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError(f"process ended before {marker!r}; got {buf!r}")
            buf += chunk
    return buf


def stop(proc):
    """Ends a subprocess for good and closes its pipes."""
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pass
    for f in (proc.stdin, proc.stdout, proc.stderr):
        if f:
            f.close()


@pytest.fixture
def s_server():
    """Starts `openssl s_server` on 127.0.0.1 and a free port:
    start(*args) -> port.  Ready once it printed ACCEPT; killed at the end."""
    procs = []

    def start(*args):
        for attempt in range(5):
            port = free_port()
            cmd = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", *args]
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            procs.append(proc)
            try:
                read_until(proc, b"ACCEPT")
                return port
            except AssertionError:
                stop(proc)  # port taken meanwhile: try another
        pytest.fail(f"openssl s_server would not start: {cmd}")

    start.procs = procs
    yield start
    for p in procs:
        stop(p)


@pytest.fixture
def s_client():
    """Runs `openssl s_client` against 127.0.0.1:port: start(port, *args) ->
    Popen (stdout and stderr merged into a pipe).  Killed at the end."""
    procs = []

    def start(port, *args):
        cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    yield start
    for p in procs:
        stop(p)


@pytest.fixture
def listener():
    """A listening TCP socket on 127.0.0.1 and a free port."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    s.settimeout(TIMEOUT)
    yield s
    s.close()
