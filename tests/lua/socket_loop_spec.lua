-- tlshs.socket: a tlshs connection over LuaSocket (its waits blocking, each
-- within the timeout) against openssl s_server and a mute server on
-- 127.0.0.1, and inside a coroutine dispatcher of the suite's own
-- (tests/lua/scheduler.lua, the way copas runs it), several connections at
-- once.  Every wait is bounded; every process is killed in after_each.
local tlshs = require "tlshs"
local tsock = require "tlshs.socket"
local socket = require "socket"
local H = require "helpers"
local scheduler = require "scheduler"

local closing, keep = H.closing, H.killing

local function connect(port)
    local sock = closing(assert(socket.tcp()))
    assert(sock:connect("127.0.0.1", port))
    return sock
end

-- openssl s_server in its interactive mode (see cqueues_spec.lua): prints
-- what it reads, sends what we write into the FIFO, prints DONE on close_notify.
local function s_server()
    local fifo, input = H.fifo()
    local proc, port = H.start_server(function(port)
        return {"openssl", "s_server", "-accept", tostring(port), "-naccept", "1",
                "-cert", H.cert("server-ec.pem"), "-key", H.cert("server-ec.key")}
    end, "ACCEPT", "openssl s_server", fifo)
    keep(proc)
    return proc, port, input
end

-- A server that accepts one connection on 127.0.0.1:PORT and says nothing
-- for 3 s, then hangs up.
local MUTE = [[
local socket = require "socket"
local srv = assert(socket.bind("127.0.0.1", PORT))
print("ready")
io.stdout:flush()
local c = srv:accept()
socket.sleep(3)
c:close()
]]

-- A client and a server tlshs.socket connection over a TCP pair of 127.0.0.1
-- (plain LuaSocket objects); answers the two sockets.
local function tcp_pair()
    local srv, port = H.listen()
    closing(srv)
    local c = connect(port)
    local s = closing(assert(H.accept(srv, 5)))
    return c, s
end

describe("tlshs.socket over LuaSocket", function()
    after_each(H.cleanup)

    it("client against openssl s_server: data both ways, close_notify seen by the server", function()
        local proc, port, input = s_server()
        local conn = assert(tsock.wrap(connect(port), H.client_config(), {server_name = "localhost", timeout = 5}))
        assert.are.same({true}, {conn:handshake()})
        assert.are.same({17}, {conn:send("hello from tlshs\n")})
        input:write("hello from s_server\n")
        assert.are.equal("hello from s_server\n", conn:receive())
        assert.are.same({true}, {conn:close()})
        local out = H.wait_log(proc, "CONNECTION CLOSED")
        assert.matches("hello from tlshs\nDONE\n", out, 1, true)
        assert.is_nil(out:find("ERROR", 1, true), out)
    end)

    it("answers the code timeout against a mute server, within the timeout", function()
        -- a process, so that a client that waited for ever would see it hang up after 3 s
        local mute, port = H.start_server(function(port)
            return {os.getenv("TLSHS_LUA") or "lua5.4", "-e", (MUTE:gsub("PORT", port))}
        end, "ready", "mute server")
        keep(mute)
        local sock = connect(port)
        local conn = assert(tsock.wrap(sock, H.client_config(), {server_name = "localhost", timeout = 0.3}))
        local t0 = socket.gettime()
        local answer = {conn:handshake()}
        local elapsed = socket.gettime() - t0
        assert.is_nil(answer[1])
        assert.matches("handshake: timed out after 0.3 s", answer[2], 1, true)
        assert.are.equal("timeout", answer[3])
        assert.is_true(elapsed >= 0.29 and elapsed < 1.5, "took " .. elapsed .. " s")
        -- receive waits the same way, and close too: each call within the timeout
        t0 = socket.gettime()
        assert.are.equal("timeout", select(3, conn:receive()))
        assert.is_true(conn:close())
        assert.is_true(socket.gettime() - t0 < 1.5)
    end)

    it("answers nil, message, verify_failed when the server's certificate does not verify", function()
        local _, port = s_server()
        local cfg = H.client_config{ca_file = H.cert("unknown-ca.pem")}
        local conn = assert(tsock.wrap(connect(port), cfg, {server_name = "localhost", timeout = 5}))
        local message, code = H.failure(conn:handshake())
        assert.are.equal("verify_failed", code)
        assert.matches("certificate verify failed", message, 1, true)
        assert.is_true(conn:close())
    end)

    it("runs the example of docs/lua.md against openssl s_server -www", function()
        local www, port = H.s_server{"-cert", H.cert("server.pem"), "-key", H.cert("server.key")}
        keep(www)
        local lines = H.run_example(H.doc_example("socket"), {"127.0.0.1", tostring(port)})
        assert.are.same({"TLSv1.3\tHTTP/1.0 200 ok"}, lines)
    end)

    it("raises for what is no LuaSocket-style object", function()
        assert.has_error(function() tsock.wrap(nil, H.client_config()) end,
            "bad argument #1 to 'wrap' (a LuaSocket-style TCP object expected, got nil)")
        assert.has_error(function() tsock.wrap({send = true}, H.client_config()) end,
            "bad argument #1 to 'wrap' (a LuaSocket-style TCP object expected, got table)")
    end)
end)

describe("tlshs.socket in a coroutine dispatcher (as copas runs it)", function()
    after_each(H.cleanup)

    it("runs two connections interleaved, client and server each in one thread", function()
        local copas = scheduler.new()
        local log = {}
        for _, name in ipairs{"A", "B"} do
            local c, s = tcp_pair()
            copas.addthread(function()
                local conn = assert(tsock.wrap(copas.wrap(s), H.server_config(), {timeout = 5}))
                assert(conn:handshake())
                while true do
                    local data, err, code = conn:receive()
                    if not data then
                        assert.are.same({"closed", "close_notify"}, {err, code})
                        break
                    end
                    assert(conn:send(data:upper()))
                end
                assert.is_true(conn:close())
            end)
            copas.addthread(function()
                local conn = assert(tsock.wrap(copas.wrap(c), H.client_config(), {server_name = "localhost", timeout = 5}))
                assert(conn:handshake())
                for i = 1, 5 do
                    assert(conn:send(("ping %s%d"):format(name, i)))
                    assert.are.equal(("PING %s%d"):format(name, i), conn:receive())
                    log[#log + 1] = name .. i
                end
                assert.is_true(conn:close())
            end)
        end
        copas.loop(10)
        assert.are.equal(10, #log)
        -- interleaved: B's first answer came before A's last one, and the other way round
        local pos = {}
        for i, e in ipairs(log) do pos[e] = i end
        assert.is_true(pos.B1 < pos.A5 and pos.A1 < pos.B5, table.concat(log, " "))
    end)

    it("a connection that waits for a mute peer delays no other", function()
        local copas = scheduler.new()
        local stalled, done_at
        local t0 = socket.gettime()
        local mute_c = tcp_pair() -- its server side never answers
        copas.addthread(function()
            local conn = assert(tsock.wrap(copas.wrap(mute_c), H.client_config(), {server_name = "localhost", timeout = 1}))
            stalled = {conn:handshake()}
            stalled.at = socket.gettime() - t0
            conn:close()
        end)
        local c, s = tcp_pair()
        copas.addthread(function()
            local conn = assert(tsock.wrap(copas.wrap(s), H.server_config(), {timeout = 5}))
            assert(conn:handshake())
            assert(conn:send("hello"))
            conn:close()
        end)
        copas.addthread(function()
            local conn = assert(tsock.wrap(copas.wrap(c), H.client_config(), {server_name = "localhost", timeout = 5}))
            assert(conn:handshake())
            assert.are.equal("hello", conn:receive())
            done_at = socket.gettime() - t0
            conn:close()
        end)
        copas.loop(10)
        assert.are.equal("timeout", stalled[3])
        assert.is_true(stalled.at >= 0.99 and stalled.at < 2.5, "timed out after " .. stalled.at .. " s")
        assert.is_true(done_at < 0.9, "the other connection finished after " .. done_at .. " s")
    end)

    it("runs the copas example of docs/lua.md, with this dispatcher as copas, against openssl s_server -www", function()
        local www, port = H.s_server{"-cert", H.cert("server.pem"), "-key", H.cert("server.key")}
        keep(www)
        local copas = scheduler.new()
        package.loaded.copas, package.preload.copas = nil, function() return copas end
        local ok, lines = pcall(H.run_example, H.doc_example("copas"), {"127.0.0.1", tostring(port)})
        package.loaded.copas, package.preload.copas = nil, nil
        assert(ok, lines)
        table.sort(lines)
        assert.are.same({"1\tTLSv1.3\tHTTP/1.0 200 ok", "2\tTLSv1.3\tHTTP/1.0 200 ok"}, lines)
    end)

    it("answers nil, \"closed\", \"eof\" when the peer's stream ends without close_notify", function()
        local copas = scheduler.new()
        local answers
        local c, s = tcp_pair()
        copas.addthread(function()
            local conn = assert(tsock.wrap(copas.wrap(s), H.server_config(), {timeout = 5}))
            assert(conn:handshake())
            assert(conn:send("bye"))
            s:close() -- no close_notify
        end)
        copas.addthread(function()
            local conn = assert(tsock.wrap(copas.wrap(c), H.client_config(), {server_name = "localhost", timeout = 5}))
            assert(conn:handshake())
            answers = {conn:receive(), {conn:receive()}}
            conn:close()
        end)
        copas.loop(10)
        assert.are.equal("bye", answers[1])
        assert.are.same({nil, "closed", "eof"}, answers[2])
    end)
end)
