"""tlshs.trio.TLSStream against real peers on 127.0.0.1: openssl s_server
(with a KeyUpdate it asks for) and trio's own SSLStream on either side.
Every test runs under trio.fail_after."""

from functools import partial

import pytest

import tlshs
from conftest import TIMEOUT, cert, client_config, py_client_context, py_server_context, read_until, server_config

trio = pytest.importorskip("trio")
import tlshs.trio  # noqa: E402  (needs trio)


def run(fn, *args):
    async def bounded():
        with trio.fail_after(TIMEOUT):
            return await fn(*args)

    return trio.run(bounded)


async def receive_until(stream, marker):
    got = b""
    while marker not in got:
        chunk = await stream.receive_some()
        assert chunk, got
        got += chunk
    return got


def test_client_against_s_server_key_update(s_server):
    port = s_server("-cert", cert("server.pem"), "-key", cert("server.key"))
    proc = s_server.procs[-1]

    async def main():
        tcp = await trio.open_tcp_stream("127.0.0.1", port)
        stream = tlshs.trio.TLSStream(tcp, client_config(), server_name="localhost", trace=True)
        assert isinstance(stream, trio.abc.Stream)
        await stream.do_handshake()
        assert stream.handshake.version == "TLSv1.3"
        await stream.send_all(b"from tlshs\n")
        await trio.to_thread.run_sync(read_until, proc, b"from tlshs")
        got = []

        async def receive():
            got.append(await receive_until(stream, b"from s_server\n"))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(receive)  # takes the KeyUpdate in (and answers it) as it waits
            proc.stdin.write(b"K\n")  # s_server: a KeyUpdate asking for ours
            proc.stdin.flush()
            # s_server drops what follows "K\n" in the same read: the next
            # line goes once the KeyUpdate is here
            while not any(not e.sent and e.name == "KeyUpdate" for e in stream.handshake.trace):
                await trio.sleep(0.01)
            proc.stdin.write(b"from s_server\n")
            proc.stdin.flush()
        assert got[0].endswith(b"from s_server\n")
        await stream.send_all(b"after the update\n")
        await trio.to_thread.run_sync(read_until, proc, b"after the update")
        await stream.aclose()
        await stream.aclose()  # twice is fine
        return stream.handshake

    hs = run(main)
    names = [(e.sent, e.name) for e in hs.trace if e.name == "KeyUpdate"]
    assert names == [(False, "KeyUpdate"), (True, "KeyUpdate")]
    assert any(e.sent and e.name.endswith("close_notify") for e in hs.trace)


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_client_with_trio_ssl_server(version):
    async def main():
        box = {}

        async def handler(stream):
            box["hello"] = await receive_until(stream, b"\n")
            await stream.send_all(b"welcome\n")
            try:
                box["end"] = await stream.receive_some()  # b"" at close_notify, not a broken stream
            except trio.BrokenResourceError as e:
                box["end"] = e
            await stream.aclose()

        async with trio.open_nursery() as nursery:
            ctx = py_server_context(version=version)
            listeners = await nursery.start(partial(trio.serve_ssl_over_tcp, handler, 0, ctx, host="127.0.0.1"))
            port = listeners[0].transport_listener.socket.getsockname()[1]
            tcp = await trio.open_tcp_stream("127.0.0.1", port)
            stream = tlshs.trio.TLSStream(tcp, client_config(), server_name="localhost")
            await stream.send_all(b"hello\n")  # the handshake first, on its own
            assert await receive_until(stream, b"\n") == b"welcome\n"
            assert stream.handshake.version == "TLSv" + version
            await stream.aclose()
            with trio.fail_after(5):
                while "end" not in box:
                    await trio.sleep(0.01)
            nursery.cancel_scope.cancel()
        return box

    box = run(main)
    assert box["hello"] == b"hello\n" and box["end"] == b""


def test_server_with_trio_ssl_client():
    async def main():
        a, b = await open_socket_pair()
        server = tlshs.trio.TLSStream(a, server_config(), trace=True)
        client = trio.SSLStream(b, py_client_context(), server_hostname="localhost")
        got = {}

        async def serve():
            got["line"] = await receive_until(server, b"\n")
            await server.send_all(got["line"].upper())
            got["end"] = await server.receive_some()
            await server.aclose()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(serve)
            await client.send_all(b"shout\n")
            assert await receive_until(client, b"\n") == b"SHOUT\n"
            await client.aclose()
        return got, server.handshake

    got, hs = run(main)
    assert got == {"line": b"shout\n", "end": b""}
    assert hs.role == "server" and hs.version == "TLSv1.3" and hs.error_code == tlshs.Code.E_CLOSE_NOTIFY


async def open_socket_pair():
    """Two connected trio SocketStreams over 127.0.0.1."""
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    async with trio.open_nursery() as nursery:
        accepted = []

        async def accept():
            accepted.append(await listeners[0].accept())

        nursery.start_soon(accept)
        client = await trio.open_tcp_stream("127.0.0.1", port)
    await listeners[0].aclose()
    return accepted[0], client


def test_failed_handshake_is_a_broken_stream():
    async def main():
        a, b = await open_socket_pair()
        server = tlshs.trio.TLSStream(a, server_config("unknown"))
        client = tlshs.trio.TLSStream(b, client_config(), server_name="localhost")
        errors = {}

        async def side(name, stream):
            try:
                await stream.do_handshake()
            except trio.BrokenResourceError as e:
                errors[name] = e
            with pytest.raises(trio.BrokenResourceError):
                await stream.send_all(b"x")  # broken stays broken
            await stream.aclose()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(side, "server", server)
            nursery.start_soon(side, "client", client)
        return errors

    errors = run(main)
    cause = errors["client"].__cause__
    assert isinstance(cause, tlshs.Error) and cause.code == tlshs.Code.E_VERIFY
    assert cause.handshake.verify_result == 20
    assert errors["server"].__cause__.code == tlshs.Code.E_ALERT


def test_send_and_receive_at_once_and_conflicts():
    async def main():
        a, b = await open_socket_pair()
        server = tlshs.trio.TLSStream(a, server_config())
        client = tlshs.trio.TLSStream(b, client_config(), server_name="localhost")
        size = 4 * 2**20
        payload = bytes(range(256)) * (size // 256)

        async def pump(sender, receiver, out):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(sender.send_all, payload)
                got = b""
                while len(got) < size:
                    got += await receiver.receive_some()
                out.append(got)

        out = []
        async with trio.open_nursery() as nursery:
            nursery.start_soon(pump, client, server, out)
            nursery.start_soon(pump, server, client, out)
        assert out == [payload, payload]

        async with trio.open_nursery() as nursery:  # a second receiver is refused
            nursery.start_soon(client.receive_some)
            await trio.sleep(0.05)
            with pytest.raises(trio.BusyResourceError):
                await client.receive_some()
            await server.send_all(b"x")
        await client.aclose()
        await server.aclose()
        with pytest.raises(trio.ClosedResourceError):
            await client.send_all(b"y")

    run(main)


def test_a_config_is_needed():
    with pytest.raises(TypeError):
        tlshs.trio.TLSStream(None, "not a config")
