"""The hello parser (csrc/hello.c) against independent oracles, on the hellos
of real clients.

Each client (openssl s_client with the options a test peer uses,
gnutls-cli with priority strings, CPython's ssl, curl, LuaSec) connects to a
recording server on 127.0.0.1 (CPython's ssl over memory BIOs, so every byte
in both directions is kept).  The ClientHello and ServerHello messages cut
from those bytes go to build/hello-dump (tlshs's parser, printing JSON) and
to two parsers that share no code with it:

- tshark, reading a pcap of the same bytes: its JA3 string and MD5
  (tls.handshake.ja3_full, tls.handshake.ja3) and its JA3S
  (tls.handshake.ja3s_full, tls.handshake.ja3s);
- scapy's TLS layer: every field of the parsed hello.

The fields must also match what the client was told to offer.  Hand-built
hellos (GREASE-bearing, as BoringSSL sends them) go through the same oracles.
"""

import json
import os
import select
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import OPENSSL35, ROOT, TIMEOUT, cert

HELLO_DUMP = os.environ.get("TLSHS_HELLO_DUMP") or os.path.join(ROOT, "build", "hello-dump")

try:  # a missing oracle fails the suite: it is never skipped
    from scapy.layers.inet import IP, TCP
    from scapy.layers.tls import extensions as scapy_ext
    from scapy.layers.tls import handshake as scapy_tls
    from scapy.layers.tls.keyexchange_tls13 import TLS_Ext_KeyShare_CH
    from scapy.utils import wrpcap
except ImportError as e:
    raise ImportError("python3-scapy is missing: run `make deps`") from e

GREASE = {0x0A0A + 0x1010 * i for i in range(16)}


def needs(program):
    if not shutil.which(program):
        pytest.fail(f"{program} is missing: run `make deps`")


# ---- the recording server ----

def record(client_argv=None, client_fn=None, server_ctx=None):
    """Runs one client against a recording TLS server on 127.0.0.1.

    client_argv: a command, with {port} in it; client_fn(port): a Python client
    run in a thread.  Answers the bytes in order, as [(from_client, bytes)].
    """
    ctx = server_ctx or server_context()
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(TIMEOUT)
    port = lsock.getsockname()[1]
    proc = thread = None
    if client_argv:
        # the clients are real programs that never load tlshs: no sanitizer
        # runtime preloaded into them (make test-python-asan sets one)
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        proc = subprocess.Popen([a.replace("{port}", str(port)) for a in client_argv], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    else:
        thread = threading.Thread(target=client_fn, args=(port,), daemon=True)
        thread.start()
    flow = []
    try:
        conn, _ = lsock.accept()
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(inc, out, server_side=True)
        deadline = time.monotonic() + TIMEOUT
        done = False
        while time.monotonic() < deadline:
            try:
                obj.do_handshake()
                done = True
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError:
                done = True
            data = out.read()
            if data:
                flow.append((False, data))
                try:
                    conn.sendall(data)
                except OSError:
                    break
            if done:
                break
            ready, _, _ = select.select([conn], [], [], 0.5)
            if ready:
                data = conn.recv(65536)
                if not data:
                    break
                flow.append((True, data))
                inc.write(data)
        conn.close()
    finally:
        lsock.close()
        if proc:
            try:
                proc.stdin.close()
                proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if thread:
            thread.join(TIMEOUT)
    return flow


def server_context(groups=None, alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert("server.pem"), cert("server.key"))
    if groups:
        ctx.set_ecdh_curve(groups)  # one group: a client that shares another gets an HRR
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def handshake_messages(flow, from_client):
    """The plaintext handshake messages one side sent, whole, in order."""
    stream = b"".join(d for c, d in flow if c == from_client)
    hs = bytearray()
    while len(stream) >= 5:
        ctype, _, length = struct.unpack("!BHH", stream[:5])
        body, stream = stream[5:5 + length], stream[5 + length:]
        if ctype == 23:  # encrypted from here on
            break
        if ctype == 22:
            hs += body
    msgs = []
    while len(hs) >= 4:
        n = int.from_bytes(hs[1:4], "big")
        if len(hs) < 4 + n:
            break
        msgs.append(bytes(hs[:4 + n]))
        hs = hs[4 + n:]
    return msgs


# ---- the oracles ----

def dump(kind, msg):
    out = subprocess.run([HELLO_DUMP, kind, msg.hex()], capture_output=True, text=True,
                         timeout=TIMEOUT, check=True)
    return json.loads(out.stdout)


def write_pcap(path, flow):
    """The flow as one TCP conversation, 127.0.0.1:40000 -> 127.0.0.2:443."""
    cseq, sseq = 1000, 5000
    c = dict(src="127.0.0.1", dst="127.0.0.2")
    s = dict(src="127.0.0.2", dst="127.0.0.1")
    pkts = [IP(**c) / TCP(sport=40000, dport=443, flags="S", seq=cseq - 1),
            IP(**s) / TCP(sport=443, dport=40000, flags="SA", seq=sseq - 1, ack=cseq),
            IP(**c) / TCP(sport=40000, dport=443, flags="A", seq=cseq, ack=sseq)]
    for from_client, data in flow:
        for i in range(0, len(data), 1200):
            chunk = data[i:i + 1200]
            if from_client:
                pkts.append(IP(**c) / TCP(sport=40000, dport=443, flags="PA", seq=cseq, ack=sseq) / chunk)
                cseq += len(chunk)
            else:
                pkts.append(IP(**s) / TCP(sport=443, dport=40000, flags="PA", seq=sseq, ack=cseq) / chunk)
                sseq += len(chunk)
    wrpcap(path, pkts)


def tshark_fields(path, handshake_type, fields):
    """Per handshake message of that type: a tuple of the fields."""
    needs("tshark")
    argv = ["tshark", "-n", "-r", path, "-o", "tcp.analyze_sequence_numbers:TRUE",
            "-Y", f"tls.handshake.type == {handshake_type}", "-T", "fields",
            "-E", "occurrence=a", "-E", "aggregator=|", "-E", "separator=\t"]
    for f in fields:
        argv += ["-e", f]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True,
                         env=dict(os.environ, HOME=tempfile.gettempdir()))
    rows = []
    for line in out.stdout.splitlines():
        cols = [c.split("|") for c in line.split("\t")]
        # one packet may carry several messages: the n-th value of each field is the n-th message's
        for i in range(max(len(c) for c in cols)):
            rows.append(tuple(c[i] if i < len(c) else "" for c in cols))
    return rows


def scapy_fields(msg):
    """Every field of the contract's table, as scapy's TLS layer reads msg."""
    h = scapy_tls.TLSClientHello(msg)
    assert h.msgtype == 1 and h.msglen == len(msg) - 4
    f = dict(legacy_version=h.version, ciphers=list(h.ciphers or []), extensions=[],
             versions=[], groups=[], key_shares=[], sigalgs=[], server_name=None, alpn=[])
    seen = set()
    for e in h.ext or []:
        f["extensions"].append(e.type)
        if e.type in seen:
            continue
        seen.add(e.type)
        if isinstance(e, scapy_ext.TLS_Ext_ServerName):
            names = [n.servername for n in e.servernames if n.nametype == 0]
            f["server_name"] = names[0].decode("latin-1") if names else None
        elif isinstance(e, scapy_ext.TLS_Ext_SupportedGroups):
            f["groups"] = list(e.groups)
        elif isinstance(e, scapy_ext.TLS_Ext_SignatureAlgorithms):
            f["sigalgs"] = list(e.sig_algs)
        elif isinstance(e, scapy_ext.TLS_Ext_ALPN):
            f["alpn"] = [p.protocol.decode("latin-1") for p in e.protocols]
        elif isinstance(e, scapy_ext.TLS_Ext_SupportedVersion_CH):
            f["versions"] = list(e.versions)
        elif isinstance(e, TLS_Ext_KeyShare_CH):
            f["key_shares"] = [k.group for k in e.client_shares]
    return f


def check_client_hello(msg, pcap_path=None):
    """tlshs's parse of msg equals scapy's fields; answers the parse."""
    got = dump("client", msg)
    assert got["ok"], got
    assert got["raw_same"]
    want = scapy_fields(msg)
    for key, value in want.items():
        assert got[key] == value, f"{key}: tlshs {got[key]!r}, scapy {value!r}"
    return got


def check_flow(flow):
    """Every ClientHello and ServerHello of the flow against tshark and scapy;
    answers (client hellos, server hellos) as tlshs parsed them."""
    clients = [m for m in handshake_messages(flow, True) if m[0] == 1]
    servers = [m for m in handshake_messages(flow, False) if m[0] == 2]
    assert clients and servers, "no ClientHello or no ServerHello in the capture"
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "hello.pcap")
        write_pcap(path, flow)
        t_clients = tshark_fields(path, 1, ["tls.handshake.ja3_full", "tls.handshake.ja3"])
        t_servers = tshark_fields(path, 2, ["tls.handshake.ja3s_full", "tls.handshake.ja3s"])
    ours = [check_client_hello(m) for m in clients]
    assert [(h["ja3"], h["ja3_hash"]) for h in ours] == t_clients
    sh = [dump("server", m) for m in servers]
    assert all(s["ok"] for s in sh), sh
    assert [(s["ja3s"], s["ja3s_hash"]) for s in sh] == t_servers
    return ours, sh


# ---- openssl s_client ----

def s_client(*opts):
    needs("openssl")
    return ["openssl", "s_client", "-connect", "127.0.0.1:{port}", "-quiet", *opts]


NAMES = {"TLS_AES_128_GCM_SHA256": 0x1301, "TLS_AES_256_GCM_SHA384": 0x1302,
         "TLS_CHACHA20_POLY1305_SHA256": 0x1303, "ECDHE-RSA-AES128-GCM-SHA256": 0xC02F,
         "ECDHE-RSA-AES256-GCM-SHA384": 0xC030, "ECDHE-RSA-CHACHA20-POLY1305": 0xCCA8,
         "X25519": 0x001D, "P-256": 0x0017, "P-384": 0x0018, "ffdhe2048": 0x0100,
         "rsa_pss_rsae_sha256": 0x0804, "ecdsa_secp256r1_sha256": 0x0403, "ed25519": 0x0807}


def test_s_client_default():
    (h,), (s,) = check_flow(record(s_client("-servername", "default.example")))
    assert h["server_name"] == "default.example"
    assert h["legacy_version"] == 0x0303
    assert 0x0304 in h["versions"] and h["ja4"].startswith("t13d")
    assert not s["hrr"] and s["version"] == 0x0304


def test_s_client_options_are_what_it_offers():
    flow = record(s_client("-servername", "opts.example", "-ciphersuites",
                           "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384",
                           "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-groups", "X25519:P-256",
                           "-sigalgs", "rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256",
                           "-alpn", "h2,http/1.1"))
    (h,), _ = check_flow(flow)
    assert h["ciphers"][:3] == [0x1303, 0x1302, 0xC02F]
    assert h["groups"] == [0x001D, 0x0017]
    assert h["key_shares"] == [0x001D]
    assert h["sigalgs"] == [0x0804, 0x0403]
    assert h["alpn"] == ["h2", "http/1.1"]
    assert h["server_name"] == "opts.example"
    assert h["ja4"][:10] == "t13d%02d%02dh2" % (len(h["ciphers"]), len(h["extensions"]))


def test_s_client_tls12_only():
    flow = record(s_client("-no_tls1_3", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305",
                           "-noservername"))
    (h,), (s,) = check_flow(flow)
    assert h["versions"] == [] and 43 not in h["extensions"]
    assert h["server_name"] is None and 0 not in h["extensions"]
    assert h["ja4"].startswith("t12i")
    assert h["ciphers"][:2] == [0xC030, 0xCCA8]
    assert s["version"] == 0 and s["cipher"] in (0xC030, 0xCCA8)
    assert s["ja3s"].startswith("771,%d," % s["cipher"])


def test_s_client_hello_retry_request():
    """The server takes only P-384, the client shares X25519 first: a
    HelloRetryRequest, then a second ClientHello sharing P-384."""
    flow = record(s_client("-groups", "X25519:P-384", "-servername", "hrr.example"),
                  server_ctx=server_context(groups="secp384r1"))
    (h1, h2), (hrr, sh) = check_flow(flow)
    assert h1["key_shares"] == [0x001D] and h2["key_shares"] == [0x0018]
    assert hrr["hrr"] and not sh["hrr"]
    assert hrr["cipher"] == sh["cipher"] and hrr["version"] == sh["version"] == 0x0304
    assert hrr["ja3s"].split(",")[:2] == sh["ja3s"].split(",")[:2]


def test_s_client_ffdhe_and_ed25519():
    flow = record(s_client("-groups", "ffdhe2048:P-256", "-sigalgs", "ed25519:rsa_pss_rsae_sha256",
                           "-servername", "ff.example"))
    hellos, _ = check_flow(flow)
    h = hellos[0]
    assert h["groups"] == [0x0100, 0x0017] and h["sigalgs"] == [0x0807, 0x0804]
    assert h["key_shares"] == [0x0100]
    if OPENSSL35:
        # a 3.5 server prefers secp256r1 to an ffdhe2048 key share: it asks
        # for it with a HelloRetryRequest, and a second ClientHello brings it
        assert len(hellos) == 2 and hellos[1]["key_shares"] == [0x0017]
    else:
        assert len(hellos) == 1


# ---- gnutls-cli ----

def gnutls_cli(priority, *opts):
    needs("gnutls-cli")
    return ["gnutls-cli", "--insecure", "--port", "{port}", f"--priority={priority}", *opts, "127.0.0.1"]


@pytest.mark.parametrize("priority", ["NORMAL", "NORMAL:-VERS-TLS1.3", "SECURE256:+SECURE128",
                                      "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP384R1"])
def test_gnutls_cli(priority):
    flow = record(gnutls_cli(priority, "--sni-hostname=gnutls.example", "--alpn=h2", "--alpn=http/1.1"))
    (h, *rest), _ = check_flow(flow)
    assert h["server_name"] == "gnutls.example"
    assert h["alpn"] == ["h2", "http/1.1"]
    if "-VERS-TLS1.3" in priority:
        assert 0x0304 not in h["versions"]
    else:
        assert 0x0304 in h["versions"]
    if "+GROUP-SECP384R1" in priority:
        assert h["groups"] == [0x0018] and h["key_shares"] == [0x0018]


# ---- CPython ssl and curl ----

def test_cpython_ssl_client():
    def client(port):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["spdy/3", "h2"])
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            try:
                with ctx.wrap_socket(sock, server_hostname="cpython.example"):
                    pass
            except OSError:
                pass
    (h,), _ = check_flow(record(client_fn=client))
    assert h["server_name"] == "cpython.example" and h["alpn"] == ["spdy/3", "h2"]
    assert h["ja4"][8:10] == "s3"


def test_curl():
    needs("curl")
    flow = record(["curl", "-s", "-k", "--max-time", "5", "--resolve", "curl.example:{port}:127.0.0.1",
                   "https://curl.example:{port}/"])
    (h,), _ = check_flow(flow)
    assert h["server_name"] == "curl.example"


LUASEC_CLIENT = """
local socket, ssl = require("socket"), require("ssl")
local c = socket.tcp()
c:settimeout(5)
assert(c:connect("127.0.0.1", tonumber(arg[1])))
local s = assert(ssl.wrap(c, {mode = "client", protocol = "any", verify = "none",
                             alpn = {"h2", "http/1.1"}, curveslist = "P-256:X25519"}))
s:sni("luasec.example")
s:settimeout(5)
s:dohandshake()
s:close()
"""


def test_luasec():
    needs("lua5.4")
    flow = record(["lua5.4", "-e", LUASEC_CLIENT.replace("arg[1]", '"{port}"')])
    (h,), _ = check_flow(flow)
    assert h["server_name"] == "luasec.example" and h["alpn"] == ["h2", "http/1.1"]
    assert h["groups"] == [0x0017, 0x001D]


# ---- hand-built hellos ----

def client_hello(ciphers, exts, version=0x0303):
    body = struct.pack("!H", version) + bytes(range(32)) + b"\x00"
    body += struct.pack("!H", 2 * len(ciphers)) + b"".join(struct.pack("!H", c) for c in ciphers)
    body += b"\x01\x00"
    block = b"".join(struct.pack("!HH", t, len(d)) + d for t, d in exts)
    body += struct.pack("!H", len(block)) + block
    return b"\x01" + len(body).to_bytes(3, "big") + body


def u16s(values, prefix=2):
    data = b"".join(struct.pack("!H", v) for v in values)
    return len(data).to_bytes(prefix, "big") + data


def boringssl_style_hello():
    """The JA4 definition's example hello (its ciphers, extensions and
    signature algorithms in its order), with GREASE where BoringSSL puts it:
    the first cipher, the first and last extensions, supported_versions,
    supported_groups and key_share."""
    sni = b"\x00\x0e\x00\x00\x0bexample.com"
    alpn = b"\x00\x0c\x02h2\x08http/1.1"
    shares = b"\x3a\x3a\x00\x01\x00" + b"\x00\x1d\x00\x20" + bytes(32)
    exts = [(0x2A2A, b""), (0x001B, b"\x02\x00\x02"), (0x0000, sni),
            (0x0033, len(shares).to_bytes(2, "big") + shares), (0x0010, alpn),
            (0x4469, b"\x00\x03\x02h2"), (0x0017, b""), (0x002D, b"\x01\x01"),
            (0x000D, u16s([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601])),
            (0x0005, b"\x01\x00\x00\x00\x00"), (0x0023, b""), (0x0012, b""),
            (0x002B, u16s([0x6A6A, 0x0304, 0x0303], prefix=1)), (0xFF01, b"\x00"),
            (0x000B, b"\x01\x00"), (0x000A, u16s([0x4A4A, 29, 23, 24])), (0x0015, bytes(7)),
            (0xDADA, b"\x00")]
    return client_hello([0x8A8A, 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9,
                         0xCCA8, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035], exts)


def test_grease_hello_against_tshark_and_scapy():
    msg = boringssl_style_hello()
    server = bytes.fromhex("0200002e0303") + bytes(32) + bytes.fromhex("001301000006002b00020304")
    flow = [(True, b"\x16\x03\x01" + struct.pack("!H", len(msg)) + msg),
            (False, b"\x16\x03\x03" + struct.pack("!H", len(server)) + server)]
    (h,), (s,) = check_flow(flow)
    assert h["ciphers"][0] == 0x8A8A and h["extensions"][0] == 0x2A2A and h["extensions"][-1] == 0xDADA
    assert h["versions"] == [0x6A6A, 0x0304, 0x0303] and h["key_shares"] == [0x3A3A, 0x001D]
    assert h["groups"] == [0x4A4A, 29, 23, 24]
    assert h["ja3"].split(",")[3] == "29-23-24"
    assert "2570" not in h["ja3"] and "35466" not in h["ja3"]
    # the definition's worked example, from the wire
    assert h["ja4"] == "t13d1516h2_8daaf6152771_e5627efa2ab1"
    assert s["ja3s"] == "771,4865,43" and s["version"] == 0x0304


def test_malformed_hellos_report_nothing():
    msg = boringssl_style_hello()
    for bad in (msg[:-1], msg + b"\x00", b"\x02" + msg[1:], msg[:4], b""):
        assert dump("client", bad) == {"ok": False, "code": -1}


# ---- IANA names (csrc/registry.c) against Wireshark's dissector ----

def tshark_shownames(path, field):
    """Wireshark's own names for the values of one field of the ClientHello:
    {value: name}, from the PDML shownames ("Type: server_name (0)")."""
    import re
    import xml.etree.ElementTree as ET
    argv = ["tshark", "-n", "-r", path, "-Y", "tls.handshake.type == 1", "-T", "pdml"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True,
                         env=dict(os.environ, HOME=tempfile.gettempdir()))
    names = {}
    for f in ET.fromstring(out.stdout).iter("field"):
        if f.get("name") != field:
            continue
        m = re.match(r"^[^:]+: (.+) \((0x[0-9a-fA-F]+|\d+)\)$", f.get("showname", ""))
        if m:
            names[int(m.group(2), 0)] = m.group(1)
    return names


def wireshark_spelling(kind, name):
    """Our spelling of a name Wireshark 4.0 spells its own way: TLS 1.2's
    hash/signature pairs that have no TLS 1.3 SignatureScheme name
    ("SHA224 ECDSA", "SHA256 DSA") read ecdsa_sha224, dsa_sha256,
    rsa_pkcs1_sha224, as RFC 8446's legacy names (rsa_pkcs1_sha1, ecdsa_sha1) do."""
    import re
    m = re.match(r"^(SHA\d+) (RSA|DSA|ECDSA)$", name) if kind == "sigalg" else None
    if not m:
        return name
    prefix = {"RSA": "rsa_pkcs1", "DSA": "dsa", "ECDSA": "ecdsa"}[m.group(2)]
    return f"{prefix}_{m.group(1).lower()}"


@pytest.mark.parametrize("argv", [
    ["-sigalgs", "rsa_pss_rsae_sha256:rsa_pss_pss_sha256:ecdsa_secp256r1_sha256:ed25519:ed448:"
                 "rsa_pkcs1_sha256:ecdsa_secp384r1_sha384:rsa_pkcs1_sha1:ECDSA+SHA1:ECDSA+SHA224",
     "-groups", "X25519:P-256:P-384:P-521:X448:ffdhe2048:ffdhe3072", "-alpn", "h2",
     "-status", "-servername", "names.example"],
    ["-no_tls1_3", "-cipher", "ALL:@SECLEVEL=0", "-servername", "names.example"],
], ids=["tls13", "tls12-all-ciphers"])
def test_iana_names_match_wireshark(argv, tmp_path):
    from tlshs import _tlshs
    flow = record(s_client(*argv))
    pcap = str(tmp_path / "names.pcap")
    write_pcap(pcap, flow)
    lookups = {
        "tls.handshake.ciphersuite": ("cipher", _tlshs.tlshs_cipher_suite_name),
        "tls.handshake.extension.type": ("extension", _tlshs.tlshs_extension_name),
        "tls.handshake.extensions_supported_group": ("group", _tlshs.tlshs_group_name),
        "tls.handshake.sig_hash_alg": ("sigalg", _tlshs.tlshs_sigalg_name),
    }
    checked, wrong, by_iana = 0, [], []
    for field, (kind, ours) in lookups.items():
        theirs = tshark_shownames(pcap, field)
        assert theirs, f"tshark showed no {field}"
        for value, name in theirs.items():
            checked += 1
            if name.startswith("Unknown") and kind in IANA_TABLES:
                # newer than Debian 12's tshark 4.0 (ML-DSA, the brainpool
                # TLS 1.3 schemes, which OpenSSL 3.5 offers): IANA's table
                want = iana_name(kind, value)
                by_iana.append(value)
            else:
                want = wireshark_spelling(kind, name)
            if ours(value) is None or ours(value) != want:
                wrong.append((kind, hex(value), name, ours(value)))
    assert not wrong
    assert checked >= 40
    # the schemes tshark 4.0 cannot name are exactly those 3.5 offers and 3.0 does not
    expected = [0x081A, 0x081B, 0x081C, 0x0904, 0x0905, 0x0906] if OPENSSL35 and "-no_tls1_3" in argv else []
    assert sorted(by_iana) == expected


# IANA's registries (tests/data): value -> description, for what tshark 4.0 does not name
IANA_TABLES = {"group": "iana-tls-supported-groups.csv", "sigalg": "iana-tls-signaturescheme.csv"}


def iana_name(kind, value):
    with open(os.path.join(ROOT, "tests", "data", IANA_TABLES[kind])) as f:
        for line in f.read().splitlines()[1:]:
            v, name = line.split(",", 1)
            if int(v, 0) == value:
                return name[:-len("_RESERVED")] if name.endswith("_RESERVED") else name
    return None


def test_iana_names_fixed_points():
    from tlshs import _tlshs
    assert _tlshs.tlshs_version_name(0x0304) == "TLSv1.3"
    assert _tlshs.tlshs_version_name(0x0303) == "TLSv1.2"
    assert _tlshs.tlshs_version_name(0x7A7A) == "GREASE"
    assert _tlshs.tlshs_version_name(0x0305) is None
    assert _tlshs.tlshs_cipher_suite_name(0x1301) == "TLS_AES_128_GCM_SHA256"
    assert _tlshs.tlshs_cipher_suite_name(0xC02F) == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    assert _tlshs.tlshs_cipher_suite_name(0x00FF) == "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"
    assert _tlshs.tlshs_cipher_suite_name(0xFAFA) == "GREASE"
    assert _tlshs.tlshs_cipher_suite_name(0xFFFE) is None
    assert _tlshs.tlshs_cipher_suite_name(0x10000) is None
    assert _tlshs.tlshs_extension_name(0) == "server_name"
    assert _tlshs.tlshs_extension_name(65281) == "renegotiation_info"
    assert _tlshs.tlshs_extension_name(0x0A0A) == "GREASE"
    assert _tlshs.tlshs_extension_name(0x0A0B) is None
    assert _tlshs.tlshs_group_name(29) == "x25519"
    assert _tlshs.tlshs_sigalg_name(0x0807) == "ed25519"
