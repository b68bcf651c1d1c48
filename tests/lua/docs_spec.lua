-- Every function of the module and every method is documented in
-- docs/lua.md and annotated in lua/meta/tlshs.lua; the key table of the docs
-- and the meta's config fields are the C core's (tlshs.config_keys()).
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

    -- The rows of the docs' key table, as config_keys() would give them.
    local function docs_keys()
        local block = docs:match("<!%-%- the key table:[^\n]*\n(.-)\n\n")
        assert.is_string(block, "docs/lua.md: no key table")
        local rows = {}
        for line in block:gmatch("[^\n]+") do
            local cells = {}
            for cell in (line:gsub("\\|", "\0") .. "|"):gmatch("%s*(.-)%s*|") do
                cells[#cells + 1] = cell:gsub("%z", "|")
            end
            table.remove(cells, 1) -- before the first |
            local name = cells[1]:match("^`([%w_]+)`$")
            if name then
                local roles = {}
                for r in cells[3]:gmatch("[^,%s]+") do roles[#roles + 1] = r end
                rows[#rows + 1] = {name = name, kind = cells[2], roles = roles,
                                   metavar = cells[4]:match("^`(.*)`$"),
                                   default = cells[5] ~= "none" and cells[5] or nil}
            end
        end
        return rows
    end

    it("lists every configuration key as tlshs.config_keys() has it", function()
        local want = {}
        for i, k in ipairs(tlshs.config_keys()) do
            want[i] = {name = k.name, kind = k.kind, roles = k.roles, metavar = k.metavar, default = k.default}
        end
        assert.are.same(want, docs_keys())
    end)

    it("annotates every configuration key, typed by its kind", function()
        local types = {switch = 'boolean|"on"|"off"', number = "integer|string", list = "string|string[]",
                       path = "string", pem = "string"}
        local class = meta:match("%-%-%-@class tlshs%.config_options\n(.-)\n\n")
        assert.is_string(class, "meta: no tlshs.config_options")
        local got, want = {}, {}
        for line in class:gmatch("[^\n]+") do -- ---@field name? type # comment
            local name, type_ = line:match("^%-%-%-@field ([%w_]+)%??%s+(%S+)")
            if name and name ~= "role" then got[#got + 1] = name .. " " .. type_ end
        end
        for i, k in ipairs(tlshs.config_keys()) do
            local t = types[k.kind]
            if k.kind == "text" then -- a string, or the strings it may be
                local field = got[i] and got[i]:match("^[%w_]+ (.*)$") or ""
                local literals = field:match('^"') and field:gsub('"[^"|]*"', ""):match("^|*$")
                t = literals and field or "string"
            end
            want[i] = k.name .. " " .. t
        end
        assert.are.same(want, got)
    end)
end)
