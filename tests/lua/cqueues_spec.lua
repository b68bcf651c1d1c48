-- tlshs.cqueues: a tlshs connection over cqueues sockets, yielding to the
-- controller, against openssl s_server and s_client on 127.0.0.1 and
-- against itself in one controller.  Every controller loop and every
-- connection has a timeout; every process is killed in after_each.
local tlshs = require "tlshs" -- before cqueues, which may bring another OpenSSL 3 (docs/lua.md)
local tcq = require "tlshs.cqueues"
local cqueues = require "cqueues"
local csocket = require "cqueues.socket"
local H = require "helpers"

local closing, keep = H.closing, H.killing

-- Runs fn(...) in a new controller until it ends (at most `limit` seconds);
-- raises what fn raised, or if it did not end.
local function run(limit, ...)
    local cq = cqueues.new()
    local fns = {...}
    local ended = 0
    for _, fn in ipairs(fns) do
        cq:wrap(function()
            fn()
            ended = ended + 1
        end)
    end
    local deadline = cqueues.monotime() + limit
    while ended < #fns do
        assert(cqueues.monotime() < deadline, ("controller: still running after %g s"):format(limit))
        local ok, err = cq:step(0.1)
        if not ok then error(err, 0) end
    end
end

local function connect(port)
    return closing(csocket.connect{host = "127.0.0.1", port = port})
end

-- A listening cqueues socket on an ephemeral port of 127.0.0.1; answers it and the port.
local function listen()
    local srv = closing(csocket.listen{host = "127.0.0.1", port = 0})
    local _, _, port = srv:localname()
    return srv, port
end

-- openssl s_server in its interactive mode: what it reads (printed to its
-- log), what we write into the FIFO it sends; on close_notify it prints DONE,
-- on an EOF without it ERROR and "unexpected eof".
local function s_server(args)
    local fifo, input = H.fifo()
    local all = {"-cert", H.cert("server-ec.pem"), "-key", H.cert("server-ec.key"), "-naccept", "1"}
    for _, a in ipairs(args or {}) do all[#all + 1] = a end
    local proc, port = H.start_server(function(port)
        local argv = {"openssl", "s_server", "-accept", tostring(port)}
        for _, a in ipairs(all) do argv[#argv + 1] = a end
        return argv
    end, "ACCEPT", "openssl s_server", fifo)
    keep(proc)
    return proc, port, input
end

describe("tlshs.cqueues", function()
    after_each(H.cleanup)

    it("client against openssl s_server: data both ways, close_notify seen by the server", function()
        local proc, port, input = s_server()
        local got, closed
        run(10, function()
            local conn = assert(tcq.wrap(connect(port), H.client_config(), {server_name = "localhost", timeout = 5}))
            assert.are.same({true}, {conn:handshake()})
            assert.are.equal("TLSv1.3", conn.hs:info().version)
            assert.are.same({17}, {conn:send("hello from tlshs\n")})
            input:write("hello from s_server\n")
            got = assert(conn:receive())
            closed = {conn:close()}
        end)
        assert.are.equal("hello from s_server\n", got)
        assert.are.same({true}, closed)
        local out = H.wait_log(proc, "CONNECTION CLOSED")
        assert.matches("hello from tlshs\nDONE\n", out, 1, true) -- SSL_read saw close_notify
        assert.is_nil(out:find("ERROR", 1, true), out)
    end)

    it("server against openssl s_client: data both ways, close_notify seen by the client", function()
        local srv, port = listen()
        local fifo, input = H.fifo()
        local client = keep(H.spawn({"openssl", "s_client", "-connect", "127.0.0.1:" .. port, "-servername", "localhost",
                                     "-CAfile", H.cert("ca.pem"), "-verify_return_error", "-ign_eof"}, fifo))
        local got, closed, why
        run(10, function()
            local sock = assert(srv:accept(5))
            closing(sock)
            local conn = assert(tcq.wrap(sock, H.server_config(), {timeout = 5}))
            assert.are.same({true}, {conn:handshake()})
            input:write("ping from s_client\n")
            got = assert(conn:receive())
            assert.are.same({16}, {conn:send("pong from tlshs\n")})
            closed = {conn:close()}
            why = {conn.hs:error()}
        end)
        assert.are.equal("ping from s_client\n", got)
        assert.are.same({true}, closed)
        -- s_client answered our close_notify with its own before it hung up
        assert.are.equal("shutdown", why[2])
        assert.is_true(H.wait_exit(client, 5))
        local out = H.log(client)
        -- the session tickets' print-out may come between; "closed": SSL_read saw close_notify
        assert.matches("pong from tlshs\n.*\nclosed\n", out)
        assert.is_nil(out:find("unexpected eof", 1, true), out)
    end)

    it("client and server in one controller move 2 MB each way at once, sending while receiving", function()
        local srv, port = listen()
        local size = 2 << 20
        local got = {}
        -- sends `mine` in 64 KiB pieces from a second coroutine while this one
        -- receives: neither side's send can wait on the other's receive
        local function exchange(conn, name, mine)
            assert.are.same({true}, {conn:handshake()})
            local sent = 0
            cqueues.running():wrap(function()
                while sent < size do
                    local piece = mine:sub(sent + 1, sent + 65536)
                    assert.are.equal(#piece, (conn:send(piece)))
                    sent = sent + #piece
                end
            end)
            local parts, n = {}, 0
            while n < size do
                local data = assert(conn:receive())
                parts[#parts + 1] = data
                n = n + #data
            end
            while sent < size do cqueues.sleep(0.01) end
            got[name] = table.concat(parts)
            assert.are.same({true}, {conn:close()})
        end
        run(30, function()
            local sock = assert(srv:accept(5))
            closing(sock)
            exchange(assert(tcq.wrap(sock, H.server_config(), {timeout = 20})), "server", ("s"):rep(size))
        end, function()
            local conn = assert(tcq.wrap(connect(port), H.client_config(), {server_name = "localhost", timeout = 20}))
            exchange(conn, "client", ("c"):rep(size))
        end)
        assert.is_true(got.server == ("c"):rep(size), "the server read what the client sent")
        assert.is_true(got.client == ("s"):rep(size), "the client read what the server sent")
    end)

    it("carries a move made on conn.hs (a KeyUpdate both ways) with the next send and receive", function()
        local srv, port = listen()
        local client_trace, got = nil, {}
        run(10, function()
            local sock = assert(srv:accept(5))
            closing(sock)
            local conn = assert(tcq.wrap(sock, H.server_config(), {timeout = 5}))
            got.server = assert(conn:receive()) -- reads the KeyUpdate, answers it
            assert(conn:send("after"))
            conn:close()
        end, function()
            local conn = assert(tcq.wrap(connect(port), H.client_config(), {server_name = "localhost", timeout = 5,
                                                                           trace = true}))
            assert(conn:handshake())
            assert.are.equal("want_write", conn.hs:key_update(true))
            assert(conn:send("before"))
            got.client = assert(conn:receive())
            client_trace = conn.hs:trace()
            conn:close()
        end)
        assert.are.same({server = "before", client = "after"}, got)
        local updates = {}
        for _, e in ipairs(client_trace) do
            if e.name == "KeyUpdate" then updates[#updates + 1] = e.sent and "sent" or "received" end
        end
        assert.are.same({"sent", "received"}, updates)
    end)

    it("answers the code timeout against a mute server, within the timeout", function()
        local srv, port = listen()
        local answer, elapsed
        run(10, function()
            local mute = assert(srv:accept(5)) -- accepted, never answered
            closing(mute)
            -- until the client is done, at most 3 s; then hangs up, so that a
            -- client that waited for ever would see an EOF
            local stop = cqueues.monotime() + 3
            while not elapsed and cqueues.monotime() < stop do cqueues.sleep(0.05) end
            mute:close()
        end, function()
            local conn = assert(tcq.wrap(connect(port), H.client_config(), {server_name = "localhost", timeout = 0.3}))
            local t0 = cqueues.monotime()
            answer = {conn:handshake()}
            elapsed = cqueues.monotime() - t0
            conn:close()
        end)
        assert.is_nil(answer[1])
        assert.matches("timed out after 0.3 s", answer[2], 1, true)
        assert.are.equal("timeout", answer[3])
        assert.is_true(elapsed >= 0.29 and elapsed < 1.5, "took " .. elapsed .. " s")
    end)

    it("a timeout leaves the connection usable: the handshake goes on when the peer wakes", function()
        local srv, port = listen()
        local answers, received = {}, nil
        run(10, function()
            local sock = assert(srv:accept(5))
            closing(sock)
            cqueues.sleep(0.5) -- the client times out meanwhile
            local conn = assert(tcq.wrap(sock, H.server_config(), {timeout = 5}))
            assert.are.same({true}, {conn:handshake()})
            assert(conn:send("late"))
            conn:close()
        end, function()
            local conn = assert(tcq.wrap(connect(port), H.client_config(), {server_name = "localhost", timeout = 0.15}))
            for _ = 1, 30 do
                local ok, _, code = conn:handshake()
                answers[#answers + 1] = ok or code
                if ok then break end
            end
            received = {conn:receive()}
            conn:close()
        end)
        assert.are.equal("timeout", answers[1])
        assert.are.equal(true, answers[#answers])
        assert.are.same({"late"}, received)
    end)

    it("answers nil, message, verify_failed when the server's certificate does not verify", function()
        local _, port = s_server()
        local answer
        run(10, function()
            local cfg = H.client_config{ca_file = H.cert("unknown-ca.pem")}
            local conn = assert(tcq.wrap(connect(port), cfg, {server_name = "localhost", timeout = 5}))
            answer = {conn:handshake()}
            -- later calls answer the same failure
            answer.send = {conn:send("x")}
            answer.receive = {conn:receive()}
            conn:close()
        end)
        local message, code = H.failure(table.unpack(answer, 1, 3))
        assert.are.equal("verify_failed", code)
        assert.matches("certificate verify failed", message, 1, true)
        assert.are.same({nil, message, "verify_failed", 0}, answer.send)
        assert.are.same({nil, message, "verify_failed"}, answer.receive)
    end)

    it("answers nil, \"closed\", code after the peer's close_notify and after a bare EOF", function()
        local srv, port = listen()
        local answers = {}
        run(10, function()
            for _, how in ipairs{"close_notify", "eof"} do
                local sock = assert(srv:accept(5))
                closing(sock)
                local conn = assert(tcq.wrap(sock, H.server_config(), {timeout = 5}))
                assert(conn:handshake())
                assert(conn:send("bye"))
                if how == "close_notify" then assert(conn:close()) else sock:close() end
            end
        end, function()
            for _, how in ipairs{"close_notify", "eof"} do
                local conn = assert(tcq.wrap(connect(port), H.client_config(), {server_name = "localhost", timeout = 5}))
                assert(conn:handshake())
                answers[how] = {conn:receive(), {conn:receive()}, {conn:receive()}}
                conn:close()
            end
        end)
        for _, how in ipairs{"close_notify", "eof"} do
            assert.are.equal("bye", answers[how][1])
            assert.are.same({nil, "closed", how}, answers[how][2])
            assert.are.same({nil, "closed", how}, answers[how][3]) -- and again
        end
    end)

    it("runs the example of docs/lua.md against openssl s_server -www", function()
        local www, port = H.s_server{"-cert", H.cert("server.pem"), "-key", H.cert("server.key")}
        keep(www)
        local lines = H.run_example(H.doc_example("cqueues"), {"127.0.0.1", tostring(port)})
        table.sort(lines)
        assert.are.same({"1\tTLSv1.3\tHTTP/1.0 200 ok", "2\tTLSv1.3\tHTTP/1.0 200 ok"}, lines)
    end)

    it("raises for what is no cqueues socket and for options it cannot take", function()
        local cfg = H.client_config()
        assert.has_error(function() tcq.wrap(nil, cfg) end,
            "bad argument #1 to 'wrap' (a cqueues socket expected, got nil)")
        assert.has_error(function() tcq.wrap(io.stdout, cfg) end,
            "bad argument #1 to 'wrap' (a cqueues socket expected, got userdata)")
        local sock = connect(1)
        assert.has_error(function() tcq.wrap(sock, cfg, {fd = 3, server_name = "localhost"}) end,
            "bad argument #3 to 'wrap' (field 'fd': the adapter carries the bytes itself)")
        assert.has_error(function() tcq.wrap(sock, cfg, {timeout = 0, server_name = "localhost"}) end,
            "bad argument #3 to 'wrap' (field 'timeout' must be a positive number of seconds, got 0)")
        assert.has_error(function() tcq.wrap(sock, cfg, "x") end, "bad argument #3 to 'wrap' (table expected, got string)")
        -- what tlshs.handshake answers, wrap answers
        local message, code = H.failure(tcq.wrap(sock, cfg))
        assert.are.equal("config_incomplete", code)
        assert.matches("server_name", message, 1, true)
    end)
end)
