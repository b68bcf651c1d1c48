-- The client's Certificate message cut short by 10 bytes (its length fields
-- inside no longer add up; the handshake header and the record say the new
-- length).  Only TLS 1.2 sends the Certificate in the clear: run it with 1.2
-- against a server that asks for a client certificate.
-- Expected: the server closes with decode_error (50).
local tlshs = require "tlshs"
local socket = require "socket"

local CERTIFICATE, CUT = 11, 10
local function tamper(direction, flight)
    if direction ~= "c2s" and direction ~= "out" then return flight end
    local records, rest = tlshs.records(flight)
    local messages, after = {}, {}
    for _, r in ipairs(records) do -- the handshake messages before the ChangeCipherSpec
        if r.type == tlshs.HANDSHAKE and #after == 0 then
            messages[#messages + 1] = r.body
        else
            after[#after + 1] = tlshs.record(r.type, r.version, r.body)
        end
    end
    local hs = table.concat(messages)
    local out, i = {}, 1
    while i + 3 <= #hs do -- type (1), length (3), body
        local type, len = string.unpack(">B I3", hs, i)
        local body = hs:sub(i + 4, i + 3 + len)
        if type == CERTIFICATE then body = body:sub(1, -CUT - 1) end
        out[#out + 1] = tlshs.record(tlshs.HANDSHAKE, 0x0303, string.pack(">B I3", type, #body) .. body)
        i = i + 4 + len
    end
    return table.concat(out) .. table.concat(after) .. rest
end

-- ---- run the fault: the same in every script of the gallery (common.lua) ----
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
return assert(loadfile(here .. "common.lua", "t", _ENV))()(tamper, ...)
