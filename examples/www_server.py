#!/usr/bin/python3
"""www_server.py - a small HTTPS test server on tlshs, like `openssl s_server -www`.

Usage (from the project's root, after `make` and `make certs`):

    PYTHONPATH=python /usr/bin/python3 examples/www_server.py \\
        --cert build/certs/server.pem --key build/certs/server.key --port 4433

It listens on 127.0.0.1 (--host to change), serves one client at a time in
fd mode, and answers the first line of application data that starts with
"GET " with a short HTML page (version, cipher, SNI, ALPN), then sends
close_notify.  Lines that do not start with "GET " are ignored, as
s_server -www ignores them.  It prints "ACCEPT HOST:PORT" once it listens
(--port 0 takes a free port), and one line per connection on stderr (-q:
none).  Ctrl-C stops it.

Every option below maps to a tlshs server config key; --set KEY=VALUE sets
any other key (repeatable), so a new key needs no change here:

    --ciphers, --ciphersuites, --groups, --sigalgs   OpenSSL list syntax
    --min-version, --max-version                     1.0, 1.1, 1.2, 1.3
    --security-level N                               0-5 (security_level)
    --dh-params-file PATH                            DH groups (dh_params_file)
    --verify none|peer|require, --ca-file PATH       client certificates
    --alpn LIST, --tickets on|off, --keylog-file PATH

A bad key or value stops the server with the library's message (exit 2).

To run tlsfuzzer's server scripts against it (as against `openssl s_server
-www -cert ... -key ...`), give it a self-signed RSA certificate
(`openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost ...`):
build/certs/server.pem is signed by an ECDSA CA, and OpenSSL refuses to use
it with a client whose signature_algorithms_cert lists only RSA schemes, as
tlsfuzzer's TLS 1.3 scripts do.  Those scripts also speak TLS 1.0 and 1.1,
which s_server allows and tlshs does not by default: --min-version 1.0 (and
OpenSSL 3.0's security level 0, --security-level 0, for their SHA-1
signatures) makes them comparable.

Closing a connection properly matters to a peer that checks what the server
sent last (an alert, a ticket, close_notify): OpenSSL reads one record at a
time, so when a connection ends the peer's later records may still wait in
the socket, and close() with unread data makes Linux send a reset that can
drop our last bytes before the peer reads them.  So, as s_server does, the
server shuts its write side down first (the peer reads everything, then
EOF), drains what the peer still sends for a short while, and only then
closes.
"""

import argparse
import select
import socket
import sys
import time

import tlshs

PAGE_HEAD = b'HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n<HTML><BODY BGCOLOR="#ffffff">\n<pre>\n'
PAGE_TAIL = b"</pre></BODY></HTML>\r\n\r\n"
LINE_MAX = 16384  # a longer line is looked at in pieces of this size, as s_server's BIO_gets does

# option name -> config key, for the options that are plain key=value
OPTION_KEYS = (
    ("ciphers", "ciphers"),
    ("ciphersuites", "ciphersuites"),
    ("groups", "groups"),
    ("sigalgs", "sigalgs"),
    ("min_version", "min_version"),
    ("max_version", "max_version"),
    ("security_level", "security_level"),
    ("dh_params_file", "dh_params_file"),
    ("verify", "verify"),
    ("ca_file", "ca_file"),
    ("alpn", "alpn"),
    ("tickets", "tickets"),
    ("keylog_file", "keylog_file"),
)


def parse_args(argv):
    p = argparse.ArgumentParser(description="A tlshs HTTPS test server, like openssl s_server -www.")
    p.add_argument("--cert", required=True, help="server certificate chain (PEM): cert_file")
    p.add_argument("--key", required=True, help="its private key (PEM): key_file")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=4433, help="port to listen on (default 4433; 0: any free one)")
    for opt, key in OPTION_KEYS:
        p.add_argument("--" + opt.replace("_", "-"), dest=opt, metavar="VALUE", help=f"config key {key}")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="set any other config key (repeatable)")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds a connection may stay silent before it is dropped (default 30)")
    p.add_argument("--drain", type=float, default=0.5,
                   help="seconds to drain the peer's bytes before closing (default 0.5)")
    p.add_argument("--count", type=int, default=0, help="stop after this many connections (0: never)")
    p.add_argument("-q", "--quiet", action="store_true", help="no line per connection")
    return p.parse_args(argv)


def make_config(args):
    """The server Config from the options; exits 2 on a bad key or value."""
    keys = {"cert_file": args.cert, "key_file": args.key}
    for opt, key in OPTION_KEYS:
        value = getattr(args, opt)
        if value is not None:
            keys[key] = value
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            sys.exit(f"www_server: --set needs KEY=VALUE, not {item!r}")
        keys[key] = value
    try:
        return tlshs.Config("server", **keys)
    except tlshs.ConfigError as e:
        print(f"www_server: {e}", file=sys.stderr)
        sys.exit(2)


def wait(sock, result, deadline):
    """Waits until sock is ready for what result asks; False on timeout."""
    left = deadline - time.monotonic()
    if left <= 0:
        return False
    if result == tlshs.WANT_READ:
        ready = select.select([sock], [], [], left)[0]
    else:
        ready = select.select([], [sock], [], left)[1]
    return bool(ready)


def drive(op, sock, timeout):
    """Calls op() until it answers DONE or CLOSED, waiting on sock in
    between; answers the last answer, or None if the peer went silent for
    timeout seconds."""
    while True:
        ans = op()
        r = ans[0] if isinstance(ans, tuple) else ans
        if r not in (tlshs.WANT_READ, tlshs.WANT_WRITE):
            return ans
        if not wait(sock, r, time.monotonic() + timeout):
            return None


def page(hs):
    lines = [
        f"tlshs {tlshs.__version__} www_server",
        f"Protocol  : {hs.version}",
        f"Cipher    : {hs.cipher}",
        f"SNI       : {hs.server_name or '(none)'}",
        f"ALPN      : {hs.alpn or '(none)'}",
        f"Reused    : {'yes' if hs.resumed else 'no'}",
        f"Client certificate: {'yes' if hs.peer_cert else 'no'}",
    ]
    return PAGE_HEAD + "\n".join(lines).encode() + b"\n" + PAGE_TAIL


def write_all(hs, sock, data, timeout):
    """Writes all of data; answers DONE, CLOSED or None (timed out)."""
    while data:
        ans = drive(lambda: hs.write(data), sock, timeout)
        if ans is None or ans[0] == tlshs.CLOSED:
            return None if ans is None else tlshs.CLOSED
        data = data[ans[1]:]
    return tlshs.DONE


def serve_app_data(hs, sock, timeout):
    """After the handshake: reads lines until one starts with "GET ", then
    answers the page and sends close_notify.  Answers what happened."""
    buf = b""
    while True:
        ans = drive(hs.read, sock, timeout)
        if ans is None:
            return "timed out waiting for a request"
        r, data = ans
        if r == tlshs.CLOSED:
            if hs.alert_received == 0:  # close_notify: answer it, as s_server does
                drive(hs.shutdown, sock, timeout)
            return hs.error
        buf += data
        while buf:
            nl = buf.find(b"\n")
            if nl < 0 and len(buf) < LINE_MAX:
                break
            end = nl + 1 if 0 <= nl < LINE_MAX else LINE_MAX
            line, buf = buf[:end], buf[end:]
            if line.startswith(b"GET "):
                if write_all(hs, sock, page(hs), timeout) != tlshs.DONE:
                    return hs.error or "timed out writing the page"
                # Send close_notify; do not wait for the peer's (WANT_READ ends it).
                r = hs.shutdown()
                while r == tlshs.WANT_WRITE and wait(sock, r, time.monotonic() + timeout):
                    r = hs.shutdown()
                return "page sent"


def close_socket(sock, drain):
    """Ends a connection so that what we sent last reaches the peer: shut
    our write side down, read and drop what the peer still sends for at
    most drain seconds, then close."""
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the peer already reset the connection
    deadline = time.monotonic() + drain
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([sock], [], [], left)[0]:
                break
            if not sock.recv(65536):
                break
    except OSError:
        pass
    sock.close()


def serve_one(cfg, conn, peer, args):
    conn.setblocking(False)
    with tlshs.Handshake(cfg, sock=conn) as hs:
        r = drive(hs.step, conn, args.timeout)
        if r is None:
            outcome = "timed out in the handshake"
        elif r == tlshs.CLOSED:
            outcome = "handshake failed: " + hs.error
        else:
            outcome = f"{hs.version} {hs.cipher}: " + serve_app_data(hs, conn, args.timeout)
    close_socket(conn, args.drain)
    if not args.quiet:
        print(f"www_server: {peer[0]}:{peer[1]}: {outcome}", file=sys.stderr, flush=True)


def main(argv=None):
    args = parse_args(argv)
    cfg = make_config(args)
    listener = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(16)
    host, port = listener.getsockname()[:2]
    print(f"ACCEPT {host}:{port}", flush=True)  # --port 0 picks a free port: this says which
    served = 0
    try:
        while args.count <= 0 or served < args.count:
            conn, peer = listener.accept()
            served += 1
            try:
                serve_one(cfg, conn, peer, args)
            except tlshs.Error as e:  # misuse would be a bug here: say so, keep serving
                print(f"www_server: {peer[0]}:{peer[1]}: error: {e}", file=sys.stderr, flush=True)
                conn.close()
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
        cfg.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
