-- Where the event-loop adapters are: plain Lua files beside the C module,
-- found in the checkout with LUA_PATH='lua/?.lua;;' (make test-lua sets it)
-- and installed by `make install-lua` next to tlshs.so, where lua5.4 finds
-- both with its default paths.
local tlshs = require "tlshs"
local H = require "helpers"

local LUA = os.getenv("TLSHS_LUA") or "lua5.4"

local function sh(cmd, keep_stderr)
    local p = assert(io.popen(cmd .. (keep_stderr and "" or " 2>&1")))
    local out = p:read("a")
    return p:close(), out
end

describe("the adapters' files", function()
    it("are Lua files of lua/tlshs/, while require \"tlshs\" stays the C module", function()
        assert.is_nil(package.searchpath("tlshs", package.path)) -- no tlshs.lua, no tlshs/init.lua
        assert.matches("tlshs%.so$", package.searchpath("tlshs", package.cpath))
        assert.are.equal("C", debug.getinfo(tlshs.config, "S").what)
        for _, name in ipairs{"conn", "cqueues", "socket"} do
            assert.are.equal("lua/tlshs/" .. name .. ".lua", package.searchpath("tlshs." .. name, package.path))
        end
        assert.are.equal(tlshs, package.loaded.tlshs)
        assert.is_function(require("tlshs.cqueues").wrap)
        assert.is_function(require("tlshs.socket").wrap)
    end)

    it("are installed by make install-lua beside tlshs.so, where lua5.4's default paths find them", function()
        local dir = os.tmpname()
        os.remove(dir)
        -- install-lua's commands without building (-o: lua/tlshs.so counts as made); the
        -- module they copy is replaced by the one under test (the ASan build under test-lua-asan)
        local module = package.searchpath("tlshs", package.cpath)
        local ok, cmds = sh(("env -u LD_PRELOAD -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -n --no-print-directory " ..
            "-o lua/tlshs.so install-lua DESTDIR=%s PREFIX=/usr/local"):format(H.sh_quote(dir)), true)
        assert.is_true(ok, cmds)
        assert.matches("lua/tlshs/cqueues.lua", cmds, 1, true)
        -- (without the sanitizer runtime make test-lua-asan preloads: install is not ours)
        ok, cmds = sh("set -e\nunset LD_PRELOAD\n" .. cmds:gsub("%f[%S]lua/tlshs%.so%f[%s]", (module:gsub("%%", "%%%%"))))
        assert.is_true(ok, cmds)
        local libdir = dir .. "/usr/local/lib/lua/5.4"
        for _, f in ipairs{"tlshs.so", "tlshs/conn.lua", "tlshs/cqueues.lua", "tlshs/socket.lua"} do
            assert.is_truthy(io.open(libdir .. "/" .. f), "not installed: " .. f)
        end
        -- lua5.4's own default paths, with /usr/local moved under DESTDIR
        local script = [[
            package.path = package.path:gsub("/usr/local/", DIR .. "/usr/local/")
            package.cpath = package.cpath:gsub("/usr/local/", DIR .. "/usr/local/")
            local t = require "tlshs"
            local s, c = require "tlshs.socket", require "tlshs.cqueues"
            io.write(package.searchpath("tlshs", package.cpath):sub(#DIR + 1), " ",
                     package.searchpath("tlshs.socket", package.path):sub(#DIR + 1), " ",
                     tostring(type(t.config) == "function" and type(s.wrap) == "function" and type(c.wrap) == "function"))
        ]]
        ok, cmds = sh(("env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 %s -e %s"):format(
            LUA, H.sh_quote("DIR = " .. ("%q"):format(dir) .. "\n" .. script)))
        sh("rm -r " .. H.sh_quote(dir))
        assert.is_true(ok, cmds)
        assert.are.equal("/usr/local/lib/lua/5.4/tlshs.so /usr/local/lib/lua/5.4/tlshs/socket.lua true", cmds)
    end)
end)
