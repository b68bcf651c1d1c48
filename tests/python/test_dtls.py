"""DTLS 1.2 between two tlshs objects in memory (issue 18): datagrams kept
whole by take/feed/pending, pair per datagram with list answers (drop,
duplicate, reorder), stateless cookies, the retransmission timer in the
script's hands (hs.timeout, hs.on_timeout), mtu, SRTP and the exporter.

Timers: on OpenSSL 3.0 on_timeout fires at once (virtual time) and no
retransmission happens before the script asks; on 3.2 and later (3.5) it
waits out the rest of the timeout, so the tests that fire timers there take
retransmit_ms=20 and fewer handshakes (conftest.OPENSSL35)."""

import os
import random
import shutil
import subprocess
import time

import pytest

import tlshs
from conftest import OPENSSL35, cert, client_config, server_config

ROUNDS = 1000  # pair rounds for datagrams: each fired timer costs one


def dtls_client(**keys):
    return client_config(transport="datagram", **keys)


def dtls_server(**keys):
    return server_config(transport="datagram", **keys)


def handshakes(cc=None, sc=None):
    return (tlshs.Handshake(cc or dtls_client(), server_name="localhost"),
            tlshs.Handshake(sc or dtls_server()))


def move(a, b):
    """Moves a's datagrams to b, one feed each; answers them."""
    moved = []
    for _ in range(1000):
        d = a.take()
        if not d:
            return moved
        moved.append(d)
        b.feed(d)
    raise AssertionError("move: no end")


def read_all(hs):
    got = b""
    for _ in range(100):
        r, data = hs.read()
        if not data:
            return r, got
        got += data
    raise AssertionError("read_all: no end")


# ---- a handshake through pair, data, close_notify ----

def test_pair_data_both_ways_and_close_notify():
    c, s = handshakes()
    with c, s:
        assert tlshs.pair(c, s, rounds=ROUNDS) == (tlshs.DONE, tlshs.DONE)
        assert c.version == s.version == "DTLSv1.2"
        assert c.peer_cert is not None and c.verify_result == 0
        assert c.timeout is None or c.timeout >= 0
        assert c.write(b"ping") == (tlshs.DONE, 4)
        assert len(move(c, s)) == 1  # one record, one datagram
        assert read_all(s) == (tlshs.WANT_READ, b"ping")
        assert s.write(b"pong!") == (tlshs.DONE, 5)
        move(s, c)
        assert read_all(c)[1] == b"pong!"
        assert c.shutdown() == tlshs.WANT_WRITE
        move(c, s)
        assert s.read() == (tlshs.CLOSED, b"")
        assert s.error_code == tlshs.Code.E_CLOSE_NOTIFY


def test_trace_names_hello_verify_request():
    c = tlshs.Handshake(dtls_client(), server_name="localhost", trace=True)
    s = tlshs.Handshake(dtls_server(), trace=True)
    with c, s:
        assert tlshs.pair(c, s, rounds=ROUNDS) == (tlshs.DONE, tlshs.DONE)
        names = [e.name for e in c.trace if e.kind == "handshake"]
        assert names[:3] == ["ClientHello", "HelloVerifyRequest", "ClientHello"]
        assert [e.name for e in s.trace if e.sent][:1] == ["HelloVerifyRequest"]


# ---- memory mode: one datagram per take and feed ----

def test_take_moves_one_datagram_and_refuses_a_short_size():
    c, s = handshakes(dtls_client(mtu=300), dtls_server(mtu=300))
    with c, s:
        assert c.step() == tlshs.WANT_WRITE
        size = c.pending
        assert 100 < size <= 300
        for n in (0, 1, size - 1):
            with pytest.raises(tlshs.ArgumentError) as e:
                c.take(n)
            assert e.value.code == tlshs.Code.E_ARGUMENT and "datagram" in str(e.value)
            assert c.pending == size  # nothing lost
        hello = c.take(size)
        assert len(hello) == size and c.pending == 0 and c.take() == b""
        s.feed(hello)
        # the server's flights: every datagram within mtu, the certificate in pieces
        sizes = []
        for _ in range(10):
            s.step()
            while s.pending:
                want = s.pending
                d = s.take(65536)  # a size larger than the datagram takes just it
                assert len(d) == want <= 300
                sizes.append(len(d))
                c.feed(d)
            c.step()
            move(c, s)
            if c.result == s.result == tlshs.DONE:
                break
        assert c.result == s.result == tlshs.DONE
        assert len(sizes) > 4, sizes  # HelloVerifyRequest, then the flight fragmented
        # application data larger than one datagram holds: several, each within mtu
        assert c.write(b"x" * 2000) == (tlshs.DONE, 2000)
        out = move(c, s)
        assert len(out) >= 7 and all(len(d) <= 300 for d in out)
        assert read_all(s)[1] == b"x" * 2000


def test_feed_keeps_datagrams_apart():
    """Two datagrams fed one after the other stay two: the server reads
    two records' data, in order."""
    c, s = handshakes()
    with c, s:
        assert tlshs.pair(c, s, rounds=ROUNDS) == (tlshs.DONE, tlshs.DONE)
        c.write(b"one")
        c.write(b"two")
        assert c.pending > 0
        first, second = c.take(), c.take()
        assert first and second and c.take() == b""
        s.feed(first)
        s.feed(second)
        assert s.read() == (tlshs.DONE, b"one")
        assert s.read() == (tlshs.DONE, b"two")
        with pytest.raises(tlshs.ArgumentError):
            s.feed(b"x" * 65508)  # more than a datagram holds


# ---- stateless cookies ----

def _cookie_at(hello):
    """The offset of the cookie's length byte in a ClientHello datagram."""
    at = 13 + 12 + 2 + 32  # record header, handshake header, version, random
    return at + 1 + hello[at]  # the session id


def test_cookie_stateless_and_a_flipped_byte():
    sc = dtls_server()
    c = tlshs.Handshake(dtls_client(), server_name="localhost")
    s1 = tlshs.Handshake(sc, trace=True)
    s1.set_peer("192.0.2.7:5684")
    assert c.step() == tlshs.WANT_WRITE
    first = c.take()
    s1.feed(first)
    assert s1.step() == tlshs.WANT_WRITE
    hvr = s1.take()
    assert hvr[0] == tlshs.HANDSHAKE and hvr[13] == 3  # HelloVerifyRequest
    assert [e.name for e in s1.trace if e.sent] == ["HelloVerifyRequest"]
    assert s1.timeout is None  # no state kept, so no timer
    assert s1.step() == tlshs.WANT_READ
    s1.close()  # the object that answered is gone
    c.feed(hvr)
    c.step()
    retry = c.take()
    assert len(retry) > len(first)
    at = _cookie_at(retry)
    assert retry[at] == 32
    # a flipped cookie byte: a new HelloVerifyRequest, nothing else
    bad = bytearray(retry)
    bad[at + 5] ^= 1
    with tlshs.Handshake(sc) as s3:
        s3.set_peer(b"192.0.2.7:5684")
        s3.feed(bad)
        assert s3.step() == tlshs.WANT_WRITE
        again = s3.take()
        assert again[13] == 3 and s3.pending == 0
    # the same cookie from another address: refused as well
    with tlshs.Handshake(sc) as s4:
        s4.set_peer("192.0.2.8:5684")
        s4.feed(retry)
        s4.step()
        assert s4.take()[13] == 3
    # a new object of the same config takes the retry
    s2 = tlshs.Handshake(sc)
    with c, s2:
        s2.set_peer("192.0.2.7:5684")
        s2.feed(retry)
        assert tlshs.pair(c, s2, rounds=ROUNDS) == (tlshs.DONE, tlshs.DONE)


def test_set_peer_refusals():
    with tlshs.Handshake(dtls_server()) as s:
        with pytest.raises(tlshs.ArgumentError):
            s.set_peer(b"")
        with pytest.raises(tlshs.ArgumentError):
            s.set_peer(b"x" * 129)
        with pytest.raises(TypeError):
            s.set_peer(12345)
        s.set_peer(b"x" * 128)
    with tlshs.Handshake(server_config()) as tls:
        with pytest.raises(tlshs.StateError):
            tls.set_peer("192.0.2.7:443")  # a stream has no peer address
    c, s = handshakes()
    with c, s:
        tlshs.pair(c, s, rounds=ROUNDS)
        with pytest.raises(tlshs.StateError):
            s.set_peer("192.0.2.7:5684")  # started


# ---- timers in the script's hands ----

def test_timeout_and_on_timeout_refused():
    c, s = handshakes(dtls_client(retransmit_ms=250), dtls_server(cookie="off"))
    with c, s:
        assert c.timeout is None
        with pytest.raises(tlshs.StateError) as e:
            c.on_timeout()
        assert e.value.code == tlshs.Code.E_STATE and "timer" in str(e.value)
        assert c.result == tlshs.WANT_READ  # nothing changed
        assert c.step() == tlshs.WANT_WRITE
        assert isinstance(c.timeout, float) and 0.15 < c.timeout <= 0.25
        assert c.take()  # the ClientHello, lost
        assert c.step() == tlshs.WANT_READ and c.pending == 0
        assert c.on_timeout() == tlshs.WANT_WRITE  # 3.5: waits out the 250 ms
        assert c.pending > 0
        assert 0.4 < c.timeout <= 0.5
        with tlshs.Handshake(server_config()) as tls:
            assert tls.timeout is None
            with pytest.raises(tlshs.StateError):
                tls.on_timeout()


@pytest.mark.skipif(OPENSSL35, reason="OpenSSL 3.2+ keeps its deadline out of reach: timers run on the wall clock")
def test_schedule_one_second_doubling_in_virtual_time():
    c, s = handshakes(dtls_client(), dtls_server(cookie="off"))
    with c, s:
        assert c.step() == tlshs.WANT_WRITE
        assert 0.9 < c.timeout <= 1.0
        c.take()  # lost
        for _ in range(50):  # no retransmission before the script asks
            assert c.step() == tlshs.WANT_READ
        assert c.pending == 0
        t0 = time.monotonic()
        want = [2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60, 60]
        for w in want:
            assert c.on_timeout() == tlshs.WANT_WRITE
            assert c.take()
            assert w - 0.1 < c.timeout <= w
        assert c.on_timeout() == tlshs.CLOSED
        assert c.error_code == tlshs.Code.E_TIMEOUT and "12th retransmission" in c.error
        assert time.monotonic() - t0 < 2.0  # virtual: no sleeping
        assert c.timeout is None
        with pytest.raises(tlshs.StateError):
            c.on_timeout()


# ---- pair's list answers: drop, duplicate, reorder ----

def test_pair_list_answers_duplicate_and_reorder():
    seen = []
    held = {}

    def tamper(direction, dg):
        seen.append((direction, len(dg)))
        if direction == "s2c" and "s2c" not in held and len(seen) > 2:
            held["s2c"] = dg  # keep the first datagram of the server's flight back
            return None
        if direction in held and held[direction] is not None:
            late, held[direction] = held[direction], None
            return [dg, late]  # after the next one: reordered
        return [dg, dg]  # duplicated

    # (retransmit_ms=20: on OpenSSL 3.2+ a fired timer waits out its timeout)
    c, s = handshakes(dtls_client(mtu=400, retransmit_ms=20), dtls_server(mtu=400, retransmit_ms=20))
    with c, s:
        assert tlshs.pair(c, s, tamper, rounds=ROUNDS) == (tlshs.DONE, tlshs.DONE)
        assert held.get("s2c") is None and "s2c" in held  # held back, then released
    with pytest.raises(TypeError):
        c2, s2 = handshakes()
        with c2, s2:
            tlshs.pair(c2, s2, lambda d, dg: [dg, 3], rounds=ROUNDS)


def test_pair_empty_list_drops():
    drops = [0]

    def tamper(direction, dg):
        if drops[0] < 2:
            drops[0] += 1
            return []
        return (dg,)

    c, s = handshakes(dtls_client(retransmit_ms=20), dtls_server(retransmit_ms=20))
    with c, s:
        assert tlshs.pair(c, s, tamper, rounds=ROUNDS) == (tlshs.DONE, tlshs.DONE)
        assert drops[0] == 2


def test_pair_tamper_exception_ends_a_datagram_pair_at_once():
    seen = []

    def tamper(direction, dg):
        seen.append(direction)
        if len(seen) == 3:
            raise KeyError("boom")
        return dg

    c, s = handshakes()
    with c, s:
        t0 = time.monotonic()
        with pytest.raises(KeyError):
            tlshs.pair(c, s, tamper, rounds=ROUNDS)
        assert time.monotonic() - t0 < 1.0  # no timer waited out, even on OpenSSL 3.2+
        assert len(seen) == 3
        assert c.result == tlshs.CLOSED and c.error_code == tlshs.Code.E_EOF


class Lossy:
    """A seeded tamper: 20% lost, 5% duplicated, 5% held back and sent
    after the next one (per direction)."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.held = {}
        self.dropped = self.duplicated = self.reordered = 0

    def __call__(self, direction, dg):
        r = self.rng.randrange(100)
        if r < 20:
            self.dropped += 1
            return None
        if r < 25:
            self.duplicated += 1
            return [dg, dg]
        if r < 30 and direction not in self.held:
            self.held[direction] = dg
            self.reordered += 1
            return None
        if direction in self.held:
            return [dg, self.held.pop(direction)]
        return dg


def test_lossy_pair_fixed_seed():
    n, first = (20, 20) if OPENSSL35 else (200, 1000)
    cc, sc = dtls_client(retransmit_ms=first), dtls_server(retransmit_ms=first)
    lossy = Lossy(20261207)
    done = timed_out = 0
    t0 = time.monotonic()
    for _ in range(n):
        lossy.held.clear()
        c, s = handshakes(cc, sc)
        with c, s:
            out = tlshs.pair(c, s, lossy, rounds=ROUNDS)
            assert not out.rounds_out
            assert (c.result, s.result) == tuple(out)  # a DONE side's step leaves DONE as its result
            if out == (tlshs.DONE, tlshs.DONE):
                done += 1
            else:
                gave_up = c if c.result == tlshs.CLOSED else s
                assert gave_up.error_code == tlshs.Code.E_TIMEOUT, (out, c.error, s.error)
                timed_out += 1
    took = time.monotonic() - t0
    print(f"dtls lossy (python): {n} handshakes, {done} done, {timed_out} gave up; {lossy.dropped} dropped, "
          f"{lossy.duplicated} duplicated, {lossy.reordered} reordered; {took:.2f} s")
    assert done + timed_out == n and done > n // 2
    assert lossy.dropped and lossy.duplicated and lossy.reordered


# ---- SRTP, the exporter, PSK ----

def test_srtp_profile_and_exporter():
    profiles = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
    c, s = handshakes(dtls_client(use_srtp="SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM"),
                      dtls_server(use_srtp=profiles))
    with c, s:
        assert c.srtp_profile is None
        assert tlshs.pair(c, s, rounds=ROUNDS) == (tlshs.DONE, tlshs.DONE)
        assert c.srtp_profile == s.srtp_profile
        assert c.srtp_profile in profiles.split(":")
        keys = c.export_keying_material("EXTRACTOR-dtls_srtp", 60)
        assert len(keys) == 60 and keys == s.export_keying_material("EXTRACTOR-dtls_srtp", 60)
    c, s = handshakes()
    with c, s:
        tlshs.pair(c, s, rounds=ROUNDS)
        assert c.srtp_profile is None and s.srtp_profile is None


def test_psk_without_certificates():
    key = "00112233445566778899aabbccddeeff"
    sc = tlshs.Config("server", transport="datagram", psk=key, psk_identity="device-7")
    cc = tlshs.Config("client", transport="datagram", verify="none", psk=key, psk_identity="device-7")
    with tlshs.Handshake(cc) as c, tlshs.Handshake(sc) as s:
        assert tlshs.pair(c, s, rounds=ROUNDS) == (tlshs.DONE, tlshs.DONE)
        assert "PSK" in c.cipher and c.peer_cert is None


def test_client_certificate_and_resumption():
    sc = dtls_server(verify="require", ca_file=cert("ca.pem"))
    cc = dtls_client(cert_file=cert("client.pem"), key_file=cert("client.key"))
    c, s = handshakes(cc, sc)
    with c, s:
        assert tlshs.pair(c, s, rounds=ROUNDS) == (tlshs.DONE, tlshs.DONE)
        assert s.peer_cert is not None and s.verify_result == 0
        session = c.session
        assert session
    c = tlshs.Handshake(cc, server_name="localhost", session=session)
    s = tlshs.Handshake(sc)
    with c, s:
        assert tlshs.pair(c, s, rounds=ROUNDS) == (tlshs.DONE, tlshs.DONE)
        assert c.resumed and s.resumed


def test_docs_datagram_example_runs(capsys):
    """docs/python.md, "Datagrams": the lossy pair example runs as printed."""
    import os
    import re
    from conftest import ROOT
    with open(os.path.join(ROOT, "docs", "python.md"), encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("## Datagrams: DTLS 1.2"):text.index("## The hellos")]
    block = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    scope = {}
    exec(block, scope)  # noqa: S102 - our own documentation
    assert scope["out"] == (tlshs.DONE, tlshs.DONE)
    printed = capsys.readouterr().out.strip()
    assert printed == block.split("# ")[-1].strip()


@pytest.mark.skipif(OPENSSL35, reason="virtual time: OpenSSL 3.2+ runs the timers on the wall clock")
def test_virtual_time_ages_both_timers():
    """A lossy run where both sides' timers reach 60 s: firing one side's
    timer brings the other's nearer, so they take turns (before, the
    client's fired again and again and it gave up while the server never
    retransmitted)."""
    lossy = Lossy(7)
    c, s = handshakes(dtls_client(verify="none"), dtls_server())
    with c, s:
        assert tlshs.pair(c, s, lossy, rounds=ROUNDS) == (tlshs.DONE, tlshs.DONE), (c.error, s.error)


# ---- capture: UDP in the pcapng, read back by tshark ----

def test_capture_is_udp_that_tshark_decrypts(tmp_path):
    """A datagram handshake's capture from Python: one UDP packet per
    datagram, every handshake message named by tshark (no key log file, no
    "decode as"), the application data decrypted."""
    tshark = shutil.which("tshark")
    assert tshark, "tshark is missing (Debian package tshark)"
    path = tmp_path / "dtls.pcapng"
    c = tlshs.Handshake(dtls_client(), server_name="localhost", trace=True, capture=path)
    s = tlshs.Handshake(dtls_server())
    sent = []

    def keep(direction, datagram):
        sent.append(len(datagram))
        return datagram

    with c, s:
        assert tlshs.pair(c, s, tamper=keep, rounds=ROUNDS) == (tlshs.DONE, tlshs.DONE)
        assert c.write(b"datagram words") == (tlshs.DONE, 14)
        sent.append(len(move(c, s)[0]))
        assert read_all(s)[1] == b"datagram words"

        def run(*args):
            proc = subprocess.run([tshark, "-n", "-r", str(path), "-o", "tls.keylog_file:", *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                                  env=dict(os.environ, HOME=str(tmp_path)))
            assert proc.returncode == 0, proc.stderr.decode(errors="replace")
            return proc.stdout.decode()

        sizes = [int(n) - 8 for n in run("-T", "fields", "-e", "udp.length").split()]
        assert sizes == sent  # each datagram one UDP packet, in order
        types = [int(t) for line in run("-Y", "dtls.handshake.type", "-T", "fields",
                                        "-e", "dtls.handshake.type").split()
                 for t in line.split(",") if t]
        assert types == [e.data[0] for e in c.trace if e.kind == "handshake"]
        assert 3 in types  # the HelloVerifyRequest, by its number
        app = run("-Y", "dtls.app_data", "-T", "fields", "-e", "data.data").split()
        assert bytes.fromhex(app[-1]) == b"datagram words"
