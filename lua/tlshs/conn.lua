-- tlshs/conn.lua - the connection both event-loop adapters answer
-- (tlshs.cqueues, tlshs.socket; docs/lua.md, "Event loops").
--
-- One memory-mode handshake and a socket: each method steps the handshake
-- (step, read, write, shutdown), carries what it takes to the socket and
-- feeds it what the socket gives, until the method's answer is known.  The
-- handshake decides everything about TLS; this file only moves bytes and maps
-- results.  The socket is reached through `io`, the adapter's functions:
--
--   io.send(sock, data, deadline) -> n, err   n: bytes the socket took (they
--       are its own now); err nil when all of data went out, "timeout", or
--       why the socket failed.  Called with data == "" it only finishes
--       sending what it took earlier.
--   io.recv(sock, max, deadline) -> data | nil, err   1 to max bytes as they
--       arrive; err "closed" (the stream ended), "timeout", or why it failed.
--   io.shutdown(sock)   no more bytes from this side (ignores failures).
--   io.now() -> seconds, the clock of the deadlines.
--
-- A deadline is an io.now() time, or nil: no limit of ours (the socket's own
-- timeouts apply, if it has any).
--
-- Internal: the adapters are the public modules.
local tlshs = require "tlshs"

local M = {}

-- What is asked of the socket at a time: one TLS record's plaintext.
local READ_MAX = 16384

-- How long close waits for the peer's answer when the connection has no timeout.
M.CLOSE_WAIT = 10

local Conn = {}

-- A failure of ours: nil, message, code.  A socket that failed stays failed:
-- the TLS stream on it may be cut inside a record.
function Conn:_fail(op, err)
    if err == "timeout" then
        if self.timeout then return nil, ("%s: timed out after %g s"):format(op, self.timeout), "timeout" end
        return nil, op .. ": timed out", "timeout"
    end
    self._broken = ("%s: the socket failed: %s"):format(op, tostring(err))
    return nil, self._broken, "socket_error"
end

-- The handshake's own failure: nil, message, code (hs:error()).
function Conn:_closed()
    return nil, self.hs:error()
end

function Conn:_deadline()
    return self.timeout and self._io.now() + self.timeout
end

-- Carries everything the handshake has for the peer to the socket; what the
-- socket did not take yet is kept for the next call.  One coroutine may
-- send while another receives: the bytes wait in one queue, and whichever
-- call is sending already sends them in order.  Answers true, or
-- nil, message, code.
function Conn:_flush(op, deadline)
    if self.hs:pending() > 0 then self._out = self._out .. self.hs:take() end
    if self._sending or (self._out == "" and not self._unsent) then return true end
    self._sending = true
    local n, err
    repeat
        n, err = self._io.send(self.sock, self._out, deadline)
        if n > 0 then self._sent = true end
        self._out = self._out:sub(n + 1) -- what another call queued meanwhile stays after it
    until err or self._out == ""
    self._sending = false
    self._unsent = err ~= nil -- the socket may still hold some of what it took
    if err == nil then return true end
    return self:_fail(op, err)
end

-- Feeds the handshake what arrives next (or the end of the stream).
-- Answers true, or nil, message, code.
function Conn:_fill(op, deadline)
    if self._eof then return nil, op .. ": the peer closed the connection", "eof" end
    local data, err = self._io.recv(self.sock, READ_MAX, deadline)
    if data then
        self.hs:feed(data)
        return true
    elseif err == "closed" then
        self.hs:feed_eof()
        self._eof = true
        return true
    end
    return self:_fail(op, err)
end

-- conn:handshake() -> true | nil, message, code
function Conn:handshake()
    if self._broken then return nil, self._broken, "socket_error" end
    local deadline = self:_deadline()
    while true do
        local r = self.hs:step()
        local ok, message, code = self:_flush("handshake", deadline)
        if r == "closed" then return self:_closed() end -- its alert went out first
        if not ok then return nil, message, code end
        if r == "done" then return true end
        if r == "want_read" then
            ok, message, code = self:_fill("handshake", deadline)
            if not ok then return nil, message, code end
        end
    end
end

-- conn:send(data) -> #data | nil, message, code, taken
function Conn:send(data)
    if type(data) ~= "string" then
        error(("bad argument #1 to 'send' (string expected, got %s)"):format(type(data)), 2)
    end
    if self._broken then return nil, self._broken, "socket_error", 0 end
    local deadline = self:_deadline()
    while true do
        local r, n = self.hs:write(data)
        local ok, message, code = self:_flush("send", deadline)
        if r == "closed" then
            message, code = self.hs:error()
            return nil, message, code, 0
        end
        -- once written, the records are ours to deliver: the next call sends the rest
        if not ok then return nil, message, code, r == "done" and n or 0 end
        if r == "done" then return n end
        if r == "want_read" then
            ok, message, code = self:_fill("send", deadline)
            if not ok then return nil, message, code, 0 end
        end
    end
end

-- conn:receive([n]) -> data | nil, "closed", code | nil, message, code
function Conn:receive(n)
    if n ~= nil and (math.type(n) ~= "integer" or n < 1) then
        error(("bad argument #1 to 'receive' (a positive integer expected, got %s)"):format(
            math.type(n) or type(n)), 2)
    end
    if self._broken then return nil, self._broken, "socket_error" end
    local deadline = self:_deadline()
    while true do
        local r, data = self.hs:read(n or READ_MAX)
        local ok, message, code = self:_flush("receive", deadline)
        if r == "done" and #data > 0 then return data end -- a failed flush is told by the next call
        if r == "closed" then
            message, code = self.hs:error()
            if code == "close_notify" or code == "eof" then
                self._peer_closed = code == "close_notify"
                return nil, "closed", code
            end
            return nil, message, code
        end
        if not ok then return nil, message, code end
        if r == "want_read" then
            ok, message, code = self:_fill("receive", deadline)
            if not ok then return nil, message, code end
        end
    end
end

-- conn:close() -> true | nil, message, code
-- close_notify, then the end of our stream, then the peer's close_notify or
-- the end of its stream (or the deadline) before the socket closes: a socket
-- closed with the peer's bytes unread is reset, and a reset can destroy what
-- we sent last before the peer reads it.
function Conn:close()
    if self._done then return true end
    self._done = true
    local io, sock = self._io, self.sock
    local deadline = io.now() + (self.timeout or M.CLOSE_WAIT)
    local ok, message, code = true, nil, nil
    if not self._broken then
        local r = self.hs:shutdown()
        while r == "want_write" do
            ok, message, code = self:_flush("close", deadline)
            if not ok then break end
            r = self.hs:shutdown()
        end
        if ok then ok, message, code = self:_flush("close", deadline) end
        -- (nothing to protect when nothing was sent; nothing to wait for once the peer ended)
        if ok and self._sent and not self._peer_closed and not self._eof then
            io.shutdown(sock)
            while true do
                local data, err = io.recv(sock, READ_MAX, deadline)
                if not data then break end -- the end, the deadline or a failure: nothing more to wait for
                if r == "want_read" then
                    self.hs:feed(data)
                    r = self.hs:shutdown()
                    if r == "closed" then break end -- the peer's close_notify
                end
            end
        end
    end
    pcall(sock.close, sock) -- both kinds of socket close with close(); a failure changes nothing
    if ok then return true end
    return nil, message, code
end

-- Makes a connection over sock; `kind` names the adapter ("tlshs.cqueues")
-- in errors and tostring.  Raises like tlshs.handshake; answers
-- nil, message, code where it does.
function M.wrap(kind, io, sock, config, opts)
    if opts ~= nil and type(opts) ~= "table" then
        error(("bad argument #3 to 'wrap' (table expected, got %s)"):format(type(opts)), 3)
    end
    local hopts, timeout = {}, nil
    for k, v in pairs(opts or {}) do
        if k == "timeout" then
            timeout = v
        elseif k == "fd" then
            error("bad argument #3 to 'wrap' (field 'fd': the adapter carries the bytes itself)", 3)
        else
            hopts[k] = v
        end
    end
    if timeout ~= nil and (type(timeout) ~= "number" or not (timeout > 0)) then
        error(("bad argument #3 to 'wrap' (field 'timeout' must be a positive number of seconds, got %s)")
            :format(tostring(timeout)), 3)
    end
    local hs, message, code = tlshs.handshake(config, hopts)
    if not hs then return nil, message, code end
    return setmetatable({hs = hs, sock = sock, timeout = timeout, _kind = kind, _io = io, _out = ""}, Conn.mt)
end

Conn.mt = {
    __index = Conn,
    __name = "tlshs.conn",
    __close = function(self) self:close() end,
    -- "tlshs.cqueues 0x...: tlshs.handshake (client, done): 0x..."
    __tostring = function(self) return ("%s %p: %s"):format(self._kind, self, tostring(self.hs)) end,
}

return M
