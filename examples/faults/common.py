"""What every script of examples/faults shares: the two tlshs peers (no
certificate files: the server makes a self-signed one, the client does not
verify), a connection to a real server, and what that server answers once
the handshake is over.  Copy it beside the script you copy."""

import select
import socket
import sys
import time

import tlshs


def peers(**client_keys):
    """A tlshs client and server in memory mode, ready for tlshs.pair."""
    client = tlshs.Handshake(tlshs.Config("client", verify="none", **client_keys),
                             server_name="localhost")
    server = tlshs.Handshake(tlshs.Config("server", self_signed="localhost"))
    return client, server


def connect(hostport, **client_keys):
    """A TCP connection to HOST:PORT and a tlshs client (memory mode) for it."""
    host, _, port = hostport.rpartition(":")
    sock = socket.create_connection((host or "127.0.0.1", int(port)), timeout=10)
    hs = tlshs.Handshake(tlshs.Config("client", verify="none", **client_keys), server_name="localhost")
    return hs, sock


def server_answer(hs, sock, timeout=2.0):
    """After drive answered DONE: reads what the server sends next (its
    tickets, or the alert of a fault it noticed in our last flight) until
    hs is CLOSED, the server closes, or it is quiet for timeout seconds;
    answers hs's last result."""
    end = time.monotonic() + timeout
    r = hs.result
    while r != tlshs.CLOSED and (left := end - time.monotonic()) > 0:
        if not select.select([sock], [], [], left)[0]:
            break
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if data:
            hs.feed(data)
        else:
            hs.feed_eof()
        while (r := hs.read()[0]) == tlshs.DONE:
            pass  # application data (an echo): not what we wait for
        if hs.pending:
            try:
                sock.sendall(hs.take())  # our alert, once hs closed
            except OSError:
                pass  # the server is gone already
            r = hs.read()[0]
    return r


def describe(name, hs):
    """One line: the result, the error and the alerts of hs."""
    alert = lambda code: code is not None and tlshs.alert_name(code) or "-"
    return (f"{name}: {hs.result.name}  error={hs.error!r}  alert sent={alert(hs.alert_sent)}"
            f"  received={alert(hs.alert_received)}")


def main(run_pair, run_drive=None):
    """python3 SCRIPT          the fault between two tlshs objects (pair)
    python3 SCRIPT HOST:PORT   the fault aimed at a server there (drive)"""
    if len(sys.argv) > 1:
        if run_drive is None:
            sys.exit("this fault concerns the client: it runs between two tlshs objects only")
        print(describe("client", run_drive(sys.argv[1])))
    else:
        client, server, outcome = run_pair()
        print(outcome)
        print(describe("client", client))
        print(describe("server", server))
