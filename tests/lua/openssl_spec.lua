-- tlshs in fd mode against `openssl s_server` and `openssl s_client`
-- processes on 127.0.0.1, and against raw TCP peers that send garbage or
-- hang up.  Every process is killed in after_each, even when a test fails.
local tlshs = require "tlshs"
local socket = require "socket"
local H = require "helpers"

local closing, keep = H.closing, H.killing

local function s_server(args)
    local all = {"-cert", H.cert("server-ec.pem"), "-key", H.cert("server-ec.key")}
    for _, a in ipairs(args or {}) do all[#all + 1] = a end
    local p, port = H.s_server(all)
    keep(p)
    return p, port
end

-- A tlshs client over a fresh connection to port: handshake driven to its end.
local function connect(cfg, port, opts)
    local hs, sock = H.fd_client(cfg, port, opts)
    closing(hs, sock)
    return H.drive(hs, sock, 5), hs, sock
end

-- Sends an HTTP/1.0 GET over a done handshake and reads the whole answer; the
-- server then sends close_notify and waits for ours (s_server serves one
-- connection at a time), so answer it and hang up.
local function http_get(hs, sock)
    assert.are.equal("done", H.drive(hs, sock, 5, function() return (hs:write("GET / HTTP/1.0\r\n\r\n")) end))
    local chunks = {}
    for _ = 1, 100 do
        local r, data = H.read_fd(hs, sock, 5)
        if r ~= "done" then break end
        chunks[#chunks + 1] = data
    end
    assert.are.equal("closed", H.drive(hs, sock, 5, function() return hs:shutdown() end))
    sock:close()
    return table.concat(chunks)
end

describe("tlshs client vs openssl s_server", function()
    after_each(H.cleanup)

    for _, v in ipairs{"1.2", "1.3"} do
        it("completes TLS " .. v .. " and fetches a page", function()
            local _, port = s_server{"-tls" .. v:gsub("%.", "_")}
            local r, hs, sock = connect(H.client_config(), port)
            assert.are.equal("done", r, hs:error())
            assert.are.equal("TLSv" .. v, hs:info().version)
            local page = http_get(hs, sock)
            assert.matches("HTTP/1.0 200 ok", page)
            assert.matches("New, TLSv" .. v, page, 1, true)
        end)
    end

    it("drives a plain integer fd", function()
        local _, port = s_server{}
        local sock = closing(H.connect(port))
        local hs = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost", fd = sock:getfd()})))
        assert.are.equal("done", H.drive(hs, sock, 5))
        assert.matches("HTTP/1.0 200 ok", http_get(hs, sock))
    end)

    it("negotiates ALPN", function()
        local _, port = s_server{"-alpn", "h2,http/1.1"}
        local r, hs = connect(H.client_config{alpn = "http/1.1"}, port)
        assert.are.equal("done", r)
        assert.are.equal("http/1.1", hs:info().alpn)
    end)

    it("presents a client certificate s_server requires", function()
        local _, port = s_server{"-Verify", "1", "-CAfile", H.cert("ca.pem")}
        local cfg = H.client_config{cert_file = H.cert("client.pem"), key_file = H.cert("client.key")}
        local r, hs, sock = connect(cfg, port)
        assert.are.equal("done", r)
        local page = http_get(hs, sock)
        assert.matches("tlshs test client", page, 1, true) -- s_server shows the client's subject
    end)

    for _, v in ipairs{"1.2", "1.3"} do
        it("resumes an exported TLS " .. v .. " session", function()
            local _, port = s_server{"-tls" .. v:gsub("%.", "_")}
            local cfg = H.client_config()
            local r, hs, sock = connect(cfg, port)
            assert.are.equal("done", r)
            local page = http_get(hs, sock) -- reads the ticket along the way
            assert.matches("New, TLSv" .. v, page, 1, true)
            local sess = assert(hs:session())
            local r2, hs2, sock2 = connect(cfg, port, {session = sess})
            assert.are.equal("done", r2)
            assert.is_true(hs2:info().resumed)
            local page2 = http_get(hs2, sock2)
            assert.matches("Reused, TLSv" .. v, page2, 1, true)
        end)
    end

    it("unknown CA: the client sends unknown_ca", function()
        local p, port = H.s_server{"-cert", H.cert("unknown.pem"), "-key", H.cert("unknown.key")}
        keep(p)
        local r, hs = connect(H.client_config(), port)
        assert.are.equal("closed", r)
        assert.are.equal(48, hs:info().alert_sent)
        assert.are.equal(20, hs:info().verify_result) -- unable to get local issuer certificate
        assert.are.equal("verify_failed", H.code(hs))
    end)

    it("wrong host name: the client sends bad_certificate", function()
        local p, port = H.s_server{"-cert", H.cert("wrongname.pem"), "-key", H.cert("wrongname.key")}
        keep(p)
        local r, hs = connect(H.client_config(), port)
        assert.are.equal("closed", r)
        assert.are.equal(42, hs:info().alert_sent)
        assert.are.equal(62, hs:info().verify_result)
        assert.are.equal("verify_failed", H.code(hs))
    end)

    it("version mismatch: the server sends protocol_version", function()
        local _, port = s_server{"-tls1_2"}
        local r, hs = connect(H.client_config{min_version = "1.3"}, port)
        assert.are.equal("closed", r)
        assert.are.equal(70, hs:info().alert_received)
        assert.are.equal("alert_received", H.code(hs))
    end)

    it("missing client certificate: certificate_required (TLS 1.3)", function()
        local _, port = s_server{"-Verify", "1", "-CAfile", H.cert("ca.pem")}
        local r, hs, sock = connect(H.client_config(), port)
        if r == "done" then r = H.read_fd(hs, sock, 5) end
        assert.are.equal("closed", r)
        assert.are.equal(116, hs:info().alert_received)
        assert.are.equal("alert_received", H.code(hs))
    end)
end)

-- Starts s_client against a tlshs server listening on an ephemeral port;
-- answers the server's result, its handshake, and the s_client process.
local function serve_one(scfg, args, after)
    local srv, port = H.listen()
    closing(srv)
    local argv = {"openssl", "s_client", "-connect", "127.0.0.1:" .. port, "-servername", "localhost",
                  "-CAfile", H.cert("ca.pem"), "-verify_return_error", "-ign_eof"}
    for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
    local proc = keep(H.spawn(argv))
    local sock = closing(assert(H.accept(srv, 5)))
    local hs = closing(assert(tlshs.handshake(scfg, {fd = sock})))
    local r = H.drive(hs, sock, 5)
    if after then after(hs, sock, r) end
    -- end the connection: close_notify if done, then hang up, and let s_client finish
    if r == "done" then H.drive(hs, sock, 2, function() return hs:shutdown() end) end
    sock:close()
    assert.is_true(H.wait_exit(proc, 5), "s_client did not exit")
    return r, hs, H.log(proc)
end

describe("openssl s_client vs tlshs server", function()
    after_each(H.cleanup)

    for _, v in ipairs{"1.2", "1.3"} do
        it("completes TLS " .. v .. " with verification and reads data", function()
            local got
            local r, hs, log = serve_one(H.server_config(), {"-tls" .. v:gsub("%.", "_")}, function(hs, sock, r)
                if r == "done" then
                    assert.are.equal("done", H.drive(hs, sock, 5, function() return (hs:write("hello from tlshs\n")) end))
                end
                got = r
            end)
            assert.are.equal("done", r, hs:error())
            assert.are.equal("done", got)
            assert.are.equal("TLSv" .. v, hs:info().version)
            assert.are.equal("localhost", hs:info().server_name)
            assert.matches("Verify return code: 0 (ok)", log, 1, true)
            assert.matches("New, TLSv" .. v, log, 1, true)
            assert.matches("hello from tlshs", log, 1, true)
        end)
    end

    it("selects ALPN and verifies s_client's certificate", function()
        local scfg = H.server_config{alpn = "h2,http/1.1", verify = "require", ca_file = H.cert("ca.pem")}
        local r, hs, log = serve_one(scfg, {"-alpn", "http/1.1,h2", "-cert", H.cert("client.pem"),
                                            "-key", H.cert("client.key")})
        assert.are.equal("done", r)
        assert.are.equal("h2", hs:info().alpn)
        assert.matches("ALPN protocol: h2", log, 1, true)
        assert.is_string(hs:info().peer_cert)
        assert.are.equal(0, hs:info().verify_result)
    end)

    it("resumes s_client's saved session", function()
        local scfg = H.server_config()
        local sess = os.tmpname()
        finally(function() os.remove(sess) end)
        local r, hs, log = serve_one(scfg, {"-sess_out", sess})
        assert.are.equal("done", r)
        assert.is_false(hs:info().resumed)
        assert.matches("New, TLSv1.3", log, 1, true)
        local r2, hs2, log2 = serve_one(scfg, {"-sess_in", sess})
        assert.are.equal("done", r2)
        assert.is_true(hs2:info().resumed)
        assert.matches("Reused, TLSv1.3", log2, 1, true)
    end)

    it("is refused by s_client trusting another CA (unknown_ca)", function()
        local r, hs = serve_one(H.server_config(), {"-CAfile", H.cert("unknown-ca.pem")})
        assert.are.equal("closed", r)
        assert.are.equal(48, hs:info().alert_received)
        assert.are.equal("alert_received", H.code(hs))
    end)

    it("refuses s_client without a certificate (certificate_required)", function()
        local scfg = H.server_config{verify = "require", ca_file = H.cert("ca.pem")}
        local r, hs = serve_one(scfg, {})
        assert.are.equal("closed", r)
        assert.are.equal(116, hs:info().alert_sent)
        assert.are.equal("protocol_error", H.code(hs))
    end)

    it("refuses s_client offering only TLS 1.2 (protocol_version)", function()
        local r, hs = serve_one(H.server_config{min_version = "1.3"}, {"-tls1_2"})
        assert.are.equal("closed", r)
        assert.are.equal(70, hs:info().alert_sent)
        assert.are.equal("protocol_error", H.code(hs))
    end)
end)

describe("tlshs client vs raw TCP peers", function()
    after_each(H.cleanup)

    local function raw_peer(answer)
        local srv, port = H.listen()
        closing(srv)
        local hs, sock = H.fd_client(H.client_config(), port)
        closing(hs, sock)
        assert.are.equal("want_read", hs:step()) -- the ClientHello went out
        local peer = closing(assert(H.accept(srv, 5)))
        peer:settimeout(2)
        local hello = assert(peer:receive(5))
        assert.are.equal(22, hello:byte(1))
        answer(peer)
        return H.drive(hs, sock, 5), hs
    end

    it("closes on garbage bytes", function()
        local r, hs = raw_peer(function(peer) peer:send("HTTP/1.1 400 Bad Request\r\n\r\n") end)
        assert.are.equal("closed", r)
        assert.are.equal("protocol_error", H.code(hs))
        assert.is_nil(hs:info().alert_sent)
    end)

    it("closes on EOF mid-handshake", function()
        local r, hs = raw_peer(function(peer) peer:close() end)
        assert.are.equal("closed", r)
        assert.are.equal("eof", H.code(hs))
        assert.are.equal(50, hs:info().alert_sent) -- decode_error, as in memory mode
    end)
end)
