-- The server's first flight dropped: the client waits for bytes that never
-- come.  Expected: no progress; tlshs.pair returns at once (want_read on
-- both sides, "stalled"), tlshs.drive after its timeout (want_read).
local tlshs = require "tlshs"
local socket = require "socket"

local function tamper(direction, flight)
    if direction == "s2c" or direction == "in" then return nil end -- nil or "" drops
    return flight
end

-- ---- run the fault: the same in every script of the gallery (common.lua) ----
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
return assert(loadfile(here .. "common.lua", "t", _ENV))()(tamper, ...)
