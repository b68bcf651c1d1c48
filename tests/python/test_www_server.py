"""examples/www_server.py: the tlshs HTTPS test server (like openssl
s_server -www) serves a CPython ssl client, survives garbage, and closes a
connection so that its last bytes reach the peer even when the peer's
bytes are still unread (shutdown of the write side, drain, then close)."""

import os
import socket
import ssl
import subprocess
import sys
import time

import pytest

from conftest import ROOT, TIMEOUT, cert, py_client_context, read_until, stop

EXAMPLE = os.path.join(ROOT, "examples", "www_server.py")


@pytest.fixture
def www_server():
    """Starts examples/www_server.py on 127.0.0.1 and a free port:
    start(*options) -> port.  Stopped at the end."""
    procs = []

    def start(*options):
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
        cmd = [sys.executable, EXAMPLE, "--cert", cert("server.pem"), "--key", cert("server.key"),
               "--port", "0", *options]
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        procs.append(proc)
        line = read_until(proc, b"\n")
        assert line.startswith(b"ACCEPT 127.0.0.1:"), line
        return int(line.split(b":")[1])

    start.procs = procs
    yield start
    for p in procs:
        stop(p)


def get_page(port, version=None):
    """GET / over CPython's ssl (verifying the server); answers (page,
    version), the page read to the end of the connection."""
    ctx = py_client_context(version)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
            page = b""
            while True:
                chunk = tls.recv(65536)  # b"" at the server's close_notify
                if not chunk:
                    break
                page += chunk
            return page, tls.version()


def read_to_eof(sock):
    """Reads sock until EOF; answers what came and how it ended ("eof" or
    the error's name)."""
    got = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except OSError as e:
            return got, type(e).__name__
        if not chunk:
            return got, "eof"
        got += chunk


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_serves_the_page_to_cpython(www_server, version):
    port = www_server()
    page, negotiated = get_page(port, version)
    assert negotiated == "TLSv" + version
    assert page.startswith(b"HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n")
    assert f"Protocol  : TLSv{version}".encode() in page
    assert page.endswith(b"</pre></BODY></HTML>\r\n\r\n")


def test_lines_before_get_are_ignored(www_server):
    port = www_server()
    ctx = py_client_context()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"HELLO\r\n")
            tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
            page = b""
            while chunk := tls.recv(65536):
                page += chunk
    assert page.startswith(b"HTTP/1.0 200 ok\r\n")


def test_survives_garbage_and_its_alert_arrives(www_server):
    """A client whose bytes the server cannot read (plain text, then a
    broken record followed by 100 KB the server never reads) gets the
    server's alert and then an orderly end of stream, not a reset that
    would throw the alert away; then the server serves the next client."""
    port = www_server()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        s.sendall(b"garbage\r\n\r\n")
        got, end = read_to_eof(s)
    assert end == "eof"
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        # A handshake record whose ClientHello is nonsense, and more after it.
        s.sendall(b"\x16\x03\x01\x00\x08" + b"\x01\x00\x00\x04\xff\xff\xff\xff")
        s.sendall(b"\x17\x03\x03\x40\x00" + b"\xaa" * 0x4000 * 6)
        time.sleep(0.3)  # the server has answered and closed by now
        got, end = read_to_eof(s)
    assert end == "eof", (got, end)
    assert got[:1] == b"\x15" and got[5:6] == b"\x02", got  # a fatal alert record
    page, _ = get_page(port)
    assert page.startswith(b"HTTP/1.0 200 ok\r\n")


def test_bad_key_stops_with_the_librarys_message(www_server):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    cmd = [sys.executable, EXAMPLE, "--cert", cert("server.pem"), "--key", cert("server.key"),
           "--port", "0", "--max-version", "9.9"]
    run = subprocess.run(cmd, env=env, capture_output=True, timeout=TIMEOUT)
    assert run.returncode == 2
    assert b"max_version" in run.stderr


def test_set_passes_any_key(www_server):
    port = www_server("--set", "max_version=1.2", "--count", "1")
    page, negotiated = get_page(port)
    assert negotiated == "TLSv1.2"
    assert b"Protocol  : TLSv1.2" in page
    proc = www_server.procs[-1]
    assert proc.wait(timeout=TIMEOUT) == 0  # --count 1: one connection, then it stops


@pytest.mark.parametrize("dh_params", [False, True])
def test_dhe_for_tls12_clients(www_server, tmp_path, dh_params):
    """A TLS 1.2 client that offers only DHE_RSA suites (as tlsfuzzer's
    test-dhe-rsa-key-exchange does) is served: automatic DH by default,
    or the groups of --dh-params-file."""
    options = []
    if dh_params:
        path = tmp_path / "ffdhe3072.pem"
        subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
                        "group:ffdhe3072", "-out", str(path)], check=True, timeout=TIMEOUT)
        options = ["--dh-params-file", str(path)]
    port = www_server(*options)
    ctx = py_client_context("1.2")
    ctx.set_ciphers("DHE-RSA-AES128-GCM-SHA256")
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.cipher()[0] == "DHE-RSA-AES128-GCM-SHA256"
            tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
            page = b""
            while chunk := tls.recv(65536):
                page += chunk
    assert b"Cipher    : DHE-RSA-AES128-GCM-SHA256" in page
