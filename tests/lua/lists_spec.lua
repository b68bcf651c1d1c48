-- The binding copies no list the C core owns: the results and their Lua
-- names come from TLSHS_RESULTS in csrc/tlshs.h, the error codes' names from
-- tlshs_code_name.  A future result (DTLS's timeout) is one line there.
local tlshs = require "tlshs"

local HEADER = "csrc/tlshs.h"
local LUA = os.getenv("TLSHS_LUA") or "lua5.4"
-- how lua.mk builds the module, given by `make test-lua`
local MODULE_CC = os.getenv("TLSHS_LUA_MODULE_CC")
    or "cc -std=c11 -O1 -fPIC -shared -I/usr/include/lua5.4 -Ilua"
local MODULE_LIBS = os.getenv("TLSHS_LUA_MODULE_LIBS") or "build/libtlshs.a -lssl -lcrypto"
local MODULE_SRCS = os.getenv("TLSHS_LUA_MODULE_SRCS")
    or "lua/tlshs.c lua/config.c lua/handshake.c lua/hello.c lua/records.c lua/moves.c lua/common.c build/lua/drive.c"

local function read(path)
    local f = assert(io.open(path, "rb"))
    local s = f:read("a")
    f:close()
    return s
end

-- The X(value, NAME, lua_name) rows of TLSHS_RESULTS, and TLSHS_RESULT_MAX.
local function results_of(header)
    local list = header:match("#define TLSHS_RESULTS%(X%)(.-)\n\n")
    local rows = {}
    for value, NAME, name in list:gmatch("X%((%d+), ([%u_]+), ([%l_]+)%)") do
        rows[#rows + 1] = {value = tonumber(value), NAME = NAME, name = name}
    end
    return rows, tonumber(header:match("#define TLSHS_RESULT_MAX (%d+)"))
end

local function sh(cmd)
    local p = assert(io.popen(cmd .. " 2>&1"))
    local out = p:read("a")
    return p:close(), out
end

describe("lists from tlshs.h", function()
    it("has one constant per result of TLSHS_RESULTS, equal to its Lua name", function()
        local rows, max = results_of(read(HEADER))
        assert.are.equal(max, #rows)
        assert.is_true(#rows >= 4)
        for _, row in ipairs(rows) do
            assert.are.equal(row.name, tlshs[row.NAME], row.NAME)
        end
        local constants = 0
        for k, v in pairs(tlshs) do
            if type(v) == "string" and k:match("^[%u_]+$") and k ~= "VERSION" then constants = constants + 1 end
        end
        assert.are.equal(#rows, constants)
    end)

    it("builds its constants from the list: one more line there is one more result in Lua", function()
        local dir = os.tmpname()
        os.remove(dir)
        assert(sh("mkdir " .. dir))
        local header = read(HEADER)
        local rows, max = results_of(header)
        local last = rows[#rows]
        local row = ("X(%d, %s, %s)"):format(last.value, last.NAME, last.name)
        local n = 0
        header, n = header:gsub(row:gsub("%p", "%%%0"),
            ("%%0 \\\n    X(%d, TIMEOUT, timeout)"):format(max + 1))
        assert.are.equal(1, n)
        header, n = header:gsub("#define TLSHS_RESULT_MAX %d+", "#define TLSHS_RESULT_MAX " .. (max + 1))
        assert.are.equal(1, n)
        local f = assert(io.open(dir .. "/tlshs.h", "w"))
        f:write(header)
        f:close()
        -- the compiler runs without the sanitizer runtime make test-lua-asan preloads
        local ok, out = sh(("env -u LD_PRELOAD %s -I%s -Icsrc %s -o %s/tlshs.so %s"):format(
            MODULE_CC, dir, MODULE_SRCS, dir, MODULE_LIBS))
        assert.is_true(ok, out)
        ok, out = sh(("LUA_CPATH='%s/?.so' %s -e 'local t = require \"tlshs\"; " ..
            "io.write(t.TIMEOUT, \" \", t.CLOSED, \" \", t.WANT_READ)'"):format(dir, LUA))
        sh(("rm -r %s"):format(dir))
        assert.is_true(ok, out)
        assert.are.equal("timeout closed want_read", out)
    end)

    it("names error codes as tlshs_code_name does (TLSHS_CODES)", function()
        local names = {}
        for name in read(HEADER):match("#define TLSHS_CODES%(X%)(.-)\n\n"):gmatch("X%(%d+, [%u_]+, ([%l_]+),") do
            names[name] = true
        end
        local _, _, code = tlshs.config{role = "client", no_such_key = "x"}
        assert.is_true(names[code], code)
        assert.are.equal("unknown_key", code)
    end)
end)
