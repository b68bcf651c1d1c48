-- The client's ChangeCipherSpec sent twice.
-- Expected: TLS 1.3 ignores ChangeCipherSpec records before the Finished
-- (middlebox compatibility) and completes; in TLS 1.2 the second one arrives
-- after the keys changed and is refused (OpenSSL: internal_error,
-- gnutls: bad_record_mac).
local tlshs = require "tlshs"
local socket = require "socket"

local function tamper(direction, flight)
    if direction ~= "c2s" and direction ~= "out" then return flight end
    local records, rest = tlshs.records(flight)
    local out = {}
    for _, r in ipairs(records) do
        out[#out + 1] = tlshs.record(r.type, r.version, r.body)
        if r.type == tlshs.CHANGE_CIPHER_SPEC then out[#out + 1] = tlshs.record(r.type, r.version, r.body) end
    end
    return table.concat(out) .. rest
end

-- ---- run the fault: the same in every script of the gallery (common.lua) ----
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
return assert(loadfile(here .. "common.lua", "t", _ENV))()(tamper, ...)
