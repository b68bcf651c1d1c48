"""The command line, `python3 -m tlshs probe|serve` (python/tlshs/_cli.py),
run as a real program against real servers and clients on 127.0.0.1:
openssl s_server / s_client, gnutls-serv / gnutls-cli, curl, CPython's ssl,
LuaSec and sslscan.  Every wait is bounded."""

import hashlib
import json
import os
import queue
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest

import tlshs as lib
from conftest import ROOT, TIMEOUT, cert, free_port, py_server_context, read_until, stop

PY = sys.executable
# tlshs runs with the package under test (under `make test-python-asan`, the
# ASan build, with the runtime the suite preloads); the real peers without
# that runtime (curl times out under it) and without leak checks.
ENV = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(lib.__file__))))
PEER_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
SLOW = 3 * TIMEOUT  # for a peer's whole run, on a loaded machine or under ASan
GREASE = {0x0A0A + 0x1010 * i for i in range(16)}


def needs(program):
    if not shutil.which(program):
        pytest.fail(f"{program} is missing: run `make deps`")


def tlshs(*args, timeout=60):
    """Runs `python3 -m tlshs ARGS`; answers (exit status, stdout, stderr)."""
    p = subprocess.run([PY, "-m", "tlshs", *args], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def probe(*args, **kw):
    return tlshs("probe", *args, **kw)


def field(out, name):
    """The value printed after a label ("  version   TLSv1.3")."""
    m = re.search(rf"^ +{re.escape(name)} +(.*)$", out, re.M)
    assert m, f"no {name!r} line in:\n{out}"
    return m.group(1).strip()


def jsons(out):
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


# ---- servers to probe ----

@pytest.fixture
def s_server():
    procs = []

    def start(*args, name="server"):
        for _ in range(5):
            port = free_port()
            cmd = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert(name + ".pem"),
                   "-key", cert(name + ".key"), *args]
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    env=PEER_ENV)
            procs.append(proc)
            try:
                read_until(proc, b"ACCEPT")
                return port
            except AssertionError:
                stop(proc)
        pytest.fail("openssl s_server would not start")

    yield start
    for p in procs:
        stop(p)


CA = ("--ca-file", cert("ca.pem"))


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_probe_s_server(s_server, version):
    port = s_server("-tls1_" + version[-1])
    rc, out, err = probe(f"localhost:{port}", *CA)
    assert rc == 0, out + err
    assert field(out, "outcome") == "DONE"
    assert field(out, "version") == "TLSv" + version
    assert field(out, "verify") == "ok (0)"
    assert field(out, "peer cert subject") == "CN=localhost"
    assert field(out, "issuer") == "CN=tlshs test CA"
    assert re.search(r"valid +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ to \d{4}-", out)
    assert re.search(r"^  > sent +1 message, \d+ bytes: ClientHello$", out, re.M)
    assert re.search(r"^  < received +\d+ messages, \d+ bytes: ServerHello, ", out, re.M)
    assert field(out, "closed") == "closed by the probe (close_notify sent)"


def test_probe_alpn(s_server):
    port = s_server("-alpn", "h2")
    rc, out, _ = probe(f"localhost:{port}", *CA, "--alpn", "h2,http/1.1")
    assert rc == 0 and field(out, "ALPN") == "h2"


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_probe_client_certificate(s_server, version):
    port = s_server("-tls1_" + version[-1], "-Verify", "1", "-CAfile", cert("ca.pem"), "-www")
    rc, out, _ = probe(f"localhost:{port}", *CA, "--cert-file", cert("client.pem"), "--key-file",
                       cert("client.key"), "--send", r"GET / HTTP/1.0\r\n\r\n")
    assert rc == 0, out
    assert re.search(r"^  > sent .*[:,] Certificate, (\w+, )*CertificateVerify", out, re.M)
    assert "tlshs test client" in out  # s_server's page names the client's certificate


def test_probe_wrong_name(s_server):
    port = s_server(name="wrongname")
    rc, out, _ = probe(f"localhost:{port}", *CA, "--json")
    (r,) = jsons(out)
    assert rc == 1 and r["result"] == "CLOSED" and r["error_code"] == "E_VERIFY"
    assert r["verify_result"] == 62 and r["verify_text"] == "hostname mismatch"
    assert r["closed"].startswith("handshake failed: certificate verify failed")


def test_probe_unknown_ca(s_server):
    port = s_server(name="unknown")
    rc, out, _ = probe(f"localhost:{port}", *CA)
    assert rc == 1
    assert field(out, "outcome") == "CLOSED"
    assert field(out, "verify") == "unable to get local issuer certificate (20)"
    assert field(out, "alerts") == "sent unknown_ca, received none"


def test_probe_server_alert(s_server):
    port = s_server("-tls1_3")
    rc, out, _ = probe(f"localhost:{port}", *CA, "--max-version", "1.2")
    assert rc == 1
    assert field(out, "alerts") == "sent none, received protocol_version"
    assert field(out, "closed").startswith("handshake failed: peer sent fatal alert")


def test_probe_resumes_and_sends(s_server):
    port = s_server("-www")
    rc, out, _ = probe(f"localhost:{port}", *CA, "--count", "3", "--send", r"GET / HTTP/1.0\r\n\r\n", "--json")
    reports = jsons(out)
    assert rc == 0 and [r["index"] for r in reports] == [1, 2, 3]
    assert [r["resumed"] for r in reports] == [False, True, True]
    assert [r["session_offered"] for r in reports] == [False, True, True]
    assert all(r["received"].startswith("HTTP/1.0 200 ok") for r in reports)
    assert "NewSessionTicket" in reports[0]["flights"][3]["messages"]


def test_probe_gnutls_serv():
    needs("gnutls-serv")
    port = free_port()
    proc = subprocess.Popen(["gnutls-serv", "--port", str(port), "--x509certfile", cert("server.pem"),
                             "--x509keyfile", cert("server.key"), "--echo"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=PEER_ENV)
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        rc, out, _ = probe(f"localhost:{port}", *CA, "--send", "hello gnutls\\n")
        assert rc == 0, out
        assert field(out, "version") == "TLSv1.3"
        assert field(out, "received") == "hello gnutls"  # --echo sends it back
    finally:
        stop(proc)


def test_probe_cpython_server():
    ctx = py_server_context(version="1.2", alpn=["x-py"])
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(TIMEOUT)

    def serve():
        conn, _ = lsock.accept()
        try:
            with ctx.wrap_socket(conn, server_side=True) as s:
                s.settimeout(TIMEOUT)
                s.sendall(s.recv(100).upper())
        except (OSError, ssl.SSLError):
            pass

    t = threading.Thread(target=serve)
    t.start()
    try:
        rc, out, _ = probe(f"127.0.0.1:{lsock.getsockname()[1]}", *CA, "--server-name", "localhost",
                           "--alpn", "x-py", "--send", "shout")
    finally:
        t.join(TIMEOUT)
        lsock.close()
    assert rc == 0, out
    assert field(out, "version") == "TLSv1.2" and field(out, "ALPN") == "x-py"
    assert field(out, "received") == "SHOUT"


def test_probe_no_server():
    port = free_port()
    rc, out, _ = probe(f"127.0.0.1:{port}", "--json")
    (r,) = jsons(out)
    assert rc == 1 and r["result"] == "NO_CONNECTION" and "refused" in r["closed"]


def test_probe_timeout():
    lsock = socket.socket()  # listens, never answers
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    try:
        t0 = time.monotonic()
        rc, out, _ = probe(f"localhost:{lsock.getsockname()[1]}", "--timeout", "1")
        assert rc == 1 and field(out, "closed") == "timed out after 1 s in the handshake"
        assert time.monotonic() - t0 < 8
    finally:
        lsock.close()


@pytest.mark.parametrize("args, message", [
    (["probe", "localhost:4433", "--min-version", "9"], "min_version"),
    (["probe", "localhost:4433", "--no-such-option"], "unrecognized arguments"),
    (["probe", "localhost:99999"], "bad target"),
    (["probe", "localhost", "--tamper", "shuffle"], "refragment=N"),
    (["serve", "--cert-file", "/nonexistent.pem"], "cert_file"),
    # keys that do not fit together: refused before any connection (Config.check)
    (["probe", "localhost:1", "--min-version", "1.3", "--max-version", "1.2"], "no version is left"),
    (["serve", "--port", "0", "--cert-file", cert("server.pem"), "--key-file", cert("client.key")],
     "does not match"),
    # a key of the other role is no option of the command
    (["probe", "localhost:1", "--self-signed", "x"], "unrecognized arguments: --self-signed"),
    (["serve", "--port", "0", "--status-request", "on"], "unrecognized arguments: --status-request"),
    (["frobnicate"], "invalid choice"),
])
def test_usage_errors(args, message):
    rc, out, err = tlshs(*args)
    assert rc == 2 and message in err, (rc, out, err)


@pytest.mark.parametrize("target, want", [
    ("example.org", ("example.org", 443)),
    ("example.org:8443", ("example.org", 8443)),
    ("[::1]:4433", ("::1", 4433)),
    ("[::1]", ("::1", 443)),
    ("::1", ("::1", 443)),
    ("127.0.0.1:1", ("127.0.0.1", 1)),
])
def test_probe_target(target, want):
    from tlshs import _cli

    assert _cli.split_target(target) == want


@pytest.mark.parametrize("target", ["", ":443", "host:", "host:0", "host:65536", "host:x", "[::1", "[::1]x"])
def test_probe_bad_target(target):
    from tlshs import _cli

    with pytest.raises(_cli.UsageError):
        _cli.split_target(target)


# ---- the options: the core's key table ----

def key_options(help_text):
    """The configuration key options --help shows, in order: (option,
    metavar, help) with argparse's line wrapping undone."""
    section = help_text[help_text.index("\nconfiguration keys "):]
    section = section[section.index("\n", 1) + 1:].split("\n\n")[0]
    rows = []
    for line in section.splitlines():
        m = re.match(r"^  (--[a-z0-9-]+) (\S+)(?:\s+(.*))?$", line)
        if m:
            rows.append([m.group(1), m.group(2), m.group(3) or ""])
        else:
            rows[-1][2] = (rows[-1][2] + " " + line.strip()).strip()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("command, role", [("probe", "client"), ("serve", "server")])
def test_options_are_the_key_table(command, role):
    """Each command has one option per key of its role (config_keys()), with
    the table's metavar, help and default; the others' keys are none of its."""
    rc, out, _ = tlshs(command, "--help")
    assert rc == 0
    want = [("--" + k.name.replace("_", "-"), k.metavar, k.help + (f" (default: {k.default})" if k.default else ""))
            for k in lib.config_keys() if role in k.roles]
    assert len(want) >= 2 and key_options(out) == want
    others = {"--" + k.name.replace("_", "-") for k in lib.config_keys() if role not in k.roles}
    assert others and not any(re.search(rf"{o}\b", out) for o in others)


def test_a_switch_takes_on_and_off(s_server):
    port = s_server("-tls1_3")
    for value in ("on", "off"):
        rc, out, err = probe(f"localhost:{port}", *CA, "--post-handshake-auth", value, "--json")
        assert rc == 0 and jsons(out)[0]["result"] == "DONE", out + err
    rc, out, err = probe(f"localhost:{port}", *CA, "--post-handshake-auth", "yes")
    assert rc == 2 and err.startswith("tlshs probe: post_handshake_auth: "), err


def test_what_check_leaves_is_a_usage_error_at_the_first_handshake(listener):
    """A certificate without its key is found by the first handshake, not by
    Config.check: the probe connects, then stops with exit status 2."""
    port = listener.getsockname()[1]
    rc, out, err = probe(f"127.0.0.1:{port}", "--server-name", "localhost", "--cert-file", cert("client.pem"))
    assert rc == 2 and "the certificate has no key" in err, (rc, out, err)
    srv = Serve("--cert-file", cert("server.pem"))
    try:
        socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT).close()
        assert srv.proc.wait(SLOW) == 2
        text = ""
        while True:
            try:
                text += srv._line(TIMEOUT)
            except AssertionError:
                break
        assert "the certificate has no key" in text, text
    finally:
        stop(srv.proc)


def test_an_option_reaches_its_key():
    rc, out, err = probe("localhost:1", "--security-level", "x")
    assert rc == 2 and "security_level" in err


# ---- serve ----

class Serve:
    """`tlshs serve --port 0 ARGS` with its output (stdout and stderr) read
    line by line by a thread, so that a full pipe never stops the server."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([PY, "-m", "tlshs", "serve", "--port", "0", *args], env=ENV,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        banner = ""
        while "ACCEPT" not in banner:
            banner += self._line(TIMEOUT)
        self.port = int(re.search(r"ACCEPT 127\.0\.0\.1:(\d+)", banner).group(1))
        self.fingerprint = re.search(r"SHA-256 ([0-9A-F:]+)", banner).group(1)

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.decode(errors="replace"))
        self.lines.put(None)

    def _line(self, timeout):
        try:
            line = self.lines.get(timeout=max(0.01, timeout))
        except queue.Empty:
            raise AssertionError("tlshs serve printed nothing in time") from None
        if line is None:
            raise AssertionError(f"tlshs serve ended (status {self.proc.wait(TIMEOUT)})")
        return line

    def reports(self, n, timeout=SLOW):
        """Reads until n more connections were reported: answers each as a
        dict (--json: one line each) or as its text (up to "  closed ...")."""
        deadline = time.monotonic() + timeout
        out, text = [], ""
        while len(out) < n:
            line = self._line(deadline - time.monotonic())
            if line.startswith("{"):
                out.append(json.loads(line))
            else:
                text += line
                if line.startswith("  closed "):
                    out.append(text)
                    text = ""
        return out

    def stop(self):
        stop(self.proc)
        self.reader.join(TIMEOUT)


@pytest.fixture
def server():
    started = []

    def start(*args):
        s = Serve(*args)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def names(report, key):
    return [x["name"] for x in report["client_hello"][key]]


def check_fingerprints(r):
    """JA3 and JA4 agree with the lists serve printed (GREASE left out)."""
    h = r["client_hello"]
    ids = {k: [x["id"] for x in h[k] if x["id"] not in GREASE] for k in ("ciphers", "extensions", "groups")}
    ja3 = h["ja3"].split(",")
    assert ja3[0] == str(h["legacy_version"])
    assert ja3[1] == "-".join(map(str, ids["ciphers"]))
    assert ja3[2] == "-".join(map(str, ids["extensions"]))
    assert ja3[3] == "-".join(map(str, ids["groups"]))
    assert h["ja3_hash"] == hashlib.md5(h["ja3"].encode()).hexdigest()
    ja4 = h["ja4"]
    assert ja4[3] == ("d" if h["server_name"] else "i")
    assert ja4[4:6] == f"{min(len(ids['ciphers']), 99):02d}"
    assert ja4[6:8] == f"{min(len(ids['extensions']), 99):02d}"
    alpn = h["alpn"][0] if h["alpn"] else ""
    assert ja4[8:10] == (alpn[0] + alpn[-1] if alpn else "00")


def test_serve_s_client(server):
    s = server("--json", "--alpn", "h2")
    proc = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{s.port}", "-servername", "sc.example",
                           "-alpn", "h2,http/1.1", "-ciphersuites", "TLS_AES_128_GCM_SHA256", "-groups",
                           "X25519:P-256", "-tls1_3"], stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=SLOW, env=PEER_ENV)
    (r,) = s.reports(1)
    assert r["result"] == "DONE" and r["version"] == "TLSv1.3" and r["alpn"] == "h2"
    assert names(r, "ciphers") == ["TLS_AES_128_GCM_SHA256", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"]
    assert names(r, "groups") == ["x25519", "secp256r1"]
    assert names(r, "versions") == ["TLSv1.3"]
    assert "server_name" in names(r, "extensions") and "key_share" in names(r, "extensions")
    assert r["client_hello"]["server_name"] == "sc.example" and r["server_name"] == "sc.example"
    assert r["client_hello"]["alpn"] == ["h2", "http/1.1"]
    assert r["client_hello"]["ja4"].startswith("t13d0")
    check_fingerprints(r)
    assert b"New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256" in proc.stdout and b"ALPN protocol: h2" in proc.stdout


def test_serve_gnutls_cli(server):
    needs("gnutls-cli")
    s = server("--json")
    subprocess.run(["gnutls-cli", "--insecure", "--port", str(s.port), "--sni-hostname", "gt.example",
                    "--alpn", "gt/1", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM",
                    "127.0.0.1"], input=b"", capture_output=True, timeout=SLOW, env=PEER_ENV)
    (r,) = s.reports(1)
    assert r["result"] == "DONE" and r["version"] == "TLSv1.2"
    h = r["client_hello"]
    assert h["server_name"] == "gt.example" and h["alpn"] == ["gt/1"]
    assert names(r, "versions") == [] or "TLSv1.3" not in names(r, "versions")
    assert all("AES_256_GCM" in n or n == "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" for n in names(r, "ciphers"))
    assert h["ja4"].startswith("t12d")
    check_fingerprints(r)


def test_serve_curl_gets_the_page(server):
    needs("curl")
    s = server()
    p = subprocess.run(["curl", "-s", "-k", "--http1.1", "--max-time", "5", "--resolve",
                        f"curl.example:{s.port}:127.0.0.1", f"https://curl.example:{s.port}/"],
                       capture_output=True, timeout=SLOW, env=PEER_ENV)
    assert p.returncode == 0 and b"tlshs" in p.stdout and b"Protocol  : TLSv1.3" in p.stdout
    assert b"SNI       : curl.example" in p.stdout
    (out,) = s.reports(1)
    assert field(out, "SNI") == "curl.example" and field(out, "ALPN") == "http/1.1"
    assert field(out, "request") == "GET / HTTP/1.1"
    assert field(out, "closed") == "page sent, close_notify sent"
    assert re.search(r"JA4 +t13d\d{4}h1_[0-9a-f]{12}_[0-9a-f]{12}$", out, re.M)


def test_serve_cpython_client(server):
    s = server("--json")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305")
    ctx.set_alpn_protocols(["py/1", "py/2"])
    with socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="py.example") as c:
            c.sendall(b"GET / HTTP/1.0\r\n\r\n")
            page = b""
            while True:
                try:
                    chunk = c.recv(4096)
                except ssl.SSLError:
                    break
                if not chunk:
                    break
                page += chunk
    (r,) = s.reports(1)
    assert b"HTTP/1.0 200 ok" in page
    assert names(r, "ciphers") == ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                                   "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                                   "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"]
    assert r["client_hello"]["server_name"] == "py.example"
    assert r["client_hello"]["alpn"] == ["py/1", "py/2"] and r["alpn"] is None  # serve offers none
    assert r["version"] == "TLSv1.2" and r["request"] == "GET / HTTP/1.0"
    check_fingerprints(r)


LUASEC = """
local socket, ssl = require("socket"), require("ssl")
local c = socket.tcp()
c:settimeout(5)
assert(c:connect("127.0.0.1", PORT))
local s = assert(ssl.wrap(c, {mode = "client", protocol = "tlsv1_3", verify = "none",
                             alpn = {"lua/1"}, curveslist = "P-384"}))
s:sni("lua.example")
s:settimeout(5)
assert(s:dohandshake())
s:send("GET / HTTP/1.0\\r\\n\\r\\n")
local page = s:receive("*a")
io.write(page or "")
s:close()
"""


def test_serve_luasec_client(server):
    needs("lua5.4")
    s = server("--json")
    p = subprocess.run(["lua5.4", "-e", LUASEC.replace("PORT", str(s.port))], capture_output=True, timeout=SLOW,
                       env=PEER_ENV)
    (r,) = s.reports(1)
    assert r["result"] == "DONE", r
    assert r["client_hello"]["server_name"] == "lua.example" and r["client_hello"]["alpn"] == ["lua/1"]
    assert names(r, "groups") == ["secp384r1"] and names(r, "versions") == ["TLSv1.3"]
    assert b"Protocol  : TLSv1.3" in p.stdout
    check_fingerprints(r)


def test_serve_self_signed_fingerprint(server):
    s = server("--name", "self.example", "--count", "1")
    rc, out, _ = probe(f"127.0.0.1:{s.port}", "--verify", "none", "--json")
    (r,) = jsons(out)
    assert rc == 0 and r["peer_certificate"]["sha256"] == s.fingerprint
    assert r["peer_certificate"]["subject"] == "CN=self.example"
    (served,) = s.reports(1)
    assert "SNI         (none)" in served  # an address is not sent as SNI
    assert s.proc.wait(TIMEOUT) == 0  # --count 1, and that handshake ended DONE


def test_serve_hostile_clients(server):
    s = server("--timeout", "1", "--count", "4")
    garbage = socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT)
    garbage.sendall(b"GET / HTTP/1.0\r\n\r\n" * 4)
    (g,) = s.reports(1)
    half = socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT)
    half.sendall(bytes.fromhex("16030100c8010000c40303") + bytes(40))  # a hello that stops early
    (h,) = s.reports(1, timeout=5)
    staller = socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT)
    (st,) = s.reports(1, timeout=5)
    rc, out, _ = probe(f"127.0.0.1:{s.port}", "--verify", "none")
    (good,) = s.reports(1)
    for sock in (garbage, half, staller):
        sock.close()
    assert field(g, "outcome") == "CLOSED" and field(g, "closed").startswith("handshake failed:")
    assert field(h, "closed") == "timed out after 1 s in the handshake"
    assert field(st, "closed") == "timed out after 1 s in the handshake"
    assert rc == 0 and field(good, "outcome") == "DONE"
    assert s.proc.wait(TIMEOUT) == 1  # not every handshake ended DONE


def test_serve_survives_sslscan(server):
    needs("sslscan")
    s = server("--timeout", "3")
    p = subprocess.run(["sslscan", "--no-colour", f"127.0.0.1:{s.port}"], capture_output=True, timeout=120,
                       env=PEER_ENV)
    assert p.returncode == 0, p.stdout[-2000:]
    scanned = s.reports(20)  # sslscan makes dozens of connections: each one reported
    assert any("outcome   DONE" in r for r in scanned) and any("no shared cipher" in r for r in scanned)
    assert b"TLSv1.3" in p.stdout and b"TLS_AES_256_GCM_SHA384" in p.stdout
    assert s.proc.poll() is None
    rc, out, _ = probe(f"127.0.0.1:{s.port}", "--verify", "none")
    assert rc == 0 and field(out, "outcome") == "DONE"


# ---- --json, a test per field ----

@pytest.fixture(scope="module")
def probe_json():
    port = free_port()
    proc = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert("server.pem"),
                             "-key", cert("server.key"), "-alpn", "h2", "-www"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=PEER_ENV)
    try:
        read_until(proc, b"ACCEPT")
        rc, out, _ = probe(f"localhost:{port}", *CA, "--alpn", "h2", "--send", r"GET / HTTP/1.0\r\n\r\n", "--json")
        assert rc == 0
        (r,) = jsons(out)
        return r
    finally:
        stop(proc)


PROBE_FIELDS = {
    "command": lambda v: v == "probe",
    "index": lambda v: v == 1,
    "host": lambda v: v == "localhost",
    "port": lambda v: isinstance(v, int) and 0 < v < 65536,
    "address": lambda v: v == "127.0.0.1",
    "session_offered": lambda v: v is False,
    "result": lambda v: v == "DONE",
    "version": lambda v: v == "TLSv1.3",
    "cipher": lambda v: v == "TLS_AES_256_GCM_SHA384",
    "alpn": lambda v: v == "h2",
    "server_name": lambda v: v == "localhost",
    "resumed": lambda v: v is False,
    "verify_result": lambda v: v == 0,
    "verify_text": lambda v: v == "ok",
    "peer_certificate": lambda v: v["subject"] == "CN=localhost" and v["issuer"] == "CN=tlshs test CA"
    and len(v["sha256"]) == 95 and v["not_before"] < v["not_after"] and v["der_bytes"] > 300,
    "alert_sent": lambda v: v is None,
    "alert_received": lambda v: v == "close_notify",
    "error": lambda v: v == "peer sent close_notify",
    "error_code": lambda v: v == "E_CLOSE_NOTIFY",
    "flights": lambda v: [f["direction"] for f in v[:3]] == ["sent", "received", "sent"]
    and v[0]["messages"] == ["ClientHello"] and v[0]["bytes"] > 100,
    "received": lambda v: v.startswith("HTTP/1.0 200 ok"),
    "closed": lambda v: v == "the server ended the connection: peer sent close_notify",
}


@pytest.mark.parametrize("name", sorted(PROBE_FIELDS))
def test_probe_json_field(probe_json, name):
    assert PROBE_FIELDS[name](probe_json[name]), probe_json[name]


def test_probe_json_has_no_other_field(probe_json):
    assert set(probe_json) == set(PROBE_FIELDS)


@pytest.fixture(scope="module")
def serve_json():
    s = Serve("--json", "--count", "1", "--alpn", "h2")
    try:
        probe(f"127.0.0.1:{s.port}", "--verify", "none", "--server-name", "j.example", "--alpn", "h2,x/1",
              "--send", r"GET /x HTTP/1.0\r\n\r\n")
        (r,) = s.reports(1)
        return r
    finally:
        s.stop()


SERVE_FIELDS = {
    "command": lambda v: v == "serve",
    "index": lambda v: v == 1,
    "peer": lambda v: v.startswith("127.0.0.1:"),
    "client_hello": lambda v: v["server_name"] == "j.example" and v["alpn"] == ["h2", "x/1"]
    and v["legacy_version"] == 0x0303 and v["versions"][0] == {"id": 0x0304, "name": "TLSv1.3"}
    and {"id": 0x1302, "name": "TLS_AES_256_GCM_SHA384"} in v["ciphers"]
    and {"id": 0, "name": "server_name"} in v["extensions"] and v["key_shares"]
    and v["sigalgs"] and len(v["ja3_hash"]) == 32 and v["ja4"].startswith("t13d") and v["ja3"].startswith("771,"),
    "result": lambda v: v == "DONE",
    "version": lambda v: v == "TLSv1.3",
    "cipher": lambda v: v == "TLS_AES_256_GCM_SHA384",
    "alpn": lambda v: v == "h2",
    "server_name": lambda v: v == "j.example",
    "resumed": lambda v: v is False,
    "verify_result": lambda v: v == 0,
    "verify_text": lambda v: v == "ok",
    "peer_certificate": lambda v: v is None,
    "alert_sent": lambda v: v == "close_notify",
    "alert_received": lambda v: v is None,
    "error": lambda v: v == "",
    "error_code": lambda v: v == "OK",
    "flights": lambda v: v[0] == {"direction": "received", "bytes": v[0]["bytes"], "messages": ["ClientHello"]},
    "request": lambda v: v == "GET /x HTTP/1.0",
    "closed": lambda v: v == "page sent, close_notify sent",
}


@pytest.mark.parametrize("name", sorted(SERVE_FIELDS))
def test_serve_json_field(serve_json, name):
    assert SERVE_FIELDS[name](serve_json[name]), serve_json[name]


def test_serve_json_has_no_other_field(serve_json):
    assert set(serve_json) == set(SERVE_FIELDS)


def test_capture_file(tmp_path, s_server):
    port = s_server()
    path = tmp_path / "probe.pcapng"
    rc, out, _ = probe(f"localhost:{port}", *CA, "--capture", str(path), "--count", "2")
    assert rc == 0
    for p in (path, tmp_path / "probe.pcapng.2"):
        data = p.read_bytes()
        assert data[:4] == b"\x0a\x0d\x0d\x0a" and len(data) > 1000  # a pcapng section header


def test_keylog_file(tmp_path, s_server):
    port = s_server()
    path = tmp_path / "keys.log"
    rc, _, _ = probe(f"localhost:{port}", *CA, "--keylog-file", str(path))
    assert rc == 0 and "CLIENT_HANDSHAKE_TRAFFIC_SECRET" in path.read_text()


def test_main_module_help():
    rc, out, _ = tlshs("--help")
    assert rc == 0 and "probe" in out and "serve" in out


def test_probe_tamper_refragment(s_server):
    # A real server takes the re-cut flights...
    port = s_server()
    rc, out, _ = probe(f"localhost:{port}", *CA, "--tamper", "refragment=40")
    assert rc == 0 and field(out, "outcome") == "DONE", out
    # ...and what went on the wire is records of at most 40 bytes of body.
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(TIMEOUT)
    got = {}

    def record():
        conn, _ = lsock.accept()
        conn.settimeout(2)
        data = b""
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        got["data"] = data
        conn.close()

    t = threading.Thread(target=record)
    t.start()
    rc, out, _ = probe(f"localhost:{lsock.getsockname()[1]}", "--tamper", "refragment=40", "--timeout", "3")
    t.join(TIMEOUT)
    lsock.close()
    records, rest = lib.records(got["data"])
    assert rc == 1 and rest == b"" and len(records) > 5
    assert all(r.type == lib.HANDSHAKE and len(r.body) <= 40 for r in records)
    assert b"".join(r.body for r in records)[0] == 1  # a ClientHello, cut in pieces
