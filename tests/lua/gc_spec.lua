-- Lifetimes under collectgarbage() stress: handshakes collected mid-flight,
-- configs dropped (or closed) while their handshakes live, finalizers of a
-- handshake and its config in one cycle, and no growth of the process's
-- memory over many rounds (C memory is invisible to collectgarbage("count"),
-- so the resident set size from /proc is watched).
local tlshs = require "tlshs"
local H = require "helpers"

local function rss_kb()
    local f = io.open("/proc/self/statm")
    if not f then return nil end
    local _, resident = f:read("n", "n")
    f:close()
    return resident * 4 -- pages of 4 KiB
end

local function full_gc()
    collectgarbage("collect")
    collectgarbage("collect")
end

describe("garbage collection", function()
    it("collects handshakes mid-flight", function()
        local ccfg, scfg = H.client_config(), H.server_config()
        for i = 1, 200 do
            local c = tlshs.handshake(ccfg, {server_name = "localhost", trace = i % 2 == 0})
            local s = tlshs.handshake(scfg)
            c:step()
            H.move(c, s)
            if i % 3 == 0 then s:step() end -- the server's flight stays pending
            if i % 10 == 0 then full_gc() end
        end
        full_gc()
        -- the configs still work
        local c = tlshs.handshake(ccfg, {server_name = "localhost"})
        local s = tlshs.handshake(scfg)
        assert.are.same({"done", "done"}, {H.pump(c, s)})
    end)

    for _, mode in ipairs{"incremental", "generational"} do
        it("completes and drops handshakes with the collector always running (" .. mode .. ")", function()
            local ccfg, scfg = H.client_config(), H.server_config()
            if mode == "incremental" then
                collectgarbage("incremental", 0, 1000) -- a new cycle at once, big steps
            else
                collectgarbage("generational", 1, 10)
            end
            local ok, err = pcall(function()
                local done = 0
                for i = 1, 60 do
                    -- only the handshakes are referenced: configs go out of scope now
                    local c = tlshs.handshake(i % 2 == 0 and ccfg or H.client_config(), {server_name = "localhost"})
                    local s = tlshs.handshake(i % 2 == 0 and scfg or H.server_config())
                    if i % 3 == 0 then
                        c:step() -- dropped mid-flight
                    else
                        local rc, rs = H.pump(c, s)
                        if rc == "done" and rs == "done" then done = done + 1 end
                    end
                end
                return done
            end)
            collectgarbage("incremental", 200, 100) -- Lua 5.4's defaults
            assert.is_true(ok, err)
            assert.are.equal(40, err)
        end)
    end

    it("keeps a config alive while its handshakes live", function()
        local weak = setmetatable({}, {__mode = "v"})
        local c, s
        do
            local ccfg, scfg = H.client_config(), H.server_config()
            weak.c, weak.s = ccfg, scfg
            c = tlshs.handshake(ccfg, {server_name = "localhost"})
            s = tlshs.handshake(scfg)
        end
        c:step()
        H.move(c, s)
        full_gc()
        assert.is_not_nil(weak.c, "the client's config was collected under it")
        assert.is_not_nil(weak.s)
        assert.are.same({"done", "done"}, {H.pump(c, s)})
        assert.are.equal("TLSv1.3", c:info().version)
        c, s = nil, nil
        full_gc()
        assert.is_nil(weak.c)
        assert.is_nil(weak.s)
    end)

    it("lets a handshake finish after its config was closed", function()
        local ccfg, scfg = H.client_config(), H.server_config()
        local c = tlshs.handshake(ccfg, {server_name = "localhost"})
        local s = tlshs.handshake(scfg)
        ccfg:close()
        scfg:close()
        full_gc()
        assert.are.same({"done", "done"}, {H.pump(c, s)})
    end)

    it("finalizes a handshake and its config in the same cycle", function()
        local weak = setmetatable({}, {__mode = "v"})
        for i = 1, 100 do
            local cfg = H.client_config()
            local hs = tlshs.handshake(cfg, {server_name = "localhost"})
            hs:step()
            -- both unreachable together, in either creation order
            local scfg = H.server_config()
            local hs2 = tlshs.handshake(scfg)
            hs2:feed(hs:take())
            assert.are.equal("want_write", hs2:step())
            weak[4 * i - 3], weak[4 * i - 2], weak[4 * i - 1], weak[4 * i] = cfg, hs, scfg, hs2
        end
        assert.are.equal(400, #weak)
        collectgarbage("collect") -- one cycle: weak values go before their finalizers run
        local left = 0
        for _ in pairs(weak) do left = left + 1 end
        assert.are.equal(0, left, "objects survived the cycle that found them unreachable")
        -- the finalizers ran: every handshake and config was freed, and new ones work
        local c = tlshs.handshake(H.client_config(), {server_name = "localhost"})
        local s = tlshs.handshake(H.server_config())
        assert.are.same({"done", "done"}, {H.pump(c, s)})
    end)

    it("survives a closed handshake being collected, and close after collection of the config", function()
        local hs = tlshs.handshake(H.client_config(), {server_name = "localhost"})
        hs:close()
        full_gc()
        hs:close()
        hs = nil
        full_gc()
    end)

    it("serves handshakes made in one coroutine and stepped in others after it was collected", function()
        local c, s
        local maker = coroutine.wrap(function()
            c = tlshs.handshake(H.client_config(), {server_name = "localhost"})
            s = tlshs.handshake(H.server_config())
            coroutine.yield()
        end)
        maker()
        maker = nil
        full_gc() -- the coroutine (a lua_State of its own) is gone
        local steps = {}
        for i = 1, 4 do
            steps[i] = coroutine.create(function()
                while true do
                    local rc = c:step()
                    H.move(c, s)
                    local rs = s:step()
                    H.move(s, c)
                    coroutine.yield(rc, rs)
                end
            end)
        end
        local rc, rs
        for i = 1, 12 do
            local ok
            ok, rc, rs = coroutine.resume(steps[i % 4 + 1])
            assert.is_true(ok, rc)
            full_gc()
            if rc == "done" and rs == "done" then break end
        end
        assert.are.same({"done", "done"}, {rc, rs})
    end)

    it("does not leak over many handshakes created, half run and dropped", function()
        local ccfg, scfg = H.client_config(), H.server_config()
        local function round(n)
            for i = 1, n do
                local c = tlshs.handshake(ccfg, {server_name = "localhost", trace = true})
                local s = tlshs.handshake(scfg)
                if i % 4 == 0 then
                    H.pump(c, s)
                    H.settle(c, s)
                    c:session()
                    c:info()
                    c:trace()
                else
                    c:step()
                    H.move(c, s)
                    s:step()
                end
                if i % 2 == 0 then c:close() end
                if i % 50 == 0 then collectgarbage("step") end
            end
            full_gc()
        end
        round(300) -- warm up caches and allocator pools
        local before = rss_kb()
        assert.is_number(before, "no /proc/self/statm")
        round(1500)
        local after = rss_kb()
        -- a leaked SSL object costs tens of KiB: 1500 of them would be tens of MiB
        assert.is_true(after - before < 4096, ("resident set grew by %d KiB"):format(after - before))
    end)
end)
