"""Records, refragment, pair, drive and close_socket (CONTRACT.md, "Records:
reshaping what goes on the wire").  The record rules are the C core's;
these tests check that the binding hands over exactly what it parses and
writes, and how pair and drive stop."""

import socket
import threading
import time

import pytest

import tlshs
from conftest import client_config, server_config
from tlshs import _tlshs as _c

WR, WW, DONE, CLOSED = tlshs.WANT_READ, tlshs.WANT_WRITE, tlshs.DONE, tlshs.CLOSED


def peers(version=None, **server_keys):
    keys = {"max_version": version} if version else {}
    return (tlshs.Handshake(client_config(**keys), server_name="localhost"),
            tlshs.Handshake(server_config(**server_keys)))


def flights(version):
    """Every flight of a handshake, as (direction, bytes)."""
    seen = []
    c, s = peers(version)
    assert tlshs.pair(c, s, lambda d, f: seen.append((d, f)) or f) == (DONE, DONE)
    return seen


# ---- constants and Record ----

def test_content_types_are_the_c_list():
    assert (tlshs.CHANGE_CIPHER_SPEC, tlshs.ALERT, tlshs.HANDSHAKE, tlshs.APPLICATION_DATA) == (20, 21, 22, 23)
    assert _c._content_types() == ((20, "CHANGE_CIPHER_SPEC", "change_cipher_spec"), (21, "ALERT", "alert"),
                                   (22, "HANDSHAKE", "handshake"), (23, "APPLICATION_DATA", "application_data"))
    for name in ("CHANGE_CIPHER_SPEC", "ALERT", "HANDSHAKE", "APPLICATION_DATA"):
        assert name in tlshs.__all__


def test_record_wire_form():
    rec = tlshs.Record(tlshs.HANDSHAKE, 0x0303, b"abc")
    assert rec._fields == ("type", "version", "body")
    assert bytes(rec) == b"\x16\x03\x03\x00\x03abc"
    assert bytes(tlshs.Record(255, 0xffff, b"")) == b"\xff\xff\xff\x00\x00"
    big = bytes(tlshs.Record(23, 0x0303, b"x" * 0xffff))  # beyond TLS's 2^14+256: written as asked
    assert big[:5] == b"\x17\x03\x03\xff\xff" and len(big) == 5 + 0xffff
    assert bytes(tlshs.Record(22, 0x0301, bytearray(b"z"))) == b"\x16\x03\x01\x00\x01z"


@pytest.mark.parametrize("rec,exc", [
    ((256, 0x0303, b""), OverflowError), ((-1, 0x0303, b""), OverflowError),
    ((22, 0x10000, b""), OverflowError), ((22, -1, b""), OverflowError),
    ((22, 0x0303, b"x" * 0x10000), tlshs.ArgumentError),
    ((22, 0x0303, "text"), TypeError), (("22", 0x0303, b""), TypeError), ((True, 0x0303, b""), TypeError)])
def test_record_refuses_what_the_header_cannot_say(rec, exc):
    with pytest.raises(exc):
        bytes(tlshs.Record(*rec))
    if exc is tlshs.ArgumentError:
        with pytest.raises(tlshs.ArgumentError) as e:
            bytes(tlshs.Record(*rec))
        assert e.value.code == tlshs.Code.E_ARGUMENT


# ---- records ----

@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_records_round_trip_every_flight(version):
    fl = flights(version)
    assert len(fl) >= 3
    for _, flight in fl:
        recs, rest = tlshs.records(flight)
        assert rest == b"" and recs
        assert b"".join(map(bytes, recs)) == flight
        assert all(isinstance(r, tlshs.Record) and isinstance(r.body, bytes) for r in recs)
    first = tlshs.records(fl[0][1])[0][0]
    assert (first.type, first.body[0]) == (tlshs.HANDSHAKE, 1)  # a ClientHello


def test_a_partial_record_stays_in_rest():
    flight = flights("1.3")[1][1]  # the server's: several records
    whole = tlshs.records(flight)[0]
    for cut in range(len(flight) + 1):
        recs, rest = tlshs.records(flight[:cut])
        done = b"".join(map(bytes, recs))
        assert done + rest == flight[:cut]
        assert recs == whole[:len(recs)]
        assert len(rest) < 5 or len(rest) < 5 + int.from_bytes(rest[3:5], "big")


def test_records_do_not_judge():
    assert tlshs.records(b"") == ([], b"")
    for empty in (bytearray(), memoryview(b""), memoryview(b"ab")[2:]):
        assert tlshs.records(empty) == ([], b"")
    assert tlshs.records(b"\x16\x03\x03\x00\x00") == ([tlshs.Record(22, 0x0303, b"")], b"")  # empty handshake
    huge = b"\x17\x03\x03\xff\xff" + b"y" * 0xffff  # above 2^14+256
    assert tlshs.records(huge) == ([tlshs.Record(23, 0x0303, b"y" * 0xffff)], b"")
    assert tlshs.records(huge[:-1]) == ([], huge[:-1])  # announces more than there is: no over-read
    http = b"GET / HTTP/1.1\r\n"  # "T /" announces 0x202f bytes: all of it waits in rest
    assert tlshs.records(http) == ([], http)
    assert tlshs.records(b"GET\x00\x02hi!") == ([tlshs.Record(ord("G"), 0x4554, b"hi")], b"!")
    assert tlshs.records(bytearray(b"\x15\x03\x03\x00\x02\x02\x28abc")) == (
        [tlshs.Record(21, 0x0303, b"\x02\x28")], b"abc")
    assert tlshs.records(memoryview(b"..\x16\x03\x01\x00\x01!")[2:]) == ([tlshs.Record(22, 0x0301, b"!")], b"")
    with pytest.raises(TypeError):
        tlshs.records("text")


# ---- refragment ----

@pytest.mark.parametrize("version", ["1.2", "1.3"])
@pytest.mark.parametrize("max_body", [1, 7, 100])
def test_refragment_recuts_plaintext_handshake_records(version, max_body):
    for _, flight in flights(version):
        out = tlshs.refragment(flight, max_body)
        before, after = tlshs.records(flight)[0], tlshs.records(out)[0]
        assert b"".join(r.body for r in before) == b"".join(r.body for r in after)
        ccs = False
        for rec in after:
            if rec.type == tlshs.HANDSHAKE and not ccs:
                assert len(rec.body) <= max_body
            ccs = ccs or rec.type == tlshs.CHANGE_CIPHER_SPEC
        # encrypted and other records pass unchanged
        keep = lambda recs: [r for r in recs if r.type != tlshs.HANDSHAKE]
        assert keep(before) == keep(after)


def test_refragmented_flights_complete_a_handshake():
    for version in ("1.2", "1.3"):
        c, s = peers(version)
        assert tlshs.pair(c, s, lambda d, f: tlshs.refragment(f, 1)) == (DONE, DONE)


def test_refragment_arguments():
    ch = flights("1.3")[0][1]
    assert tlshs.refragment(b"", 1) == b""
    assert tlshs.refragment(ch, len(ch)) == ch
    partial = ch + b"\x16\x03"
    assert tlshs.refragment(partial, 10**6) == partial
    assert tlshs.refragment(bytearray(ch), 2**62) == ch
    for bad in (0, -1):
        with pytest.raises(tlshs.ArgumentError) as e:
            tlshs.refragment(ch, bad)
        assert e.value.code == tlshs.Code.E_ARGUMENT
    with pytest.raises(TypeError):
        tlshs.refragment(ch, 1.0)


# ---- pair ----

def test_pair_completes_and_is_a_two_tuple():
    c, s = peers()
    out = tlshs.pair(c, s)
    rc, rs = out
    assert (rc, rs) == (DONE, DONE) and out == (DONE, DONE) and len(out) == 2
    assert isinstance(out, tuple) and isinstance(out, tlshs.PairOutcome)
    assert (out.client, out.server, out.waiting, out.rounds_out) == (DONE, DONE, (), False)
    assert c.version == s.version == "TLSv1.3"
    assert c.pending == 0 and s.pending == 0
    r, data = c.read()  # the tickets wait in the client for read
    assert (r, data) == (WR, b"") and c.session


def test_pair_says_who_waits_when_nothing_moves():
    c, s = peers()
    out = tlshs.pair(c, s, lambda d, f: None if d == "s2c" else f)
    assert out == (WR, WR) and out.waiting == ("client", "server") and not out.rounds_out
    c, s = peers()
    out = tlshs.pair(c, s, lambda d, f: b"" if d == "c2s" else f)
    assert out == (WR, WR) and out.waiting == ("client", "server")
    c, s = peers()
    out = tlshs.pair(c, s, rounds=1)
    assert out.rounds_out and out.waiting == ("client", "server")
    assert out.client in (WR, WW) and out.server in (WR, WW)
    out = tlshs.pair(c, s, rounds=1)  # resumes where it stopped
    assert out.rounds_out and out.client in (WR, WW)
    assert tlshs.pair(c, s) == (DONE, DONE)


def test_pair_one_side_closed():
    c, s = peers()
    out = tlshs.pair(c, s, lambda d, f: f[:-1] + bytes([f[-1] ^ 1]) if d == "s2c" else f)
    assert out == (CLOSED, CLOSED) and out.waiting == ()
    assert c.error_code == tlshs.Code.E_PROTOCOL and s.error_code == tlshs.Code.E_ALERT


def test_pair_tamper_sees_every_flight_and_may_answer_any_bytes_like():
    seen = []

    def tamper(direction, flight):
        seen.append((direction, type(flight), len(flight)))
        return bytearray(flight) if direction == "c2s" else memoryview(flight)

    c, s = peers()
    assert tlshs.pair(c, s, tamper) == (DONE, DONE)
    assert [d for d, _, _ in seen] == ["c2s", "s2c", "c2s", "s2c"]
    assert all(t is bytes and n > 0 for _, t, n in seen)


def test_pair_refusals():
    c, s = peers()
    with pytest.raises(tlshs.ArgumentError) as e:
        tlshs.pair(c, c)
    assert e.value.code == tlshs.Code.E_ARGUMENT
    for rounds in (0, -5):
        with pytest.raises(tlshs.ArgumentError):
            tlshs.pair(c, s, rounds=rounds)
    with pytest.raises(TypeError):
        tlshs.pair(c, "server")
    with pytest.raises(TypeError):
        tlshs.pair(c, s, tamper=42)
    with pytest.raises(TypeError):
        tlshs.pair(c, s, rounds=2.0)
    a, b = socket.socketpair()
    with a, b, tlshs.Handshake(client_config(), server_name="localhost", sock=a) as fd_hs:
        with pytest.raises(tlshs.StateError) as e:
            tlshs.pair(fd_hs, s)
        assert e.value.code == tlshs.Code.E_STATE
    s.close()
    with pytest.raises(tlshs.StateError):
        tlshs.pair(c, s)
    assert c.result == WR  # nothing was stepped


class Boom(Exception):
    pass


def test_an_exception_in_tamper_stops_pair_and_propagates():
    calls = []

    def tamper(direction, flight):
        calls.append(direction)
        if direction == "s2c":
            raise Boom("no")
        return flight

    c, s = peers()
    with pytest.raises(Boom):
        tlshs.pair(c, s, tamper)
    assert calls == ["c2s", "s2c"]  # never called again after the exception
    assert c.result == WR  # the server's flight was dropped
    assert tlshs.pair(c, s) == (WR, WR)  # the objects are usable, nothing to move


def test_tamper_answering_no_bytes_raises_typeerror():
    c, s = peers()
    with pytest.raises(TypeError, match="tamper must answer bytes or None"):
        tlshs.pair(c, s, lambda d, f: 42)


def test_tamper_calling_the_paired_objects_raises_instead_of_deadlocking():
    c, s = peers()
    with pytest.raises(tlshs.StateError) as e:
        tlshs.pair(c, s, lambda d, f: c.step())
    assert e.value.code == tlshs.Code.E_STATE
    assert c.step() == WR  # the guard was left


def test_pair_both_ways_from_two_threads_does_not_deadlock():
    """Two threads pairing the same objects in opposite orders take the
    guards in one order; and another thread's call on a paired object
    waits for pair, then runs."""
    errors = []

    def run(x, y):
        try:
            for _ in range(200):
                tlshs.pair(x, y, rounds=1)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    c, s = peers()
    threads = [threading.Thread(target=run, args=args) for args in ((c, s), (s, c))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads) and not errors
    assert (c.result, s.result) == (DONE, DONE)


def test_pair_releases_the_gil():
    """While pair works (OpenSSL's handshake crypto), another thread runs."""
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        count = 0
        for _ in range(20):
            c, s = peers()
            before = len(ticks)
            assert tlshs.pair(c, s) == (DONE, DONE)
            count += len(ticks) > before
    finally:
        stop.set()
        t.join(10)
    assert count > 0


# ---- drive and close_socket ----

def _serve(hs, sock, results, tamper=None, timeout=10.0):
    try:
        results.append(tlshs.drive(hs, sock, tamper, timeout))
    except Exception as e:  # noqa: BLE001 - asserted by the caller
        results.append(e)


def test_drive_both_ends_over_a_socketpair():
    a, b = socket.socketpair()
    c, s = peers()
    got, seen = [], []
    t = threading.Thread(target=_serve, args=(s, b, got))
    t.start()
    r = tlshs.drive(c, a, lambda d, f: seen.append(d) or f, timeout=10)
    t.join(10)
    assert r == DONE and got == [DONE]
    assert seen[0] == "out" and "in" in seen and set(seen) == {"in", "out"}
    tlshs.close_socket(a)
    tlshs.close_socket(b)
    assert a.fileno() == -1 and b.fileno() == -1


def test_drive_honours_its_timeout():
    a, b = socket.socketpair()
    with a, b:
        c = tlshs.Handshake(client_config(), server_name="localhost")
        t0 = time.monotonic()
        assert tlshs.drive(c, a, timeout=0.3) == WR
        took = time.monotonic() - t0
        assert 0.3 <= took < 2.0
        assert b.recv(65536)[:1] == b"\x16"  # the ClientHello went out
        t0 = time.monotonic()
        assert tlshs.drive(c, a, timeout=0) == WR  # never blocks
        assert time.monotonic() - t0 < 1.0


def test_drive_returns_when_the_peer_takes_nothing():
    """A flight the peer does not read within timeout: drive answers the
    last result and leaves hs as it was (a quiet peer is not a gone one)."""
    a, b = socket.socketpair()
    with a, b:
        c = tlshs.Handshake(client_config(), server_name="localhost")
        t0 = time.monotonic()
        r = tlshs.drive(c, a, lambda d, f: f + bytes(16 << 20), timeout=0.3)
        assert 0.3 <= time.monotonic() - t0 < 2.0
        assert r == WW and c.result == WW and c.error == ""


def test_drive_feeds_eof_when_the_peer_closes():
    a, b = socket.socketpair()
    b.close()
    with a:
        c = tlshs.Handshake(client_config(), server_name="localhost")
        assert tlshs.drive(c, a, timeout=5) == CLOSED
        assert c.error_code == tlshs.Code.E_EOF


def test_drive_in_tamper_drops_and_timeout_restarts_with_bytes():
    a, b = socket.socketpair()
    c, s = peers()
    got = []
    t = threading.Thread(target=_serve, args=(s, b, got), kwargs={"timeout": 1.0})
    t.start()
    r = tlshs.drive(c, a, lambda d, f: None if d == "in" else f, timeout=0.5)
    assert r == WR and not c.handshake_done
    t.join(10)
    assert got == [WR]
    a.close()
    b.close()


def test_drive_tamper_pieces_go_one_by_one():
    a, b = socket.socketpair()
    c, s = peers()
    got = []
    t = threading.Thread(target=_serve, args=(s, b, got))
    t.start()
    first = []

    def tamper(d, f):
        if d == "out" and not first:
            first.append(f)
            return [f[i:i + 1] for i in range(5)] + [f[5:]]
        return f

    assert tlshs.drive(c, a, tamper, timeout=10) == DONE
    t.join(10)
    assert got == [DONE]
    a.close()
    b.close()


def test_drive_refuses_a_negative_timeout():
    a, b = socket.socketpair()
    with a, b:
        with pytest.raises(ValueError):
            tlshs.drive(tlshs.Handshake(client_config()), a, timeout=-1)


def test_close_socket_delivers_the_last_bytes_and_is_safe_on_a_closed_peer():
    a, b = socket.socketpair()
    a.sendall(b"last words")
    t0 = time.monotonic()
    tlshs.close_socket(a, timeout=0.3)  # b stays open and quiet: drains for the timeout
    assert 0.3 <= time.monotonic() - t0 < 2
    assert b.recv(100) == b"last words" and b.recv(100) == b""
    b.close()
    a, b = socket.socketpair()
    t = threading.Thread(target=lambda: (b.recv(100), b.sendall(b"late"), b.close()))
    t.start()
    a.sendall(b"x")
    t0 = time.monotonic()
    tlshs.close_socket(a, timeout=5)  # ends when the peer closes
    assert time.monotonic() - t0 < 4
    t.join(5)
    a, b = socket.socketpair()
    b.close()
    tlshs.close_socket(a)
    assert a.fileno() == -1


def test_the_docs_examples_in_memory_run(capsys):
    """docs/python.md, "Records": the in-memory examples run as printed."""
    import os
    import re
    from conftest import ROOT
    with open(os.path.join(ROOT, "docs", "python.md"), encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("## Records: reshaping"):text.index("## Threads and the GIL")]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    scope = {}
    exec(blocks[0] + blocks[1], scope)  # noqa: S102 - our own documentation
    assert scope["out"] == (WR, WR) and scope["out"].waiting == ("client", "server")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("c2s [(22, ") and printed[-1] == repr(scope["out"])
    assert printed[-1] == ("PairOutcome(<Result.WANT_READ: 1>, <Result.WANT_READ: 1>, "
                           "waiting=('client', 'server'), rounds_out=False)")
