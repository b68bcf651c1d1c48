-- The OpenSSL tlshs runs on is the one it was built for: tlshs.openssl_version
-- and tlshs.openssl_built_version have the same major.minor, and a process
-- that loaded another OpenSSL 3 first (LuaSec's ssl.so, linked to Debian's
-- 3.0) gets a clear error from require "tlshs", never a silent fallback.
local tlshs = require "tlshs"
local H = require "helpers"

local LUA = os.getenv("TLSHS_LUA") or "lua5.4"

local function minor(text)
    return tonumber(text:match("^OpenSSL 3%.(%d+)%."))
end

-- Runs a Lua chunk in a new interpreter with this module on its cpath.
local function run(chunk)
    local cpath = package.cpath
    local p = assert(io.popen(LUA .. " -e " .. H.sh_quote("package.cpath = " .. string.format("%q", cpath) ..
        "; " .. chunk) .. " 2>&1"))
    local out = p:read("a")
    local ok = p:close()
    return ok, out
end

describe("openssl version", function()
    it("runs on the major.minor it was built for", function()
        assert.is_truthy(minor(tlshs.openssl_version), tlshs.openssl_version)
        assert.are.equal(minor(tlshs.openssl_built_version), minor(tlshs.openssl_version))
    end)

    it("refuses to load on another OpenSSL 3 loaded first", function()
        -- LuaSec is linked to Debian's OpenSSL 3.0: loaded first, its libssl.so.3 is the process's
        local ok, out = run('require "ssl"; local t = require "tlshs"; print("loaded " .. t.openssl_version)')
        if H.openssl35 then
            assert.is_falsy(ok, out)
            assert.is_truthy(out:find("tlshs was built for " .. tlshs.openssl_built_version, 1, true), out)
            assert.is_truthy(out:find("but runs on OpenSSL 3.0.", 1, true), out)
        else
            assert.is_truthy(ok, out)
            assert.is_truthy(out:find("loaded " .. tlshs.openssl_version, 1, true), out)
        end
    end)
end)
