-- Records (issue 10): tlshs.records / record / refragment and the content
-- types, tlshs.pair with and without a tamper, and tlshs.drive over a
-- LuaSocket TCP connection (EOF, timeout, tamper, errors).
local tlshs = require "tlshs"
local socket = require "socket"
local H = require "helpers"

local closing = H.closing

local function handshakes(v, opts)
    local c = closing(assert(tlshs.handshake(H.client_config{max_version = v}, {server_name = "localhost"})))
    local s = closing(assert(tlshs.handshake(H.server_config(), opts)))
    return c, s
end

-- Every flight of a handshake of version v, in order: {direction, bytes}.
local function flights(v)
    local c, s = handshakes(v)
    local all = {}
    assert.are.same({"done", "done"}, {tlshs.pair(c, s, function(d, f)
        all[#all + 1] = {d, f}
        return f
    end)})
    return all
end

describe("records", function()
    after_each(H.cleanup)

    it("has the content types of TLSHS_CONTENT_TYPES", function()
        assert.are.equal(20, tlshs.CHANGE_CIPHER_SPEC)
        assert.are.equal(21, tlshs.ALERT)
        assert.are.equal(22, tlshs.HANDSHAKE)
        assert.are.equal(23, tlshs.APPLICATION_DATA)
    end)

    for _, v in ipairs{"1.2", "1.3"} do
        it("round-trips every flight of a TLS " .. v .. " handshake byte for byte", function()
            local fl = flights(v)
            assert.is_true(#fl >= 3)
            for i, f in ipairs(fl) do
                local recs, rest = tlshs.records(f[2])
                assert.are.equal("", rest)
                assert.is_true(#recs >= 1)
                local out = {}
                for j, r in ipairs(recs) do
                    assert.are.equal(0x0303 - (i == 1 and j == 1 and 2 or 0), r.version) -- a first ClientHello says 1.0
                    out[j] = tlshs.record(r.type, r.version, r.body)
                end
                assert.are.equal(f[2], table.concat(out), "flight " .. i)
            end
            assert.are.equal(tlshs.HANDSHAKE, tlshs.records(fl[1][2])[1].type)
        end)
    end

    it("keeps a partial record in rest, a cut header included", function()
        local whole = tlshs.record(22, 0x0303, "abc") .. tlshs.record(21, 0x0303, "\2\40")
        for cut = 1, #whole - 1 do
            local recs, rest = tlshs.records(whole:sub(1, cut))
            local n = cut >= 8 and 1 or 0
            assert.are.equal(n, #recs, cut)
            assert.are.equal(whole:sub(n * 8 + 1, cut), rest, cut)
        end
        local recs, rest = tlshs.records(whole)
        assert.are.same({{type = 22, version = 0x0303, body = "abc"}, {type = 21, version = 0x0303, body = "\2\40"}}, recs)
        assert.are.equal("", rest)
    end)

    it("reports what it finds without judging: oversized, empty, garbage", function()
        local big = ("x"):rep(2 ^ 14 + 257)
        local recs = tlshs.records(tlshs.record(22, 0x0303, big) .. tlshs.record(22, 0x0303, "") .. "GET / HT")
        assert.are.equal(2, #recs)
        assert.are.equal(#big, #recs[1].body)
        assert.are.equal("", recs[2].body)
        local g, rest = tlshs.records("GET / HTTP/1.1\r\n")
        assert.are.same({}, g) -- 'G' type, 'ET' version, ' /' = 8239 bytes announced: partial
        assert.are.equal("GET / HTTP/1.1\r\n", rest)
        local g2 = tlshs.records("GET\0\0")
        assert.are.same({{type = 71, version = 0x4554, body = ""}}, {g2[1]}) -- whole, if no TLS
        assert.are.same({}, (tlshs.records("")))
        assert.are.equal("abcd", select(2, tlshs.records("abcd")))
        -- many records: more than one chunk of the C call
        local many = tlshs.record(21, 0x0303, "\1\0"):rep(300)
        local r300, rest300 = tlshs.records(many)
        assert.are.equal(300, #r300)
        assert.are.equal("", rest300)
    end)

    it("record() checks its arguments", function()
        assert.are.equal("\22\3\3\0\3abc", tlshs.record(22, 0x0303, "abc"))
        assert.are.equal("\255\255\255\0\0", tlshs.record(255, 0xffff, ""))
        assert.are.equal(5 + 65535, #tlshs.record(23, 0x0303, ("x"):rep(65535)))
        assert.has_error(function() tlshs.record(256, 0x0303, "") end, "bad argument #1 to 'record' (a content type is 0..255)")
        assert.has_error(function() tlshs.record(22, 0x10000, "") end, "bad argument #2 to 'record' (a version is 0..0xffff)")
        assert.has_error(function() tlshs.record(22, 0x0303, ("x"):rep(65536)) end,
            "bad argument #3 to 'record' (a record's body holds at most 65535 bytes)")
        assert.has_error(function() tlshs.record(22, 0x0303, 5) end)
        assert.has_error(function() tlshs.records(nil) end)
    end)

    it("refragment() re-cuts handshake records, keeps the bytes and other records", function()
        local fl = flights("1.2")
        local hello = fl[1][2]
        for _, max in ipairs{1, 2, 7, 100, 20000} do
            local out = tlshs.refragment(hello, max)
            local recs, rest = tlshs.records(out)
            assert.are.equal("", rest)
            local bodies = {}
            for i, r in ipairs(recs) do
                assert.is_true(#r.body <= max and #r.body > 0)
                assert.are.equal(22, r.type)
                bodies[i] = r.body
            end
            assert.are.equal(tlshs.records(hello)[1].body, table.concat(bodies))
        end
        local alert = tlshs.record(21, 0x0303, "\2\40")
        assert.are.equal(alert, tlshs.refragment(alert, 1))
        assert.are.equal("", tlshs.refragment("", 3))
        assert.has_error(function() tlshs.refragment(hello, 0) end, "bad argument #2 to 'refragment' (must be at least 1)")
    end)
end)

describe("pair", function()
    after_each(H.cleanup)

    it("completes a handshake and answers both results", function()
        local c, s = handshakes()
        assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
        assert.are.equal("TLSv1.3", c:info().version)
    end)

    it("stops when nothing moves, saying who waits", function()
        local c, s = handshakes()
        local rc, rs, why = tlshs.pair(c, s, function(d, f) if d == "c2s" then return "" end return f end)
        assert.are.same({"want_read", "want_read", "stalled"}, {rc, rs, why})
        assert.is_nil(s:client_hello()) -- nothing reached the server
    end)

    it("stops when the rounds run out", function()
        local c, s = handshakes()
        local rc, rs, why = tlshs.pair(c, s, nil, 1)
        assert.are.equal("rounds_out", why)
        assert.are.equal("want_write", rc) -- its ClientHello went out in round 1
        assert.are.equal("want_write", rs)
        assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
    end)

    it("delivers what tamper answers, in both directions", function()
        local c, s = handshakes("1.2")
        local seen = {}
        tlshs.pair(c, s, function(d, f)
            seen[#seen + 1] = d
            if d == "s2c" and #seen == 2 then return f .. tlshs.record(21, 0x0303, "\2\40") end
            return f
        end)
        assert.are.same({"c2s", "s2c"}, {seen[1], seen[2]})
        assert.are.equal(40, c:info().alert_received)
    end)

    it("raises a tamper's error after the C driver returned; the handshakes stay usable", function()
        local c, s = handshakes()
        local calls = 0
        local ok, err = pcall(tlshs.pair, c, s, function()
            calls = calls + 1
            error("tamper broke", 0)
        end)
        assert.is_false(ok)
        assert.are.equal("tamper broke", err)
        assert.are.equal(1, calls) -- later flights are dropped without calling it
        assert.are.same({"want_read", "want_read"}, {c:result(), s:result()})
        local t = {}
        local c2, s2 = handshakes()
        local ok2, err2 = pcall(tlshs.pair, c2, s2, function() error(t) end)
        assert.is_false(ok2)
        assert.are.equal(t, err2) -- the error object itself
        s:close() -- not busy any more
    end)

    it("refuses a tamper answer that is not a string or nil", function()
        local c, s = handshakes()
        assert.has_error(function() tlshs.pair(c, s, function() return 42 end) end,
            "tamper must answer a string, nil or a list of strings, got number")
    end)

    it("a tamper may look at the handshakes, never step or close them", function()
        local c, s = handshakes()
        local version
        assert.has_error(function() tlshs.pair(c, s, function() c:step() end) end,
            "calling 'step' on bad self (handshake is busy (called from inside its own callback))")
        local c2, s2 = handshakes()
        tlshs.pair(c2, s2, function(d, f) version = s2:info().version; return f end)
        assert.are.equal("TLSv1.3", version)
    end)

    it("checks its arguments", function()
        local c, s = handshakes()
        assert.has_error(function() tlshs.pair(c, c) end)
        assert.has_error(function() tlshs.pair(s, c) end, "bad argument #1 to 'pair' (must be a client's handshake)")
        assert.has_error(function() tlshs.pair(c, s, 5) end)
        assert.has_error(function() tlshs.pair(c, s, nil, 0) end, "bad argument #4 to 'pair' (must be at least 1)")
        local srv, port = H.listen()
        closing(srv)
        local fdc = H.fd_client(H.client_config(), port)
        closing(fdc)
        assert.has_error(function() tlshs.pair(fdc, s) end)
        c:close()
        assert.has_error(function() tlshs.pair(c, s) end, "bad argument #1 to 'pair' (handshake is closed)")
    end)
end)

describe("drive", function()
    after_each(H.cleanup)

    -- A connected pair of LuaSocket TCP objects on 127.0.0.1.
    local function tcp_pair()
        local srv, port = H.listen()
        local a = H.connect(port)
        local b = assert(H.accept(srv))
        srv:close()
        return closing(a), closing(b)
    end

    it("carries a memory-mode handshake to openssl s_server over TCP", function()
        local proc, port = H.s_server{"-cert", H.cert("server-ec.pem"), "-key", H.cert("server-ec.key")}
        H.killing(proc)
        local sock = closing(H.connect(port))
        local c = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
        local seen = {}
        assert.are.equal("done", tlshs.drive(c, sock, function(d, f) seen[#seen + 1] = d; return f end, 5))
        assert.are.equal("TLSv1.3", c:info().version)
        assert.are.same({"out", "in", "out"}, seen)
        -- drive leaves the socket open: the handshake goes on over it
        c:write("GET / HTTP/1.0\r\n\r\n")
        assert(sock:send(c:take()))
        local page = {}
        sock:settimeout(5)
        for _ = 1, 50 do
            local data, err, part = sock:receive(4096)
            if #(data or part) > 0 then c:feed(data or part) end
            if err == "closed" then c:feed_eof() end
            local r, d = c:read()
            while r == "done" do page[#page + 1] = d; r, d = c:read() end
            if r == "closed" or err == "closed" then break end
        end
        assert.matches("HTTP/1.0 200 ok", table.concat(page))
    end)

    it("answers closed at the peer's EOF (feed_eof), and honours its timeout", function()
        local a, b = tcp_pair()
        local c = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
        b:close()
        local t0 = socket.gettime()
        assert.are.equal("closed", tlshs.drive(c, a, nil, 5))
        assert.is_true(socket.gettime() - t0 < 1)
        assert.are.equal("eof", H.code(c))

        local a2 = tcp_pair()
        local c2 = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
        t0 = socket.gettime()
        assert.are.equal("want_read", tlshs.drive(c2, a2, nil, 0.3))
        local dt = socket.gettime() - t0
        assert.is_true(dt >= 0.3 and dt < 1.5, dt)
    end)

    it("drops what tamper drops and raises what it raises", function()
        local a, b = tcp_pair()
        local c = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
        assert.are.equal("want_read", tlshs.drive(c, a, function() return nil end, 0.2))
        b:settimeout(0.1)
        local got, err = b:receive(1)
        assert.is_nil(got)
        assert.are.equal("timeout", err) -- nothing was sent
        local c2 = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
        assert.has_error(function() tlshs.drive(c2, a, function() error("no", 0) end, 0.2) end, "no")
        local c3 = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
        assert.has_error(function() tlshs.drive(c3, a, function() return true end, 0.2) end,
            "tamper must answer a string, nil or a list of strings, got boolean")
    end)

    it("is lua/drive.lua, embedded when the module was built", function()
        local info = debug.getinfo(tlshs.drive, "S")
        assert.are.equal("=tlshs.drive", info.source)
        -- the file as it is now makes the same function, at the same lines
        local from_file = assert(loadfile("lua/drive.lua", "t"))(tlshs, function() return true end)
        local want = debug.getinfo(from_file, "S")
        assert.are.same({want.linedefined, want.lastlinedefined}, {info.linedefined, info.lastlinedefined})
        assert.has_error(function() tlshs.drive(1) end,
            "bad argument #1 to 'drive' (an open tlshs.handshake expected, got number)")
    end)

    it("checks its arguments", function()
        local a = tcp_pair()
        local c = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
        assert.has_error(function() tlshs.drive({}, a) end)
        assert.has_error(function() tlshs.drive(c, 3) end)
        assert.has_error(function() tlshs.drive(c, a, 3) end)
        assert.has_error(function() tlshs.drive(c, a, nil, "x") end)
        c:close()
        assert.has_error(function() tlshs.drive(c, a) end)
    end)
end)
