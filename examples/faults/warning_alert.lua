-- An unexpected warning alert (warning, unsupported_certificate) in front of
-- the client's second flight, in the middle of the handshake.
-- Expected: TLS 1.2 ignores a warning alert and completes; in TLS 1.3 every
-- alert but close_notify and user_canceled is fatal (RFC 8446 6): the server
-- closes.
local tlshs = require "tlshs"
local socket = require "socket"

local WARNING, UNSUPPORTED_CERTIFICATE = 1, 43
local flights = 0
local function tamper(direction, flight)
    if direction == "c2s" or direction == "out" then
        flights = flights + 1
        if flights == 2 then
            return tlshs.record(tlshs.ALERT, 0x0303, string.char(WARNING, UNSUPPORTED_CERTIFICATE)) .. flight
        end
    end
    return flight
end

-- ---- run the fault: the same in every script of the gallery (common.lua) ----
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
return assert(loadfile(here .. "common.lua", "t", _ENV))()(tamper, ...)
