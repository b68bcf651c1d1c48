-- drive.lua - tlshs.drive(hs, sock [, tamper [, timeout]]) -> result: carries
-- the bytes of one memory-mode handshake over a connected LuaSocket TCP
-- object, or the datagrams of a DTLS handshake over a connected LuaSocket UDP
-- object, firing its retransmission timer (docs/lua.md, "tlshs.drive").
--
-- Part of the module, not a module of its own: lua/lua.mk embeds this file
-- in tlshs.so at build time (lua/embed.lua writes it into a C file), and
-- luaopen_tlshs runs it once with the module table and a C function that
-- tells an open handshake's transport ("stream" or "datagram"; false for
-- anything else); it answers the drive function.  It loads
-- LuaSocket when drive is first called, so the module works without it.
local _, handshake_kind = ...

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

-- The tamper's answer for data, checked: nil, a string or a list of strings;
-- an error names the caller of drive, `level` frames up.
local function ask_tamper(tamper, direction, data, level)
    local got = tamper(direction, data)
    if type(got) == "table" then
        for i = 1, #got do
            if type(got[i]) ~= "string" then
                error("tamper's list holds a " .. type(got[i]) .. " at " .. i .. " (strings only)", level)
            end
        end
    elseif got ~= nil and type(got) ~= "string" then
        error("tamper must answer a string, nil or a list of strings, got " .. type(got), level)
    end
    return got
end

-- The bytes to deliver in direction ("out" or "in"): the tamper's answer (a
-- list's strings one after the other), or data.
local function deliver(tamper, direction, data)
    if tamper and #data > 0 then
        data = ask_tamper(tamper, direction, data, 4)
        if type(data) == "table" then data = table.concat(data) end
    end
    return data or ""
end

-- The datagrams to deliver in direction for datagram d: the tamper's answer
-- (nil or "" drops, a string, a list of strings in order), or d itself.
local function deliver_datagrams(tamper, direction, d)
    if not tamper then return {d} end
    local got = ask_tamper(tamper, direction, d, 6)
    if got == nil then return {} end
    if type(got) == "string" then return {got} end
    return got
end

-- Takes every datagram hs has pending and sends each (through tamper) as one
-- UDP datagram; answers how many were taken.  A failed send is a lost
-- datagram (the timer sends it again).
local function send_datagrams(hs, sock, tamper)
    local count = 0
    while hs:pending() > 0 do
        count = count + 1
        for _, d in ipairs(deliver_datagrams(tamper, "out", hs:take())) do
            if #d > 0 then sock:send(d) end
        end
    end
    return count
end

-- Feeds the datagrams waiting on sock (without waiting for more) to hs, through
-- tamper; answers how many arrived.
local function receive_datagrams(hs, sock, tamper)
    local count = 0
    while true do
        local d = sock:receive(65535)
        if not d then return count end -- "timeout": none left; "refused": an ICMP error, a loss
        count = count + 1
        for _, x in ipairs(deliver_datagrams(tamper, "in", d)) do
            if #x > 0 and hs:result() ~= "closed" then hs:feed(x) end
        end
    end
end

-- A DTLS handshake over a connected UDP object: one datagram per send and
-- receive; while waiting, at most until hs:timeout(), then hs:on_timeout().
-- Quiet for `timeout` seconds (nothing received): the last result.
local function drive_datagrams(socket, hs, sock, tamper, timeout)
    sock:settimeout(0)
    local deadline = socket.gettime() + timeout
    local r = hs:step()
    while true do
        local sent = send_datagrams(hs, sock, tamper)
        if r == "want_write" then
            if sent == 0 then return r end -- not memory mode: nothing to carry
            r = hs:step()
        elseif r == "closed" then
            return r
        elseif r == "done" then
            -- a DONE side answers retransmissions inside its read: what has
            -- arrived already is processed (and answered) before returning
            if receive_datagrams(hs, sock, tamper) > 0 then
                hs:step()
                send_datagrams(hs, sock, tamper)
            end
            return r
        else
            local left = deadline - socket.gettime()
            if left <= 0 then return r end
            local t = hs:timeout()
            socket.select({sock}, nil, t and math.min(t, left) or left)
            if receive_datagrams(hs, sock, tamper) > 0 then
                deadline = socket.gettime() + timeout
                r = hs:step()
            elseif hs:timeout() == 0 then
                r = hs:on_timeout() -- nothing came in time: our last flight again
            else
                r = hs:step()
            end
        end
    end
end

return function(hs, sock, tamper, timeout)
    local kind = handshake_kind(hs)
    if not kind then
        error("bad argument #1 to 'drive' (an open tlshs.handshake expected, got " .. type(hs) .. ")", 2)
    end
    if type(sock) ~= "userdata" and type(sock) ~= "table" or not sock.receive then
        error("bad argument #2 to 'drive' (a LuaSocket TCP or connected UDP object expected)", 2)
    end
    if tamper ~= nil and type(tamper) ~= "function" then
        error("bad argument #3 to 'drive' (function expected, got " .. type(tamper) .. ")", 2)
    end
    timeout = timeout or 10
    if type(timeout) ~= "number" or timeout < 0 then
        error("bad argument #4 to 'drive' (a number of seconds expected)", 2)
    end
    local socket = require "socket"
    if kind == "datagram" then
        local r = drive_datagrams(socket, hs, sock, tamper, timeout) -- not a tail call: errors name the caller
        return r
    end
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
