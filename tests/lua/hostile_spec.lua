-- Hostile input to the binding: Lua code that runs in the middle of a call
-- (metamethods, getfd), strings with NUL bytes, absurd integers and sizes,
-- values of the wrong type.  Each case is a defect found by probing (issue 8).
local tlshs = require "tlshs"
local H = require "helpers"

describe("tlshs.config under hostile input", function()
    after_each(function() debug.setmetatable(0, nil) end)

    it("keeps the option table's keys alive while values are converted", function()
        -- A key only the table holds (long, so not interned; made anew by
        -- victim(), so no variable holds it), sorted after min_version.  The
        -- binding kept raw pointers to the keys; a number's __tostring removed
        -- this one and collected it, and the binding then read the freed
        -- string (under ASan: heap-use-after-free in l_config).
        local stamp = os.time()
        local function victim() return "zz_" .. string.rep("k", 60) .. stamp end
        local t = {role = "client", verify = "none", min_version = 1.3, [victim()] = "x"}
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
        -- a number is taken as its text the way Lua's lua_tolstring takes it: no metamethod runs
        assert.is_false(called)
        assert.is_nil(cfg)
        assert.are.equal(victim() .. ": unknown key", err)
        assert.are.equal("unknown_key", code)
    end)
end)
