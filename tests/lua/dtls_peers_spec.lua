-- DTLS 1.2 against real peers over UDP on 127.0.0.1 (issue 18): openssl
-- s_server -dtls1_2 and s_client -dtls1_2 in both roles, tlshs in memory
-- mode (tlshs.drive over a connected LuaSocket UDP object) and in fd mode
-- (a connected UDP socket); gnutls-serv --udp; PSK; DTLS-SRTP and its keying
-- material as s_client prints it; mtu.  Every process is killed in after_each.
local tlshs = require "tlshs"
local socket = require "socket"
local H = require "helpers"

local closing = H.closing

local SRTP = "SRTP_AES128_CM_SHA1_80"
local LABEL = "EXTRACTOR-dtls_srtp"

local function dtls_config(role, extra)
    local t = {role = role, transport = "datagram"}
    if role == "server" then
        t.cert_file, t.key_file = H.cert("server.pem"), H.cert("server.key")
    else
        t.ca_file = H.cert("ca.pem")
    end
    for k, v in pairs(extra or {}) do t[k] = v end
    return H.config(t)
end

local function hex(s)
    return (s:gsub(".", function(c) return ("%02X"):format(c:byte()) end))
end

-- Waits until proc's output matches pattern; answers the capture, or nil and the output.
local function wait_match(proc, pattern, seconds)
    local deadline = socket.gettime() + (seconds or 5)
    repeat
        local out = H.log(proc)
        local cap = out:match(pattern)
        if cap then return cap end
        socket.sleep(0.02)
    until socket.gettime() > deadline
    return nil, H.log(proc)
end

-- openssl s_server -dtls1_2 on an ephemeral UDP port, its stdin a pipe.
local function s_server(args)
    local argv = {"openssl", "s_server", "-dtls1_2", "-accept", "127.0.0.1:0"}
    for _, a in ipairs(args or {"-cert", H.cert("server.pem"), "-key", H.cert("server.key")}) do
        argv[#argv + 1] = a
    end
    local proc = H.interactive(argv)
    return proc, tonumber(assert(wait_match(proc, "ACCEPT 127%.0%.0%.1:(%d+)\n")))
end

-- Whether s_client -msg (proc) received a HelloVerifyRequest: OpenSSL 3.0
-- names no DTLS message (a handshake record whose body starts with type 3),
-- later versions name it.
local function saw_hello_verify_request(proc)
    local out = H.log(proc)
    return (out:find("<<< [^\n]*content_type=22%)[^\n]*\n    03 ")
            or out:find("<<< DTLS 1.2, Handshake [^\n]*HelloVerifyRequest")) ~= nil
end

local function udp_to(port)
    local u = closing(assert(socket.udp()))
    assert(u:setpeername("127.0.0.1", port))
    u:settimeout(0)
    return u
end

-- A UDP port of 127.0.0.1 that was free a moment ago.
local function free_udp_port()
    local u = assert(socket.udp())
    assert(u:setsockname("127.0.0.1", 0))
    local _, port = u:getsockname()
    u:close()
    return tonumber(port)
end

-- Runs op(hs) (default hs:step) until until_(got, r) says so or `seconds`
-- pass, where got is what op read so far; memory mode (mem) sends each
-- datagram hs takes and feeds each one received; both modes wait at most
-- hs:timeout() and then fire the timer.  Answers whether until_ said so,
-- the data read and the last result.
local function run(hs, u, mem, until_, op, seconds)
    local got, r = {}, nil
    local deadline = socket.gettime() + (seconds or 5)
    op = op or function() return hs:step() end
    while socket.gettime() < deadline do
        local d
        r, d = op(hs)
        if r == "done" and d and #d > 0 then got[#got + 1] = d end
        if mem then
            while hs:pending() > 0 do u:send(hs:take()) end
        end
        if until_(table.concat(got), r) then return true, table.concat(got), r end
        if r == "closed" then break end
        if r ~= "want_write" and not (d and #d > 0) then
            local t = hs:timeout()
            socket.select({u}, nil, math.min(t or 0.05, 0.05))
            local arrived = 0
            if mem then
                for _ = 1, 100 do
                    local dg = u:receive(65535)
                    if not dg then break end
                    arrived = arrived + 1
                    if hs:result() ~= "closed" then hs:feed(dg) end
                end
            end
            if arrived == 0 and hs:timeout() == 0 then hs:on_timeout() end
        end
    end
    return false, table.concat(got), r
end

local function result_is(want) return function(_, r) return r == want end end
local function has(text) return function(got) return got:find(text, 1, true) ~= nil end end

-- Writes msg over hs (and, in memory mode, sends its datagrams).
local function send(hs, u, mem, msg)
    local n
    assert.is_true((run(hs, u, mem, result_is("done"), function(h)
        local r
        r, n = h:write(msg)
        return r
    end)))
    assert.are.equal(#msg, n)
end

local function read_until(hs, u, mem, text)
    local ok, got = run(hs, u, mem, has(text), function(h) return h:read() end)
    assert.is_true(ok, "did not read " .. text .. ", got " .. got)
end

-- A tlshs client (memory: drive; fd: run) done with a handshake to port.
local function client_to(port, mode, cfg, session)
    local u = udp_to(port)
    local opts = {server_name = "localhost", fd = mode == "fd" and u or nil, session = session}
    local hs = closing(assert(tlshs.handshake(cfg or dtls_config("client"), opts)))
    if mode == "memory" then
        assert.are.equal("done", tlshs.drive(hs, u, nil, 5), hs:error())
    else
        assert.is_true((run(hs, u, false, result_is("done"))), hs:error())
    end
    assert.are.equal("DTLSv1.2", hs:info().version)
    return hs, u
end

-- openssl s_client -dtls1_2 (extra args) to a tlshs server of cfg, done
-- with the handshake.  Memory mode learns the client from its first
-- datagram (receivefrom, then setpeername and set_peer); fd mode binds
-- s_client to a port chosen beforehand and connects the socket to it.
local function s_client_to(mode, cfg, args, tamper)
    local u = closing(assert(socket.udp()))
    assert(u:setsockname("127.0.0.1", 0))
    local _, port = u:getsockname()
    local argv = {"openssl", "s_client", "-dtls1_2", "-connect", "127.0.0.1:" .. port, "-servername", "localhost",
                  "-CAfile", H.cert("ca.pem"), "-msg"}
    if mode == "fd" then
        local cport = free_udp_port()
        assert(u:setpeername("127.0.0.1", cport))
        argv[#argv + 1], argv[#argv + 2] = "-bind", "127.0.0.1:" .. cport
    end
    for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
    local proc = H.interactive(argv)
    local hs
    if mode == "memory" then
        assert.are.equal(1, #socket.select({u}, nil, 5))
        local first, ip, cport = u:receivefrom(65535)
        assert(u:setpeername(ip, cport))
        hs = closing(assert(tlshs.handshake(cfg or dtls_config("server"), {trace = true})))
        hs:set_peer(ip .. ":" .. cport)
        hs:feed(first)
        assert.are.equal("done", tlshs.drive(hs, u, tamper, 5), hs:error())
    else
        u:settimeout(0)
        hs = closing(assert(tlshs.handshake(cfg or dtls_config("server"), {fd = u})))
        assert.is_true((run(hs, u, false, result_is("done"))), hs:error())
    end
    assert.are.equal("DTLSv1.2", hs:info().version)
    return hs, u, proc
end

describe("DTLS against openssl", function()
    after_each(H.cleanup)

    for _, mode in ipairs{"memory", "fd"} do
        it("tlshs client, " .. mode .. " mode: s_server -dtls1_2, data both ways, close_notify", function()
            local proc, port = s_server()
            local hs, u = client_to(port, mode)
            send(hs, u, mode == "memory", "hello from tlshs\n")
            assert.is_truthy(wait_match(proc, "(hello from tlshs)"))
            proc.stdin:write("hello from s_server\n")
            read_until(hs, u, mode == "memory", "hello from s_server\n")
            -- our close_notify: s_server says DONE and answers with its own
            assert.is_true((run(hs, u, mode == "memory", result_is("closed"), function(h) return h:shutdown() end)))
            assert.are.equal("shutdown", H.code(hs))
            assert.is_truthy(wait_match(proc, "\n(DONE)\n"))
        end)

        it("tlshs server, " .. mode .. " mode: s_client -dtls1_2 with a cookie, data both ways, close_notify", function()
            local hs, u, proc = s_client_to(mode)
            -- the cookie exchange, as s_client saw it
            assert.is_truthy(wait_match(proc, "(Verify return code: 0 %(ok%))"))
            assert.is_true(saw_hello_verify_request(proc), H.log(proc))
            send(hs, u, mode == "memory", "hello from tlshs\n")
            assert.is_truthy(wait_match(proc, "\n(hello from tlshs)\n"))
            proc.stdin:write("hello from s_client\n")
            read_until(hs, u, mode == "memory", "hello from s_client\n")
            proc.stdin:write("Q\n") -- s_client sends close_notify and exits
            assert.is_true((run(hs, u, mode == "memory", result_is("closed"), function(h) return h:read() end)))
            assert.are.equal("close_notify", H.code(hs))
            assert.is_true(H.wait_exit(proc, 5))
        end)
    end

    it("runs the fd-mode client example of docs/lua.md", function()
        local proc, port = s_server()
        local lines = H.run_example(H.doc_example("dtls-fd"), {"127.0.0.1", tostring(port)})
        assert.are.equal(1, #lines)
        assert.is_truthy(lines[1]:find("^DTLSv1%.2\t"), lines[1])
        assert.is_truthy(wait_match(proc, "(hello over DTLS)"))
    end)

    it("runs the server example of docs/lua.md: one unconnected socket, two s_client at once", function()
        local port = free_udp_port()
        local procs = {}
        for i = 1, 2 do
            -- each starts once the example listens, sends a line, and quits (close_notify) a second later
            local script = ("sleep 0.3; (printf 'hello from client %d\\n'; sleep 1; printf 'Q\\n') | "
                .. "openssl s_client -dtls1_2 -connect 127.0.0.1:%d -CAfile %s -servername localhost -msg")
                :format(i, port, H.sh_quote(H.cert("ca.pem")))
            procs[i] = H.killing(H.spawn{"sh", "-c", script})
        end
        local lines = H.run_example(H.doc_example("dtls-server"), {"127.0.0.1", tostring(port), "2"})
        table.sort(lines, function(a, b) return a:sub(-1) < b:sub(-1) end)
        assert.are.equal(2, #lines)
        for i = 1, 2 do
            assert.is_truthy(lines[i]:find("^127%.0%.0%.1:%d+\thello from client " .. i .. "$"), lines[i])
            assert.is_true(H.wait_exit(procs[i], 5))
            local out = H.log(procs[i])
            assert.is_truthy(out:find("\nHELLO FROM CLIENT " .. i .. "\n", 1, true), out)
            assert.is_truthy(out:find("Verify return code: 0 (ok)", 1, true), out)
            assert.is_true(saw_hello_verify_request(procs[i]), out)
        end
    end)

    it("a client certificate, then the session resumed in fd mode: s_server -Verify", function()
        local proc, port = s_server{"-cert", H.cert("server.pem"), "-key", H.cert("server.key"), "-Verify", "1",
                                    "-CAfile", H.cert("ca.pem")}
        local ccfg = dtls_config("client", {cert_file = H.cert("client.pem"), key_file = H.cert("client.key")})
        local session
        for i, mode in ipairs{"memory", "fd"} do
            local hs, u = client_to(port, mode, ccfg, session)
            assert.are.equal(i == 2, hs:info().resumed)
            session = assert(hs:session())
            assert.is_true((run(hs, u, mode == "memory", result_is("closed"), function(h) return h:shutdown() end)))
            assert.are.equal("shutdown", H.code(hs)) -- s_server answered our close_notify
            u:close()
        end
        local out = assert(wait_match(proc, "(Client certificate.-Reused session%-id.-DONE)"))
        assert.is_truthy(out:find("subject=CN ?= ?tlshs test client"), out) -- 3.5 prints no spaces
    end)

    it("PSK: a tlshs client to s_server -dtls1_2 -psk -nocert", function()
        local key = "00112233445566778899aabbccddeeff"
        local proc, port = s_server{"-psk", key, "-psk_identity", "device-7", "-nocert"}
        local ccfg = H.config{role = "client", transport = "datagram", verify = "none", psk = key,
                              psk_identity = "device-7"}
        local hs, u = client_to(port, "memory", ccfg)
        assert.is_truthy(hs:info().cipher:find("PSK", 1, true), hs:info().cipher)
        assert.is_nil(hs:info().peer_cert)
        send(hs, u, true, "psk hello\n")
        assert.is_truthy(wait_match(proc, "(psk hello)"))
    end)

    it("SRTP: use_srtp with s_server -use_srtp, the same keying material", function()
        local proc, port = s_server{"-cert", H.cert("server.pem"), "-key", H.cert("server.key"), "-use_srtp", SRTP,
                                    "-keymatexport", LABEL, "-keymatexportlen", "60"}
        local hs = client_to(port, "memory", dtls_config("client", {use_srtp = "SRTP_AEAD_AES_128_GCM:" .. SRTP}))
        assert.are.equal(SRTP, hs:info().srtp_profile)
        assert.is_truthy(wait_match(proc, "SRTP Extension negotiated, profile=(" .. SRTP .. ")"))
        local printed = assert(wait_match(proc, "Keying material: (%x+)"))
        assert.are.equal(printed, hex(hs:export_keying_material(LABEL, 60)))
    end)

    it("SRTP as the server, mtu 512: s_client -keymatexport prints our keying material", function()
        local largest, cert_datagrams = 0, 0
        local cfg = dtls_config("server", {use_srtp = SRTP, mtu = 512})
        local hs, _, proc = s_client_to("memory", cfg, {"-use_srtp", SRTP, "-keymatexport", LABEL,
                                                        "-keymatexportlen", "60"}, function(direction, d)
            if direction == "out" then
                largest = math.max(largest, #d)
                for _, f in ipairs(H.dtls_fragments(d)) do
                    if f.type == 11 then -- a fragment of our Certificate
                        cert_datagrams = cert_datagrams + 1
                        break
                    end
                end
            end
            return d
        end)
        assert.are.equal(SRTP, hs:info().srtp_profile)
        assert.is_true(largest <= 512, largest)
        assert.is_true(cert_datagrams >= 2, cert_datagrams)
        local printed = assert(wait_match(proc, "Keying material: (%x+)"))
        assert.are.equal(printed, hex(hs:export_keying_material(LABEL, 60)))
        assert.is_truthy(wait_match(proc, "SRTP Extension negotiated, profile=(" .. SRTP .. ")"))
    end)
end)

describe("tlshs.drive over UDP", function()
    after_each(H.cleanup)

    it("fires the retransmission timer when datagrams are lost, and delivers list answers", function()
        local _, port = s_server()
        local u = udp_to(port)
        local hs = closing(assert(tlshs.handshake(dtls_config("client", {retransmit_ms = 20}),
                                                  {server_name = "localhost", trace = true})))
        local seen = {out = 0, ["in"] = 0}
        local t0 = socket.gettime()
        local r = tlshs.drive(hs, u, function(direction, d)
            seen[direction] = seen[direction] + 1
            if seen[direction] == 1 then return nil end -- the first ClientHello, the first HelloVerifyRequest
            if direction == "out" and seen.out == 3 then return {d, d} end -- the hello with the cookie, twice
            return d
        end, 5)
        local elapsed = socket.gettime() - t0
        assert.are.equal("done", r, hs:error())
        assert.is_true(seen.out >= 4 and seen["in"] >= 3)
        local hellos = 0
        for _, e in ipairs(hs:trace()) do
            if e.sent and e.name == "ClientHello" then hellos = hellos + 1 end
        end
        assert.is_true(hellos >= 3, hellos) -- lost, answered by a lost HelloVerifyRequest, with the cookie
        assert.is_true(elapsed < 2, elapsed) -- 20 ms timers, not s_server's 1 s
    end)

    it("sends the flight again on every timeout while nobody answers, until its own timeout", function()
        local u = udp_to(free_udp_port()) -- nobody listens: the sends may fail (ICMP), as losses
        local hs = closing(assert(tlshs.handshake(dtls_config("client", {retransmit_ms = 20}),
                                                  {server_name = "localhost"})))
        local sent = 0
        local t0 = socket.gettime()
        local r = tlshs.drive(hs, u, function(_, d)
            sent = sent + 1
            return d
        end, 0.5)
        local elapsed = socket.gettime() - t0
        assert.are.equal("want_read", r)
        assert.is_true(elapsed >= 0.5 and elapsed < 1.5, elapsed)
        -- 20, 40, 80, 160 ms: the first flight and 4 more in 0.5 s (the fifth is due at 620 ms)
        assert.is_true(sent >= 4 and sent <= 6, sent)
        assert.is_number(hs:timeout())
    end)
end)

describe("DTLS against gnutls", function()
    after_each(H.cleanup)

    it("tlshs client, memory mode: gnutls-serv --udp --echo, data both ways", function()
        local proc, port = H.gnutls_serv{"--udp", "--echo", "--x509certfile", H.cert("server.pem"),
                                         "--x509keyfile", H.cert("server.key")}
        H.killing(proc)
        local hs, u = client_to(port, "memory")
        send(hs, u, true, "ping from tlshs\n")
        read_until(hs, u, true, "ping from tlshs\n") -- the echo
        assert.is_truthy(wait_match(proc, "command: (ping from tlshs)"))
        -- our close_notify goes out; gnutls-serv answers none
        assert.is_true((run(hs, u, true, result_is("want_read"), function(h) return h:shutdown() end)))
    end)

    it("tlshs server, memory mode: gnutls-cli --udp, data both ways, close_notify", function()
        local u = closing(assert(socket.udp()))
        assert(u:setsockname("127.0.0.1", 0))
        local _, port = u:getsockname()
        local proc = H.interactive{"gnutls-cli", "--udp", "-p", tostring(port), "--x509cafile", H.cert("ca.pem"),
                                   "--sni-hostname", "localhost", "127.0.0.1"}
        assert.are.equal(1, #socket.select({u}, nil, 5))
        local first, ip, cport = u:receivefrom(65535)
        assert(u:setpeername(ip, cport))
        local hs = closing(assert(tlshs.handshake(dtls_config("server"))))
        hs:set_peer(ip .. ":" .. cport)
        hs:feed(first)
        assert.are.equal("done", tlshs.drive(hs, u, nil, 5), hs:error())
        assert.are.equal("localhost", hs:info().server_name)
        assert.is_truthy(wait_match(proc, "(Handshake was completed)"))
        send(hs, u, true, "hello from tlshs\n")
        assert.is_truthy(wait_match(proc, "\n(hello from tlshs)\n"))
        proc.stdin:write("hello from gnutls-cli\n")
        read_until(hs, u, true, "hello from gnutls-cli\n")
        -- our close_notify: gnutls-cli says so
        assert.is_true((run(hs, u, true, function(_, r) return r ~= "want_write" end, function(h) return h:shutdown() end)))
        assert.is_truthy(wait_match(proc, "(Peer has closed the GnuTLS connection)"))
    end)
end)
