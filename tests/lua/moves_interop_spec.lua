-- Issue 11 against real peers: tlshs (memory mode, carried over TCP by
-- tlshs.drive and a read loop) with openssl s_server / s_client, whose
-- stdin takes their commands (k, K, R, c) and lines to send, and
-- gnutls-cli.  Every process is killed in after_each.
local tlshs = require "tlshs"
local socket = require "socket"
local H = require "helpers"

local closing = H.closing

local function count(hs, sent, name)
    local n = 0
    for _, e in ipairs(hs:trace()) do
        if e.sent == sent and e.name == name then n = n + 1 end
    end
    return n
end

local interactive = H.interactive

local function wait_log(proc, pattern, seconds)
    local deadline = socket.gettime() + (seconds or 5)
    repeat
        local s = H.log(proc)
        local cap = s:match(pattern)
        if cap then return cap end
        socket.sleep(0.02)
    until socket.gettime() > deadline
    return nil, H.log(proc)
end

local function s_server(args)
    local argv = {"openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", H.cert("server.pem"),
                  "-key", H.cert("server.key")}
    for _, a in ipairs(args) do argv[#argv + 1] = a end
    local proc = interactive(argv)
    local port = assert(wait_log(proc, "ACCEPT 127%.0%.0%.1:(%d+)\n"))
    return proc, tonumber(port)
end

-- Carries hs over sock: op() (default hs:read()), sends what hs has, feeds
-- what arrives, until done(data, result) or seconds pass; answers whether
-- done said so, and the data read.
local function carry(hs, sock, done, op, seconds)
    local got = {}
    local deadline = socket.gettime() + (seconds or 5)
    sock:settimeout(0)
    while socket.gettime() < deadline do
        local r, d = (op or hs.read)(hs)
        if r == "done" and d and #d > 0 then got[#got + 1] = d end
        local out = hs:take()
        if #out > 0 then assert(sock:send(out)) end
        if done(table.concat(got), r) then return true, table.concat(got) end
        if r == "closed" then break end
        if r ~= "want_write" and not (r == "done" and d and #d > 0) then
            socket.select({sock}, nil, 0.05)
            local data, err, part = sock:receive(16384)
            if #(data or part) > 0 then hs:feed(data or part) end
            if err == "closed" then hs:feed_eof() end
        end
    end
    return false, table.concat(got)
end

local function has(text) return function(got) return got:find(text, 1, true) ~= nil end end

-- Writes msg over hs and sends it (carrying what the write needs first).
local function send(hs, sock, msg)
    local n
    assert.is_true(carry(hs, sock, function(_, r) return r == "done" end, function(h)
        local r
        r, n = h:write(msg)
        return r
    end))
    assert.are.equal(#msg, n)
end

-- A tlshs client (memory mode over TCP) done with a handshake to port.
local function client_to(port, cfg, opts)
    local sock = closing(assert(socket.connect("127.0.0.1", port)))
    opts = opts or {}
    opts.server_name, opts.trace = opts.server_name or "localhost", true
    local hs = closing(assert(tlshs.handshake(cfg or H.client_config(), opts)))
    assert.are.equal("done", tlshs.drive(hs, sock, nil, 5), hs:error())
    return hs, sock
end

-- openssl s_client (args) to a tlshs server of cfg, done with the handshake.
local function s_client_to(cfg, args, opts)
    local srv, port = H.listen()
    closing(srv)
    local argv = {"openssl", "s_client", "-connect", "127.0.0.1:" .. port, "-CAfile", H.cert("ca.pem"),
                  "-servername", "localhost"}
    for _, a in ipairs(args) do argv[#argv + 1] = a end
    local proc = interactive(argv)
    local sock = closing(assert(H.accept(srv, 5)))
    opts = opts or {}
    opts.trace = true
    local hs = closing(assert(tlshs.handshake(cfg or H.server_config(), opts)))
    return hs, sock, proc
end

local function server_cfg(extra)
    local t = {role = "server", cert_file = H.cert("server.pem"), key_file = H.cert("server.key")}
    for k, v in pairs(extra or {}) do t[k] = v end
    return H.config(t)
end

describe("moves against openssl", function()
    after_each(H.cleanup)

    for _, request in ipairs{false, true} do
        it("KeyUpdate with s_server" .. (request and ", asking for one" or "") .. "; then s_server's own (k)", function()
            local proc = s_server{"-tls1_3", "-naccept", "1"}
            local _, port = proc, tonumber(H.log(proc):match("ACCEPT 127%.0%.0%.1:(%d+)"))
            local hs, sock = client_to(port)
            assert.is_true(carry(hs, sock, function(_, r) return r == "want_read" end, nil, 1))
            assert.are.equal("want_write", hs:key_update(request))
            assert(sock:send(hs:take()))
            assert.are.equal("done", hs:key_update(request))
            send(hs, sock, "1111 from tlshs\n")
            assert.truthy(wait_log(proc, "1111 from tlshs\n"))
            proc.stdin:write("2222 from s_server\n") -- s_server answers a request on its next write
            assert.is_true(carry(hs, sock, has("2222 from s_server")))
            assert.are.equal(1, count(hs, true, "KeyUpdate"))
            assert.are.equal(request and 1 or 0, count(hs, false, "KeyUpdate"))
            proc.stdin:write("k\n")
            assert.is_true(carry(hs, sock, function() return count(hs, false, "KeyUpdate") == (request and 2 or 1) end))
            send(hs, sock, "3333 after its update\n")
            assert.truthy(wait_log(proc, "3333 after its update\n"))
        end)

        it("KeyUpdate with s_client" .. (request and ", asking for one" or "") .. "; then s_client's K", function()
            local hs, sock, proc = s_client_to(H.server_config(), {"-tls1_3"})
            assert.are.equal("done", tlshs.drive(hs, sock, nil, 5))
            assert.are.equal("want_write", hs:key_update(request))
            assert(sock:send(hs:take()))
            assert.are.equal("done", hs:key_update(request))
            send(hs, sock, "1111 from tlshs\n")
            assert.truthy(wait_log(proc, "1111 from tlshs\n"))
            proc.stdin:write("2222 from s_client\n")
            assert.is_true(carry(hs, sock, has("2222 from s_client")))
            assert.are.equal(request and 1 or 0, count(hs, false, "KeyUpdate"))
            proc.stdin:write("K\n") -- its own, asking for ours
            assert.is_true(carry(hs, sock, function() return count(hs, true, "KeyUpdate") == 2 end))
            assert.are.equal(request and 2 or 1, count(hs, false, "KeyUpdate"))
            send(hs, sock, "3333 after K\n")
            assert.truthy(wait_log(proc, "3333 after K\n"))
        end)
    end

    it("renegotiates with s_server -client_renegotiation (TLS 1.2)", function()
        local proc, port = s_server{"-tls1_2", "-naccept", "1", "-client_renegotiation"}
        local hs, sock = client_to(port)
        assert.are.equal("want_write", hs:renegotiate())
        assert(sock:send(hs:take()))
        assert.are.equal("done", hs:renegotiate())
        assert.is_true(carry(hs, sock, function() return count(hs, false, "Finished") == 2 end))
        assert.are.equal(2, count(hs, true, "ClientHello"))
        send(hs, sock, "1111 renegotiated\n")
        assert.truthy(wait_log(proc, "1111 renegotiated\n"))
    end)

    it("is refused cleanly by an s_server that forbids renegotiation", function()
        local _, port = s_server{"-tls1_2", "-naccept", "1"}
        local hs, sock = client_to(port)
        hs:renegotiate()
        assert(sock:send(hs:take()))
        assert.is_true(carry(hs, sock, function(_, r) return r == "closed" end))
        assert.are.equal(100, hs:info().alert_received)
        assert.are.equal(40, hs:info().alert_sent)
        assert.are.equal("protocol_error", H.code(hs))
    end)

    it("a tlshs server's HelloRequest: s_client renegotiates", function()
        local hs, sock, proc = s_client_to(H.server_config(), {"-tls1_2"})
        assert.are.equal("done", tlshs.drive(hs, sock, nil, 5))
        assert.are.equal("want_write", hs:renegotiate())
        assert(sock:send(hs:take()))
        assert.are.equal("done", hs:renegotiate())
        assert.is_true(carry(hs, sock, function() return count(hs, true, "Finished") == 2 end))
        assert.are.equal(1, count(hs, true, "HelloRequest"))
        assert.are.equal(2, count(hs, false, "ClientHello"))
        send(hs, sock, "1111 renegotiated\n")
        assert.truthy(wait_log(proc, "1111 renegotiated\n"))
    end)

    it("post-handshake auth with s_client -enable_pha", function()
        local hs, sock = s_client_to(H.server_config{ca_file = H.cert("ca.pem")},
            {"-tls1_3", "-enable_pha", "-cert", H.cert("client.pem"), "-key", H.cert("client.key")})
        assert.are.equal("done", tlshs.drive(hs, sock, nil, 5))
        assert.is_nil(hs:info().peer_cert)
        assert.are.equal("want_write", hs:request_client_cert())
        assert(sock:send(hs:take()))
        assert.are.equal("done", hs:request_client_cert())
        assert.is_true(carry(hs, sock, function() return hs:info().peer_cert ~= nil end))
        assert.are.equal(0, hs:info().verify_result)
        assert.are.equal(1, count(hs, true, "CertificateRequest"))
    end)

    it("request_client_cert is refused when s_client did not offer post-handshake auth", function()
        local hs, sock = s_client_to(H.server_config(), {"-tls1_3"})
        assert.are.equal("done", tlshs.drive(hs, sock, nil, 5))
        assert.has_error(function() hs:request_client_cert() end,
            "request_client_cert: the client did not offer post-handshake authentication (post_handshake_auth)")
        assert.are.equal(0, hs:pending())
    end)

    it("post-handshake auth asked by s_server -verify (c)", function()
        local proc, port = s_server{"-tls1_3", "-naccept", "1", "-verify", "1", "-CAfile", H.cert("ca.pem")}
        local hs, sock = client_to(port, H.client_config{post_handshake_auth = true, cert_file = H.cert("client.pem"),
                                                           key_file = H.cert("client.key")})
        assert.are.equal(1, count(hs, false, "CertificateRequest")) -- in the handshake
        carry(hs, sock, function(_, r) return r == "want_read" end, nil, 1)
        proc.stdin:write("c\n") -- and after it
        assert.is_true(carry(hs, sock, function() return count(hs, false, "CertificateRequest") == 2 end))
        assert.is_true(carry(hs, sock, function() return count(hs, true, "Certificate") == 2 end))
        send(hs, sock, "1111 authenticated\n")
        assert.truthy(wait_log(proc, "1111 authenticated\n"))
    end)

    it("0-RTT to s_server -early_data: accepted", function()
        local proc, port = s_server{"-tls1_3", "-naccept", "2", "-early_data"}
        local ccfg = H.client_config()
        local hs, sock = client_to(port, ccfg)
        carry(hs, sock, function() return hs:session() ~= nil end, nil, 2)
        local sess = assert(hs:session())
        assert.are.equal("not_sent", hs:info().early_data)
        hs:shutdown()
        sock:send(hs:take())
        sock:shutdown("send"); sock:settimeout(1); sock:receive("*a"); sock:close()
        local sock2 = closing(assert(socket.connect("127.0.0.1", port)))
        local hs2 = closing(assert(tlshs.handshake(ccfg, {server_name = "localhost", session = sess, trace = true})))
        assert.are.same({"want_write", 11}, {hs2:write_early("5555 early\n")})
        assert.are.equal("done", tlshs.drive(hs2, sock2, nil, 5))
        assert.are.equal("accepted", hs2:info().early_data)
        assert.is_true(hs2:info().resumed)
        assert.are.equal(1, count(hs2, true, "EndOfEarlyData"))
        assert.truthy(wait_log(proc, "5555 early\n"))
    end)

    for _, other in ipairs{false, true} do
        it("0-RTT from s_client -early_data: " .. (other and "rejected (another config)" or "accepted"), function()
            local scfg = H.server_config{max_early_data = 16384}
            local sess = os.tmpname()
            local early = os.tmpname()
            finally(function() os.remove(sess); os.remove(early) end)
            local f = assert(io.open(early, "wb")); f:write("6666 early from s_client\n"); f:close()
            local hs, sock, proc = s_client_to(scfg, {"-tls1_3", "-sess_out", sess})
            assert.are.equal("done", tlshs.drive(hs, sock, nil, 5))
            assert.truthy(wait_log(proc, "Verify return code"))
            proc.stdin:write("Q\n")
            socket.sleep(0.3)
            hs:shutdown(); sock:send(hs:take())
            local hs2, sock2 = s_client_to(other and H.server_config{max_early_data = 16384} or scfg,
                {"-tls1_3", "-sess_in", sess, "-early_data", early})
            local got = {} -- read_early drives this server from its first call
            assert.is_true(carry(hs2, sock2, function(_, res) return res == "done" and hs2:pending() == 0 and
                                                                 hs2:info().version ~= nil end,
                function(h)
                    local res, d = h:read_early()
                    if #d > 0 then got[#got + 1] = d; return "want_write" end
                    return res
                end))
            assert.are.equal(other and "rejected" or "accepted", hs2:info().early_data)
            assert.are.equal(other and "" or "6666 early from s_client\n", table.concat(got))
        end)
    end

    it("OCSP: s_server -status_file staples, tlshs reads it", function()
        local _, port = s_server{"-tls1_3", "-naccept", "1", "-status_file", H.cert("ocsp-server.der")}
        local hs = client_to(port, H.client_config{status_request = true})
        assert.are.equal(H.read_file(H.cert("ocsp-server.der")), hs:info().ocsp_response)
    end)

    for _, v in ipairs{"1.2", "1.3"} do
        it("OCSP: tlshs staples, s_client -status reads it (TLS " .. v .. ")", function()
            local hs, sock, proc = s_client_to(server_cfg{ocsp_response_file = H.cert("ocsp-server.der")},
                {"-tls" .. v:gsub("%.", "_"), "-status"})
            assert.are.equal("done", tlshs.drive(hs, sock, nil, 5))
            assert.truthy(wait_log(proc, "OCSP Response Status: successful"))
            assert.truthy(wait_log(proc, "Cert Status: good"))
        end)
    end

    for _, v in ipairs{"1.2", "1.3"} do
        it("max_fragment_length 512 with s_server (TLS " .. v .. "): records no longer than agreed", function()
            local _, port = s_server{"-tls" .. v:gsub("%.", "_"), "-naccept", "1", "-www"}
            local sock = closing(assert(socket.connect("127.0.0.1", port)))
            local hs = closing(assert(tlshs.handshake(H.client_config{max_fragment_length = 512},
                                                    {server_name = "localhost"})))
            local lengths, buf = {}, ""
            local function note(dir, flight)
                if dir == "in" then
                    buf = buf .. flight
                    local recs, rest = tlshs.records(buf)
                    for _, r in ipairs(recs) do lengths[#lengths + 1] = #r.body end
                    buf = rest
                end
                return flight
            end
            assert.are.equal("done", tlshs.drive(hs, sock, note, 5))
            send(hs, sock, "GET / HTTP/1.0\r\n\r\n")
            sock:settimeout(0)
            local page = {}
            carry(hs, sock, function(got) return got:find("</HTML>", 1, true) end, function(h)
                local r, d = h:read()
                return r, d
            end)
            assert.is_true(#lengths >= 4)
            for _, n in ipairs(lengths) do assert.is_true(n <= 512 + 256, n) end -- 512 of plaintext, plus tag/MAC
            local big = 0
            for _, n in ipairs(lengths) do big = math.max(big, n) end
            assert.is_true(big > 400) -- the page did need several full records
        end)
    end

    it("custom extensions: s_client and gnutls-cli do not choke on ones they do not know", function()
        local cfg = H.server_config{extensions = "65280:cafe"}
        local hs, sock, proc = s_client_to(cfg, {"-tls1_3"})
        assert.are.equal("done", tlshs.drive(hs, sock, nil, 5))
        assert.truthy(wait_log(proc, "Verify return code: 0"))
        -- gnutls-cli sends none of ours: the server replies none; its own unknown ones are ignored
        local srv, port = H.listen()
        closing(srv)
        local g = interactive{"gnutls-cli", "--x509cafile", H.cert("ca.pem"), "-p", tostring(port), "localhost"}
        local gs = closing(assert(H.accept(srv, 5)))
        local ghs = closing(assert(tlshs.handshake(cfg)))
        assert.are.equal("done", tlshs.drive(ghs, gs, nil, 5))
        assert.truthy(wait_log(g, "Handshake was completed"))
        assert.are.same({}, ghs:peer_extensions())
        -- a tlshs client offering one to s_server
        local _, sport = s_server{"-tls1_3", "-naccept", "1"}
        local c = client_to(sport, H.client_config{extensions = "65280:cafe"})
        assert.are.same({}, c:peer_extensions())
    end)

    it("num_tickets: s_server -num_tickets 5, counted by a tlshs client", function()
        local _, port = s_server{"-tls1_3", "-naccept", "1", "-num_tickets", "5"}
        local hs, sock = client_to(port)
        carry(hs, sock, function() return count(hs, false, "NewSessionTicket") == 5 end, nil, 2)
        assert.are.equal(5, count(hs, false, "NewSessionTicket"))
    end)
end)
