-- DTLS 1.2 between tlshs objects in memory (issue 18): datagrams kept whole
-- by take and feed, pair per datagram with list answers (duplicate, hold
-- back), the stateless cookie, the retransmission timer in the script's
-- hands (hs:timeout, hs:on_timeout), loss in virtual time, mtu, SRTP.
-- The real peers are in dtls_peers_spec.lua.
local tlshs = require "tlshs"
local H = require "helpers"

local closing = H.closing

local SRTP = "SRTP_AES128_CM_SHA1_80"
local HELLO_VERIFY_REQUEST, CERTIFICATE = 3, 11

local function server_config(extra)
    local t = {transport = "datagram"}
    for k, v in pairs(extra or {}) do t[k] = v end
    return H.server_config(t)
end

local function client_config(extra)
    local t = {transport = "datagram"}
    for k, v in pairs(extra or {}) do t[k] = v end
    return H.client_config(t)
end

local function handshakes(ccfg, scfg, sopts)
    return closing(assert(tlshs.handshake(ccfg, {server_name = "localhost"})),
                   assert(tlshs.handshake(scfg, sopts)))
end

-- Moves every pending datagram of `from` into `to`, one take each; answers the count.
local function move_all(from, to)
    local n = 0
    while from:pending() > 0 do
        to:feed(from:take())
        n = n + 1
    end
    return n
end

local fragments = H.dtls_fragments

local function is_hello_verify_request(d)
    local f = fragments(d)
    return #f == 1 and f[1].type == HELLO_VERIFY_REQUEST
end

local function count_trace(hs, sent, name)
    local n = 0
    for _, e in ipairs(hs:trace()) do
        if e.sent == sent and e.name == name then n = n + 1 end
    end
    return n
end

describe("DTLS in memory", function()
    after_each(H.cleanup)

    it("carries data both ways and close_notify through pair", function()
        local c, s = handshakes(client_config(), server_config())
        local rc, rs, stalled = tlshs.pair(c, s)
        assert.are.same({"done", "done"}, {rc, rs})
        assert.is_nil(stalled)
        assert.are.equal("DTLSv1.2", c:info().version)
        assert.are.equal("DTLSv1.2", s:info().version)
        assert.is_nil(c:timeout()) -- the client's last flight was answered
        for _, pair_ in ipairs{{c, s}, {s, c}} do
            local from, to = pair_[1], pair_[2]
            local msg = "hello from the " .. (from == c and "client" or "server")
            assert.are.same({"done", #msg}, {from:write(msg)})
            assert.are.equal(1, move_all(from, to))
            assert.are.same({"done", msg}, {to:read()})
        end
        assert.are.equal("want_write", c:shutdown())
        move_all(c, s)
        assert.are.equal("closed", (s:read()))
        assert.are.equal("close_notify", H.code(s))
        assert.are.equal("want_write", s:shutdown()) -- the server's own close_notify
        assert.are.equal(1, move_all(s, c))
        assert.are.equal("closed", c:shutdown())
        assert.are.equal("shutdown", H.code(c))
    end)

    it("takes and feeds whole datagrams; a take too small is refused and loses nothing", function()
        local c = closing(assert(tlshs.handshake(client_config(), {server_name = "localhost"})))
        assert.are.equal("want_write", c:step())
        local size = c:pending()
        assert.is_true(size > 100)
        local ok, err = pcall(c.take, c, size - 1)
        assert.is_false(ok)
        assert.is_truthy(err:find("take: the next datagram is " .. size .. " bytes", 1, true), err)
        assert.is_false((pcall(c.take, c, 0)))
        assert.are.equal(size, c:pending()) -- nothing lost
        local d = c:take(size + 100)
        assert.are.equal(size, #d)
        assert.are.equal("", c:take()) -- nothing pending: "" as for a stream
        -- several datagrams wait one after the other; each take answers one
        local s = closing(assert(tlshs.handshake(server_config{cookie = false})))
        s:feed(d)
        assert.are.equal("want_write", s:step())
        local sizes, total = {}, 0
        while s:pending() > 0 do
            local next_size = s:pending()
            local one = s:take()
            assert.are.equal(next_size, #one)
            sizes[#sizes + 1], total = #one, total + #one
        end
        assert.is_true(#sizes >= 1)
        assert.is_true(total > 500) -- ServerHello, Certificate ... in the flight
    end)

    it("delivers duplicated and held-back datagrams from list answers", function()
        local c, s = handshakes(client_config(), server_config())
        local seen, held = {c2s = 0, s2c = 0}, nil
        local rc, rs, stalled = tlshs.pair(c, s, function(direction, d)
            seen[direction] = seen[direction] + 1
            if direction == "c2s" then return {d, d} end -- every datagram twice
            if not held then -- hold the server's first datagram back, send it after the next
                held = d
                return nil
            end
            local out = {d, held}
            held = false
            return out
        end, 200)
        assert.are.same({"done", "done"}, {rc, rs})
        assert.is_nil(stalled)
        assert.is_true(seen.c2s >= 3 and seen.s2c >= 2)
        local c2, s2 = handshakes(client_config(), server_config())
        assert.has_error(function()
            tlshs.pair(c2, s2, function() return {"x", 7} end)
        end, "tamper's list holds a number at 2 (strings only)")
        -- pair stopped at the end of that round: no timer fired (on OpenSSL
        -- 3.5 each would wait out its timeout), the client still waits
        assert.are_not.equal("closed", c2:result())
        assert.is_true(c2:timeout() > 0.9)
        -- inside the tamper the timer can be looked at, not fired
        local c3, s3 = handshakes(client_config(), server_config())
        local looked
        assert.has_error(function()
            tlshs.pair(c3, s3, function()
                looked = c3:timeout()
                c3:on_timeout()
            end)
        end)
        assert.is_number(looked)
        local c4, s4 = handshakes(client_config(), server_config())
        local ok, err = pcall(tlshs.pair, c4, s4, function() s4:set_peer("x") end)
        assert.is_false(ok)
        assert.is_truthy(tostring(err):find("busy", 1, true), err)
    end)

    it("answers a first ClientHello with HelloVerifyRequest and keeps no state", function()
        local scfg = server_config()
        local c = closing(assert(tlshs.handshake(client_config(), {server_name = "localhost"})))
        local function open_server()
            local s = closing(assert(tlshs.handshake(scfg, {trace = true})))
            s:set_peer("192.0.2.7:5684")
            return s
        end
        local s1 = open_server()
        c:step()
        local ch1 = c:take()
        s1:feed(ch1)
        assert.are.equal("want_write", s1:step())
        local hvr = s1:take()
        assert.is_true(is_hello_verify_request(hvr))
        assert.are.equal(1, count_trace(s1, true, "HelloVerifyRequest"))
        assert.is_nil(s1:timeout()) -- no state, no timer
        assert.are.equal("want_read", s1:step())
        s1:close() -- the object that answered is gone
        c:feed(hvr)
        c:step()
        local ch2 = c:take()
        assert.is_true(#ch2 > #ch1) -- the ClientHello again, with the cookie
        -- one byte of the cookie flipped: a new HelloVerifyRequest
        local at = 13 + 12 + 2 + 32 + 1 -- record header, handshake header, version, random: the session id
        at = at + 1 + ch2:byte(at) -- the cookie's length
        assert.are.equal(32, ch2:byte(at))
        local bad = ch2:sub(1, at + 4) .. string.char(ch2:byte(at + 5) ~ 1) .. ch2:sub(at + 6)
        local s3 = open_server()
        s3:feed(bad)
        assert.are.equal("want_write", s3:step())
        assert.is_true(is_hello_verify_request(s3:take()))
        -- the right cookie from another address: refused the same way
        local s4 = closing(assert(tlshs.handshake(scfg)))
        s4:set_peer("192.0.2.8:5684")
        s4:feed(ch2)
        s4:step()
        assert.is_true(is_hello_verify_request(s4:take()))
        -- a new object of the same config takes the retry
        local s2 = open_server()
        s2:feed(ch2)
        local rc, rs = tlshs.pair(c, s2)
        assert.are.same({"done", "done"}, {rc, rs})
        assert.are.equal(0, count_trace(s2, true, "HelloVerifyRequest"))
        assert.are.equal(1, count_trace(s2, false, "ClientHello")) -- the one with the cookie, once
    end)

    it("runs on_client_hello once, for the ClientHello with the valid cookie", function()
        local seen = {}
        local c, s = handshakes(client_config(), server_config(),
                                {trace = true, on_client_hello = function(h) seen[#seen + 1] = h.cookie end})
        local rc, rs = tlshs.pair(c, s)
        assert.are.same({"done", "done"}, {rc, rs})
        assert.are.equal(1, #seen)
        assert.are.equal(32, #seen[1]) -- tlshs's cookie, an HMAC-SHA256
        assert.are.equal(seen[1], s:client_hello().cookie)
        assert.are.equal(1, count_trace(s, true, "HelloVerifyRequest"))
    end)

    it("refuses set_peer once started, on a stream handshake, and empty", function()
        local s = closing(assert(tlshs.handshake(server_config())))
        assert.has_error(function() s:set_peer("") end)
        assert.has_error(function() s:set_peer(5684) end)
        s:set_peer("[2001:db8::1]:5684")
        s:step()
        assert.has_error(function() s:set_peer("192.0.2.7:5684") end)
        local tls = closing(assert(tlshs.handshake(H.server_config())))
        assert.has_error(function() tls:set_peer("192.0.2.7:5684") end)
        assert.is_nil(tls:timeout())
        assert.has_error(function() tls:on_timeout() end)
    end)

    it("leaves the timer to the script: timeout and on_timeout", function()
        local c = closing(assert(tlshs.handshake(client_config(), {server_name = "localhost"})))
        assert.is_nil(c:timeout())
        local ok, err = pcall(c.on_timeout, c) -- refused: no timer runs; nothing changes
        assert.is_false(ok)
        assert.is_truthy(err:find("timer", 1, true), err)
        assert.are.equal("want_read", c:result())
        assert.are.equal("want_write", c:step())
        local t = c:timeout()
        assert.are.equal("number", type(t))
        assert.is_true(t > 0.9 and t <= 1.0, t)
        local hello = c:take() -- lost
        assert.are.equal("want_read", c:step())
        assert.are.equal(0, c:pending())
        if H.openssl_minor < 2 then
            -- OpenSSL 3.0 and 3.1: exact virtual time, no retransmission
            -- before the script asks, however often it steps
            for _ = 1, 50 do assert.are.equal("want_read", c:step()) end
            assert.are.equal(0, c:pending())
            -- the schedule: 1 s, doubling to 60 s; the 12th retransmission is
            -- the last, and the next timeout ends the handshake
            local want = {2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60, 60}
            for i = 1, 12 do
                assert.are.equal("want_write", c:on_timeout())
                assert.are.equal(#hello, #c:take())
                t = c:timeout()
                assert.is_true(t > want[i] - 0.1 and t <= want[i], ("%d: %s"):format(i, t))
            end
            assert.are.equal("closed", c:on_timeout())
            assert.are.equal("timeout", H.code(c))
            assert.is_nil(c:timeout())
            assert.is_false((pcall(c.on_timeout, c)))
        end
    end)

    it("starts the timer at retransmit_ms and doubles it", function()
        local c = closing(assert(tlshs.handshake(client_config{retransmit_ms = 20}, {server_name = "localhost"})))
        c:step()
        local hello = c:take()
        local t = c:timeout()
        assert.is_true(t > 0 and t <= 0.02, t)
        assert.are.equal("want_write", c:on_timeout()) -- 3.5: waits out the rest of the 20 ms
        local again = c:take()
        assert.are.equal(#hello, #again)
        assert.are.equal(hello:sub(14), again:sub(14)) -- the same ClientHello, in a new record
        t = c:timeout()
        assert.is_true(t > 0.02 and t <= 0.04, t)
    end)

    it("completes lossy handshakes in virtual time, or gives up with timeout", function()
        -- OpenSSL 3.2 and later keep the deadline out of reach: a fired timer
        -- waits out the rest of its timeout, so 20 ms timeouts and fewer handshakes
        local real_time = H.openssl_minor >= 2
        local first = real_time and 20 or 1000
        local scfg, ccfg = server_config{retransmit_ms = first}, client_config{retransmit_ms = first}
        local state = 20261207
        local function rnd() -- a fixed-seed LCG: the same losses every run
            state = (state * 1103515245 + 12345) % 2147483648
            return state // 65536 % 100
        end
        local counts = {dropped = 0, duplicated = 0, reordered = 0, done = 0, timed_out = 0}
        local n = real_time and 20 or 200
        local t0 = os.clock()
        for _ = 1, n do
            local c, s = handshakes(ccfg, scfg)
            local held = {}
            local rc, rs = tlshs.pair(c, s, function(direction, d)
                local r = rnd()
                if r < 20 then
                    counts.dropped = counts.dropped + 1
                    return nil
                elseif r < 25 then
                    counts.duplicated = counts.duplicated + 1
                    return {d, d}
                elseif r < 30 and not held[direction] then
                    counts.reordered = counts.reordered + 1
                    held[direction] = d -- sent after the next one
                    return ""
                elseif held[direction] then
                    local out = {d, held[direction]}
                    held[direction] = nil
                    return out
                end
                return d
            end, 1000)
            if rc == "done" and rs == "done" then
                counts.done = counts.done + 1
            else
                -- the only other way out: 12 retransmissions unanswered
                local gave_up = rc == "closed" and c or s
                assert.are.equal("closed", gave_up:result())
                assert.are.equal("timeout", H.code(gave_up))
                counts.timed_out = counts.timed_out + 1
            end
            c:close()
            s:close()
        end
        io.stderr:write(("\n  dtls lossy (Lua): %d handshakes, %d done, %d gave up; %d dropped, "
            .. "%d duplicated, %d reordered; %.2f s CPU\n"):format(n, counts.done, counts.timed_out,
            counts.dropped, counts.duplicated, counts.reordered, os.clock() - t0))
        assert.are.equal(n, counts.done + counts.timed_out)
        assert.is_true(counts.done >= n * 0.9)
        assert.is_true(counts.dropped > 0 and counts.duplicated > 0 and counts.reordered > 0)
    end)

    it("fits every datagram in mtu 512 and cuts the Certificate across datagrams", function()
        local scfg = server_config{mtu = 512, cert_file = H.cert("server.pem"), key_file = H.cert("server.key")}
        local c, s = handshakes(client_config{mtu = 512}, scfg)
        local largest, cert_datagrams, cert_bytes = 0, 0, 0
        local rc, rs = tlshs.pair(c, s, function(direction, d)
            largest = math.max(largest, #d)
            if direction == "s2c" then
                local has_cert = false
                for _, f in ipairs(fragments(d)) do
                    if f.type == CERTIFICATE then
                        has_cert = true
                        cert_bytes = cert_bytes + f.length
                    end
                end
                if has_cert then cert_datagrams = cert_datagrams + 1 end
            end
            return d
        end, 100)
        assert.are.same({"done", "done"}, {rc, rs})
        assert.is_true(largest <= 512, largest)
        assert.is_true(cert_datagrams >= 2, cert_datagrams)
        -- application data larger than a datagram holds: several records, each within mtu
        local msg = ("0123456789"):rep(150)
        assert.are.same({"done", #msg}, {s:write(msg)})
        local got, datagrams = {}, 0
        while s:pending() > 0 do
            local d = s:take()
            assert.is_true(#d <= 512, #d)
            datagrams = datagrams + 1
            c:feed(d)
        end
        assert.is_true(datagrams >= 3)
        for _ = 1, datagrams do
            local r, data = c:read()
            if r == "done" then got[#got + 1] = data end
        end
        assert.are.equal(msg, table.concat(got))
    end)

    it("negotiates use_srtp and exports the same SRTP keying material on both sides", function()
        local c, s = handshakes(client_config{use_srtp = SRTP .. ":SRTP_AEAD_AES_128_GCM"},
                                server_config{use_srtp = SRTP})
        assert.is_nil(c:info().srtp_profile) -- before the handshake
        local rc, rs = tlshs.pair(c, s)
        assert.are.same({"done", "done"}, {rc, rs})
        assert.are.equal(SRTP, c:info().srtp_profile)
        assert.are.equal(SRTP, s:info().srtp_profile)
        local keys = c:export_keying_material("EXTRACTOR-dtls_srtp", 60)
        assert.are.equal(60, #keys)
        assert.are.equal(keys, s:export_keying_material("EXTRACTOR-dtls_srtp", 60))
        -- no use_srtp on one side: no profile
        local c2, s2 = handshakes(client_config{use_srtp = SRTP}, server_config())
        assert.are.same({"done", "done"}, {tlshs.pair(c2, s2)})
        assert.is_nil(c2:info().srtp_profile)
        assert.is_nil(s2:info().srtp_profile)
    end)

    it("handshakes with a pre-shared key and no certificate", function()
        local key = ("0123456789abcdef"):rep(2)
        local scfg = H.config{role = "server", transport = "datagram", psk = key, psk_identity = "device-7"}
        local ccfg = H.config{role = "client", transport = "datagram", verify = "none", psk = key,
                              psk_identity = "device-7"}
        local c, s = handshakes(ccfg, scfg)
        assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
        assert.is_truthy(c:info().cipher:find("PSK", 1, true), c:info().cipher)
        assert.is_nil(c:info().peer_cert)
    end)

    it("captures UDP that tshark names and decrypts", function()
        local path = os.tmpname()
        finally(function() os.remove(path) end)
        local c = closing(assert(tlshs.handshake(client_config(), {server_name = "localhost", trace = true,
                                                                   capture = path})))
        local s = closing(assert(tlshs.handshake(server_config())))
        assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
        c:write("datagram words")
        move_all(c, s)
        local function tshark(args)
            local p = assert(io.popen("tshark -n -r " .. H.sh_quote(path) .. " -o tls.keylog_file: " .. args ..
                                      " 2>&1"))
            local out = p:read("a")
            p:close()
            return out
        end
        local want, got = {}, {}
        for _, e in ipairs(c:trace()) do
            if e.kind == "handshake" then want[#want + 1] = tostring(e.data:byte(1)) end
        end
        local out = tshark("-Y dtls.handshake.type -T fields -e dtls.handshake.type")
        for t in out:gmatch("%d+") do got[#got + 1] = t end
        assert.are.same(want, got, out)
        assert.are.equal("3", got[2]) -- the HelloVerifyRequest
        out = tshark("-Y dtls.app_data -T fields -e data.data")
        assert.is_truthy(out:find(("datagram words"):gsub(".", function(ch)
            return ("%02x"):format(ch:byte())
        end), 1, true), out)
    end)
end)
