-- An application_data record sent right behind the ClientHello, before the
-- handshake finished.
-- Expected: TLS 1.2 refuses it as unexpected_message (10); a TLS 1.3 server
-- has its handshake keys by then, cannot decrypt it: bad_record_mac (20).
local tlshs = require "tlshs"
local socket = require "socket"

local flights = 0
local function tamper(direction, flight)
    if direction ~= "c2s" and direction ~= "out" then return flight end
    flights = flights + 1
    if flights ~= 1 then return flight end
    return flight .. tlshs.record(tlshs.APPLICATION_DATA, 0x0303, ("GET / HTTP/1.0\r\n\r\n"):rep(2))
end

-- ---- run the fault: the same in every script of the gallery (common.lua) ----
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
return assert(loadfile(here .. "common.lua", "t", _ENV))()(tamper, ...)
