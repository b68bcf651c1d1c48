-- A coroutine dispatcher of the suite's own, in the manner of copas, over
-- socket.select: enough of copas's API (wrap, addthread, loop, sleep) to run
-- tlshs.socket as copas runs it (Debian 12's lua-copas is for Lua 5.1/5.2
-- only).  A wrapped socket's send, receive, receivepartial and connect yield
-- to the dispatcher while the socket is not ready, within the wrapper's
-- settimeout, as copas's do; nothing here blocks but socket.select.
--
--   local copas = require("scheduler").new()
--   copas.addthread(function() local s = copas.wrap(socket.tcp()) ... end)
--   copas.loop(10)   -- raises if threads still wait after 10 s, or if one raised
local socket = require "socket"

local S = {}

function S.new()
    local sched = {}
    local runnable = {} -- {co, value} in order
    local waiting = {} -- co -> {sock =, mode = "r"|"w", deadline =}
    local errors = {}

    -- Yields the running thread until sock is ready for mode or deadline
    -- passes; answers whether it is ready.
    local function wait(sock, mode, deadline)
        return coroutine.yield({sock = sock, mode = mode, deadline = deadline})
    end

    local function resume(co, value)
        local ok, w = coroutine.resume(co, value)
        if not ok then
            errors[#errors + 1] = debug.traceback(co, tostring(w))
        elseif coroutine.status(co) ~= "dead" then
            waiting[co] = w
        end
    end

    local W = {}
    W.__index = W

    function W:settimeout(t)
        self.timeout = (t and t >= 0) and t or nil
        return 1
    end

    function W:_deadline()
        return self.timeout and socket.gettime() + self.timeout
    end

    function W:send(data, i, j)
        local deadline = self:_deadline()
        i = i or 1
        self.socket:settimeout(0)
        while true do
            local last, err, partial = self.socket:send(data, i, j)
            if last then return last end
            if err ~= "timeout" then return nil, err, partial end
            i = partial + 1
            if not wait(self.socket, "w", deadline) then return nil, "timeout", partial end
        end
    end

    -- any: answer as soon as some bytes came (copas's receivepartial)
    local function receive(self, pattern, prefix, any)
        local deadline = self:_deadline()
        local before = #(prefix or "")
        self.socket:settimeout(0)
        while true do
            local s, err, part = self.socket:receive(pattern, prefix)
            if s or err ~= "timeout" or (any and #part > before) then return s, err, part end
            prefix = part
            if not wait(self.socket, "r", deadline) then return nil, "timeout", part end
        end
    end

    function W:receive(pattern, prefix) return receive(self, pattern, prefix, false) end
    function W:receivepartial(pattern, prefix) return receive(self, pattern, prefix, true) end

    function W:connect(host, port)
        local deadline = self:_deadline()
        self.socket:settimeout(0)
        local ok, err = self.socket:connect(host, port)
        while not ok do
            if err == "already connected" then return 1 end
            if err ~= "timeout" and err ~= "Operation already in progress" then return nil, err end
            if not wait(self.socket, "w", deadline) then return nil, "timeout" end
            ok, err = self.socket:connect(host, port)
        end
        return ok
    end

    function W:shutdown(how) return self.socket:shutdown(how) end
    function W:close() return self.socket:close() end
    function W:getfd() return self.socket:getfd() end
    function W:dirty() return self.socket:dirty() end

    -- copas.wrap(sock): the yielding wrapper
    function sched.wrap(sock)
        return setmetatable({socket = sock}, W)
    end

    -- copas.addthread(fn, ...): runs fn(...) in a new thread from the next round
    function sched.addthread(fn, ...)
        local args = table.pack(...)
        local co = coroutine.create(function() return fn(table.unpack(args, 1, args.n)) end)
        runnable[#runnable + 1] = {co, nil}
        return co
    end

    -- copas.sleep(t): lets the others run for t seconds
    function sched.sleep(t)
        wait(nil, nil, socket.gettime() + (t or 0))
    end

    -- Runs every thread until all have ended; raises after `limit` seconds
    -- (default 10) or when a thread raised.
    function sched.loop(limit)
        local stop = socket.gettime() + (limit or 10)
        while true do
            local now_runnable = runnable
            runnable = {}
            for _, r in ipairs(now_runnable) do resume(r[1], r[2]) end
            if #errors > 0 then error(table.concat(errors, "\n"), 0) end
            if #runnable == 0 and next(waiting) == nil then return true end
            local rset, wset, soonest = {}, {}, stop
            for _, w in pairs(waiting) do
                if w.mode == "r" then rset[#rset + 1] = w.sock elseif w.mode == "w" then wset[#wset + 1] = w.sock end
                if w.deadline and w.deadline < soonest then soonest = w.deadline end
            end
            local timeout = #runnable > 0 and 0 or math.max(0, soonest - socket.gettime())
            local readable, writable = socket.select(rset, wset, timeout)
            local now = socket.gettime()
            for co, w in pairs(waiting) do
                local ready = (w.mode == "r" and readable[w.sock]) or (w.mode == "w" and writable[w.sock])
                if ready or (w.deadline and now >= w.deadline) then
                    waiting[co] = nil
                    runnable[#runnable + 1] = {co, ready and true or false}
                end
            end
            if now >= stop and #runnable == 0 then
                error(("scheduler: threads still waiting after %g s"):format(limit or 10), 0)
            end
        end
    end

    return sched
end

return S
