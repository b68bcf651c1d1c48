-- drive.lua - tlshs.drive(hs, sock [, tamper [, timeout]]) -> result: carries
-- the bytes of one memory-mode handshake over a connected LuaSocket TCP
-- object (docs/lua.md, "tlshs.drive").
--
-- Part of the module, not a module of its own: lua/lua.mk embeds this file
-- in tlshs.so at build time (lua/embed.lua writes it into a C file), and
-- luaopen_tlshs runs it once with the module table and a C function that
-- tells an open handshake; it answers the drive function.  It loads
-- LuaSocket when drive is first called, so the module works without it.
local _, is_handshake = ...

-- Sends all of data, waiting for the socket while it is full, until deadline;
-- answers whether everything went.
local function send_all(socket, sock, data, deadline)
    local i = 1
    while i <= #data do
        local last, err, partial = sock:send(data, i)
        if last then return true end
        if err ~= "timeout" then return false end
        i = partial + 1
        local left = deadline - socket.gettime()
        if left <= 0 then return false end
        socket.select(nil, {sock}, left)
    end
    return true
end

-- The bytes to deliver in direction ("out" or "in"): the tamper's answer, or data.
local function deliver(tamper, direction, data)
    if tamper and #data > 0 then
        data = tamper(direction, data)
        if data ~= nil and type(data) ~= "string" then
            error("tamper must answer a string or nil, got " .. type(data), 3)
        end
    end
    return data or ""
end

return function(hs, sock, tamper, timeout)
    if not is_handshake(hs) then
        error("bad argument #1 to 'drive' (an open tlshs.handshake expected, got " .. type(hs) .. ")", 2)
    end
    if type(sock) ~= "userdata" and type(sock) ~= "table" or not sock.receive then
        error("bad argument #2 to 'drive' (a LuaSocket TCP object expected)", 2)
    end
    if tamper ~= nil and type(tamper) ~= "function" then
        error("bad argument #3 to 'drive' (function expected, got " .. type(tamper) .. ")", 2)
    end
    timeout = timeout or 10
    if type(timeout) ~= "number" or timeout < 0 then
        error("bad argument #4 to 'drive' (a number of seconds expected)", 2)
    end
    local socket = require "socket"
    sock:settimeout(0)
    local deadline = socket.gettime() + timeout
    local eof = false
    while true do
        local r = hs:step()
        local taken = hs:take()
        local out = deliver(tamper, "out", taken)
        if #out > 0 then
            if not send_all(socket, sock, out, deadline) and r ~= "done" and r ~= "closed" then
                -- the peer is gone: end the input, so the handshake closes with its reason
                if not eof then
                    hs:feed_eof()
                    eof = true
                end
                r = hs:step()
                hs:take()
                return r
            end
            deadline = socket.gettime() + timeout
        end
        if r == "done" or r == "closed" then return r end
        if r == "want_write" and #taken == 0 then return r end -- not memory mode: nothing to carry
        if r == "want_read" then
            if eof then return r end
            local left = deadline - socket.gettime()
            if left <= 0 then return r end
            socket.select({sock}, nil, left)
            local data, err, partial = sock:receive(16384)
            data = data or partial or ""
            if #data > 0 then
                deadline = socket.gettime() + timeout
                data = deliver(tamper, "in", data)
                if #data > 0 then hs:feed(data) end
            end
            if err == "closed" then
                hs:feed_eof()
                eof = true
            end
        end
    end
end
