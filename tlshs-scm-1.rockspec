rockspec_format = "3.0"
package = "tlshs"
version = "scm-1"

source = {
   url = "git+file://.",
}

description = {
   summary = "A resumable, non-blocking TLS handshake object over OpenSSL",
   detailed = [[
tlshs drives one TLS connection from its first byte to done or closed with
four results (want_read, want_write, done, closed), either in memory (you move
the bytes with feed/take) or over a non-blocking socket (an fd or a LuaSocket
socket). This rock builds the Lua 5.4 module `tlshs` with the C core linked
in statically; it needs OpenSSL 3.0 or later, a C compiler and make. Two
plain Lua modules run a connection inside an event loop: `tlshs.cqueues`
(cqueues) and `tlshs.socket` (LuaSocket, or copas's wrapped sockets).
]],
   license = "MIT",
   labels = { "tls", "ssl", "openssl", "network" },
}

dependencies = {
   "lua >= 5.4",
}

external_dependencies = {
   OPENSSL = { header = "openssl/ssl.h" },
}

-- The project's Makefile builds the module (`make lua`: build/libtlshs.a, then
-- lua/tlshs.so, with lua/drive.lua embedded by $(LUA) lua/embed.lua) and
-- installs it (`make install-lua`: tlshs.so into LIBDIR, and the event-loop
-- adapters lua/tlshs/*.lua into LUADIR/tlshs, where the tree's Lua path finds
-- them).  Not "builtin": that type copies everything under lua/ (the C source,
-- the meta files) into the tree as Lua modules.
build = {
   type = "make",
   build_target = "lua",
   build_variables = {
      CFLAGS = "$(CFLAGS)",
      LUA = "$(LUA)",
      LUA_CFLAGS = "-I$(LUA_INCDIR)",
      SSL_CFLAGS = "-I$(OPENSSL_INCDIR)",
      SSL_LIBS = "-L$(OPENSSL_LIBDIR) -lssl -lcrypto",
   },
   install_target = "install-lua",
   install_variables = {
      LUA_CMOD_DIR = "$(LIBDIR)",
      LUA_LMOD_DIR = "$(LUADIR)",
   },
   copy_directories = { "docs" },
}

test_dependencies = {
   "busted",
   "cqueues",
   "luasec",
   "luasocket",
}

test = {
   type = "busted",
   flags = { "--lpath=tests/lua/?.lua;lua/?.lua", "tests/lua" },
}
