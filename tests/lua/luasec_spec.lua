-- tlshs in fd mode (driving LuaSocket sockets directly) against LuaSec
-- (Debian's lua-sec) as server and as client, both in this process, each
-- side non-blocking, bounded by a deadline.
local tlshs = require "tlshs"
local socket = require "socket"
local ssl = require "ssl"
local H = require "helpers"

local function luasec_server_ctx(extra)
    local t = {mode = "server", protocol = "any", certificate = H.cert("server-ec.pem"),
               key = H.cert("server-ec.key"), options = {"all"}}
    for k, v in pairs(extra or {}) do t[k] = v end
    return assert(ssl.newcontext(t))
end

local function luasec_client_ctx(extra)
    local t = {mode = "client", protocol = "any", cafile = H.cert("ca.pem"), verify = "peer",
               options = {"all"}}
    for k, v in pairs(extra or {}) do t[k] = v end
    return assert(ssl.newcontext(t))
end

-- Steps the tlshs handshake and LuaSec's dohandshake in turn until both are
-- finished; answers tlshs's result and LuaSec's (ok, err).
local function drive_pair(hs, hsock, lconn, seconds)
    local deadline = socket.gettime() + (seconds or 5)
    local r = "want_read"
    local lok, lerr, ldone = nil, nil, false
    while socket.gettime() < deadline do
        if not H.finished(r) then r = hs:step() end
        if not ldone then
            lok, lerr = lconn:dohandshake()
            ldone = lok or (lerr ~= "wantread" and lerr ~= "wantwrite" and lerr ~= "timeout")
        end
        if H.finished(r) and ldone then break end
        socket.select({hsock, lconn}, nil, 0.05)
    end
    return r, lok, lerr
end

-- A connected pair: a tlshs handshake on one end, a LuaSec connection on the other.
local function setup(tlshs_role, tcfg, lctx, opts)
    local srv, port = H.listen()
    local a = H.connect(port)
    local b = assert(H.accept(srv))
    srv:close()
    local tsock, lsock = a, b
    if tlshs_role == "server" then tsock, lsock = b, a end
    opts = opts or {}
    opts.fd = tsock
    if tlshs_role == "client" and opts.server_name == nil then opts.server_name = "localhost" end
    local hs = assert(tlshs.handshake(tcfg, opts))
    local lconn = assert(ssl.wrap(lsock, lctx))
    lconn:settimeout(0)
    if tlshs_role == "server" then lconn:sni("localhost") end
    return hs, tsock, lconn
end

local function lreceive(lconn, n)
    lconn:settimeout(2)
    local d, err, part = lconn:receive(n)
    lconn:settimeout(0)
    return d or part, err
end

local track = H.closing

describe("tlshs client vs LuaSec server", function()
    after_each(H.cleanup)

    for _, v in ipairs{"1.2", "1.3"} do
        it("completes TLS " .. v .. " and exchanges data", function()
            local lctx = luasec_server_ctx{protocol = "tlsv" .. v:gsub("%.", "_")}
            local hs, tsock, lconn = track(setup("client", H.client_config(), lctx))
            local r, lok, lerr = drive_pair(hs, tsock, lconn)
            assert.are.equal("done", r)
            assert.is_true(lok, lerr)
            assert.are.equal("TLSv" .. v, hs:info().version)
            assert.are.equal("TLSv" .. v, lconn:info().protocol)
            assert.are.equal(lconn:info().cipher, hs:info().cipher)
            assert.are.equal("localhost", lconn:getsniname())
            assert.are.equal("done", H.drive(hs, tsock, 5, function() return (hs:write("ping")) end))
            assert.are.equal("ping", lreceive(lconn, 4))
            assert(lconn:send("pong"))
            local rr, data = H.read_fd(hs, tsock)
            assert.are.equal("done", rr)
            assert.are.equal("pong", data)
        end)
    end

    it("negotiates ALPN with the server's preference", function()
        local lctx = luasec_server_ctx{alpn = {"h2", "http/1.1"}}
        local hs, tsock, lconn = track(setup("client", H.client_config{alpn = "http/1.1,h2"}, lctx))
        local r, lok = drive_pair(hs, tsock, lconn)
        assert.are.equal("done", r)
        assert.is_true(lok)
        assert.are.equal("h2", hs:info().alpn)
        assert.are.equal("h2", lconn:getalpn())
    end)

    it("presents a client certificate LuaSec verifies", function()
        local lctx = luasec_server_ctx{cafile = H.cert("ca.pem"), verify = {"peer", "fail_if_no_peer_cert"}}
        local ccfg = H.client_config{cert_file = H.cert("client.pem"), key_file = H.cert("client.key")}
        local hs, tsock, lconn = track(setup("client", ccfg, lctx))
        local r, lok, lerr = drive_pair(hs, tsock, lconn)
        assert.are.equal("done", r)
        assert.is_true(lok, lerr)
        local cert = assert(lconn:getpeercertificate())
        assert.are.equal("tlshs test client", cert:subject()[1].value)
        assert.is_true(lconn:getpeerverification())
    end)

    it("is refused by LuaSec without a client certificate (certificate_required)", function()
        local lctx = luasec_server_ctx{cafile = H.cert("ca.pem"), verify = {"peer", "fail_if_no_peer_cert"}}
        local hs, tsock, lconn = track(setup("client", H.client_config(), lctx))
        local r, lok = drive_pair(hs, tsock, lconn)
        assert.is_false(lok)
        -- TLS 1.3: the client is done before the server judges; the alert ends it on read
        if r == "done" then r = H.read_fd(hs, tsock) end
        assert.are.equal("closed", r)
        assert.are.equal(116, hs:info().alert_received)
        assert.are.equal("alert_received", H.code(hs))
    end)

    it("resumes a session exported from a LuaSec server's ticket", function()
        local lctx = luasec_server_ctx()
        local ccfg = H.client_config()
        local hs, tsock, lconn = track(setup("client", ccfg, lctx))
        local r = drive_pair(hs, tsock, lconn)
        assert.are.equal("done", r)
        -- read until want_read with the ticket in: wait for readability once
        socket.select({tsock}, nil, 1)
        local rr
        for _ = 1, 10 do
            rr = hs:read()
            if rr == "want_read" then break end
        end
        assert.are.equal("want_read", rr)
        local sess = assert(hs:session())
        local hs2, tsock2, lconn2 = track(setup("client", ccfg, lctx, {session = sess}))
        local r2, lok2 = drive_pair(hs2, tsock2, lconn2)
        assert.are.equal("done", r2)
        assert.is_true(lok2)
        assert.is_true(hs2:info().resumed)
        assert.is_false(hs:info().resumed)
    end)

    it("refuses a server certificate from an unknown CA (unknown_ca)", function()
        local lctx = luasec_server_ctx{certificate = H.cert("unknown.pem"), key = H.cert("unknown.key")}
        local hs, tsock, lconn = track(setup("client", H.client_config(), lctx))
        local r, lok, lerr = drive_pair(hs, tsock, lconn)
        assert.are.equal("closed", r)
        assert.is_false(lok)
        assert.matches("unknown ca", lerr)
        assert.are.equal(48, hs:info().alert_sent)
        assert.are.equal("verify_failed", H.code(hs))
    end)
end)

describe("LuaSec client vs tlshs server", function()
    after_each(H.cleanup)

    for _, v in ipairs{"1.2", "1.3"} do
        it("completes TLS " .. v .. " and exchanges data", function()
            local lctx = luasec_client_ctx{protocol = "tlsv" .. v:gsub("%.", "_")}
            local hs, tsock, lconn = track(setup("server", H.server_config(), lctx))
            local r, lok, lerr = drive_pair(hs, tsock, lconn)
            assert.are.equal("done", r)
            assert.is_true(lok, lerr)
            assert.are.equal("TLSv" .. v, hs:info().version)
            assert.are.equal("TLSv" .. v, lconn:info().protocol)
            assert.are.equal("localhost", hs:info().server_name)
            assert.is_true(lconn:getpeerverification())
            assert(lconn:send("ping"))
            local rr, data = H.read_fd(hs, tsock)
            assert.are.equal("done", rr)
            assert.are.equal("ping", data)
            assert.are.equal("done", H.drive(hs, tsock, 5, function() return (hs:write("pong")) end))
            assert.are.equal("pong", lreceive(lconn, 4))
        end)
    end

    it("selects ALPN and verifies LuaSec's client certificate", function()
        local lctx = luasec_client_ctx{alpn = {"http/1.1", "h2"}, certificate = H.cert("client.pem"),
                                       key = H.cert("client.key")}
        local scfg = H.server_config{alpn = "h2,http/1.1", verify = "require", ca_file = H.cert("ca.pem")}
        local hs, tsock, lconn = track(setup("server", scfg, lctx))
        local r, lok, lerr = drive_pair(hs, tsock, lconn)
        assert.are.equal("done", r)
        assert.is_true(lok, lerr)
        assert.are.equal("h2", hs:info().alpn)
        assert.are.equal("h2", lconn:getalpn())
        assert.is_string(hs:info().peer_cert)
        assert.are.equal(0, hs:info().verify_result)
    end)

    it("is refused by LuaSec trusting another CA (unknown_ca received)", function()
        local lctx = luasec_client_ctx{cafile = H.cert("unknown-ca.pem")}
        local hs, tsock, lconn = track(setup("server", H.server_config(), lctx))
        local r, lok, lerr = drive_pair(hs, tsock, lconn)
        assert.are.equal("closed", r)
        assert.is_false(lok)
        assert.matches("certificate verify failed", lerr)
        assert.are.equal(48, hs:info().alert_received)
        assert.are.equal("alert_received", H.code(hs))
    end)

    it("closes on EOF mid-handshake", function()
        local lctx = luasec_client_ctx()
        local hs, tsock, lconn = track(setup("server", H.server_config(), lctx))
        assert.are.equal("want_read", hs:step())
        lconn:dohandshake() -- the ClientHello goes out
        lconn:close()
        local r = H.drive(hs, tsock, 5)
        assert.are.equal("closed", r)
        assert.are.equal("eof", H.code(hs))
    end)
end)
