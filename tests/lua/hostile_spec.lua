-- Hostile input to the binding: Lua code that runs in the middle of a call
-- (metamethods, getfd), strings with NUL bytes, absurd integers and sizes,
-- values of the wrong type.  Each case is a defect found by probing (issue 8).
local tlshs = require "tlshs"
local H = require "helpers"

describe("tlshs.config under hostile input", function()
    after_each(function() debug.setmetatable(0, nil) end)

    it("keeps the option table's keys alive while values are converted", function()
        -- A key only the table holds (long, so not interned; made anew by
        -- victim(), so no variable holds it), sorted after security_level.  The
        -- binding kept raw pointers to the keys; a number's __tostring removed
        -- this one and collected it, and the binding then read the freed
        -- string (under ASan: heap-use-after-free in l_config).
        local stamp = os.time()
        local function victim() return "zz_" .. string.rep("k", 60) .. stamp end
        local t = {role = "client", verify = "none", security_level = 1.0, [victim()] = "x"}
        local called = false
        debug.setmetatable(0, {__tostring = function(n)
            called = true
            t[victim()] = nil
            collectgarbage("collect")
            local junk = {} -- reuse the freed memory with other bytes
            for i = 1, 2000 do junk[i] = string.rep("y", #victim() - 4) .. ("%04d"):format(i) end
            return ("%.1f"):format(n)
        end})
        local ok, cfg, err, code = pcall(tlshs.config, t)
        debug.setmetatable(0, nil)
        assert.is_true(ok, cfg)
        -- a number key's integer is written by the binding (1.0 is "1"): no metamethod runs
        assert.is_false(called)
        assert.is_nil(cfg)
        assert.are.equal(victim() .. ": unknown key", err)
        assert.are.equal("unknown_key", code)
    end)
end)

describe("tlshs.handshake under hostile input", function()
    it("raises, never answers nil and '', when the options' __index closes the config", function()
        local cfg = H.client_config()
        local opts = setmetatable({}, {__index = function(_, k)
            cfg:close()
            return k == "server_name" and "localhost" or nil
        end})
        local ok, err = pcall(tlshs.handshake, cfg, opts)
        assert.is_false(ok)
        assert.matches("config is closed", err, 1, true)
    end)

    it("raises, never answers nil and '', when the fd object's getfd closes the config", function()
        local cfg = H.client_config()
        local sock = H.listen() -- an open descriptor, never handed to the core here
        local obj = {getfd = function()
            cfg:close()
            return sock:getfd()
        end}
        local ok, err = pcall(tlshs.handshake, cfg, {server_name = "localhost", fd = obj})
        sock:close()
        assert.is_false(ok)
        assert.matches("config is closed", err, 1, true)
    end)
end)

describe("tlshs.alert_name under hostile input", function()
    it("answers unknown for integers outside C's int instead of truncating them", function()
        assert.are.equal("handshake_failure", tlshs.alert_name(40))
        assert.are.equal("handshake_failure", tlshs.alert_name(40.0))
        assert.are.equal("unknown", tlshs.alert_name((1 << 32) + 40)) -- was handshake_failure
        assert.are.equal("unknown", tlshs.alert_name(-(1 << 32) + 48)) -- was unknown_ca
        assert.are.equal("unknown", tlshs.alert_name(math.maxinteger))
        assert.are.equal("unknown", tlshs.alert_name(math.mininteger))
        assert.are.equal("unknown", tlshs.alert_name(-1))
    end)

    it("raises for a number that is not an integer", function()
        assert.has_error(function() tlshs.alert_name(40.5) end,
            "bad argument #1 to 'alert_name' (number has no integer representation)")
        assert.has_error(function() tlshs.alert_name(nil) end,
            "bad argument #1 to 'alert_name' (number expected, got nil)")
    end)
end)

describe("handshake methods under hostile input", function()
    local c, s
    before_each(function()
        c = assert(tlshs.handshake(H.client_config(), {server_name = "localhost"}))
        s = assert(tlshs.handshake(H.server_config()))
    end)

    it("feed and write raise for a number instead of sending its text", function()
        assert.has_error(function() c:feed(42) end, "bad argument #1 to 'feed' (string expected, got number)")
        assert.are.equal(0, c:pending())
        H.pump(c, s)
        assert.has_error(function() c:write(42) end, "bad argument #1 to 'write' (string expected, got number)")
        assert.has_error(function() c:write(1.5) end, "bad argument #1 to 'write' (string expected, got number)")
        assert.are.equal(0, c:pending(), "nothing was written")
        assert.are.same({"done", 2}, {c:write("42")}) -- strings still go
    end)

    it("read(n) with an absurd n neither raises nor allocates n", function()
        -- read(1 << 31) allocated 2 GiB (the process's peak address space grew
        -- by as much) for the at most 16 KiB one call answers; 1 << 40 raised
        -- "not enough memory"
        local function vm_peak_kb()
            local f = assert(io.open("/proc/self/status"))
            local kb = tonumber(f:read("a"):match("VmPeak:%s*(%d+) kB"))
            f:close()
            return kb
        end
        assert.are.same({"done", "done"}, {H.pump(c, s)})
        assert.are.same({"done", 5}, {s:write("hello")})
        H.move(s, c)
        local before = vm_peak_kb()
        local got = {}
        for _, n in ipairs{1 << 31, 1 << 40, math.maxinteger} do
            local r, d = c:read(n)
            while r == "want_write" or (r == "done" and #d == 0) do r, d = c:read(n) end
            got[#got + 1] = r .. ":" .. d
        end
        local grew = vm_peak_kb() - before
        assert.are.equal("done:hello want_read: want_read:", table.concat(got, " "))
        assert.is_true(grew < 256 * 1024, ("the peak address space grew by %d KiB"):format(grew))
    end)
end)
