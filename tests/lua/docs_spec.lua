-- Every function of the module and every method is documented in
-- docs/lua.md and annotated in lua/meta/tlshs.lua.
local tlshs = require "tlshs"
local H = require "helpers"

describe("documentation", function()
    local docs = H.read_file("docs/lua.md")
    local meta = H.read_file("lua/meta/tlshs.lua")

    it("covers every module function and constant", function()
        for k, v in pairs(tlshs) do
            if type(v) == "function" then
                assert.is_truthy(meta:find("function tlshs." .. k .. "(", 1, true), "meta: tlshs." .. k)
                assert.is_truthy(docs:find("`tlshs." .. k .. "(", 1, true), "docs: tlshs." .. k)
            else
                assert.is_truthy(meta:find("@field " .. k .. " ", 1, true), "meta: " .. k)
                assert.is_truthy(docs:find("tlshs." .. k .. "`", 1, true), "docs: tlshs." .. k)
            end
        end
    end)

    it("covers every handshake method", function()
        local hs = assert(tlshs.handshake(H.server_config()))
        for name in pairs(getmetatable(hs).__index) do
            assert.is_truthy(meta:find("function handshake:" .. name .. "(", 1, true), "meta: hs:" .. name)
            assert.is_truthy(docs:find("`hs:" .. name .. "(", 1, true), "docs: hs:" .. name)
        end
        hs:close()
    end)

    it("covers every config method", function()
        local cfg = H.server_config()
        for name in pairs(getmetatable(cfg).__index) do
            assert.is_truthy(meta:find("function config:" .. name .. "(", 1, true), "meta: config:" .. name)
            assert.is_truthy(docs:find("`config:" .. name .. "(", 1, true), "docs: config:" .. name)
        end
    end)
end)
