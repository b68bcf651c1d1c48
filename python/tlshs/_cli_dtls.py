"""The command line over datagrams (issue 18): ``tlshs probe --dtls`` and
``tlshs serve --dtls``.

probe: one memory-mode handshake over a connected UDP socket (tlshs.drive,
its retransmission timer in real time), then what follows through
DatagramLink, which answers like _cli.Link.

serve: one unconnected UDP socket; datagrams are told apart by their
sender's address (recvfrom), one Handshake per address in memory mode,
each told its peer with set_peer so the stateless cookie binds it, its
datagrams sent with sendto, and the loop wakes for the nearest of the
handshakes' timers (hs.timeout) and deadlines.  A ClientHello without a
valid cookie is answered (HelloVerifyRequest) by a Handshake that is then
dropped: no state is kept for it, as the cookie means.
"""

from __future__ import annotations

import argparse
import select
import socket
import sys
import time
from typing import Any, Callable, Dict, Optional, Tuple

from . import _cli as cli
from ._errors import Error, StateError
from ._handshake import Handshake

MAX_DATAGRAM = 65536
BURST = 64  # datagrams read per wake before timers are looked at


def udp_connect(host: str, port: int) -> socket.socket:
    """A non-blocking UDP socket connected to host:port (the first address
    getaddrinfo answers)."""
    family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.connect(addr)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class DatagramLink:
    """Drives calls on one memory-mode datagram handshake over a connected
    UDP socket until they answer DONE or CLOSED, or a deadline passes: each
    datagram taken is sent alone, each received is fed alone, and while it
    waits the retransmission timer is fired when hs.timeout passes.  The
    same interface as _cli.Link."""

    def __init__(self, hs: Handshake, sock: socket.socket) -> None:
        self.hs, self.sock = hs, sock

    def flush(self) -> None:
        for _ in range(10_000):
            d = self.hs.take()
            if not d:
                return
            try:
                self.sock.send(d)
            except OSError:  # no peer (ICMP) or a full buffer: lost, as UDP may lose it
                pass

    def call(self, op: Callable[[], Any], deadline: float) -> Any:
        """op()'s last answer once DONE or CLOSED; None at the deadline."""
        while True:
            ans = op()
            r = ans[0] if isinstance(ans, tuple) else ans
            self.flush()
            if r not in cli.WANTS:
                return ans
            if r == cli.WANT_WRITE:
                continue
            if not self._wait(deadline):
                return None

    def _wait(self, deadline: float) -> bool:
        """Waits for a datagram (fed) or the timer (fired); False at the deadline."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            timer = self.hs.timeout
            wait = left if timer is None else min(left, timer)
            ready, _, _ = select.select([self.sock], [], [], wait)
            if ready:
                try:
                    self.hs.feed(self.sock.recv(MAX_DATAGRAM))
                except (BlockingIOError, ConnectionRefusedError):
                    continue
                except StateError:  # closed meanwhile: op answers it
                    pass
                return True
            if timer is not None and timer <= wait:
                try:
                    self.hs.on_timeout()
                except StateError:
                    pass
                self.flush()
                return True


# ---- serve --dtls ----


class Peer:
    """One client address and its handshake."""

    def __init__(self, hs: Handshake, addr: Tuple[Any, ...], index: int, deadline: float) -> None:
        self.hs, self.addr, self.index, self.deadline = hs, addr, index, deadline
        self.state = "handshake"  # then "request", then "linger" (answering retransmissions)
        self.buf = b""
        self.linger_until = 0.0


def address_text(addr: Tuple[Any, ...]) -> str:
    return cli.hostport(str(addr[0]), int(addr[1]))


class DtlsServer:
    """serve --dtls's loop (see the module's docstring)."""

    def __init__(self, args: argparse.Namespace, cfg: Any, sock: socket.socket) -> None:
        self.args, self.cfg, self.sock = args, cfg, sock
        self.peers: Dict[Tuple[Any, ...], Peer] = {}
        self.next_index = 1
        self.reported = 0
        self.status = 0

    # -- datagrams out and in --

    def flush(self, hs: Handshake, addr: Tuple[Any, ...]) -> None:
        for _ in range(10_000):
            d = hs.take()
            if not d:
                return
            try:
                self.sock.sendto(d, addr)
            except OSError:
                pass  # lost, as UDP may lose it: the timer sends it again

    def receive(self) -> None:
        for _ in range(BURST):
            try:
                data, addr = self.sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # ICMP errors of earlier sends: nothing to read
                continue
            peer = self.peers.get(addr)
            if peer is None:
                self.new_peer(data, addr)
            elif peer.hs.result != cli.CLOSED:
                peer.hs.feed(data)
                self.advance(peer)

    def new_peer(self, data: bytes, addr: Tuple[Any, ...]) -> None:
        """A datagram from an address without a handshake: a new Handshake
        answers it, and is kept only if it went past the cookie exchange."""
        if len(self.peers) >= self.args.concurrency:
            return  # full: dropped, the client's timer sends it again
        index = self.next_index
        try:
            hs = cli.new_handshake(self.cfg, None, None, None, cli.capture_path(self.args.capture, index))
        except Error as e:
            raise cli.UsageError(str(e)) from None
        hs.set_peer(address_text(addr))
        hs.feed(data)
        r = self.step(hs, addr)
        sent = [e.name for e in hs.trace if e.sent]
        if r == cli.WANT_READ and hs.timeout is None and all(n == "HelloVerifyRequest" for n in sent):
            hs.close()  # a hello without a valid cookie, or no hello: answered and forgotten
            return
        self.next_index += 1
        peer = Peer(hs, addr, index, time.monotonic() + self.args.timeout)
        self.peers[addr] = peer
        self.after_step(peer, r)

    # -- one client --

    def step(self, hs: Handshake, addr: Tuple[Any, ...]) -> Any:
        """Steps hs and sends what it has, until it answers more than WANT_WRITE."""
        for _ in range(100):
            r = hs.step()
            self.flush(hs, addr)
            if r != cli.WANT_WRITE:
                return r
        return r

    def advance(self, peer: Peer) -> None:
        if peer.state == "handshake":
            self.after_step(peer, self.step(peer.hs, peer.addr))
        else:
            self.read(peer)

    def after_step(self, peer: Peer, r: Any) -> None:
        if r == cli.DONE:
            peer.state = "request"
            self.read(peer)
        elif r == cli.CLOSED:
            self.finish(peer, cli.CLOSED, "handshake failed: " + peer.hs.error)

    def read(self, peer: Peer) -> None:
        """After DONE: reads (which also answers the client's retransmissions)
        and, in state request, answers the first line that starts with GET."""
        hs = peer.hs
        for _ in range(1000):
            r, data = hs.read()
            self.flush(hs, peer.addr)
            if r == cli.CLOSED:
                if peer.state == "request":
                    self.finish(peer, cli.DONE, "the client ended the connection: " + hs.error)
                else:
                    self.drop(peer)
                return
            if not data:
                return
            if peer.state != "request":
                continue
            peer.buf += data
            while b"\n" in peer.buf or len(peer.buf) >= cli.LINE_MAX:
                nl = peer.buf.find(b"\n")
                end = nl + 1 if 0 <= nl < cli.LINE_MAX else cli.LINE_MAX
                line, peer.buf = peer.buf[:end], peer.buf[end:]
                if line.startswith(b"GET"):
                    self.answer(peer, cli.text(line).strip())
                    return

    def answer(self, peer: Peer, request: str) -> None:
        hs = peer.hs
        words = request.split()
        path = words[1] if len(words) > 1 else ""
        report = self.report(peer, cli.DONE)
        report["request"] = request
        body = cli.json_page(report) if path.split("?")[0] == "/json" else cli.page(hs, report)
        hs.write(body)
        hs.shutdown()
        self.flush(hs, peer.addr)
        self.finish(peer, cli.DONE, "page sent, close_notify sent", request)

    def report(self, peer: Peer, r: Any) -> Dict[str, Any]:
        report: Dict[str, Any] = {"command": "serve", "index": peer.index, "peer": address_text(peer.addr)}
        report["client_hello"] = cli.client_hello(peer.hs)
        report.update(cli.outcome(peer.hs, r))
        return report

    def finish(self, peer: Peer, r: Any, closed: str, request: Optional[str] = None) -> None:
        """Reports the client, then lingers (a DONE side answers the
        client's retransmissions) or drops it."""
        report = self.report(peer, r)
        report["request"] = request
        report["closed"] = closed
        if report["result"] != "DONE":
            self.status = 1
        cli.print_report(self.args, report)
        self.reported += 1
        if peer.hs.result == cli.CLOSED or r is None:
            self.drop(peer)
        else:
            peer.state = "linger"
            peer.linger_until = time.monotonic() + cli.DRAIN

    def drop(self, peer: Peer) -> None:
        self.peers.pop(peer.addr, None)
        peer.hs.close()

    # -- time --

    def wake_at(self) -> float:
        """The monotonic time of the nearest timer, deadline or linger end."""
        now = time.monotonic()
        soonest = now + 1.0
        for peer in self.peers.values():
            soonest = min(soonest, peer.linger_until if peer.state == "linger" else peer.deadline)
            timer = peer.hs.timeout
            if timer is not None:
                soonest = min(soonest, now + timer)
        return soonest

    def tick(self) -> None:
        now = time.monotonic()
        for peer in list(self.peers.values()):
            if peer.state == "linger":
                if now >= peer.linger_until:
                    self.drop(peer)
                continue
            if now >= peer.deadline:
                in_handshake = peer.state == "handshake"
                what = "in the handshake" if in_handshake else "waiting for a request"
                if not in_handshake:
                    peer.hs.shutdown()  # close_notify, as serve over TCP closes
                    self.flush(peer.hs, peer.addr)
                self.finish(peer, None if in_handshake else cli.DONE, f"timed out after {self.args.timeout:g} s {what}")
                if peer.addr in self.peers:
                    self.drop(peer)
                continue
            timer = peer.hs.timeout
            if timer is not None and timer <= 0:
                try:
                    r = peer.hs.on_timeout()
                except StateError:
                    continue
                self.flush(peer.hs, peer.addr)
                if peer.state == "handshake":
                    self.after_step(peer, r if r != cli.WANT_WRITE else self.step(peer.hs, peer.addr))

    def done(self) -> bool:
        return bool(self.args.count) and self.reported >= self.args.count and not self.peers

    def run(self) -> int:
        self.sock.setblocking(False)
        while not self.done():
            left = max(0.0, self.wake_at() - time.monotonic())
            ready, _, _ = select.select([self.sock], [], [], left)
            if ready:
                self.receive()
            self.tick()
        for peer in list(self.peers.values()):
            self.drop(peer)
        return self.status


def serve_dtls(args: argparse.Namespace, cfg: Any, keys: Dict[str, str]) -> int:
    """serve --dtls: binds the UDP socket, prints the banner and serves."""
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        try:
            sock.bind((args.host, args.port))
        except OSError as e:
            raise cli.UsageError(f"cannot listen on {args.host}:{args.port}/udp: {e.strerror or e}") from None
        host, port = sock.getsockname()[:2]
        banner = sys.stderr if args.json else sys.stdout
        what = f"self-signed for {keys['self_signed']}" if "self_signed" in keys else "from the configuration"
        print(f"certificate {what}, SHA-256 {cfg.fingerprint}", file=banner)
        print(f"ACCEPT {host}:{port} (UDP, DTLS 1.2)", file=banner, flush=True)
        try:
            return DtlsServer(args, cfg, sock).run()
        except KeyboardInterrupt:
            return 0
    finally:
        sock.close()


def datagram_keys(args: argparse.Namespace, keys: Dict[str, str]) -> bool:
    """Applies --dtls (transport=datagram) to keys; answers whether the
    command runs over datagrams."""
    if getattr(args, "dtls", False):
        if keys.get("transport", "datagram") != "datagram":
            raise cli.UsageError("--dtls means --transport datagram, not " + keys["transport"])
        keys["transport"] = "datagram"
    return keys.get("transport") == "datagram"

