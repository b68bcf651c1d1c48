-- hs:export_keying_material (RFC 5705 / RFC 8446 7.5): both ends of a tlshs
-- pair agree, and the bytes are what `openssl s_server -keymatexport` prints.
local H = require "helpers"

local LABEL = "EXPERIMENTAL-tlshs-test"

local function pair(version)
    local c = H.closing(assert(require("tlshs").handshake(H.client_config{max_version = version},
        {server_name = "localhost"})))
    local s = H.closing(assert(require("tlshs").handshake(H.server_config())))
    return c, s
end

describe("export_keying_material", function()
    after_each(H.cleanup)

    for _, version in ipairs{"1.2", "1.3"} do
        it("agrees between a tlshs client and server, TLS " .. version, function()
            local c, s = pair(version)
            local ok, err = pcall(c.export_keying_material, c, LABEL, 32)
            assert.is_false(ok) -- before the handshake
            assert.is_truthy(tostring(err):find("not completed", 1, true), err)
            local rc, rs = H.pump(c, s)
            assert.are.equal("done", rc)
            assert.are.equal("done", rs)
            local a = c:export_keying_material(LABEL, 32)
            assert.are.equal(32, #a)
            assert.are.equal(a, s:export_keying_material(LABEL, 32))
            local with = c:export_keying_material(LABEL, 32, "ctx")
            assert.are.equal(with, s:export_keying_material(LABEL, 32, "ctx"))
            assert.are_not.equal(a, with)
            -- no context and an empty one differ in TLS 1.2 only
            assert.are.equal(version == "1.3", a == c:export_keying_material(LABEL, 32, ""))
            assert.has_error(function() c:export_keying_material(LABEL, 0) end)
            assert.has_error(function() c:export_keying_material(nil, 8) end)
        end)
    end

    it("gives the bytes openssl s_server -keymatexport prints", function()
        -- not -www (H.s_server): s_server prints the keying material only in its
        -- plain mode, whose stdin must stay open (a FIFO) or it hangs up
        local stdin = H.fifo()
        local proc, port = H.start_server(function(p)
            return {"openssl", "s_server", "-accept", tostring(p), "-naccept", "1", "-cert", H.cert("server.pem"),
                    "-key", H.cert("server.key"), "-keymatexport", LABEL, "-keymatexportlen", "20"}
        end, "ACCEPT", "openssl s_server", stdin)
        H.killing(proc)
        local hs, sock = H.fd_client(H.client_config(), port)
        assert.are.equal("done", H.drive(hs, sock, 5))
        local km = hs:export_keying_material(LABEL, 20)
        local want = km:gsub(".", function(ch) return string.format("%02X", ch:byte()) end)
        local out = H.wait_log(proc, "Keying material: " .. want, 5)
        assert.is_truthy(out:find("Keying material: " .. want, 1, true), out)
    end)
end)

describe("psk", function()
    after_each(H.cleanup)

    it("makes a handshake with no certificate, and refuses another identity", function()
        local tlshs = require "tlshs"
        local key = "00112233445566778899aabbccddeeff"
        local scfg = assert(tlshs.config{role = "server", psk = key, psk_identity = "device-7"})
        local good = assert(tlshs.config{role = "client", verify = "none", psk = key, psk_identity = "device-7"})
        local other = assert(tlshs.config{role = "client", verify = "none", psk = key})
        local c, s = H.closing(assert(tlshs.handshake(good))), H.closing(assert(tlshs.handshake(scfg)))
        local rc, rs = H.pump(c, s)
        assert.are.equal("done", rc)
        assert.are.equal("done", rs)
        assert.is_nil(c:info().peer_cert)
        c, s = H.closing(assert(tlshs.handshake(other))), H.closing(assert(tlshs.handshake(scfg)))
        rc, rs = H.pump(c, s)
        assert.are.equal("closed", rc)
        assert.are.equal("closed", rs)
        local cfg, msg, code = tlshs.config{role = "client", psk = "xyz"}
        assert.is_nil(cfg)
        assert.are.equal("bad_value", code, msg)
    end)
end)
