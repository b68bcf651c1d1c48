-- The ClientHello cut into records of one body byte each: a server must
-- reassemble a handshake message from any number of records.
-- Expected: the handshake completes (tlshs, openssl s_server, gnutls-serv).
local tlshs = require "tlshs"
local socket = require "socket"

-- direction: "c2s"/"s2c" (tlshs.pair), "out"/"in" (tlshs.drive)
local function tamper(direction, flight)
    if direction == "c2s" or direction == "out" then return tlshs.refragment(flight, 1) end
    return flight
end

-- ---- run the fault: the same in every script of the gallery (common.lua) ----
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
return assert(loadfile(here .. "common.lua", "t", _ENV))()(tamper, ...)
