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

    it("covers the event-loop adapters: wrap and every connection method", function()
        local conn_meta = H.read_file("lua/meta/tlshs/conn.lua")
        for _, name in ipairs{"cqueues", "socket"} do
            local m = require("tlshs." .. name)
            local mod_meta = H.read_file("lua/meta/tlshs/" .. name .. ".lua")
            for k in pairs(m) do
                assert.is_truthy(mod_meta:find("function M." .. k .. "(", 1, true), "meta: tlshs." .. name .. "." .. k)
                assert.is_truthy(docs:find("`tlshs." .. name .. "." .. k .. "(", 1, true), "docs: tlshs." .. name .. "." .. k)
            end
        end
        -- the methods of a connection: its metatable's __index, public names only
        local conn = require("tlshs.socket").wrap({send = 1, receive = 1, settimeout = 1}, H.server_config())
        local methods = 0
        for name, v in pairs(getmetatable(conn).__index) do
            if type(v) == "function" and not name:match("^_") then
                methods = methods + 1
                assert.is_truthy(conn_meta:find("function conn:" .. name .. "(", 1, true), "meta: conn:" .. name)
                assert.is_truthy(docs:find("`conn:" .. name .. "(", 1, true), "docs: conn:" .. name)
            end
        end
        assert.are.equal(4, methods)
        for field in pairs(conn) do
            if not field:match("^_") then
                assert.is_truthy(conn_meta:find("@field " .. field .. "[? ]"), "meta: conn." .. field)
                assert.is_truthy(docs:find("`conn." .. field .. "`", 1, true), "docs: conn." .. field)
            end
        end
    end)

    it("lists every code the adapters answer in the code table, as TLSHS_CODES names them", function()
        local names = {}
        for name in H.read_file("csrc/tlshs.h"):match("#define TLSHS_CODES%(X%)(.-)\n\n"):gmatch("X%(%d+, [%u_]+, ([%l_]+),") do
            names[name] = true
        end
        local table_ = docs:match("\n## Error codes\n(.*)$")
        local meta_codes = meta:match("@alias tlshs.code\n(.-)\n\n")
        local found = 0
        for _, file in ipairs{"lua/tlshs/conn.lua", "lua/tlshs/cqueues.lua", "lua/tlshs/socket.lua"} do
            -- the codes: the last value of a `return nil, message, "code"`
            for code in H.read_file(file):gmatch('return nil, [^\n]-, "([%l_]+)"[%a ]*\n') do
                found = found + 1
                assert.is_true(names[code], file .. ": " .. code .. " is no name of TLSHS_CODES")
                assert.is_truthy(table_:find("| `" .. code .. "` |", 1, true), "docs/lua.md's code table: " .. code)
                assert.is_truthy(meta_codes:find('"' .. code .. '"', 1, true), "meta's tlshs.code: " .. code)
            end
        end
        assert.is_true(found >= 3)
        assert.is_truthy(table_:find("| `timeout` |", 1, true))
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
