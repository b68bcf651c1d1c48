# Lua 5.4 binding (issue 4), included by the top Makefile.
#   make lua          lua/tlshs.so (the C module; tlshs linked in statically)
#   make test-lua     busted over tests/lua against LuaSec and openssl peers
#   make bench-lua    handshakes/s from Lua vs LuaSec vs C; cost of a no-progress step
#   make install-lua  tlshs.so into $(DESTDIR)$(PREFIX)/lib/lua/5.4 (on lua5.4's cpath
#                     for PREFIX=/usr/local)
#   make clean-lua
.PHONY: lua test-lua install-lua clean-lua bench-lua

LUA_CFLAGS ?= $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
LUA_CMOD_DIR = $(PREFIX)/lib/lua/5.4

all: lua

lua: lua/tlshs.so

# A Lua C module does not link liblua: the interpreter provides its symbols.
lua/tlshs.so: lua/tlshs.c csrc/tlshs.h $(BUILD)/libtlshs.a
	$(CC) $(WARN) $(CFLAGS) -fPIC -shared $(LUA_CFLAGS) -Icsrc $(SSL_CFLAGS) \
	    lua/tlshs.c -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS)

# busted runs under $(LUA) whatever `lua` points at; its plainTerminal output
# ends with "N successes / N failures / N errors / N pending".
test-lua: lua/tlshs.so certs
	LUA_CPATH='lua/?.so;;' TLSHS_CERTS=$(CERTS) \
	    $(LUA) $$(command -v $(BUSTED)) -o plainTerminal --lpath='tests/lua/?.lua' tests/lua

bench-lua: lua/tlshs.so certs $(BUILD)/bench-lua-c
	LUA_CPATH='lua/?.so;;' $(LUA) bench/bench_lua.lua $(CERTS) $(BUILD)/bench-lua-c

$(BUILD)/bench-lua-c: bench/bench_lua_c.c $(BUILD)/libtlshs.a
	$(CC) $(WARN) -O2 -g -D_POSIX_C_SOURCE=200809L -Icsrc $< -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS)

install-lua: lua/tlshs.so
	install -d $(DESTDIR)$(LUA_CMOD_DIR)
	install -m 755 lua/tlshs.so $(DESTDIR)$(LUA_CMOD_DIR)/tlshs.so

clean-lua:
	rm -f lua/tlshs.so $(BUILD)/bench-lua-c
