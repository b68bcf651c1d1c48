-- embed.lua - writes a Lua source file into a C file, as one string, so the
-- module carries it (lua/lua.mk runs it for lua/drive.lua):
--   lua5.4 lua/embed.lua NAME FILE.lua > OUT.c
-- OUT.c defines `const char NAME[]` (the file's bytes, NUL-terminated) and
-- `const size_t NAME_len`, declared in lua/ltlshs.h.  The file is compiled
-- here first, so a syntax error stops the build rather than the module's
-- loading.
local name, path = arg[1], arg[2]
if not (name and path) or not name:match("^[%a_][%w_]*$") then
    io.stderr:write("usage: lua5.4 lua/embed.lua NAME FILE.lua > OUT.c\n")
    os.exit(2)
end
local f = assert(io.open(path, "rb"))
local src = f:read("a")
f:close()
assert(load(src, "=" .. path, "t"))

-- One C string literal per source line; bytes outside printable ASCII, the
-- quote, the backslash and '?' (trigraphs, which -std=c11 reads) escaped.
local plain = {["\\"] = "\\\\", ['"'] = '\\"', ["?"] = "\\?", ["\t"] = "\\t", ["\n"] = "\\n"}
local function escape(line)
    return (line:gsub(".", function(c)
        local b = c:byte()
        if plain[c] then return plain[c] end
        if b < 32 or b > 126 then return ("\\%03o"):format(b) end
    end))
end

local out = {
    ("/* Generated from %s by lua/embed.lua (lua/lua.mk): do not edit. */"):format(path),
    '#include "ltlshs.h"',
    "",
    ("const char %s[] ="):format(name),
}
for line in src:gmatch("[^\n]*\n?") do
    if line ~= "" then out[#out + 1] = '    "' .. escape(line) .. '"' end
end
if src == "" then out[#out + 1] = '    ""' end
out[#out] = out[#out] .. ";"
out[#out + 1] = ("const size_t %s_len = sizeof %s - 1;"):format(name, name)
io.write(table.concat(out, "\n"), "\n")
