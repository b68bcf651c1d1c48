-- One byte of the client's encrypted Finished flipped (the last record of
-- its second flight): the server cannot authenticate the record.
-- Expected: the server closes with bad_record_mac (20).
local tlshs = require "tlshs"
local socket = require "socket"

local flights = 0
local function tamper(direction, flight)
    if direction ~= "c2s" and direction ~= "out" then return flight end
    flights = flights + 1
    if flights ~= 2 then return flight end
    local records, rest = tlshs.records(flight)
    local last = records[#records]
    last.body = last.body:sub(1, -2) .. string.char(last.body:byte(-1) ~ 0x01)
    local out = {}
    for i, r in ipairs(records) do out[i] = tlshs.record(r.type, r.version, r.body) end
    return table.concat(out) .. rest
end

-- ---- run the fault: the same in every script of the gallery (common.lua) ----
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
return assert(loadfile(here .. "common.lua", "t", _ENV))()(tamper, ...)
