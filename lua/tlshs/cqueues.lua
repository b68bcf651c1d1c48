-- tlshs/cqueues.lua - `require "tlshs.cqueues"`: a tlshs connection over a
-- connected cqueues socket (docs/lua.md, "tlshs.cqueues").  Inside a
-- coroutine that a cqueues controller runs, every wait yields to the
-- controller; outside one, it blocks.
--
-- It only moves bytes: the socket's own send/xread/flush in binary mode,
-- errors as values (pcall: cqueues raises most socket errors), ETIMEDOUT as
-- "timeout".  tlshs/conn.lua does the rest.
local conn = require "tlshs.conn" -- loads tlshs before cqueues: see docs/lua.md, "Event loops"
local cqueues = require "cqueues"
local errno = require "cqueues.errno"
local csocket = require "cqueues.socket"

local monotime, poll = cqueues.monotime, cqueues.poll
local EAGAIN, ETIMEDOUT = errno.EAGAIN, errno.ETIMEDOUT

-- Seconds left until deadline (nil: no limit), or false once it passed.
local function left(deadline)
    if not deadline then return nil end
    local t = deadline - monotime()
    return t > 0 and t
end

-- Why a socket call failed, as text; a timeout as "timeout".  cqueues keeps
-- a read or write error on the socket until cleared: a timeout must not
-- stop the next call.
local function why(sock, mode, e)
    if e == ETIMEDOUT then
        sock:clearerr(mode)
        return "timeout"
    end
    return type(e) == "number" and errno.strerror(e) or tostring(e)
end

local io = {now = monotime}

function io.send(sock, data, deadline)
    local i = 1
    while i <= #data do
        local ok, n, e = pcall(sock.send, sock, data, i, #data, "bn")
        if not ok then return i - 1, tostring(n) end
        i = i + n
        if i <= #data then
            if e ~= EAGAIN then return i - 1, why(sock, "w", e) end
            local t = left(deadline)
            if t == false then return i - 1, "timeout" end
            poll(sock, t)
        end
    end
    -- the socket holds what it took: wait until it has gone out
    local t = left(deadline)
    if t == false then return #data, "timeout" end
    local ok, done, e = pcall(sock.flush, sock, "n", t)
    if not ok then return #data, tostring(done) end
    if not done then return #data, why(sock, "w", e) end
    return #data
end

function io.recv(sock, max, deadline)
    local t = left(deadline)
    if t == false then return nil, "timeout" end
    local ok, data, e = pcall(sock.xread, sock, -max, "b", t)
    if not ok then return nil, tostring(data) end
    if data then return data end
    if e == nil then return nil, "closed" end
    return nil, why(sock, "r", e)
end

function io.shutdown(sock)
    pcall(sock.shutdown, sock, "w")
end

local M = {}

-- tlshs.cqueues.wrap(sock, config [, opts]) -> conn | nil, message, code
function M.wrap(sock, config, opts)
    if csocket.type(sock) ~= "socket" then
        error(("bad argument #1 to 'wrap' (a cqueues socket expected, got %s)"):format(type(sock)), 2)
    end
    return conn.wrap("tlshs.cqueues", io, sock, config, opts)
end

return M
