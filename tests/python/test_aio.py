"""tlshs.aio against real peers on 127.0.0.1: CPython's asyncio + ssl on
either side, openssl s_server and s_client, curl; many clients on one loop,
stalled ones, cancellation, the moves, flow control, STARTTLS.  Every test
runs once on asyncio's own loop and once on uvloop (the ``run`` fixture),
and each is bounded by asyncio.wait_for."""

import asyncio
import os
import socket
import ssl
import time

import pytest

import tlshs
import tlshs.aio
from conftest import TIMEOUT, cert, client_config, py_client_context, py_server_context, server_config

LOOPS = ["asyncio", "uvloop"]
# The real peers run without the sanitizer runtime `make test-python-asan`
# preloads (curl times out under it).
PEER_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


@pytest.fixture(params=LOOPS)
def run(request):
    """run(coro, timeout=TIMEOUT): runs coro on a new loop of the
    parameter's kind (asyncio's own, uvloop) within timeout seconds."""
    if request.param == "uvloop":
        factory = pytest.importorskip("uvloop").new_event_loop
    else:
        factory = asyncio.new_event_loop

    def run_(coro, timeout=TIMEOUT):
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(asyncio.wait_for(coro, timeout))

    run_.kind = request.param
    return run_


def port_of(server):
    return server.sockets[0].getsockname()[1]


async def echo_line(reader, writer):
    """A server's client_connected_cb: answers one line, then closes."""
    line = await reader.readline()
    writer.write(b"echo " + line)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


def peer_saw_close_notify(ssl_object):
    """Whether CPython's SSLObject has read the peer's close_notify (a
    read raises SSLZeroReturnError then; after a bare EOF it wants more)."""
    try:
        ssl_object.read(1)
    except ssl.SSLZeroReturnError:
        return True
    except ssl.SSLError:
        return False
    return False


# ---- CPython's asyncio + ssl on the other side ----

@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_server_with_cpython_client(run, version):
    async def main():
        ends = []
        server = await tlshs.aio.start_server(echo_line, "127.0.0.1", 0, server_config(),
                                              on_handshake_end=lambda hs: ends.append((hs.result, hs.version)))
        async with server:
            r, w = await asyncio.open_connection("127.0.0.1", port_of(server), ssl=py_client_context(version),
                                                 server_hostname="localhost")
            obj = w.get_extra_info("ssl_object")
            w.write(b"hello\n")
            got = await r.read()  # to the end: the server's close_notify
            assert got == b"echo hello\n"
            assert peer_saw_close_notify(obj)
            assert obj.version() == "TLSv" + version
            w.close()
        assert ends == [(tlshs.DONE, "TLSv" + version)]

    run(main())


def test_server_abort_is_no_close_notify(run):
    """The check above can fail: a server that aborts sends none."""
    async def main():
        async def handle(reader, writer):
            await reader.readline()
            writer.transport.abort()

        server = await tlshs.aio.start_server(handle, "127.0.0.1", 0, server_config())
        async with server:
            r, w = await asyncio.open_connection("127.0.0.1", port_of(server), ssl=py_client_context(),
                                                 server_hostname="localhost")
            obj = w.get_extra_info("ssl_object")
            w.write(b"hello\n")
            try:
                await r.read()
            except ConnectionError:
                pass
            assert not peer_saw_close_notify(obj)
            w.close()

    run(main())


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_client_with_cpython_server(run, version):
    async def main():
        seen = {}

        async def handle(reader, writer):
            seen["obj"] = writer.get_extra_info("ssl_object")
            writer.write(b"banner\n")
            line = await reader.readline()
            writer.write(line.upper())
            seen["eof"] = await reader.read()  # b"" at the client's close_notify
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=py_server_context(version=version))
        async with server:
            r, w = await tlshs.aio.open_connection("127.0.0.1", port_of(server), client_config(),
                                                   server_name="localhost", trace=True)
            hs = w.get_extra_info("tlshs")
            assert isinstance(hs, tlshs.Handshake) and hs.version == "TLSv" + version
            assert w.get_extra_info("peername")[0] == "127.0.0.1"
            assert isinstance(w, asyncio.StreamWriter) and isinstance(r, asyncio.StreamReader)
            assert await r.readline() == b"banner\n"
            w.write(b"shout\n")
            await w.drain()
            assert await r.readline() == b"SHOUT\n"
            w.close()
            await w.wait_closed()  # close_notify out, the socket closed after it
            assert any(e.sent and e.name.endswith("close_notify") for e in hs.trace)
            for _ in range(100):
                if "eof" in seen:
                    break
                await asyncio.sleep(0.02)
        assert seen["eof"] == b"" and peer_saw_close_notify(seen["obj"])

    run(main())


def test_client_server_name_defaults_to_host(run):
    async def main():
        server = await tlshs.aio.start_server(echo_line, "localhost", 0, server_config())
        async with server:
            r, w = await tlshs.aio.open_connection("localhost", port_of(server), client_config())
            assert w.get_extra_info("tlshs").server_name == "localhost"
            w.write(b"x\n")
            assert await r.read() == b"echo x\n"
            w.close()
            await w.wait_closed()

    run(main())


# ---- failures and timeouts ----

def test_failed_handshake_raises_with_the_handshake(run):
    async def main():
        ends, called = [], []

        async def handle(reader, writer):
            called.append(1)

        server = await tlshs.aio.start_server(handle, "127.0.0.1", 0, server_config("unknown"),
                                              on_handshake_end=ends.append)
        async with server:
            with pytest.raises(tlshs.Error) as e:
                await tlshs.aio.open_connection("127.0.0.1", port_of(server), client_config(),
                                                server_name="localhost")
            assert e.value.code == tlshs.Code.E_VERIFY
            assert e.value.handshake.verify_result == 20  # unable to get local issuer certificate
            assert "certificate verify failed" in str(e.value)
            for _ in range(100):
                if ends:
                    break
                await asyncio.sleep(0.02)
        assert [hs.result for hs in ends] == [tlshs.CLOSED]
        assert ends[0].error_code == tlshs.Code.E_ALERT and ends[0].alert_received == 48  # unknown_ca
        assert called == []

    run(main())


async def mute_server():
    """A TCP server that accepts and never answers: (server, port, held),
    held the (reader, writer) of each connection."""
    held = []

    def cb(reader, writer):
        held.append((reader, writer))

    server = await asyncio.start_server(cb, "127.0.0.1", 0)
    return server, port_of(server), held


def test_handshake_timeout(run):
    async def main():
        server, port, held = await mute_server()
        async with server:
            t0 = time.monotonic()
            with pytest.raises(TimeoutError) as e:
                await tlshs.aio.open_connection("127.0.0.1", port, client_config(), server_name="localhost",
                                                handshake_timeout=0.3)
            assert 0.25 < time.monotonic() - t0 < 2
            assert isinstance(e.value, tlshs.Error) and e.value.code == tlshs.Code.E_TIMEOUT
            assert e.value.handshake.result == tlshs.WANT_READ

    run(main())


def test_server_timeout_reports_the_staller(run):
    async def main():
        ends = []
        server = await tlshs.aio.start_server(echo_line, "127.0.0.1", 0, server_config(), handshake_timeout=0.3,
                                              on_handshake_end=ends.append)
        async with server:
            r, w = await asyncio.open_connection("127.0.0.1", port_of(server))
            assert await asyncio.wait_for(r.read(), 3) == b""  # the server hung up
            assert len(ends) == 1 and ends[0].result == tlshs.WANT_READ and ends[0].client_hello is None
            w.close()

    run(main())


def test_cancel_mid_handshake(run):
    async def main():
        server, port, held = await mute_server()
        async with server:
            task = asyncio.ensure_future(tlshs.aio.open_connection("127.0.0.1", port, client_config(),
                                                                   server_name="localhost"))
            for _ in range(100):
                if held:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)  # the ClientHello is out; the server says nothing
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # The socket was closed: the server reads the ClientHello, then the end.
            got = await asyncio.wait_for(held[0][0].read(), 3)
            assert got[:1] == b"\x16"  # a handshake record, then EOF

    run(main())


def test_cancel_mid_read(run):
    async def main():
        go = asyncio.Event()

        async def handle(reader, writer):
            await go.wait()
            writer.write(b"late\n")
            assert await reader.readline() == b"still here\n"
            writer.write(b"bye\n")
            writer.close()
            await writer.wait_closed()

        server = await tlshs.aio.start_server(handle, "127.0.0.1", 0, server_config())
        async with server:
            r, w = await tlshs.aio.open_connection("127.0.0.1", port_of(server), client_config(),
                                                   server_name="localhost")
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(r.readline(), 0.1)
            go.set()
            assert await r.readline() == b"late\n"  # nothing lost, nothing doubled
            w.write(b"still here\n")
            assert await r.read() == b"bye\n"
            w.close()
            await w.wait_closed()

    run(main())


# ---- openssl and curl ----

def test_client_against_s_server_www(run, s_server):
    port = s_server("-cert", cert("server.pem"), "-key", cert("server.key"), "-www")

    async def main():
        r, w = await tlshs.aio.open_connection("127.0.0.1", port, client_config(), server_name="localhost")
        w.write(b"GET / HTTP/1.0\r\n\r\n")
        page = await r.read()
        hs = w.get_extra_info("tlshs")
        w.close()
        await w.wait_closed()
        return page, hs

    page, hs = run(main())
    assert page.startswith(b"HTTP/1.0 200 ok") and b"Protocol  : TLSv1.3" in page
    assert hs.version == "TLSv1.3"


def test_server_with_curl(run):
    async def main():
        async def handle(reader, writer):
            request = await reader.readuntil(b"\r\n\r\n")
            body = b"hello " + request.split(b" ")[1]
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
            await writer.drain()
            writer.close()
            await writer.wait_closed()

        server = await tlshs.aio.start_server(handle, "127.0.0.1", 0, server_config(), trace=True)
        async with server:
            port = port_of(server)
            proc = await asyncio.create_subprocess_exec(
                "curl", "-sS", "--max-time", "5", "--cacert", cert("ca.pem"), "--resolve",
                f"localhost:{port}:127.0.0.1", f"https://localhost:{port}/path",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=PEER_ENV)
            out, err = await proc.communicate()
            return proc.returncode, out, err

    rc, out, err = run(main())
    assert rc == 0, err
    assert out == b"hello /path"


# ---- many clients, stalled clients ----

def test_500_concurrent_clients_on_one_loop(run):
    async def main():
        ends = []
        scfg = server_config("server-ec", tickets="off")
        ccfg = client_config()
        # (under ASan the 500 wait their turn longer than the default 10 s)
        server = await tlshs.aio.start_server(echo_line, "127.0.0.1", 0, scfg, backlog=600, handshake_timeout=60,
                                              on_handshake_end=lambda hs: ends.append(hs.result))
        async with server:
            port = port_of(server)

            async def one(i):
                r, w = await tlshs.aio.open_connection("127.0.0.1", port, ccfg, server_name="localhost")
                w.write(b"%d\n" % i)
                got = await r.read()
                w.close()
                await w.wait_closed()
                return got

            got = await asyncio.gather(*(one(i) for i in range(500)))
        assert got == [b"echo %d\n" % i for i in range(500)]
        assert ends == [tlshs.DONE] * 500

    run(main(), timeout=120)


def test_stalled_clients_never_delay_another(run):
    async def main():
        server = await tlshs.aio.start_server(echo_line, "127.0.0.1", 0, server_config(), handshake_timeout=10)
        async with server:
            port = port_of(server)
            stalled = []
            for i in range(100):
                r, w = await asyncio.open_connection("127.0.0.1", port)
                if i % 2:
                    w.write(bytes.fromhex("16030100c8010000c40303"))  # a ClientHello that stops early
                stalled.append(w)
            await asyncio.sleep(0.1)
            t0 = time.monotonic()
            r, w = await tlshs.aio.open_connection("127.0.0.1", port, client_config(), server_name="localhost")
            w.write(b"me\n")
            assert await r.read() == b"echo me\n"
            elapsed = time.monotonic() - t0
            w.close()
            for s in stalled:
                s.close()
            return elapsed

    assert run(main()) < 1.0


# ---- the moves ----

def test_key_update_both_ways(run):
    async def main():
        done = asyncio.Event()
        box = {}

        async def handle(reader, writer):
            box["server"] = writer.get_extra_info("tlshs")
            assert await reader.readline() == b"one\n"
            await tlshs.aio.key_update(writer, request_peer=True)
            writer.write(b"two\n")
            assert await reader.readline() == b"three\n"
            done.set()
            writer.close()

        server = await tlshs.aio.start_server(handle, "127.0.0.1", 0, server_config(), trace=True)
        async with server:
            r, w = await tlshs.aio.open_connection("127.0.0.1", port_of(server), client_config(),
                                                   server_name="localhost", trace=True)
            await tlshs.aio.key_update(w, request_peer=True)
            w.write(b"one\n")
            assert await r.readline() == b"two\n"
            w.write(b"three\n")
            await done.wait()
            hs = w.get_extra_info("tlshs")
            w.close()
            await w.wait_closed()
        for side in (hs, box["server"]):
            names = [(e.sent, e.name) for e in side.trace if e.name == "KeyUpdate"]
            assert (True, "KeyUpdate") in names and (False, "KeyUpdate") in names, names
            assert len(names) == 4  # each asked once and answered once

    run(main())


def test_moves_refused_when_they_do_not_fit(run):
    async def main():
        server = await tlshs.aio.start_server(echo_line, "127.0.0.1", 0, server_config())
        async with server:
            r, w = await tlshs.aio.open_connection("127.0.0.1", port_of(server), client_config(max_version="1.2"),
                                                   server_name="localhost")
            with pytest.raises(tlshs.StateError):
                await tlshs.aio.key_update(w)  # TLS 1.2
            with pytest.raises(tlshs.StateError):
                await tlshs.aio.request_client_cert(w)  # a client
            plain_r, plain_w = await asyncio.open_connection("127.0.0.1", port_of(server))
            with pytest.raises(TypeError):
                await tlshs.aio.key_update(plain_w)
            plain_w.close()
            w.write(b"x\n")
            assert await r.read() == b"echo x\n"
            w.close()
            await w.wait_closed()
            with pytest.raises(tlshs.StateError):
                await tlshs.aio.renegotiate(w)  # closed

    run(main())


def test_renegotiate_tls12(run):
    async def main():
        box = {}

        async def handle(reader, writer):
            assert await reader.readline() == b"a\n"
            await tlshs.aio.renegotiate(writer)  # a HelloRequest; the client answers as it reads
            writer.write(b"b\n")
            assert await reader.readline() == b"c\n"
            box["server"] = writer.get_extra_info("tlshs")
            writer.close()

        server = await tlshs.aio.start_server(handle, "127.0.0.1", 0, server_config(max_version="1.2"), trace=True)
        async with server:
            r, w = await tlshs.aio.open_connection("127.0.0.1", port_of(server), client_config(),
                                                   server_name="localhost", trace=True)
            w.write(b"a\n")
            assert await r.readline() == b"b\n"
            w.write(b"c\n")
            assert await r.read() == b""
            hs = w.get_extra_info("tlshs")
            w.close()
        hellos = [e.sent for e in hs.trace if e.name == "ClientHello"]
        assert hellos == [True, True]  # the first handshake's and the renegotiation's
        assert [e.sent for e in box["server"].trace if e.name == "HelloRequest"] == [True]

    run(main())


def test_request_client_cert(run):
    async def main():
        box = {}

        async def handle(reader, writer):
            hs = writer.get_extra_info("tlshs")
            assert hs.peer_cert is None
            await tlshs.aio.request_client_cert(writer)
            writer.write(b"cert?\n")
            assert await reader.readline() == b"ok\n"
            box["cert"] = hs.peer_cert
            writer.close()

        server = await tlshs.aio.start_server(handle, "127.0.0.1", 0, server_config(verify="none"))
        async with server:
            ccfg = client_config(cert_file=cert("client.pem"), key_file=cert("client.key"),
                                 post_handshake_auth="on")
            r, w = await tlshs.aio.open_connection("127.0.0.1", port_of(server), ccfg, server_name="localhost")
            assert await r.readline() == b"cert?\n"
            w.write(b"ok\n")
            assert await r.read() == b""
            w.close()
        with open(cert("client.pem"), encoding="ascii") as f:
            assert box["cert"] == ssl.PEM_cert_to_DER_cert(f.read())

    run(main())


# ---- flow control ----

def test_drain_waits_for_a_slow_reader(run):
    async def main():
        size = 8 * 2**20
        box = {}

        async def handle(reader, writer):
            writer.transport.set_write_buffer_limits(high=65536)
            writer.write(b"x" * size)
            drain = asyncio.ensure_future(writer.drain())
            # a move waits until its message has left: behind all the rest
            move = asyncio.ensure_future(tlshs.aio.key_update(writer))
            await asyncio.sleep(0.3)
            box["waited"] = not drain.done() and not move.done()  # the client reads nothing yet
            box["buffered"] = writer.transport.get_write_buffer_size()
            await drain
            await move
            box["left"] = writer.transport.get_write_buffer_size()
            box["limits"] = writer.transport.get_write_buffer_limits()  # as before the move's wait
            writer.close()
            await writer.wait_closed()

        server = await tlshs.aio.start_server(handle, "127.0.0.1", 0, server_config())
        async with server:
            r, w = await tlshs.aio.open_connection("127.0.0.1", port_of(server), client_config(),
                                                   server_name="localhost", limit=2**16)
            await asyncio.sleep(0.4)
            got = await r.read()
            w.close()
        assert got == b"x" * size
        assert box["waited"] and box["buffered"] > 2**20
        assert box["left"] == 0 and box["limits"] == (16384, 65536)

    run(main())


def test_transport_as_asyncio_has_it(run):
    async def main():
        server = await tlshs.aio.start_server(echo_line, "127.0.0.1", 0, server_config())
        async with server:
            r, w = await tlshs.aio.open_connection("127.0.0.1", port_of(server), client_config(),
                                                   server_name="localhost")
            t = w.transport
            assert not t.is_closing() and not t.can_write_eof() and t.is_reading()
            with pytest.raises(NotImplementedError):
                w.write_eof()
            assert w.get_extra_info("nothing", 42) == 42 and w.get_extra_info("sslcontext") is None
            assert w.get_extra_info("socket").fileno() >= 0  # the socket transport's keys
            with pytest.raises(TypeError):
                w.write("text")
            w.write(b"x\n")
            assert await r.read() == b"echo x\n"
            w.close()
            assert t.is_closing()
            w.write(b"dropped")  # as asyncio's TLS: after close, writes go nowhere
            await w.wait_closed()
            assert w.get_extra_info("tlshs").error_code == tlshs.Code.E_CLOSE_NOTIFY  # the server's came first

    run(main())


# ---- tamper and capture ----

def test_tamper_and_capture(run, tmp_path):
    async def main():
        seen = []

        def tamper(direction, data):
            seen.append(direction)
            if direction == "out":
                return [bytes(r) for r in tlshs.records(tlshs.refragment(data, 100))[0]]  # record by record
            return data

        path = tmp_path / "srv.pcapng"
        server = await tlshs.aio.start_server(echo_line, "127.0.0.1", 0, server_config(), capture=path,
                                              tamper=tamper, trace=True)
        async with server:
            for i in range(3):
                r, w = await tlshs.aio.open_connection("127.0.0.1", port_of(server), client_config(),
                                                       server_name="localhost")
                w.write(b"%d\n" % i)
                assert await r.read() == b"echo %d\n" % i
                w.close()
                await w.wait_closed()
        assert "in" in seen and "out" in seen
        for p in (path, tmp_path / "srv.pcapng.2", tmp_path / "srv.pcapng.3"):
            data = p.read_bytes()
            assert data[:4] == b"\x0a\x0d\x0d\x0a" and len(data) > 1000

    run(main())


def test_tamper_drops_the_client_hello(run):
    async def main():
        server = await tlshs.aio.start_server(echo_line, "127.0.0.1", 0, server_config())
        async with server:
            with pytest.raises(TimeoutError):
                await tlshs.aio.open_connection("127.0.0.1", port_of(server), client_config(),
                                                server_name="localhost", handshake_timeout=0.3,
                                                tamper=lambda d, data: None if d == "out" else data)

    run(main())


@pytest.mark.parametrize("direction", ["out", "in"])
def test_tamper_exception_is_raised(run, direction):
    async def main():
        def tamper(d, data):
            if d == direction:
                raise LookupError("tamper says no")
            return data

        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda loop, context: None)  # the loop logs a protocol's exception
        server = await tlshs.aio.start_server(echo_line, "127.0.0.1", 0, server_config())
        async with server:
            with pytest.raises(LookupError, match="tamper says no"):
                await tlshs.aio.open_connection("127.0.0.1", port_of(server), client_config(),
                                                server_name="localhost", tamper=tamper)

    run(main())


# ---- STARTTLS ----

async def smtp_greeting(reader, writer):
    writer.write(b"220 tlshs.test ESMTP\r\n")
    assert (await reader.readline()).startswith(b"EHLO")
    writer.write(b"250-tlshs.test\r\n250 STARTTLS\r\n")
    assert await reader.readline() == b"STARTTLS\r\n"
    writer.write(b"220 go ahead\r\n")
    await writer.drain()


def test_start_tls_client_with_cpython_server(run):
    async def main():
        async def handle(reader, writer):
            await smtp_greeting(reader, writer)
            await writer.start_tls(py_server_context())
            line = await reader.readline()
            writer.write(b"250 " + line)
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        async with server:
            r, w = await asyncio.open_connection("127.0.0.1", port_of(server))
            assert (await r.readline()).startswith(b"220")
            w.write(b"EHLO me\r\n")
            assert await r.readline() == b"250-tlshs.test\r\n"
            assert await r.readline() == b"250 STARTTLS\r\n"
            w.write(b"STARTTLS\r\n")
            assert await r.readline() == b"220 go ahead\r\n"
            r, w = await tlshs.aio.start_tls(r, w, client_config(), server_name="localhost")
            assert w.get_extra_info("tlshs").version == "TLSv1.3"
            w.write(b"MAIL FROM:<a@b>\r\n")
            assert await r.readline() == b"250 MAIL FROM:<a@b>\r\n"
            w.close()
            await w.wait_closed()

    run(main())


def test_start_tls_server_with_s_client(run):
    async def main():
        box = {}

        async def handle(reader, writer):
            await smtp_greeting(reader, writer)
            reader, writer = await tlshs.aio.start_tls(reader, writer, server_config())
            box["hs"] = writer.get_extra_info("tlshs")
            line = await reader.readline()
            writer.write(b"250 " + line)
            await writer.drain()
            box["done"] = True

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        async with server:
            proc = await asyncio.create_subprocess_exec(
                "openssl", "s_client", "-connect", f"127.0.0.1:{port_of(server)}", "-starttls", "smtp",
                "-CAfile", cert("ca.pem"), "-verify_return_error", "-servername", "localhost", "-ign_eof",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                env=PEER_ENV)
            try:
                out = b""
                while b"Verify return code: 0" not in out:
                    out += await asyncio.wait_for(proc.stdout.read(4096), 5)
                proc.stdin.write(b"DATA\n")
                await proc.stdin.drain()
                while b"250 DATA" not in out:
                    out += await asyncio.wait_for(proc.stdout.read(4096), 5)
            finally:
                proc.kill()
                await proc.wait()
        assert box["hs"].version == "TLSv1.3" and box["done"]

    run(main())
