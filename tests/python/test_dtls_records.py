"""DTLS records of a datagram (CONTRACT.md Part 3, "Datagrams: DTLS 1.2"):
tlshs.records(data, datagram=True), DtlsRecord, refragment(..., datagram=True)
and the DTLS ClientHello (its cookie, JA4 "dd2") as a datagram server's
on_client_hello and hs.client_hello show it.  The record rules are the C
core's (tests/c/test_dtls_records.c); these check the binding hands over
exactly what the bytes say."""

import struct

import pytest

import tlshs
from conftest import client_config, server_config

DONE = tlshs.DONE


def dtls_pair(cookie=True, **server_keys):
    c = tlshs.Handshake(client_config(transport="datagram"), server_name="localhost")
    s = tlshs.Handshake(server_config(transport="datagram", cookie=cookie), **server_keys)
    return c, s


def datagrams(**kw):
    """Every datagram of a handshake, as (direction, bytes)."""
    seen = []
    c, s = dtls_pair(**kw)
    assert tlshs.pair(c, s, lambda d, dg: seen.append((d, dg)) or dg) == (DONE, DONE)
    return seen


def test_records_of_real_datagrams():
    seen = datagrams()
    assert len(seen) >= 5
    epochs = set()
    for _, dg in seen:
        recs, rest = tlshs.records(dg, datagram=True)
        assert rest == b"" and recs
        assert b"".join(map(bytes, recs)) == dg
        at = 0
        for r in recs:
            assert isinstance(r, tlshs.DtlsRecord)
            # the header read by hand: type, version, epoch, 48-bit seq, length
            t, v, e, hi, lo, n = struct.unpack_from(">BHHHIH", dg, at)
            assert (r.type, r.version, r.epoch, r.seq, len(r.body)) == (t, v, e, hi << 32 | lo, n)
            assert r.body == dg[at + 13:at + 13 + n]
            epochs.add(r.epoch)
            at += 13 + n
    assert epochs == {0, 1}
    # the first datagram: a ClientHello in epoch 0, seq 0
    first = tlshs.records(seen[0][1], datagram=True)[0][0]
    assert (first.type, first.epoch, first.seq, first.body[0]) == (tlshs.HANDSHAKE, 0, 0, 1)


def test_dtls_record_bytes_and_limits():
    r = tlshs.DtlsRecord(23, 0xFEFD, 0xFFFF, 2**48 - 1, b"abc")
    assert bytes(r) == b"\x17\xfe\xfd\xff\xff" + b"\xff" * 6 + b"\x00\x03abc"
    assert tlshs.records(bytes(r) + b"\x16\xfe", datagram=True) == ([r], b"\x16\xfe")
    # a TLS parse of the same bytes reads other records
    assert tlshs.records(bytes(r))[0] != [r]
    with pytest.raises((tlshs.ArgumentError, OverflowError)):
        bytes(tlshs.DtlsRecord(22, 0xFEFD, 0, 2**48, b""))
    with pytest.raises((tlshs.ArgumentError, OverflowError)):
        bytes(tlshs.DtlsRecord(22, 0xFEFD, 0x10000, 0, b""))
    with pytest.raises(tlshs.ArgumentError):
        bytes(tlshs.DtlsRecord(22, 0xFEFD, 0, 0, bytes(65536)))
    with pytest.raises(tlshs.ArgumentError):
        tlshs.refragment(bytes(r), 0, datagram=True)
    assert tlshs.refragment(b"", 5, datagram=True) == b""


def fragments(body):
    """The fragments of a plaintext handshake record body, read by hand."""
    out, at = [], 0
    while at < len(body):
        t, ln, seq, off, flen = body[at], int.from_bytes(body[at + 1:at + 4], "big"), \
            int.from_bytes(body[at + 4:at + 6], "big"), int.from_bytes(body[at + 6:at + 9], "big"), \
            int.from_bytes(body[at + 9:at + 12], "big")
        out.append((t, ln, seq, off, body[at + 12:at + 12 + flen]))
        at += 12 + flen
    assert at == len(body)
    return out


def test_refragment_keeps_records_and_seqs():
    seen = datagrams()
    server_flight = next(dg for d, dg in seen if d == "s2c" and len(dg) > 500)
    cut = tlshs.refragment(server_flight, 50, datagram=True)
    before, after = tlshs.records(server_flight, datagram=True)[0], tlshs.records(cut, datagram=True)[0]
    assert [(r.type, r.epoch, r.seq) for r in before] == [(r.type, r.epoch, r.seq) for r in after]
    for a, b in zip(before, after):
        fa, fb = fragments(a.body), fragments(b.body)
        assert all(len(f[4]) <= 50 for f in fb)
        # the same messages, the same bytes at the same offsets
        for t, ln, seq, off, data in fa:
            pieces = [f for f in fb if f[2] == seq]
            assert all(f[:3] == (t, ln, seq) for f in pieces)
            assert b"".join(f[4] for f in pieces) == data
            assert pieces[0][3] == off
    # the server's last datagram: NewSessionTicket (epoch 0) re-cut, the
    # ChangeCipherSpec and the encrypted Finished (epoch 1) unchanged
    last = next(dg for d, dg in reversed(seen) if d == "s2c")
    before, after = tlshs.records(last, datagram=True)[0], tlshs.records(tlshs.refragment(last, 1, datagram=True),
                                                                         datagram=True)[0]
    assert [r.epoch for r in before] == [0, 0, 1]
    assert before[0] != after[0] and before[1:] == after[1:]


@pytest.mark.parametrize("max_body", [1, 7, 100])
def test_refragmented_flights_complete(max_body):
    """The server's flights re-cut (with the cookie), both sides' without
    it: each record keeps its seq, so nothing is dropped as a replay."""
    for cookie in (True, False):
        looks = []

        def look(hello):
            looks.append(hello)

        c, s = dtls_pair(cookie=cookie, on_client_hello=look)

        def recut(direction, dg):
            if direction == "s2c" or not cookie:
                return tlshs.refragment(dg, max_body, datagram=True)
            return dg

        assert tlshs.pair(c, s, recut) == (DONE, DONE)
        assert len(looks) == 1
        assert looks[0].cookie == (s.client_hello.cookie if cookie else b"")
        assert len(looks[0].cookie) == (32 if cookie else 0)


def test_dtls_client_hello():
    looks = []
    c, s = dtls_pair(on_client_hello=looks.append)
    assert tlshs.pair(c, s) == (DONE, DONE)
    for h in (looks[0], s.client_hello, c.client_hello):
        assert h.legacy_version == 0xFEFD
        assert isinstance(h.cookie, bytes) and len(h.cookie) == 32
        assert h.ja4.startswith("dd2d")
        assert h.ja3.startswith("65277,")
        assert h.raw[0] == 1 and len(h.raw) == 12 + int.from_bytes(h.raw[1:4], "big")
        assert h.cookie in h.raw
    # TLS has no cookie field
    t = tlshs.Handshake(client_config(), server_name="localhost")
    t.step()
    assert t.client_hello.cookie is None and t.client_hello.ja4.startswith("t")


def test_the_docs_datagram_example_runs(capsys):
    """docs/python.md, "Records of a datagram": the example runs as printed."""
    import os
    import re
    from conftest import ROOT
    with open(os.path.join(ROOT, "docs", "python.md"), encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("### Records of a datagram"):text.index("## The hellos")]
    block = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    exec("import tlshs\n" + block, {})  # noqa: S102 - our own documentation
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("c2s [(22, 0, 0, ")  # the ClientHello: epoch 0, seq 0
    assert any(line.startswith("s2c [(22, 0, 0, ") for line in printed)  # the HelloVerifyRequest
