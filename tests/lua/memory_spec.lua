-- tlshs against tlshs in memory: versions, ALPN, client certificates,
-- resumption, 1-byte fragmentation, and every failure path with its alert.
local tlshs = require "tlshs"
local H = require "helpers"

local function pair(cextra, sextra, name)
    local c = assert(tlshs.handshake(H.client_config(cextra), {server_name = name or "localhost"}))
    local s = assert(tlshs.handshake(H.server_config(sextra)))
    return c, s
end

describe("memory mode", function()
    for _, v in ipairs{"1.2", "1.3"} do
        it("completes TLS " .. v .. " and carries data both ways", function()
            local c, s = pair({max_version = v}, {min_version = v})
            local rc, rs = H.pump(c, s)
            assert.are.equal("done", rc)
            assert.are.equal("done", rs)
            assert.are.equal("TLSv" .. v, c:info().version)
            assert.are.equal("TLSv" .. v, s:info().version)
            assert.are.equal(c:info().cipher, s:info().cipher)
            c:write("ping")
            H.move(c, s)
            local r, d = s:read()
            assert.are.same({"done", "ping"}, {r, d})
            s:write("pong")
            H.move(s, c)
            repeat
                r, d = c:read()
                H.move(c, s)
            until r ~= "want_write" and not (r == "done" and d == "")
            assert.are.same({"done", "pong"}, {r, d})
        end)
    end

    it("selects ALPN in the server's order", function()
        local c, s = pair({alpn = "http/1.1,h2"}, {alpn = "h2,http/1.1"})
        H.pump(c, s)
        assert.are.equal("h2", c:info().alpn)
        assert.are.equal("h2", s:info().alpn)
    end)

    it("has no ALPN when nothing matches on an optional server", function()
        local c, s = pair({alpn = "spdy/3"}, nil)
        local rc = H.pump(c, s)
        assert.are.equal("done", rc)
        assert.is_nil(c:info().alpn)
    end)

    it("authenticates a client certificate", function()
        local c, s = pair({cert_file = H.cert("client.pem"), key_file = H.cert("client.key")},
                          {verify = "require", ca_file = H.cert("ca.pem")})
        local rc, rs = H.pump(c, s)
        assert.are.equal("done", rc)
        assert.are.equal("done", rs)
        local i = s:info()
        assert.is_string(i.peer_cert)
        assert.are.equal(0, i.verify_result)
    end)

    it("takes certificates and keys as PEM text", function()
        local c = assert(tlshs.handshake(H.config{role = "client", ca_pem = H.read_file(H.cert("ca.pem"))},
                                         {server_name = "localhost"}))
        local s = assert(tlshs.handshake(H.config{role = "server",
            cert_pem = H.read_file(H.cert("server.pem")), key_pem = H.read_file(H.cert("server.key"))}))
        assert.are.equal("done", (H.pump(c, s)))
    end)

    for _, v in ipairs{"1.2", "1.3"} do
        it("resumes an exported TLS " .. v .. " session", function()
            local ccfg = H.client_config{max_version = v}
            local scfg = H.server_config()
            local c = tlshs.handshake(ccfg, {server_name = "localhost"})
            local s = tlshs.handshake(scfg)
            H.pump(c, s)
            H.settle(c, s)
            local sess = assert(c:session())
            local c2 = tlshs.handshake(ccfg, {server_name = "localhost", session = sess})
            local s2 = tlshs.handshake(scfg)
            local rc, rs = H.pump(c2, s2)
            assert.are.equal("done", rc)
            assert.are.equal("done", rs)
            assert.is_true(c2:info().resumed)
            assert.is_true(s2:info().resumed)
            assert.is_false(c:info().resumed)
        end)
    end

    it("survives 1-byte fragmentation both ways", function()
        local c, s = pair()
        local rc, rs = c:step(), s:step()
        local moved = 0
        for _ = 1, 100000 do
            local b = c:take(1)
            if #b == 1 then s:feed(b); rs = s:step(); moved = moved + 1 end
            local b2 = s:take(1)
            if #b2 == 1 then c:feed(b2); rc = c:step(); moved = moved + 1 end
            if #b == 0 and #b2 == 0 then
                if H.finished(rc) and H.finished(rs) then break end
                rc, rs = c:step(), s:step()
            end
        end
        assert.are.equal("done", rc)
        assert.are.equal("done", rs)
        assert.is_true(moved > 500)
    end)

    it("answers done again without side effects", function()
        local c, s = pair()
        H.pump(c, s)
        assert.are.equal("done", c:step())
        assert.are.equal(0, c:pending())
        assert.are.equal("done", c:result())
    end)
end)

-- Drives a failing pair until both are finished; answers the results.
local function fail(c, s)
    local rc, rs = H.pump(c, s, 20)
    assert.is_true(H.finished(rc) and H.finished(rs))
    return rc, rs
end

describe("memory mode failures", function()
    it("unknown CA: the client sends unknown_ca", function()
        local c = tlshs.handshake(H.client_config(), {server_name = "localhost"})
        local s = tlshs.handshake(H.config{role = "server", cert_file = H.cert("unknown.pem"),
                                           key_file = H.cert("unknown.key")})
        local rc, rs = fail(c, s)
        assert.are.equal("closed", rc)
        assert.are.equal("closed", rs)
        assert.are.equal(48, c:info().alert_sent)
        assert.are.equal("unknown_ca", tlshs.alert_name(c:info().alert_sent))
        assert.are.equal(48, s:info().alert_received)
        assert.are.equal("verify_failed", H.code(c))
        assert.are.equal("alert_received", H.code(s))
        assert.are.equal(20, c:info().verify_result) -- X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    end)

    it("wrong host name: the client refuses", function()
        local c, s = pair(nil, nil, "wrong.example")
        local rc, rs = fail(c, s)
        assert.are.equal("closed", rc)
        assert.are.equal("closed", rs)
        assert.are.equal("verify_failed", H.code(c))
        assert.are.equal(62, c:info().verify_result) -- X509_V_ERR_HOSTNAME_MISMATCH
        assert.are.equal(42, c:info().alert_sent)    -- bad_certificate
        assert.are.equal(42, s:info().alert_received)
        assert.are.equal("alert_received", H.code(s))
    end)

    it("version mismatch: protocol_version", function()
        local c, s = pair({max_version = "1.2"}, {min_version = "1.3"})
        local rc, rs = fail(c, s)
        assert.are.equal("closed", rc)
        assert.are.equal("closed", rs)
        assert.are.equal(70, s:info().alert_sent)
        assert.are.equal(70, c:info().alert_received)
        assert.are.equal("protocol_version", tlshs.alert_name(70))
        assert.are.equal("alert_received", H.code(c))
        assert.are.equal("protocol_error", H.code(s))
    end)

    it("missing client certificate (TLS 1.3): certificate_required", function()
        local c, s = pair(nil, {verify = "require", ca_file = H.cert("ca.pem")})
        local rc, rs = fail(c, s)
        assert.are.equal("closed", rs)
        assert.are.equal(116, s:info().alert_sent)
        assert.are.equal("protocol_error", H.code(s))
        -- TLS 1.3: the client finished first; the alert ends it on read
        assert.are.equal("done", rc)
        local r = c:read()
        assert.are.equal("closed", r)
        assert.are.equal(116, c:info().alert_received)
        assert.are.equal("alert_received", H.code(c))
    end)

    it("missing client certificate (TLS 1.2): handshake_failure", function()
        local c, s = pair({max_version = "1.2"}, {verify = "require", ca_file = H.cert("ca.pem")})
        local rc, rs = fail(c, s)
        assert.are.equal("closed", rc)
        assert.are.equal("closed", rs)
        assert.are.equal(40, s:info().alert_sent)
        assert.are.equal(40, c:info().alert_received)
        assert.are.equal("alert_received", H.code(c))
    end)

    it("a client certificate by an unknown CA: unknown_ca from the server", function()
        local c, s = pair({cert_file = H.cert("unknown-client.pem"), key_file = H.cert("unknown-client.key")},
                          {verify = "require", ca_file = H.cert("ca.pem")})
        local _, rs = fail(c, s)
        assert.are.equal("closed", rs)
        assert.are.equal(48, s:info().alert_sent)
        assert.are.equal("verify_failed", H.code(s))
    end)

    local garbage = {
        ["an HTTP request"] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        ["random bytes"] = "\22\7\7\0\5hello",
    }
    for what, case in pairs(garbage) do
        it("garbage bytes (" .. what .. "): the server closes", function()
            local s = tlshs.handshake(H.server_config())
            s:feed(case)
            local r, out = H.run_alone(s)
            assert.are.equal("closed", r)
            assert.are.equal("protocol_error", H.code(s))
            -- not TLS at all: OpenSSL answers nothing, not even an alert
            assert.is_nil(s:info().alert_sent)
            assert.are.equal("", out)
            assert.is_nil(s:info().alert_received)
            assert.has_error(function() s:feed("more") end)
        end)
    end

    it("garbage after the ClientHello: the client closes with an alert", function()
        local c = tlshs.handshake(H.client_config(), {server_name = "localhost"})
        c:step()
        c:take()
        c:feed(string.rep("\22\3\3\0\5", 1) .. "\2\0\0\1\0") -- a malformed ServerHello
        local r = H.run_alone(c)
        assert.are.equal("closed", r)
        assert.are.equal(50, c:info().alert_sent) -- decode_error
        assert.are.equal("protocol_error", H.code(c))
    end)

    it("EOF mid-handshake closes both sides", function()
        local c, s = pair()
        c:step()
        H.move(c, s)
        s:step() -- the server's flight waits, never delivered
        s:take()
        c:feed_eof()
        local r = H.run_alone(c)
        assert.are.equal("closed", r)
        assert.are.same({"peer closed the connection during the handshake", "eof"}, {c:error()})
        assert.are.equal(50, c:info().alert_sent) -- OpenSSL 3.0 queues decode_error on EOF
        s:feed_eof()
        r = H.run_alone(s)
        assert.are.equal("closed", r)
        assert.are.same({"peer closed the connection during the handshake", "eof"}, {s:error()})
    end)
end)
