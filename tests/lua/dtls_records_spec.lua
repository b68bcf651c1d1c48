-- DTLS records of a datagram (CONTRACT.md Part 3, "Datagrams: DTLS 1.2"):
-- tlshs.records(s, {datagram = true}), tlshs.record(..., {epoch =, seq =}),
-- tlshs.refragment(s, max_body, {datagram = true}) and the DTLS ClientHello's
-- cookie and JA4 as on_client_hello and hs:client_hello() show them.  The
-- rules are the C core's (tests/c/test_dtls_records.c).
local tlshs = require "tlshs"
local H = require "helpers"

local closing = H.closing
local DG = {datagram = true}

local function dtls_pair(cookie, opts)
    local c = closing(assert(tlshs.handshake(H.client_config{transport = "datagram"}, {server_name = "localhost"})))
    local s = closing(assert(tlshs.handshake(H.server_config{transport = "datagram", cookie = cookie}, opts)))
    return c, s
end

-- Every datagram of a handshake, in order: {direction, bytes}.
local function datagrams()
    local c, s = dtls_pair(true)
    local all = {}
    assert.are.same({"done", "done"}, {tlshs.pair(c, s, function(d, dg)
        all[#all + 1] = {d, dg}
        return dg
    end)})
    return all
end

describe("DTLS records", function()
    after_each(H.cleanup)

    it("reads the records of real datagrams and rebuilds them byte for byte", function()
        local epochs = {}
        for _, x in ipairs(datagrams()) do
            local recs, rest = tlshs.records(x[2], DG)
            assert.are.equal("", rest)
            local out, at = {}, 1
            for i, r in ipairs(recs) do
                -- the header read by hand: type, version, epoch, 48-bit seq, length
                local t, v, e, hi, lo, n = string.unpack(">I1I2I2I2I4I2", x[2], at)
                assert.are.same({t, v, e, hi << 32 | lo, n}, {r.type, r.version, r.epoch, r.seq, #r.body})
                out[i] = tlshs.record(r.type, r.version, r.body, {epoch = r.epoch, seq = r.seq})
                epochs[r.epoch] = true
                at = at + 13 + n
            end
            assert.are.equal(x[2], table.concat(out))
        end
        assert.is_true(epochs[0] and epochs[1])
    end)

    it("writes a DTLS header and refuses what it cannot say", function()
        local r = tlshs.record(23, 0xfefd, "abc", {epoch = 0xffff, seq = (1 << 48) - 1})
        assert.are.equal("\23\254\253\255\255" .. string.rep("\255", 6) .. "\0\3abc", r)
        local recs, rest = tlshs.records(r .. "\22\254", DG)
        assert.are.same({{type = 23, version = 0xfefd, epoch = 0xffff, seq = (1 << 48) - 1, body = "abc"}}, recs)
        assert.are.equal("\22\254", rest)
        assert.has_error(function() tlshs.record(22, 0xfefd, "", {seq = 1 << 48}) end)
        assert.has_error(function() tlshs.record(22, 0xfefd, "", {epoch = -1}) end)
        assert.has_error(function() tlshs.refragment(r, 0, DG) end)
        assert.are.equal("", tlshs.refragment("", 3, DG))
        -- without the options: TLS records
        assert.are.equal(5 + 3, #tlshs.record(23, 0x0303, "abc"))
    end)

    it("re-cuts fragments inside each record, keeping epochs and seqs", function()
        for _, x in ipairs(datagrams()) do
            local cut = tlshs.refragment(x[2], 20, DG)
            local a, b = tlshs.records(x[2], DG), tlshs.records(cut, DG)
            assert.are.equal(#a, #b)
            for i = 1, #a do
                assert.are.same({a[i].type, a[i].epoch, a[i].seq}, {b[i].type, b[i].epoch, b[i].seq})
                if a[i].epoch > 0 or a[i].type ~= tlshs.HANDSHAKE then assert.are.equal(a[i].body, b[i].body) end
            end
        end
    end)

    for _, max_body in ipairs{1, 7, 100} do
        it("completes with flights re-cut to " .. max_body .. " bytes a fragment", function()
            for _, cookie in ipairs{true, false} do
                local looks = {}
                local c, s = dtls_pair(cookie, {on_client_hello = function(h) looks[#looks + 1] = h end})
                assert.are.same({"done", "done"}, {tlshs.pair(c, s, function(d, dg)
                    if d == "s2c" or not cookie then return tlshs.refragment(dg, max_body, DG) end
                    return dg
                end)})
                assert.are.equal(1, #looks)
                assert.are.equal(cookie and 32 or 0, #looks[1].cookie)
            end
        end)
    end

    it("parses the DTLS ClientHello with its cookie and JA4", function()
        local looks = {}
        local c, s = dtls_pair(true, {on_client_hello = function(h) looks[#looks + 1] = h end})
        assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
        for _, h in ipairs{looks[1], s:client_hello(), c:client_hello()} do
            assert.are.equal(0xfefd, h.legacy_version)
            assert.are.equal(32, #h.cookie)
            assert.are.equal("dd2d", h.ja4:sub(1, 4))
            assert.are.equal("65277,", h.ja3:sub(1, 6))
            assert.is_truthy(h.raw:find(h.cookie, 1, true))
        end
        local t = closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost"})))
        t:step()
        assert.is_nil(t:client_hello().cookie)
    end)
end)
