-- tlshs/socket.lua - `require "tlshs.socket"`: a tlshs connection over a
-- LuaSocket-style TCP object (docs/lua.md, "tlshs.socket"): LuaSocket's own
-- (its waits block, each within the connection's timeout), or a socket
-- wrapped by a coroutine dispatcher such as copas, whose send and
-- receivepartial yield to the dispatcher while they wait.
--
-- It only moves bytes: send with settimeout; bytes as they arrive with the
-- object's receivepartial when it has one (copas's wrapper), else with
-- socket.select and a non-blocking receive (LuaSocket itself).
-- tlshs/conn.lua does the rest.
local conn = require "tlshs.conn"
local socket = require "socket"

local gettime = socket.gettime

-- The timeout to give settimeout until deadline: -1 is none; nil once it passed.
local function timeout_until(deadline)
    if not deadline then return -1 end
    local t = deadline - gettime()
    return t > 0 and t or nil
end

local io = {now = gettime}

function io.send(sock, data, deadline)
    if data == "" then return 0 end
    local t = timeout_until(deadline)
    if not t then return 0, "timeout" end
    sock:settimeout(t)
    local last, err, partial = sock:send(data)
    if last then return #data end
    return partial or 0, err
end

-- copas's wrapper (and any like it): receivepartial answers as soon as bytes came.
local function recv_partial(sock, max, deadline)
    local t = timeout_until(deadline)
    if not t then return nil, "timeout" end
    sock:settimeout(t)
    local data, err, partial = sock:receivepartial(max)
    data = data or partial
    if data and #data > 0 then return data end
    return nil, err or "closed"
end

-- LuaSocket: wait until the socket is readable (unless its own buffer holds
-- bytes already), then take what is there without waiting.
local function recv_select(sock, max, deadline)
    while true do
        if not (sock.dirty and sock:dirty()) then
            local t = timeout_until(deadline)
            if not t then return nil, "timeout" end
            local ready = socket.select({sock}, nil, t >= 0 and t or nil)
            if not (ready and ready[1]) then
                if deadline and gettime() >= deadline then return nil, "timeout" end
            end
        end
        sock:settimeout(0)
        local data, err, partial = sock:receive(max)
        data = data or partial
        if #data > 0 then return data end
        if err ~= "timeout" then return nil, err end
    end
end

function io.recv(sock, max, deadline)
    if sock.receivepartial then return recv_partial(sock, max, deadline) end
    return recv_select(sock, max, deadline)
end

function io.shutdown(sock)
    if sock.shutdown then pcall(sock.shutdown, sock, "send") end
end

local M = {}

-- tlshs.socket.wrap(sock, config [, opts]) -> conn | nil, message, code
function M.wrap(sock, config, opts)
    local ok, usable = pcall(function() return sock.send and sock.receive and sock.settimeout end)
    if not (ok and usable) then
        error(("bad argument #1 to 'wrap' (a LuaSocket-style TCP object expected, got %s)"):format(type(sock)), 2)
    end
    return conn.wrap("tlshs.socket", io, sock, config, opts)
end

return M
