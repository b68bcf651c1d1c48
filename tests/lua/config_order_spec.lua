-- The same keys give the same config in every order and in every language
-- (issue 8, part 1): rules between keys (min_version against max_version)
-- are the C core's, checked once when the first handshake freezes the
-- config, never when a key is set.  The binding applies keys sorted, so
-- max_version comes first: with the check at set time, max_version 1.1 met
-- the default floor 1.2 and was refused whatever the table said.
-- Needs the core-config branch (the check moved to the freeze).
local tlshs = require "tlshs"
local H = require "helpers"

-- The table built by inserting the pairs in the given order.
local function options(order)
    local t = {role = "client", verify = "none"}
    for _, kv in ipairs(order) do t[kv[1]] = kv[2] end
    return t
end

local ORDERS = {
    {{"min_version", "1.0"}, {"max_version", "1.1"}},
    {{"max_version", "1.1"}, {"min_version", "1.0"}},
}

describe("config rules", function()
    it("takes min_version 1.0 and max_version 1.1 in every order, as one config", function()
        local seen = {}
        for i, order in ipairs(ORDERS) do
            local cfg, err, code = tlshs.config(options(order))
            assert.is_not_nil(cfg, ("order %d: %s (%s)"):format(i, tostring(err), tostring(code)))
            -- the same config: the same outcome against a server of TLS 1.2 and up
            local c = assert(tlshs.handshake(cfg))
            local s = assert(tlshs.handshake(H.server_config()))
            local rc, rs = H.pump(c, s)
            seen[i] = {rc, rs, H.code(c), H.code(s), c:info().alert_sent, s:info().alert_sent}
        end
        assert.are.same(seen[1], seen[2])
        assert.are.equal("closed", seen[1][2]) -- no version in common: TLS 1.1 at most against 1.2 at least
    end)

    it("refuses min_version above max_version at the first handshake, in every order", function()
        local seen = {}
        for i, order in ipairs{
            {{"min_version", "1.3"}, {"max_version", "1.2"}},
            {{"max_version", "1.2"}, {"min_version", "1.3"}},
        } do
            local cfg, err, code = tlshs.config(options(order))
            assert.is_not_nil(cfg, ("order %d: %s (%s)"):format(i, tostring(err), tostring(code)))
            local msg
            msg, code = H.failure(tlshs.handshake(cfg))
            assert.are.equal("config_incomplete", code)
            seen[i] = msg
        end
        assert.are.equal(seen[1], seen[2])
        assert.matches("max_version", seen[1])
    end)
end)
