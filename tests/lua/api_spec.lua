-- The Lua surface as docs/lua.md documents it: names, conventions, errors, lifetimes.
local tlshs = require "tlshs"
local H = require "helpers"

describe("module", function()
    it("has the four results as strings", function()
        assert.are.equal("want_read", tlshs.WANT_READ)
        assert.are.equal("want_write", tlshs.WANT_WRITE)
        assert.are.equal("done", tlshs.DONE)
        assert.are.equal("closed", tlshs.CLOSED)
    end)

    it("has config, handshake, alert_name and VERSION", function()
        assert.is_function(tlshs.config)
        assert.is_function(tlshs.handshake)
        assert.are.equal("handshake_failure", tlshs.alert_name(40))
        assert.are.equal("unknown_ca", tlshs.alert_name(48))
        assert.matches("^%d+%.%d+%.%d+$", tlshs.VERSION)
    end)
end)

describe("config", function()
    it("makes client and server configs", function()
        local c = H.client_config()
        local s = H.server_config()
        assert.matches("^tlshs%.config %(client%)", tostring(c))
        assert.matches("^tlshs%.config %(server%)", tostring(s))
    end)

    it("answers nil, message, unknown_key naming an unknown key", function()
        local err, code = H.failure(tlshs.config{role = "client", no_such_key = "x"})
        assert.are.equal("unknown_key", code)
        assert.matches("no_such_key", err)
    end)

    it("answers nil, message, code naming the key of a bad value", function()
        local err, code = H.failure(tlshs.config{role = "client", verify = "sometimes"})
        assert.are.equal("bad_value", code)
        assert.matches("^verify", err)
        err, code = H.failure(tlshs.config{role = "client", min_version = "9.9"})
        assert.are.equal("bad_value", code)
        assert.matches("^min_version", err)
        err, code = H.failure(tlshs.config{role = "client", ca_file = "/nonexistent/ca.pem"})
        assert.are.equal("file_error", code)
        assert.matches("^ca_file: .*/nonexistent/ca%.pem", err)
    end)

    it("answers nil, message, bad_value for a value with a NUL byte inside", function()
        local err, code = H.failure(tlshs.config{role = "client", ca_file = H.cert("ca.pem") .. "\0.evil"})
        assert.are.equal("bad_value", code)
        assert.are.equal("ca_file: the value contains a NUL byte", err)
    end)

    it("answers nil, message, bad_value for a bad role", function()
        local err, code = H.failure(tlshs.config{role = "proxy"})
        assert.are.equal("bad_value", code)
        assert.matches("^role: ", err)
        assert.matches("proxy", err)
    end)

    it("refuses a role with a NUL byte inside instead of cutting it", function()
        for _, role in ipairs{"client\0junk", "server\0", "\0client"} do
            local err, code = H.failure(tlshs.config{role = role, verify = "none"})
            assert.are.equal("bad_value", code, role)
            assert.matches("^role: ", err)
            assert.matches("\\0", err, 1, true) -- the NUL shown, not cut
        end
    end)

    it("refuses a key with a NUL byte inside instead of cutting it", function()
        -- cut at the NUL, "verify\0x" would set verify, and "no_such\0" would be no_such
        local err, code = H.failure(tlshs.config{role = "client", ["verify\0x"] = "none"})
        assert.are.equal("unknown_key", code)
        assert.matches("^verify\\0x: ", err)
        err, code = H.failure(tlshs.config{role = "client", ["role\0"] = "x"})
        assert.are.equal("unknown_key", code)
        assert.matches("^role\\0: ", err)
    end)

    it("raises, naming the argument, on wrong types", function()
        assert.has_error(function() tlshs.config("client") end,
            "bad argument #1 to 'config' (table expected, got string)")
        assert.has_error(function() tlshs.config{} end,
            "bad argument #1 to 'config' (field 'role' must be \"client\" or \"server\", got nil)")
        assert.has_error(function() tlshs.config{role = "client", alpn = 5} end,
            "bad argument #1 to 'config' (field 'alpn' must be a string or a sequence of strings, got number)")
        assert.has_error(function() tlshs.config{role = "client", [1] = "x"} end,
            "bad argument #1 to 'config' (keys must be strings, got number)")
    end)

    it("takes booleans only for on/off keys, never as a path", function()
        local function exists(name)
            local f = io.open(name)
            if f then f:close() end
            return f ~= nil
        end
        assert.is_false(exists("on"), "a file named 'on' is in the way")
        finally(function() os.remove("on") end) -- made by the defect this test pins
        -- a boolean for a path key raised nothing and made a file named "on" before
        for _, key in ipairs{"keylog_file", "ca_file", "ca_path", "cert_file", "key_file", "dh_params_file"} do
            for _, v in ipairs{true, false} do
                local ok, err = pcall(tlshs.config, {role = "client", [key] = v})
                assert.is_false(ok, key)
                assert.matches(("field '%s' must be a string, got boolean"):format(key), err, 1, true)
            end
        end
        assert.is_false(exists("on"), "a file named 'on' was made")
        -- an on/off key takes both
        assert.is_not_nil(tlshs.config{role = "client", tickets = true})
        assert.is_not_nil(tlshs.config{role = "client", tickets = false})
    end)

    it("takes a boolean for a switch, an integer for a number (config_keys_spec has every kind)", function()
        local cfg = H.client_config{min_version = "1.3", max_version = "1.3", tickets = false, security_level = 1}
        local srv = H.server_config{tickets = true}
        local c = tlshs.handshake(cfg, {server_name = "localhost"})
        local s = tlshs.handshake(srv)
        local rc, rs = H.pump(c, s)
        assert.are.equal("done", rc)
        assert.are.equal("done", rs)
        assert.are.equal("TLSv1.3", c:info().version)
        -- a version is text: a number raises, a string that is no version is a bad value
        assert.has_error(function() tlshs.config{role = "client", min_version = 1.3} end,
            "bad argument #1 to 'config' (field 'min_version' must be a string, got number)")
        local err, code = H.failure(tlshs.config{role = "client", min_version = "7"})
        assert.are.equal("bad_value", code)
        assert.matches("^min_version", err)
    end)

    it("close is safe twice and a closed config raises when used", function()
        local cfg = H.client_config()
        cfg:close()
        cfg:close()
        assert.matches("closed", tostring(cfg))
        assert.has_error(function() tlshs.handshake(cfg, {server_name = "localhost"}) end,
            "bad argument #1 to 'handshake' (config is closed)")
    end)

    it("works with <close>", function()
        local saved
        do
            local cfg <close> = H.client_config()
            saved = cfg
        end
        assert.matches("closed", tostring(saved))
    end)
end)

describe("handshake()", function()
    local ccfg, scfg
    before_each(function()
        ccfg = H.client_config()
        scfg = H.server_config()
    end)

    it("answers nil, message, config_incomplete for a verifying client without server_name", function()
        local err, code = H.failure(tlshs.handshake(ccfg))
        assert.are.equal("config_incomplete", code)
        assert.matches("server_name", err)
    end)

    it("answers nil, message, config_incomplete for a server without a certificate", function()
        local _, code = H.failure(tlshs.handshake(H.config{role = "server"}))
        assert.are.equal("config_incomplete", code)
    end)

    it("allows no server_name with verify none", function()
        local cfg = H.config{role = "client", verify = "none"}
        local hs = tlshs.handshake(cfg)
        assert.are.equal("want_write", hs:step())
        hs = tlshs.handshake(cfg, {})
        assert.is_not_nil(hs)
    end)

    it("raises, naming the argument, on wrong types", function()
        assert.has_error(function() tlshs.handshake("cfg") end,
            "bad argument #1 to 'handshake' (tlshs.config expected, got string)")
        assert.has_error(function() tlshs.handshake(ccfg, "localhost") end,
            "bad argument #2 to 'handshake' (table expected, got string)")
        assert.has_error(function() tlshs.handshake(ccfg, {server_name = 42}) end,
            "bad argument #2 to 'handshake' (field 'server_name' must be a string, got number)")
        assert.has_error(function() tlshs.handshake(ccfg, {server_name = "x", session = true}) end,
            "bad argument #2 to 'handshake' (field 'session' must be a string, got boolean)")
        assert.has_error(function() tlshs.handshake(ccfg, {server_name = "x", trace = "yes"}) end,
            "bad argument #2 to 'handshake' (field 'trace' must be a boolean, got string)")
        assert.has_error(function() tlshs.handshake(ccfg, {server_name = "good.example\0.evil.example"}) end,
            "bad argument #2 to 'handshake' (field 'server_name' contains a NUL byte)")
        assert.has_error(function() tlshs.handshake(ccfg, {server_name = "x", sni = "x"}) end,
            "bad argument #2 to 'handshake' (unknown option 'sni')")
        assert.has_error(function() tlshs.handshake(ccfg, {server_name = "x", fd = "3"}) end,
            "bad argument #2 to 'handshake' (field 'fd' must be an integer or an object with getfd, got string)")
        assert.has_error(function() tlshs.handshake(ccfg, {server_name = "x", fd = -1}) end,
            "bad argument #2 to 'handshake' (field 'fd' is not an open descriptor (a closed socket?))")
        assert.has_error(function() tlshs.handshake(ccfg, {server_name = "x", fd = {}}) end,
            "bad argument #2 to 'handshake' (field 'fd' must be an integer or have a getfd method)")
    end)

    it("takes fd from an object's getfd method and keeps the object", function()
        local srv, port = H.listen()
        local sock = H.connect(port)
        local calls = 0
        local wrapper = {getfd = function(self) calls = calls + 1; return sock:getfd() end}
        local hs = tlshs.handshake(ccfg, {server_name = "localhost", fd = wrapper})
        assert.are.equal(1, calls)
        local weak = setmetatable({wrapper}, {__mode = "v"})
        wrapper = nil
        collectgarbage()
        collectgarbage()
        assert.is_not_nil(weak[1]) -- held by the handshake
        -- fd mode: pending is always 0, feed is refused
        assert.are.equal("want_read", hs:step())
        assert.are.equal(0, hs:pending())
        assert.has_error(function() hs:feed("x") end)
        hs:close()
        sock:close()
        srv:close()
    end)

    it("refuses a closed LuaSocket (getfd answers -1)", function()
        local sock = require("socket").tcp()
        sock:close()
        assert.has_error(function() tlshs.handshake(ccfg, {server_name = "x", fd = sock}) end,
            "bad argument #2 to 'handshake' (field 'fd' is not an open descriptor (a closed socket?))")
    end)

    it("answers nil, message, bad_session for a session it cannot resume", function()
        local err, code = H.failure(tlshs.handshake(ccfg, {server_name = "localhost", session = "garbage"}))
        assert.are.equal("bad_session", code)
        assert.matches("session", err)
    end)

    it("raises for a session given where none can be used", function()
        local ok, err = pcall(tlshs.handshake, scfg, {session = "garbage"}) -- a server
        assert.is_false(ok)
        assert.matches("^set_session: ", err)
        ok, err = pcall(tlshs.handshake, ccfg, {server_name = "localhost", session = ""})
        assert.is_false(ok)
        assert.matches("^set_session: ", err)
    end)
end)

describe("handshake object", function()
    local c, s
    before_each(function()
        c = assert(tlshs.handshake(H.client_config(), {server_name = "localhost"}))
        s = assert(tlshs.handshake(H.server_config()))
    end)

    it("starts at want_read and says so in tostring", function()
        assert.are.equal("want_read", c:result())
        assert.matches("^tlshs%.handshake %(client, want_read%)", tostring(c))
        assert.matches("^tlshs%.handshake %(server, want_read%)", tostring(s))
        assert.are.equal("want_write", c:step())
        assert.matches("^tlshs%.handshake %(client, want_write%)", tostring(c))
        assert.is_nil(c:error())
    end)

    it("take(n) takes at most n bytes, take() the rest", function()
        assert.are.equal("want_write", c:step())
        local total = c:pending()
        assert.is_true(total > 100)
        local head = c:take(10)
        assert.are.equal(10, #head)
        assert.are.equal(22, head:byte(1)) -- a handshake record
        assert.are.equal(total - 10, c:pending())
        local rest = c:take()
        assert.are.equal(total - 10, #rest)
        assert.are.equal(0, c:pending())
        assert.are.equal("", c:take())
        assert.are.equal("", c:take(0))
        assert.has_error(function() c:take(-1) end, "bad argument #1 to 'take' (must not be negative)")
    end)

    it("raises, naming the argument, on wrong types", function()
        assert.has_error(function() c:feed(nil) end,
            "bad argument #1 to 'feed' (string expected, got nil)")
        assert.has_error(function() c:feed({}) end)
        assert.has_error(function() c:take("x") end)
        assert.has_error(function() c:read(0) end, "bad argument #1 to 'read' (must be positive)")
        assert.has_error(function() c.step(42) end,
            "bad argument #1 to 'step' (tlshs.handshake expected, got number)")
        assert.has_error(function() c.step(H.client_config()) end,
            "bad argument #1 to 'step' (tlshs.handshake expected, got tlshs.config)")
    end)

    it("reads and writes application data, then shuts down", function()
        local rc, rs = H.pump(c, s)
        assert.are.equal("done", rc)
        assert.are.equal("done", rs)
        local r, n = c:write("hello")
        assert.are.equal("done", r)
        assert.are.equal(5, n)
        H.move(c, s)
        local data
        r, data = s:read()
        assert.are.equal("done", r)
        assert.are.equal("hello", data)
        r, data = s:read(3)
        assert.are.equal("want_read", r)
        assert.are.equal("", data)
        -- read(n) caps the bytes
        s:write("0123456789")
        H.move(s, c)
        H.settle(c, s) -- tickets are read along the way
        -- shutdown: close_notify both ways
        assert.are.equal("want_write", c:shutdown())
        H.move(c, s)
        assert.are.equal("want_read", c:shutdown())
        r = s:read()
        assert.are.equal("closed", r)
    end)

    it("read(n) returns at most n bytes", function()
        H.pump(c, s)
        s:write("0123456789")
        H.move(s, c)
        local r, d = c:read(4)
        while r == "want_write" or (r == "done" and #d == 0) do r, d = c:read(4) end
        assert.are.equal("done", r)
        assert.are.equal("0123", d)
        r, d = c:read(100)
        assert.are.equal("done", r)
        assert.are.equal("456789", d)
    end)

    it("read(n) with n above 16384 takes a whole large record", function()
        H.pump(c, s)
        local big = string.rep("0123456789abcdef", 1024) -- 16384 bytes, one full record
        assert.are.same({"done", #big + 4}, {s:write(big .. "tail")})
        H.move(s, c)
        local got, r, d = {}, nil, nil
        for _ = 1, 20 do
            r, d = c:read(100000)
            H.move(c, s)
            if r == "done" then got[#got + 1] = d elseif r ~= "want_write" then break end
        end
        assert.are.equal("want_read", r)
        assert.are.equal(big .. "tail", table.concat(got))
    end)

    it("info() is a table with nil for what is absent", function()
        local i = c:info()
        assert.is_nil(i.version)
        assert.is_nil(i.cipher)
        assert.is_nil(i.alpn)
        assert.is_nil(i.peer_cert)
        assert.is_nil(i.alert_sent)
        assert.is_nil(i.alert_received)
        assert.is_false(i.resumed)
        assert.are.equal("localhost", i.server_name)
        H.pump(c, s)
        i = c:info()
        assert.are.equal("TLSv1.3", i.version)
        assert.is_string(i.cipher)
        assert.are.equal(0, i.verify_result)
        assert.is_false(i.resumed)
        -- the peer's certificate is the DER of server-ec.pem
        local pem = H.read_file(H.cert("server-ec.pem"))
        local b64 = pem:match("%-%-%-%-%-BEGIN CERTIFICATE%-%-%-%-%-(.-)%-%-%-%-%-END"):gsub("%s", "")
        assert.are.equal(b64, (require("mime").b64(i.peer_cert)))
        local si = s:info()
        assert.are.equal("localhost", si.server_name)
        assert.is_nil(si.peer_cert)
    end)

    it("trace() lists the messages when asked for", function()
        local tc = tlshs.handshake(H.client_config(), {server_name = "localhost", trace = true})
        H.pump(tc, s)
        local t = tc:trace()
        assert.is_true(#t >= 6)
        assert.same({sent = true, kind = "handshake", name = "ClientHello", length = t[1].length,
                     data = t[1].data}, t[1])
        assert.is_true(t[1].length > 4)
        -- data: every message's bytes, a handshake message with its 4-byte header
        for _, e in ipairs(t) do assert.are.equal(e.length, #e.data, e.name) end
        assert.are.equal(1, t[1].data:byte(1)) -- ClientHello's type
        assert.are.equal(t[1].length - 4, string.unpack(">I3", t[1].data, 2))
        assert.are.equal(tc:client_hello().raw, t[1].data)
        assert.are.equal("ServerHello", t[2].name)
        assert.is_false(t[2].sent)
        local names = {}
        for _, e in ipairs(t) do names[#names + 1] = (e.sent and ">" or "<") .. e.name end
        local line = table.concat(names, " ")
        assert.matches("<Certificate", line)
        assert.matches("<Finished", line)
        assert.matches(">Finished", line)
        -- untraced: empty
        assert.same({}, c:trace())
    end)

    it("session() is nil before and a string after a handshake", function()
        assert.is_nil(c:session())
        H.pump(c, s)
        H.settle(c, s)
        local sess = c:session()
        assert.is_string(sess)
        assert.are.equal(0x30, sess:byte(1)) -- DER SEQUENCE
    end)

    it("feeding after closed raises with the core's reason", function()
        c:step()
        c:take()
        c:feed_eof()
        assert.are.equal("want_write", c:step()) -- OpenSSL's decode_error alert goes out first
        c:take()
        assert.are.equal("closed", c:step())
        assert.has_error(function() c:feed("x") end)
        local ok, err = pcall(c.feed, c, "x")
        assert.is_false(ok)
        assert.matches("feed", err)
        c:feed_eof() -- twice is harmless
    end)

    it("feeding after feed_eof raises with the core's reason", function()
        c:feed_eof()
        assert.has_error(function() c:feed("x") end, "feed: the input has ended (feed_eof)")
    end)

    it("close is safe twice; a closed handshake raises naming self", function()
        c:close()
        c:close()
        assert.matches("closed object", tostring(c))
        for _, m in ipairs{"step", "feed_eof", "pending", "take", "read", "shutdown", "result",
                           "error", "info", "session", "trace"} do
            local call = assert(load("local c = ... return c:" .. m .. "()"))
            local ok, err = pcall(call, c)
            assert.is_false(ok, m)
            assert.matches("calling '" .. m .. "' on bad self %(handshake is closed%)", err)
        end
        assert.has_error(function() c:feed("x") end, "calling 'feed' on bad self (handshake is closed)")
        assert.has_error(function() c:write("x") end, "calling 'write' on bad self (handshake is closed)")
    end)

    it("works with <close>", function()
        local saved
        do
            local hs <close> = assert(tlshs.handshake(H.client_config(), {server_name = "localhost"}))
            hs:step()
            saved = hs
        end
        assert.has_error(function() saved:step() end, "calling 'step' on bad self (handshake is closed)")
    end)

    it("error() is nil until closed, then says why with a code", function()
        assert.is_nil(c:error())
        assert.are.equal(1, select("#", c:error()))
        c:step()
        c:take()
        c:feed_eof()
        assert.are.equal("want_write", c:step())
        assert.are.equal(7, #c:take()) -- one alert record
        assert.are.equal("closed", c:step())
        assert.are.equal("closed", c:step()) -- sticky
        local err, code = c:error()
        assert.are.equal("peer closed the connection during the handshake", err)
        assert.are.equal("eof", code)
    end)
end)
