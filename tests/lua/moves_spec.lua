-- After the handshake, and the options protocol tests need (issue 11):
-- KeyUpdate, renegotiation, post-handshake auth, 0-RTT, OCSP stapling,
-- tickets, custom extensions, max_fragment_length, self_signed; the same
-- cases as the C suite (tests/c/test_moves.c), tlshs against tlshs in memory,
-- then against openssl s_server / s_client on 127.0.0.1.
local tlshs = require "tlshs"
local socket = require "socket"
local H = require "helpers"

local closing, move = H.closing, H.move

local function count(hs, sent, name)
    local n = 0
    for _, e in ipairs(hs:trace()) do
        if e.sent == sent and e.name == name then n = n + 1 end
    end
    return n
end

local function connect(ccfg, scfg, name)
    local c = closing(assert(tlshs.handshake(ccfg, {server_name = name or "localhost", trace = true})))
    local s = closing(assert(tlshs.handshake(scfg, {trace = true})))
    assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
    return c, s
end

-- A move's call: want_write (its message), taken, then done.
local function drive_move(hs, peer, call, ...)
    assert.are.equal("want_write", hs[call](hs, ...))
    assert.is_true(move(hs, peer) > 0)
    assert.are.equal("done", hs[call](hs, ...))
    assert.are.equal(0, hs:pending())
end

describe("moves in memory", function()
    after_each(H.cleanup)

    for _, case in ipairs{{"client", false}, {"client", true}, {"server", false}, {"server", true}} do
        it("KeyUpdate from the " .. case[1] .. (case[2] and ", asking the peer for one" or ""), function()
            local c, s = connect(H.client_config(), H.server_config())
            H.settle(c, s)
            local mover, other = c, s
            if case[1] == "server" then mover, other = s, c end
            drive_move(mover, other, "key_update", case[2])
            assert.are.equal(case[2] and "want_write" or "want_read", (other:read()))
            move(other, mover)
            H.flows(mover, other, "after the update, this way")
            H.flows(other, mover, "and that way")
            assert.are.equal(1, count(mover, true, "KeyUpdate"))
            assert.are.equal(1, count(other, false, "KeyUpdate"))
            assert.are.equal(case[2] and 1 or 0, count(other, true, "KeyUpdate"))
            assert.are.equal(case[2] and 1 or 0, count(mover, false, "KeyUpdate"))
        end)
    end

    it("renegotiates TLS 1.2: a server's HelloRequest, the client's new handshake", function()
        local c, s = connect(H.client_config{max_version = "1.2"}, H.server_config())
        drive_move(s, c, "renegotiate")
        H.settle(c, s)
        assert.are.equal(1, count(s, true, "HelloRequest"))
        assert.are.equal(2, count(c, true, "ClientHello"))
        assert.are.equal(2, count(s, true, "Finished"))
        H.flows(c, s, "renegotiated")
        H.flows(s, c, "and back")
    end)

    it("a client's renegotiation is refused by an OpenSSL 3 server (no_renegotiation)", function()
        local c, s = connect(H.client_config{max_version = "1.2"}, H.server_config())
        drive_move(c, s, "renegotiate")
        H.settle(c, s)
        assert.are.equal("closed", c:result())
        assert.are.equal(100, c:info().alert_received)
        assert.are.equal(40, c:info().alert_sent)
        assert.are.equal("protocol_error", H.code(c))
    end)

    -- misuse raises the core's reason and changes nothing
    local misuse = {
        {"renegotiate on TLS 1.3", "1.3", "c", "renegotiate", {}, "only on a TLS 1.2 connection"},
        {"key_update on TLS 1.2", "1.2", "c", "key_update", {}, "only on a TLS 1.3 connection"},
        {"request_client_cert on a client", "1.3", "c", "request_client_cert", {}, "only a server"},
        {"request_client_cert without post_handshake_auth", "1.3", "s", "request_client_cert", {},
         "did not offer post-handshake authentication"},
        {"write_early on a server", "1.3", "s", "write_early", {"x"}, "only a client"},
        {"write_early without a session", nil, "fresh", "write_early", {"x"}, "no session set"},
        {"read_early on a client", "1.3", "c", "read_early", {}, "only a server"},
        {"key_update before the handshake", nil, "fresh", "key_update", {}, "key_update"},
    }
    for _, case in ipairs(misuse) do
        it("refuses " .. case[1] .. " with a clear error", function()
            local hs
            if case[3] == "fresh" then
                hs = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
            else
                local c, s = connect(H.client_config{max_version = case[2]}, H.server_config())
                hs = case[3] == "c" and c or s
            end
            local before = hs:result()
            for _ = 1, 2 do -- a second refusal in a row is seen too
                local ok, err = pcall(hs[case[4]], hs, table.unpack(case[5]))
                assert.is_false(ok)
                assert.matches(case[6], err, 1, true)
            end
            assert.are.equal(before, hs:result())
            assert.is_nil(hs:error())
        end)
    end

    it("checks the moves' arguments", function()
        local c = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
        assert.has_error(function() c:key_update("yes") end)
        assert.has_error(function() c:write_early("") end, "bad argument #1 to 'write_early' (must not be empty)")
        assert.has_error(function() c:write_early(5) end)
        assert.has_error(function() c:read_early(0) end)
    end)

    for _, with_cert in ipairs{true, false} do
        it("post-handshake auth " .. (with_cert and "with" or "without") .. " a client certificate", function()
            local ccfg = H.client_config{post_handshake_auth = true,
                cert_file = with_cert and H.cert("client.pem") or nil, key_file = with_cert and H.cert("client.key") or nil}
            local c, s = connect(ccfg, H.server_config{ca_file = H.cert("ca.pem")})
            H.settle(c, s)
            assert.is_nil(s:info().peer_cert)
            drive_move(s, c, "request_client_cert")
            H.settle(c, s)
            assert.are.equal(1, count(s, true, "CertificateRequest"))
            assert.are.equal(1, count(c, false, "CertificateRequest"))
            if with_cert then
                assert.is_string(s:info().peer_cert)
                assert.are.equal(0, s:info().verify_result)
            else
                assert.is_nil(s:info().peer_cert)
            end
            H.flows(c, s, "authenticated")
        end)
    end

    -- A session from a server of origin (tickets read, shut down so OpenSSL keeps it).
    local function session_from(ccfg, origin)
        local c, s = connect(ccfg, origin)
        H.settle(c, s)
        local sess = assert(c:session())
        s:shutdown()
        return sess
    end

    local early = H.server_config{max_early_data = 16384}
    local cases = {
        {"accepted", early, early},
        {"rejected (a session of another config)", early, H.server_config{max_early_data = 16384}},
        {"rejected (a server that takes none)", early, H.server_config{max_early_data = 0}},
    }
    for _, case in ipairs(cases) do
        it("0-RTT " .. case[1], function()
            local want = case[1]:match("^%a+")
            local ccfg = H.client_config()
            local sess = session_from(ccfg, case[2])
            local c = closing(assert(tlshs.handshake(ccfg, {server_name = "localhost", session = sess, trace = true})))
            local s = closing(assert(tlshs.handshake(case[3], {trace = true})))
            assert.are.same({"want_write", 11}, {c:write_early("GET / early")})
            move(c, s)
            local got = H.early_handshake(c, s)
            assert.are.equal(want, c:info().early_data)
            assert.are.equal(want, s:info().early_data)
            if want == "accepted" then
                assert.are.equal("GET / early", got)
                assert.is_true(c:info().resumed)
                assert.are.equal(1, count(c, true, "EndOfEarlyData"))
                assert.are.equal(1, count(s, false, "EndOfEarlyData"))
            else
                assert.are.equal("", got)
                assert.are.equal(0, count(c, true, "EndOfEarlyData"))
            end
            H.flows(c, s, "after the early data")
            H.flows(s, c, "and back")
        end)
    end

    it("0-RTT not sent: a resumption without early data, a session that allows none", function()
        local ccfg = H.client_config()
        local sess = session_from(ccfg, early)
        local c, s = closing(assert(tlshs.handshake(ccfg, {server_name = "localhost", session = sess}))),
            closing(assert(tlshs.handshake(early)))
        assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
        assert.is_true(c:info().resumed)
        assert.are.equal("not_sent", c:info().early_data)
        assert.are.equal("not_sent", s:info().early_data)
        local plain = session_from(ccfg, H.server_config())
        local c2 = closing(assert(tlshs.handshake(ccfg, {server_name = "localhost", session = plain})))
        assert.has_error(function() c2:write_early("x") end, "write_early: the session does not allow early data")
    end)

    it("0-RTT replayed (the same ClientHello fed twice) is refused as OpenSSL's anti-replay does", function()
        local ccfg = H.client_config()
        local sess = session_from(ccfg, early)
        local c = closing(assert(tlshs.handshake(ccfg, {server_name = "localhost", session = sess})))
        local s1, s2 = closing(assert(tlshs.handshake(early))), closing(assert(tlshs.handshake(early)))
        c:write_early("GET / early")
        local flight = c:take()
        s1:feed(flight)
        s2:feed(flight)
        assert.are.equal("GET / early", H.early_handshake(c, s1))
        assert.are.equal("accepted", s1:info().early_data)
        local r, d
        for _ = 1, 5 do
            r, d = s2:read_early()
            assert.are.equal("", d)
            s2:take()
            if r == "want_read" or r == "closed" then break end
        end
        assert.are.equal("want_read", r)
        assert.are.equal("rejected", s2:info().early_data)
        assert.is_false(s2:info().resumed)
    end)

    it("a server reading early data refuses step (read_early drives the handshake)", function()
        local s = closing(assert(tlshs.handshake(early)))
        assert.are.same({"want_read", ""}, {s:read_early()})
        for _, call in ipairs{{"step"}, {"read"}, {"write", "x"}} do -- refused: nothing changes
            local ok, err = pcall(s[call[1]], s, call[2])
            assert.is_false(ok)
            assert.matches("the server reads early data", err, 1, true)
        end
        assert.are.equal("want_read", s:result())
        local c = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
        c:step()
        move(c, s)
        assert.are.equal("", H.early_handshake(c, s))
        assert.are.equal("not_sent", s:info().early_data)
    end)

    for _, n in ipairs{0, 1, 5} do
        it("num_tickets " .. n .. ": the client counts " .. n .. " tickets", function()
            local c, s = connect(H.client_config(), H.server_config{num_tickets = n})
            H.settle(c, s)
            assert.are.equal(n, count(c, false, "NewSessionTicket"))
            assert.are.equal(n, count(s, true, "NewSessionTicket"))
        end)
    end

    for _, v in ipairs{"1.2", "1.3"} do
        it("staples an OCSP response (TLS " .. v .. ")", function()
            local der = H.read_file(H.cert("ocsp-server.der"))
            local scfg = H.config{role = "server", cert_file = H.cert("server.pem"), key_file = H.cert("server.key"),
                                  ocsp_response_file = H.cert("ocsp-server.der")}
            local c, s = connect(H.client_config{status_request = true, max_version = v}, scfg)
            assert.are.equal(der, c:info().ocsp_response)
            assert.is_nil(s:info().ocsp_response)
            if v == "1.2" then assert.are.equal(1, count(c, false, "CertificateStatus")) end
            local c2 = connect(H.client_config{max_version = v}, scfg)
            assert.is_nil(c2:info().ocsp_response) -- not asked for
        end)
    end

    it("exchanges custom extensions", function()
        local c, s = connect(H.client_config{extensions = "65280:cafe,65283:"},
                             H.server_config{extensions = "65280:beef,65283:,65284:00"})
        assert.are.same({[65280] = "\xca\xfe", [65283] = ""}, s:peer_extensions())
        -- the server replies to the types the client sent, not 65284
        assert.are.same({[65280] = "\xbe\xef", [65283] = ""}, c:peer_extensions())
        local hello = s:client_hello()
        local seen = {}
        for _, e in ipairs(hello.extensions) do seen[e] = true end
        assert.is_true(seen[65280] and seen[65283])
        local c2, s2 = connect(H.client_config(), H.server_config())
        assert.are.same({}, c2:peer_extensions())
        assert.are.same({}, s2:peer_extensions())
    end)

    it("max_fragment_length: records no longer than agreed", function()
        local c = closing(assert(tlshs.handshake(H.client_config{max_fragment_length = 512, max_version = "1.2"},
                                                {server_name = "localhost"})))
        local s = closing(assert(tlshs.handshake(H.server_config())))
        assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
        s:write(("x"):rep(3000))
        local recs = tlshs.records(s:take())
        assert.is_true(#recs >= 6)
        for _, r in ipairs(recs) do assert.is_true(#r.body <= 512 + 64, #r.body) end -- 512 + MAC and padding
        local hello = s:client_hello()
        local seen = false
        for _, e in ipairs(hello.extensions) do seen = seen or e == 1 end
        assert.is_true(seen)
    end)

    it("self_signed: a server with no PKI, trusted by its PEM; its fingerprint", function()
        local scfg = H.config{role = "server", self_signed = "test.example"}
        local pem = assert(scfg:cert_pem())
        assert.matches("^%-%-%-%-%-BEGIN CERTIFICATE", pem)
        local fp = assert(scfg:fingerprint())
        assert.matches("^%x%x" .. (":%x%x"):rep(31) .. "$", fp)
        local c = connect(H.config{role = "client", ca_pem = pem}, scfg, "test.example")
        assert.are.equal(0, c:info().verify_result)
        -- the fingerprint is the one openssl computes
        local path = os.tmpname()
        finally(function() os.remove(path) end)
        local f = assert(io.open(path, "wb")); f:write(pem); f:close()
        local p = assert(io.popen("openssl x509 -noout -fingerprint -sha256 -in " .. path))
        local out = p:read("a"); p:close()
        assert.are.equal(fp, out:match("=(%S+)"))
        -- a config without a certificate has neither
        assert.is_nil(H.client_config():fingerprint())
        assert.is_nil(H.client_config():cert_pem())
        assert.are.equal(H.server_config():fingerprint(), H.server_config():fingerprint())
    end)

    it("takes booleans for the new on/off keys only", function()
        assert.is_truthy(tlshs.config{role = "client", post_handshake_auth = true, status_request = false})
        assert.has_error(function() tlshs.config{role = "server", num_tickets = true} end)
        local cfg, msg, code = tlshs.config{role = "server", max_early_data = "lots"}
        assert.is_nil(cfg)
        assert.matches("max_early_data", msg)
        assert.are.equal("bad_value", code)
    end)
end)
