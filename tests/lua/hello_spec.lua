-- The hellos (issue 9): hs:client_hello() on both roles against what real
-- clients were told to offer (openssl s_client, LuaSec, a tlshs client),
-- JA3S, a server's on_client_hello (SNI picks a certificate; refusals reach
-- openssl s_client as the chosen alert; a Lua error refuses with
-- internal_error), the bytes in the trace, and a capture tshark decrypts.
local tlshs = require "tlshs"
local ssl = require "ssl"
local H = require "helpers"

local closing, keep = H.closing, H.killing

local function ints(t)
    return table.concat(t, ",")
end

local function has(list, value)
    for _, v in ipairs(list) do
        if v == value then return true end
    end
    return false
end

-- A tlshs server in fd mode (options opts) answering one `openssl s_client`
-- (extra args) on 127.0.0.1; answers the server's result, handshake and s_client's log.
local function serve_s_client(scfg, opts, args)
    local srv, port = H.listen()
    closing(srv)
    local argv = {"openssl", "s_client", "-connect", "127.0.0.1:" .. port, "-CAfile", H.cert("ca.pem"),
                  "-verify_return_error", "-ign_eof"}
    for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
    local proc = keep(H.spawn(argv))
    local sock = closing(assert(H.accept(srv, 5)))
    opts = opts or {}
    opts.fd = sock
    local hs = closing(assert(tlshs.handshake(scfg, opts)))
    local r = H.drive(hs, sock, 5)
    if r == "done" then H.drive(hs, sock, 2, function() return hs:shutdown() end) end
    sock:shutdown("send")
    sock:settimeout(1)
    sock:receive("*a")
    sock:close()
    assert.is_true(H.wait_exit(proc, 5), "s_client did not exit")
    return r, hs, H.log(proc)
end

describe("client_hello()", function()
    after_each(H.cleanup)

    it("is nil before the ClientHello, and the same on both sides after it", function()
        local c = closing(assert(tlshs.handshake(H.client_config{alpn = "h2,http/1.1"}, {server_name = "localhost"})))
        local s = closing(assert(tlshs.handshake(H.server_config())))
        assert.is_nil(c:client_hello())
        assert.is_nil(s:client_hello())
        assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
        local ch, sh = c:client_hello(), s:client_hello()
        assert.are.same(ch, sh)
        assert.are.equal(0x0303, ch.legacy_version)
        assert.are.equal("localhost", ch.server_name)
        assert.are.same({"h2", "http/1.1"}, ch.alpn)
        assert.are.equal(1, ch.raw:byte(1))
        assert.are.equal(#ch.raw - 4, string.unpack(">I3", ch.raw, 2))
        assert.matches("^771,[%d%-]+,[%d%-]+,[%d%-]*,[%d%-]*$", ch.ja3)
        assert.matches("^%x+$", ch.ja3_hash)
        assert.are.equal(32, #ch.ja3_hash)
        assert.matches("^t13d%d%d%d%dh2_%x+_%x+$", ch.ja4)
        for _, f in ipairs{"versions", "ciphers", "extensions", "groups", "key_shares", "sigalgs"} do
            assert.is_true(#ch[f] > 0, f)
            for i, v in ipairs(ch[f]) do assert.is_true(math.type(v) == "integer" and v >= 0 and v <= 0xffff, f .. i) end
        end
        assert.are.equal(0x0304, ch.versions[1])
        -- JA3S of the ServerHello, on both sides alike
        local ci, si = c:info(), s:info()
        assert.matches("^771,486[5-7],[%d%-]+$", ci.ja3s) -- a TLS 1.3 suite
        assert.are.equal(ci.ja3s, si.ja3s)
        assert.are.equal(32, #ci.ja3s_hash)
        assert.are.equal(ci.ja3s_hash, si.ja3s_hash)
    end)

    it("is the second ClientHello after a HelloRetryRequest", function()
        local c = closing(assert(tlshs.handshake(H.client_config{groups = "X25519:P-256"}, {server_name = "localhost", trace = true})))
        local s = closing(assert(tlshs.handshake(H.server_config{groups = "P-256"})))
        local seen = {}
        assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
        for _, e in ipairs(c:trace()) do seen[#seen + 1] = e.name end
        assert.matches("HelloRetryRequest", table.concat(seen, " "))
        assert.are.same({23}, c:client_hello().key_shares)
        assert.are.same({23}, s:client_hello().key_shares)
    end)

    it("matches what openssl s_client was told to offer", function()
        local hello
        local scfg = H.server_config()
        local r, hs = serve_s_client(scfg, {on_client_hello = function(h) hello = h end},
            {"-servername", "localhost", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384",
             "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-groups", "P-256:X25519", "-sigalgs",
             "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256", "-alpn", "h2,http/1.1", "-no_tls1", "-no_tls1_1"})
        assert.are.equal("done", r, hs:error())
        assert.are.same(hello, hs:client_hello())
        -- the TLS 1.3 suites, the TLS 1.2 cipher, then (3.0) the renegotiation SCSV
        -- OpenSSL adds; 3.5 sends the renegotiation_info extension instead
        assert.are.equal(H.openssl35 and "4867,4866,49195" or "4867,4866,49195,255", ints(hello.ciphers))
        assert.are.equal(H.openssl35, has(hello.extensions, 65281))
        assert.are.equal("23,29", ints(hello.groups))
        assert.are.equal("1027,2052", ints(hello.sigalgs))
        assert.are.same({"h2", "http/1.1"}, hello.alpn)
        assert.are.equal("localhost", hello.server_name)
        assert.are.equal("772,771", ints(hello.versions))
        assert.are.equal("23", ints(hello.key_shares))
    end)

    it("matches openssl s_client -no_tls1_3 (no supported_versions, no key shares)", function()
        local r, hs = serve_s_client(H.server_config(), nil,
            {"-no_tls1_3", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305", "-servername", "wrong.example"})
        assert.are.equal("done", r) -- s_client checks no host name unless told to
        assert.are.equal("TLSv1.2", hs:info().version)
        local hello = assert(hs:client_hello())
        assert.are.equal(H.openssl35 and "49196,52393" or "49196,52393,255", ints(hello.ciphers))
        assert.are.equal(H.openssl35, has(hello.extensions, 65281))
        assert.are.same({}, hello.versions)
        assert.are.same({}, hello.key_shares)
        assert.are.equal("wrong.example", hello.server_name)
        assert.are.same({}, hello.alpn)
    end)

    it("matches what LuaSec was told to offer", function()
        local srv, port = H.listen()
        closing(srv)
        local lsock = closing(H.connect(port))
        local sock = closing(assert(H.accept(srv)))
        local ctx = assert(ssl.newcontext{mode = "client", protocol = "any", cafile = H.cert("ca.pem"),
            verify = "peer", ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256",
            ciphersuites = "TLS_AES_256_GCM_SHA384", curve = "P-256", alpn = {"h2", "x-test"}})
        local lconn = assert(ssl.wrap(lsock, ctx))
        lconn:sni("localhost")
        lconn:settimeout(0)
        local hs = closing(assert(tlshs.handshake(H.server_config{alpn = "x-test"}, {fd = sock})))
        local socket = require "socket"
        local r, lok
        for _ = 1, 200 do
            if not H.finished(r) then r = hs:step() end
            if not lok then lok = lconn:dohandshake() end
            if H.finished(r) and lok then break end
            socket.select({sock, lsock}, nil, 0.05)
        end
        assert.are.equal("done", r, hs:error())
        local hello = hs:client_hello()
        -- LuaSec runs on the OpenSSL tlshs loaded (one libssl.so.3 a process)
        assert.are.equal(H.openssl35 and "4866,49195" or "4866,49195,255", ints(hello.ciphers))
        assert.are.same({"h2", "x-test"}, hello.alpn)
        assert.are.equal("localhost", hello.server_name)
        assert.are.equal("23", ints(hello.groups))
        assert.are.equal("x-test", hs:info().alpn)
        lconn:close()
    end)
end)

describe("on_client_hello", function()
    after_each(H.cleanup)

    local localhost = H.config{role = "server", cert_file = H.cert("server.pem"), key_file = H.cert("server.key")}
    local wrong = H.config{role = "server", cert_file = H.cert("wrongname.pem"), key_file = H.cert("wrongname.key")}

    -- A tlshs client for name against a server on `wrong` whose callback switches by SNI.
    local function sni_handshake(name, on_hello)
        local c = closing(assert(tlshs.handshake(H.client_config(), {server_name = name})))
        local s = closing(assert(tlshs.handshake(wrong, {on_client_hello = on_hello})))
        local rc, rs = tlshs.pair(c, s)
        return rc, rs, c, s
    end

    local function by_sni(hello)
        if hello.server_name == "localhost" then return localhost end
    end

    it("picks the certificate by SNI: each client verifies the one it should", function()
        for _, name in ipairs{"localhost", "wrong.example"} do
            local rc, rs, c = sni_handshake(name, by_sni)
            assert.are.equal("done", rc, c:error())
            assert.are.equal("done", rs)
            assert.are.equal(0, c:info().verify_result)
            local want = H.read_file(H.cert(name == "localhost" and "server.pem" or "wrongname.pem"))
            local b64 = want:match("CERTIFICATE%-%-%-%-%-(.-)%-%-%-%-%-END"):gsub("%s", "")
            assert.are.equal(b64, require("mime").b64(c:info().peer_cert), name)
        end
        -- without the switch, the localhost client sees wrong.example's certificate
        local rc, _, c = sni_handshake("localhost", function() end)
        assert.are.equal("closed", rc)
        assert.are.equal(62, c:info().verify_result) -- hostname mismatch
    end)

    it("runs once per ClientHello and may look at its handshake", function()
        local calls, seen = 0, nil
        local s
        local c = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
        s = closing(assert(tlshs.handshake(localhost, {on_client_hello = function(h)
            calls = calls + 1
            seen = s:client_hello().server_name
            assert.is_nil(s:info().version)
            return nil
        end})))
        assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
        assert.are.equal(1, calls)
        assert.are.equal("localhost", seen)
    end)

    it("may not step, feed, take or close its own handshake", function()
        local s
        for _, call in ipairs{"step", "take", "close", "feed_eof"} do
            local c = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
            s = closing(assert(tlshs.handshake(localhost, {on_client_hello = function() s[call](s) end})))
            local rc, rs = tlshs.pair(c, s)
            assert.are.equal("closed", rs, call)
            assert.are.equal("closed", rc, call)
            local msg, code = s:error()
            assert.are.equal("refused", code)
            assert.matches("handshake is busy", msg, 1, true)
            assert.are.equal(80, s:info().alert_sent)
            assert.are.equal(80, c:info().alert_received)
        end
    end)

    for _, case in ipairs{{"unrecognized_name", 112}, {"handshake_failure", 40}, {70, 70}, {"access_denied", 49}} do
        it("refuses openssl s_client with the chosen alert " .. tostring(case[1]), function()
            local r, hs, log = serve_s_client(localhost, {on_client_hello = function() return case[1] end},
                {"-servername", "localhost"})
            assert.are.equal("closed", r)
            assert.are.equal(case[2], hs:info().alert_sent)
            local msg, code = hs:error()
            assert.are.equal("refused", code)
            assert.matches(tlshs.alert_name(case[2]), msg, 1, true)
            assert.matches("alert number " .. case[2], log, 1, true)
        end)
    end

    it("refuses with internal_error when it raises; the message is hs:error()", function()
        local r, hs, log = serve_s_client(localhost, {on_client_hello = function(h)
            error("no client named " .. tostring(h.server_name) .. " here", 0)
        end}, {"-servername", "localhost"})
        assert.are.equal("closed", r)
        assert.are.equal(80, hs:info().alert_sent)
        assert.are.same({"no client named localhost here", "refused"}, {hs:error()})
        assert.matches("alert number 80", log, 1, true)
    end)

    it("refuses with internal_error for an error object that is not a string", function()
        local c = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
        local s = closing(assert(tlshs.handshake(localhost, {on_client_hello = function() error({}) end})))
        assert.are.same({"closed", "closed"}, {tlshs.pair(c, s)})
        assert.are.same({"on_client_hello raised a table value", "refused"}, {s:error()})
        assert.are.equal(80, c:info().alert_received)
    end)

    local bad_answers = {
        {"a client config", function() return H.client_config() end, "cannot use"},
        {"a closed config", function() local x = H.server_config(); x:close(); return x end, "closed config"},
        {"an unknown alert name", function() return "no_such_alert" end, "no alert is named 'no_such_alert'"},
        {"alert 0", function() return 0 end, "1..255"},
        {"alert 256", function() return 256 end, "1..255"},
        {"a boolean", function() return true end, "got boolean"},
        {"a server config that cannot make handshakes", function() return H.config{role = "server"} end, "cannot use"},
    }
    for _, case in ipairs(bad_answers) do
        it("is a clear error answering " .. case[1] .. " (internal_error)", function()
            local c = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
            local s = closing(assert(tlshs.handshake(localhost, {on_client_hello = case[2]})))
            assert.are.same({"closed", "closed"}, {tlshs.pair(c, s)})
            local msg, code = s:error()
            assert.are.equal("refused", code)
            assert.matches(case[3], msg, 1, true)
            assert.are.equal(80, s:info().alert_sent)
            assert.are.equal(80, c:info().alert_received)
        end)

        -- the call that ran the callback was not refused, though a call the
        -- callback made (tlshs_use_config) may have been: it answers, never raises
        for _, call in ipairs{"step", "read", "read_early"} do
            it("answers closed from " .. call .. " when the callback answers " .. case[1], function()
                local c = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
                local s = closing(assert(tlshs.handshake(localhost, {on_client_hello = case[2]})))
                c:step()
                s:feed(c:take())
                local ok, r
                for _ = 1, 3 do -- the alert goes out first (want_write)
                    ok, r = pcall(s[call], s)
                    assert.is_true(ok, r)
                    if r ~= "want_write" then break end
                    s:take()
                end
                assert.are.equal("closed", r)
                assert.are.equal("refused", H.code(s))
                assert.are.equal(80, s:info().alert_sent)
            end)
        end
    end

    it("is for a server's handshake, and must be a function", function()
        assert.has_error(function() tlshs.handshake(H.client_config(), {server_name = "x", on_client_hello = function() end}) end,
            "bad argument #2 to 'handshake' (field 'on_client_hello' is for a server's handshake)")
        assert.has_error(function() tlshs.handshake(localhost, {on_client_hello = "x"}) end,
            "bad argument #2 to 'handshake' (field 'on_client_hello' must be a function, got string)")
    end)

    it("runs on the lua_State that called step (a coroutine's), keeping none", function()
        local ran_on
        local c = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
        local s = closing(assert(tlshs.handshake(localhost, {on_client_hello = function()
            ran_on = coroutine.running()
        end})))
        c:step()
        s:feed(c:take())
        local co = coroutine.create(function() return s:step() end)
        local ok, r = coroutine.resume(co)
        assert.is_true(ok)
        assert.are.equal("want_write", r)
        assert.are.equal(co, ran_on)
        assert.is_nil(s:error())
        -- the coroutine is dead and collected; the handshake goes on from the main state
        co = nil
        collectgarbage()
        assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
    end)
end)

describe("capture", function()
    after_each(H.cleanup)

    local function tshark_types(path)
        local p = assert(io.popen("tshark -r " .. H.sh_quote(path) ..
            " -o tls.keylog_file: -Y tls.handshake -T fields -e tls.handshake.type 2>&1"))
        local out = p:read("a")
        p:close()
        local types = {}
        for t in out:gmatch("%d+") do types[#types + 1] = tonumber(t) end
        return types, out
    end

    for _, v in ipairs{"1.2", "1.3"} do
        it("TLS " .. v .. ": tshark lists the trace's handshake messages", function()
            local path = os.tmpname()
            finally(function() os.remove(path) end)
            local c = closing(assert(tlshs.handshake(H.client_config{max_version = v}, {server_name = "localhost", trace = true, capture = path})))
            local s = closing(assert(tlshs.handshake(H.server_config())))
            assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
            H.settle(c, s)
            local want = {}
            for _, e in ipairs(c:trace()) do
                if e.kind == "handshake" then want[#want + 1] = e.data:byte(1) end
            end
            local got, out = tshark_types(path)
            assert.are.equal(ints(want), ints(got), out)
            assert.is_true(#want >= 6)
        end)
    end

    it("is an expected failure for a path that cannot be created", function()
        local hs, msg, code = tlshs.handshake(H.server_config(), {capture = "/nonexistent/dir/x.pcapng"})
        assert.is_nil(hs)
        assert.is_string(msg)
        assert.are.equal("bad_argument", code)
        assert.has_error(function() tlshs.handshake(H.server_config(), {capture = ""}) end)
        assert.has_error(function() tlshs.handshake(H.server_config(), {capture = 1}) end)
    end)
end)
