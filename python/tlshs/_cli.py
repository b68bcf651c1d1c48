"""The command line: ``python3 -m tlshs`` and the ``tlshs`` console command.

    tlshs probe HOST[:PORT]   a client handshake against a server: its flights,
                              the outcome and why it closed
    tlshs serve [--port N]    a test server: each client's ClientHello, JA3 and
                              JA4, the outcome, and a page for an HTTP GET

Every configuration key of the C core that the command's role uses is an
option with dashes, made from the core's table (tlshs.config_keys(): its
metavar, help and default); tests/python/test_cli.py compares --help with it.
Exit status: 0 when every handshake ended DONE, 1 when one did not, 2 for a
usage error (argparse's, or a key or value the core refuses).  The manual is
man/tlshs.1; --json's schema is documented there and in docs/python.md.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import ctypes
import ctypes.util
import html
import json
import select
import socket
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from . import _results
from . import aio
from .aio import _capture_path as capture_path
from ._config import Config, KeyInfo
from ._config import config_keys as _config_keys
from ._drive import close_socket, drive
from ._errors import ConfigError, Error
from ._handshake import Handshake
from ._hello import cipher_suite_name, extension_name, group_name, sigalg_name, version_name
from ._records import refragment
from ._results import alert_name

# How long a client waits for more after DONE, for TLS 1.3 tickets or the
# rest of an answer to --send, once nothing arrives.
QUIET = 0.3
DRAIN = 0.5  # seconds serve drains a client before closing
LINE_MAX = 16384
PAGE_HEAD = b'HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n<HTML><BODY BGCOLOR="#ffffff">\n<pre>\n'
PAGE_TAIL = b"</pre></BODY></HTML>\r\n\r\n"
# (Result is read through its module: the enum is made at run time, and
# mypy's stubtest, which checks this module too, cannot see its members.)
WANT_READ = _results.Result.WANT_READ  # type: ignore[attr-defined]
WANT_WRITE = _results.Result.WANT_WRITE  # type: ignore[attr-defined]
WANTS = (WANT_READ, WANT_WRITE)
DONE = _results.Result.DONE  # type: ignore[attr-defined]
CLOSED = _results.Result.CLOSED  # type: ignore[attr-defined]


class UsageError(Exception):
    """A command line the program cannot use: exit status 2."""


# ---- names and words ----


def _name(fn: Callable[[int], Optional[str]], value: int) -> str:
    """An IANA name (the library's tables), or the number in hex."""
    return fn(value) or f"0x{value:04x}"


# The ClientHello's lists and the helpers that name their numbers.
NAMERS: Dict[str, Callable[[int], Optional[str]]] = {
    "versions": version_name,
    "ciphers": cipher_suite_name,
    "extensions": extension_name,
    "groups": group_name,
    "key_shares": group_name,
    "sigalgs": sigalg_name,
}

_libcrypto: Any = None


def verify_text(code: int) -> str:
    """OpenSSL's words for an X509_V_ERR code (X509_verify_cert_error_string,
    through ctypes from the libcrypto the process has loaded)."""
    global _libcrypto
    if _libcrypto is None:
        path = ctypes.util.find_library("crypto")
        lib = ctypes.CDLL(path) if path else None
        if lib is not None:
            lib.X509_verify_cert_error_string.restype = ctypes.c_char_p
            lib.X509_verify_cert_error_string.argtypes = [ctypes.c_long]
        _libcrypto = lib or False
    if not _libcrypto:
        return "ok" if code == 0 else f"error {code}"
    return str(_libcrypto.X509_verify_cert_error_string(code).decode("utf-8", "replace"))


def cert_info(der: Optional[bytes]) -> Optional[Dict[str, Any]]:
    """The subject, issuer, validity dates and SHA-256 of a DER certificate,
    read with python3-cryptography (Debian's); only the fields a reader
    needs.  None for no certificate."""
    if der is None:
        return None
    info: Dict[str, Any] = {"der_bytes": len(der)}
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
    except ImportError:  # the sizes stay; say why the rest is missing
        info["error"] = "python3-cryptography is not installed"
        return info
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as e:
        info["error"] = f"cannot parse: {e}"
        return info
    info["subject"] = cert.subject.rfc4514_string()
    info["issuer"] = cert.issuer.rfc4514_string()
    info["not_before"] = cert.not_valid_before.strftime("%Y-%m-%dT%H:%M:%SZ")
    info["not_after"] = cert.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    info["sha256"] = cert.fingerprint(hashes.SHA256()).hex(":").upper()
    return info


# ---- the configuration ----


def role_keys(role: str) -> Tuple[KeyInfo, ...]:
    """The configuration keys a config of role takes, in the core's order."""
    return tuple(k for k in _config_keys() if role in k.roles)


def config_keys(args: argparse.Namespace, role: str) -> Dict[str, str]:
    """The configuration keys the options set, in the core's order."""
    return {k.name: getattr(args, k.name) for k in role_keys(role) if getattr(args, k.name) is not None}


def make_config(role: str, keys: Dict[str, str]) -> Config:
    """The config, with its keys checked together (Config.check), so that
    keys that contradict each other are a usage error before any
    connection.  What is missing (a certificate's key) is found by the
    first handshake, which makes it a usage error too (probe_one, serve)."""
    try:
        cfg = Config(role, **keys)
    except ConfigError as e:
        raise UsageError(str(e)) from None
    try:
        cfg.check()
    except ConfigError as e:
        cfg.close()
        raise UsageError(str(e)) from None
    return cfg


def new_handshake(cfg: Config, server_name: Optional[str], sock: Any, session: Any, capture: Any) -> Handshake:
    """A traced handshake (the flights come from its trace)."""
    return Handshake(cfg, server_name=server_name, sock=sock, session=session, trace=True, capture=capture)


# ---- moving bytes ----


class Link:
    """Drives calls on one handshake over one socket until they answer DONE
    or CLOSED, or a deadline passes.  fd mode: the handshake reads and
    writes the socket itself; memory mode: the link carries its bytes,
    through tamper(direction, flight) for what it sends ("out")."""

    def __init__(self, hs: Handshake, sock: socket.socket, memory: bool, tamper: Optional[Callable[[str, bytes], bytes]] = None):
        self.hs, self.sock, self.memory, self.tamper = hs, sock, memory, tamper
        self.eof = False

    def _wait(self, readable: bool, deadline: float) -> bool:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, w, _ = select.select([self.sock] if readable else [], [] if readable else [self.sock], [], left)
        return bool(r or w)

    def _flush(self, deadline: float) -> None:
        data = self.hs.take() if self.hs.pending else b""
        view = memoryview(data)
        while view:
            if not self._wait(False, deadline):
                raise TimeoutError
            try:
                view = view[self.sock.send(view):]
            except BlockingIOError:
                continue
            except OSError:  # the peer is gone: what it sent is still read
                return

    def call(self, op: Callable[[], Any], deadline: float) -> Any:
        """op()'s last answer once DONE or CLOSED; None at the deadline."""
        try:
            while True:
                ans = op()
                r = ans[0] if isinstance(ans, tuple) else ans
                if self.memory:
                    self._flush(deadline)
                if r not in WANTS:
                    return ans
                if r == WANT_WRITE:
                    if not self.memory and not self._wait(False, deadline):
                        return None
                    continue
                if not self._wait(True, deadline):
                    return None
                if self.memory:
                    self._receive()
        except TimeoutError:
            return None

    def _receive(self) -> None:
        if self.eof:
            return
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self.hs.feed(data)
        else:
            self.eof = True
            self.hs.feed_eof()


# ---- what a handshake shows ----


def flights(hs: Handshake) -> List[Dict[str, Any]]:
    """The trace cut into flights: runs of messages in one direction."""
    out: List[Dict[str, Any]] = []
    for ev in hs.trace:
        direction = "sent" if ev.sent else "received"
        if not out or out[-1]["direction"] != direction:
            out.append({"direction": direction, "bytes": 0, "messages": []})
        out[-1]["bytes"] += ev.length
        out[-1]["messages"].append(ev.name)
    return out


def outcome(hs: Handshake, result: Any) -> Dict[str, Any]:
    """What every handshake reports, probe's and serve's alike."""
    sent, received = hs.alert_sent, hs.alert_received
    code = hs.verify_result
    return {
        "result": result.name if result is not None else "TIMEOUT",
        "version": hs.version,
        "cipher": hs.cipher,
        "alpn": hs.alpn,
        "server_name": hs.server_name,
        "resumed": hs.resumed,
        "verify_result": code,
        "verify_text": verify_text(code),
        "peer_certificate": cert_info(hs.peer_cert),
        "alert_sent": alert_name(sent) if sent is not None else None,
        "alert_received": alert_name(received) if received is not None else None,
        "error": hs.error,
        "error_code": hs.error_code.name,
        "flights": flights(hs),
    }


def client_hello(hs: Handshake) -> Optional[Dict[str, Any]]:
    """The ClientHello as serve prints it: numbers with their IANA names."""
    hello = hs.client_hello
    if hello is None:
        return None
    out: Dict[str, Any] = {"legacy_version": hello.legacy_version}
    for field, namer in NAMERS.items():
        out[field] = [{"id": v, "name": _name(namer, v)} for v in getattr(hello, field)]
    out["server_name"] = hello.server_name
    out["alpn"] = list(hello.alpn)
    out["ja3"] = hello.ja3
    out["ja3_hash"] = hello.ja3_hash
    out["ja4"] = hello.ja4
    return out


def text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


# ---- printing ----


def emit(args: argparse.Namespace, obj: Dict[str, Any], lines: List[str]) -> None:
    if args.json:
        print(json.dumps(obj), flush=True)
    else:
        print("\n".join(lines), flush=True)


def outcome_lines(o: Dict[str, Any]) -> List[str]:
    lines = []
    for f in o["flights"]:
        arrow = ">" if f["direction"] == "sent" else "<"
        n = len(f["messages"])
        lines.append(f"  {arrow} {f['direction']:<8} {n} message{'s' if n != 1 else ''}, {f['bytes']} bytes: " + ", ".join(f["messages"]))
    lines.append(f"  outcome   {o['result']}")
    if o["version"]:
        lines.append(f"  version   {o['version']}")
        lines.append(f"  cipher    {o['cipher']}")
        lines.append(f"  ALPN      {o['alpn'] or '(none)'}")
        lines.append(f"  resumed   {'yes' if o['resumed'] else 'no'}")
    cert = o["peer_certificate"]
    if cert is None:
        lines.append("  peer cert (none)")
    elif "error" in cert:
        lines.append(f"  peer cert {cert['der_bytes']} bytes ({cert['error']})")
    else:
        lines.append(f"  peer cert subject {cert['subject']}")
        lines.append(f"            issuer  {cert['issuer']}")
        lines.append(f"            valid   {cert['not_before']} to {cert['not_after']}")
        lines.append(f"            sha256  {cert['sha256']}")
    lines.append(f"  verify    {o['verify_text']} ({o['verify_result']})")
    lines.append(f"  alerts    sent {o['alert_sent'] or 'none'}, received {o['alert_received'] or 'none'}")
    return lines


def hello_lines(h: Optional[Dict[str, Any]]) -> List[str]:
    if h is None:
        return ["  ClientHello (none received)"]
    lines = [f"  ClientHello legacy_version 0x{h['legacy_version']:04x}"]
    for field in NAMERS:
        items = ", ".join(f"{x['name']}" for x in h[field])
        lines.append(f"    {field:<11} {items or '(none)'}")
    lines.append(f"    {'SNI':<11} {h['server_name'] or '(none)'}")
    lines.append(f"    {'ALPN':<11} {', '.join(h['alpn']) or '(none)'}")
    lines.append(f"    {'JA3':<11} {h['ja3']}")
    lines.append(f"    {'JA3 hash':<11} {h['ja3_hash']}")
    lines.append(f"    {'JA4':<11} {h['ja4']}")
    return lines


# ---- probe ----


def split_target(target: str) -> Tuple[str, int]:
    """HOST[:PORT], [V6ADDR][:PORT] or a bare V6ADDR; default port 443."""
    if target.startswith("["):
        host, sep, rest = target[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise UsageError(f"bad target {target!r}")
        port = rest[1:] or "443"
    elif target.count(":") == 1:
        host, port = target.split(":")
    else:
        host, port = target, "443"
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"bad target {target!r}: HOST[:PORT], PORT 1-65535")
    return host, int(port)


def hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_tamper(value: Optional[str]) -> Optional[int]:
    if value is None:
        return None
    name, sep, n = value.partition("=")
    if name != "refragment" or not sep or not n.isdigit() or int(n) < 1:
        raise UsageError(f"--tamper: refragment=N (N >= 1), not {value!r}")
    return int(n)


def probe_one(args: argparse.Namespace, cfg: Config, host: str, port: int, index: int, session: Optional[bytes]) -> Tuple[Dict[str, Any], Optional[bytes]]:
    """One connection and handshake; answers its report and the session."""
    report: Dict[str, Any] = {"command": "probe", "index": index, "host": host, "port": port, "address": None}
    deadline = time.monotonic() + args.timeout
    dtls = cfg_is_datagram(args)
    try:
        if dtls:
            from ._cli_dtls import udp_connect
            sock = udp_connect(host, port)
        else:
            sock = socket.create_connection((host, port), timeout=args.timeout)
    except OSError as e:
        report.update(result="NO_CONNECTION", error=f"connect: {e.strerror or e}", closed=f"could not connect: {e.strerror or e}")
        return report, None
    report["address"] = sock.getpeername()[0]
    refrag = parse_tamper(args.tamper)  # checked already by probe()
    sock.setblocking(False)
    link: Any
    try:
        if dtls:  # memory mode over the UDP socket: the timer is the link's
            from ._cli_dtls import DatagramLink
            hs = new_handshake(cfg, args.server_name or host, None, session, capture_path(args.capture, index))
            link = DatagramLink(hs, sock)
        elif refrag is None:
            hs = new_handshake(cfg, args.server_name or host, sock, session, capture_path(args.capture, index))
            link = Link(hs, sock, memory=False)
        else:
            hs = new_handshake(cfg, args.server_name or host, None, session, capture_path(args.capture, index))
            link = Link(hs, sock, memory=True)
    except Error as e:  # what Config.check leaves to the first handshake (a certificate without its key)
        sock.close()
        raise UsageError(str(e)) from None
    with hs:
        report["session_offered"] = session is not None
        r: Any  # a Result, or None at the deadline
        if dtls:
            r = drive(hs, sock, None, max(0.01, deadline - time.monotonic()))
            r = r if r in (DONE, CLOSED) else None
        elif refrag is None:
            r = link.call(hs.step, deadline)
        else:  # memory mode: tlshs.drive carries the flights, re-cut on the way out
            max_body = refrag
            r = drive(hs, sock, lambda d, f: refragment(f, max_body) if d == "out" else f,
                      max(0.01, deadline - time.monotonic()))
            r = r if r in (DONE, CLOSED) else None
        received = b""
        if r == DONE:
            # Read what follows (TLS 1.3 tickets) until the server goes quiet.
            quiet = min(time.monotonic() + QUIET, deadline)
            while True:
                ans = link.call(lambda: hs.read(16384), quiet)
                if ans is None or ans[0] != DONE:
                    break
                received += ans[1]
                quiet = min(time.monotonic() + QUIET, deadline)
            if ans is not None and ans[0] == CLOSED:
                closed = "the server ended the connection: " + hs.error
            else:
                closed = None
            if args.send is not None and closed is None:
                data = codecs.escape_decode(args.send.encode())[0]
                while data:
                    ans = link.call(lambda: hs.write(data), deadline)
                    if ans is None or ans[0] != DONE:
                        break
                    data = data[ans[1]:]
                # The answer: until the server closes, or goes quiet.
                quiet = min(time.monotonic() + max(QUIET, 1.0), deadline)
                while True:
                    ans = link.call(lambda: hs.read(16384), quiet)
                    if ans is None or ans[0] != DONE:
                        break
                    received += ans[1]
                    quiet = min(time.monotonic() + max(QUIET, 1.0), deadline)
                if ans is not None and ans[0] == CLOSED:
                    closed = "the server ended the connection: " + hs.error
            if closed is None:
                link.call(hs.shutdown, min(time.monotonic() + QUIET, deadline))
                closed = "closed by the probe (close_notify sent)"
        elif r is None:
            closed = f"timed out after {args.timeout:g} s in the handshake"
        else:
            closed = "handshake failed: " + hs.error
        report.update(outcome(hs, r))
        report["received"] = text(received) if received or args.send is not None else None
        report["closed"] = closed
        session_out = hs.session if r == DONE else None
    close_socket(sock, 0.0)
    return report, session_out


def cfg_is_datagram(args: argparse.Namespace) -> bool:
    """Whether the command runs over UDP: --dtls, or --transport datagram."""
    return bool(getattr(args, "dtls", False)) or getattr(args, "transport", None) == "datagram"


def probe(args: argparse.Namespace) -> int:
    from ._cli_dtls import datagram_keys
    host, port = split_target(args.target)
    parse_tamper(args.tamper)
    if args.count < 1:
        raise UsageError("--count must be at least 1")
    keys = config_keys(args, "client")
    if datagram_keys(args, keys) and args.tamper is not None:
        raise UsageError("--tamper refragment=N cuts TLS records: not with --dtls")
    cfg = make_config("client", keys)
    status = 0
    session = None
    with cfg:
        for i in range(1, args.count + 1):
            report, got = probe_one(args, cfg, host, port, i, session)
            if i == 1:
                session = got
            if report["result"] != "DONE":
                status = 1
            lines = [f"handshake {i} with {hostport(host, port)} ({report['address'] or 'not connected'}), server name {args.server_name or host}"]
            if "flights" in report:
                lines += outcome_lines(report)
            if report.get("received") is not None:
                lines.append("  received  " + (report["received"].replace("\r\n", "\n").replace("\n", "\n            ") or "(nothing)"))
            lines.append(f"  closed    {report['closed']}")
            emit(args, report, lines)
    return status


# ---- serve ----


def page(hs: Handshake, report: Dict[str, Any]) -> bytes:
    """The HTML page for GET: the connection as s_server -www shows it, then
    the client's own ClientHello and the outcome so far, as serve prints
    them."""
    from . import __version__

    lines = [
        f"tlshs {__version__} serve",
        f"Protocol  : {hs.version}",
        f"Cipher    : {hs.cipher}",
        f"SNI       : {hs.server_name or '(none)'}",
        f"ALPN      : {hs.alpn or '(none)'}",
        f"Reused    : {'yes' if hs.resumed else 'no'}",
        f"Client certificate: {'yes' if hs.peer_cert else 'no'}",
        "",
        f"connection {report['index']} from {report['peer']} (GET /json: the same as JSON)",
        *hello_lines(report["client_hello"]),
        *outcome_lines(report),
    ]
    return PAGE_HEAD + html.escape("\n".join(lines), quote=False).encode() + b"\n" + PAGE_TAIL


def json_page(report: Dict[str, Any]) -> bytes:
    """The answer to GET /json: the report so far (every field --json
    prints but "closed"), as JSON."""
    body = json.dumps(report, indent=1).encode() + b"\n"
    head = f"HTTP/1.0 200 ok\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def serve_requests(hs: Handshake, reader: Any, writer: Any, report: Dict[str, Any], deadline: float,
                         timeout: float) -> Tuple[Optional[str], str]:
    """After the handshake: reads lines until one starts with GET, answers
    it (GET /json: the report so far, as JSON; anything else: the page),
    then closes with close_notify.  Answers (the request line or None, why
    the connection ended)."""
    loop = asyncio.get_running_loop()
    buf = b""
    while True:
        try:
            data = await asyncio.wait_for(reader.read(LINE_MAX), max(0.0, deadline - loop.time()))
        except asyncio.TimeoutError:
            return None, f"timed out after {timeout:g} s waiting for a request"
        except (Error, OSError):  # an alert, a failure (hs.error says which), a reset
            data = b""
        if not data:  # (a close_notify is answered by tlshs.aio)
            return None, "the client ended the connection: " + hs.error
        buf += data
        while buf:
            nl = buf.find(b"\n")
            if nl < 0 and len(buf) < LINE_MAX:
                break
            end = nl + 1 if 0 <= nl < LINE_MAX else LINE_MAX
            line, buf = buf[:end], buf[end:]
            if line.startswith(b"GET"):
                request = text(line).strip()
                words = request.split()
                path = words[1] if len(words) > 1 else ""
                report.update(outcome(hs, DONE), request=request)
                writer.write(json_page(report) if path.split("?")[0] == "/json" else page(hs, report))
                writer.close()  # close_notify after the page
                return request, "page sent, close_notify sent"


async def serve_one(args: argparse.Namespace, cfg: Config, conn: socket.socket, peer: Tuple[Any, ...],
                    index: int) -> Dict[str, Any]:
    """One client, within its own --timeout: the handshake (tlshs.aio over
    the accepted socket), then the request; answers its report."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + args.timeout
    report: Dict[str, Any] = {"command": "serve", "index": index, "peer": f"{peer[0]}:{peer[1]}"}
    request, r, reader, writer = None, None, None, None
    hs: Any = None  # (the public stubs' Handshake and Config are this module's own classes)
    server_cfg: Any = cfg
    try:
        reader, writer = await aio.open_connection(None, None, server_cfg, sock=conn, trace=True, limit=LINE_MAX,
                                                   capture=capture_path(args.capture, index),
                                                   handshake_timeout=args.timeout)
    except aio.HandshakeTimeoutError as e:
        hs = e.handshake
        closed = f"timed out after {args.timeout:g} s in the handshake"
    except ConfigError:  # the config cannot make handshakes: what Config.check leaves to the first
        conn.close()
        raise
    except Error as e:
        if e.handshake is None:
            raise
        hs, r = e.handshake, CLOSED
        closed = "handshake failed: " + hs.error
    if writer is not None:
        hs, r = writer.get_extra_info("tlshs"), DONE
        report["client_hello"] = client_hello(hs)
        request, closed = await serve_requests(hs, reader, writer, report, deadline, args.timeout)
    report["client_hello"] = client_hello(hs)
    report.update(outcome(hs, r))
    report["request"] = request
    report["closed"] = closed
    if writer is not None:
        writer.close()
        try:  # the peer's close_notify or end of stream, as s_server drains
            await asyncio.wait_for(writer.wait_closed(), DRAIN)
        except (asyncio.TimeoutError, OSError, Error):
            writer.transport.abort()
    return report


def print_report(args: argparse.Namespace, report: Dict[str, Any]) -> None:
    lines = [f"connection {report['index']} from {report['peer']}"]
    if "flights" in report:
        lines += hello_lines(report["client_hello"]) + outcome_lines(report)
    if report.get("request"):
        lines.append(f"  request   {report['request']}")
    lines.append(f"  closed    {report['closed']}")
    emit(args, report, lines)


async def serve_all(args: argparse.Namespace, cfg: Config, listener: socket.socket, state: Dict[str, int]) -> None:
    """Accepts clients (at most --concurrency at once; the kernel queues the
    rest) until --count of them, each served in its own task; returns once
    the last has been reported.  A ConfigError (what Config.check leaves to
    the first handshake) stops it: a usage error."""
    loop = asyncio.get_running_loop()
    listener.setblocking(False)
    slots = asyncio.Semaphore(args.concurrency)
    tasks: Set["asyncio.Task[None]"] = set()
    failed: List[BaseException] = []
    stop = asyncio.Event()

    async def one(conn: socket.socket, peer: Tuple[Any, ...], index: int) -> None:
        try:
            report = await serve_one(args, cfg, conn, peer, index)
        except ConfigError as e:
            failed.append(e)
            stop.set()
            return
        except (Error, OSError) as e:  # keep serving; say what went wrong
            conn.close()
            report = {"command": "serve", "index": index, "peer": f"{peer[0]}:{peer[1]}", "result": "ERROR",
                      "error": str(e), "closed": f"error: {e}"}
        finally:
            slots.release()
        if report["result"] != "DONE":
            state["status"] = 1
        print_report(args, report)

    async def accept() -> None:
        accepted = 0
        while args.count == 0 or accepted < args.count:
            await slots.acquire()
            try:
                conn, peer = await loop.sock_accept(listener)
            except OSError as e:  # out of descriptors or memory: wait for a client to end
                slots.release()
                print(f"tlshs serve: accept: {e.strerror or e}", file=sys.stderr, flush=True)
                await asyncio.sleep(0.1)
                continue
            accepted += 1
            task = loop.create_task(one(conn, peer, accepted))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    acceptor = loop.create_task(accept())
    stopper = loop.create_task(stop.wait())
    await asyncio.wait({acceptor, stopper}, return_when=asyncio.FIRST_COMPLETED)
    while tasks and not stop.is_set():
        await asyncio.wait(set(tasks) | {stopper}, return_when=asyncio.FIRST_COMPLETED)
    for t in (acceptor, stopper):
        t.cancel()
    if failed:
        raise UsageError(str(failed[0]))
    acceptor.result()  # its own exception, if any


def serve(args: argparse.Namespace) -> int:
    from ._cli_dtls import datagram_keys, serve_dtls
    keys = config_keys(args, "server")
    dtls = datagram_keys(args, keys)
    if not any(k in keys for k in ("cert_file", "cert_pem", "self_signed")):
        keys["self_signed"] = args.name
    if args.count < 0:
        raise UsageError("--count must be 0 (no end) or more")
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    cfg = make_config("server", keys)
    if dtls:
        try:
            return serve_dtls(args, cfg, keys)
        finally:
            cfg.close()
    try:
        listener = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((args.host, args.port))
        except OSError as e:
            raise UsageError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
        listener.listen(max(16, min(args.concurrency, socket.SOMAXCONN)))
        fingerprint = cfg.fingerprint
        host, port = listener.getsockname()[:2]
        banner = sys.stderr if args.json else sys.stdout
        what = f"self-signed for {keys['self_signed']}" if "self_signed" in keys else "from the configuration"
        print(f"certificate {what}, SHA-256 {fingerprint}", file=banner)
        print(f"ACCEPT {host}:{port}", file=banner, flush=True)
        state = {"status": 0}
        try:
            asyncio.run(serve_all(args, cfg, listener, state))
        except KeyboardInterrupt:
            pass
        finally:
            listener.close()
    finally:
        cfg.close()
    return state["status"]


# ---- the parser ----


def add_key_options(p: argparse.ArgumentParser, role: str) -> None:
    """One option per configuration key role takes (ca_file: --ca-file),
    with the table's metavar, help and default.  The value goes to the key
    as a string, as typed (a switch: on or off)."""
    group = p.add_argument_group(f"configuration keys (one option per key a {role} takes, from the core's table)")
    for k in role_keys(role):
        words = k.help + (f" (default: {k.default})" if k.default else "")
        group.add_argument("--" + k.name.replace("_", "-"), dest=k.name, metavar=k.metavar,
                           help=words.replace("%", "%%"))


class _Version(argparse.Action):
    """--version: one line, unwrapped (argparse's own action wraps it)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from . import OPENSSL_BUILT_VERSION, OPENSSL_VERSION, __version__
        print(f"tlshs {__version__}, built for {OPENSSL_BUILT_VERSION}, running on {OPENSSL_VERSION}")
        parser.exit()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tlshs", description="TLS handshakes from the command line, on the tlshs library.")
    p.add_argument("--version", nargs=0, action=_Version, help="print the version and the OpenSSL built for and run on")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--capture", metavar="FILE", help="write a pcapng capture with the secrets (FILE.2 ... for later handshakes)")
    common.add_argument("--timeout", metavar="S", type=float, default=10.0, help="seconds each connection may take (default 10)")
    common.add_argument("--json", action="store_true", help="print one JSON object per handshake")
    common.add_argument("--dtls", action="store_true",
                        help="DTLS 1.2 over UDP (the key transport=datagram; see --mtu, --retransmit-ms ...)")

    pr = sub.add_parser("probe", parents=[common], help="a client handshake against HOST[:PORT]",
                        description="Connects to HOST[:PORT] (default port 443), drives a client handshake and prints its flights, outcome and why it closed.")
    add_key_options(pr, "client")
    pr.add_argument("target", metavar="HOST[:PORT]")
    pr.add_argument("--server-name", metavar="NAME", help="SNI and the name checked (default HOST)")
    pr.add_argument("--count", metavar="N", type=int, default=1, help="handshakes; the later ones resume the first's session")
    pr.add_argument("--send", metavar="TEXT", help="write TEXT after the handshake (backslash escapes: \\r\\n) and print the answer")
    pr.add_argument("--tamper", metavar="refragment=N", help="cut outgoing handshake records to N-byte bodies (memory mode)")

    sv = sub.add_parser("serve", parents=[common], help="a test server that shows what clients offer",
                        description="Serves many clients at once, prints each one's ClientHello with JA3 and JA4 and the outcome, and answers GET with a page (GET /json: the client's own ClientHello and the outcome so far, as JSON).")
    add_key_options(sv, "server")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=4433, help="port (default 4433; 0: any free one)")
    sv.add_argument("--name", default="localhost", help="self_signed's name when no certificate is given (default localhost)")
    sv.add_argument("--count", metavar="N", type=int, default=0, help="exit after N clients (default 0: never)")
    sv.add_argument("--concurrency", metavar="N", type=int, default=256,
                    help="clients served at once, each within its own --timeout (default 256; the kernel queues the rest)")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.timeout <= 0:
        p.error("--timeout must be more than 0")
    try:
        return probe(args) if args.command == "probe" else serve(args)
    except UsageError as e:
        print(f"tlshs {args.command}: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1
