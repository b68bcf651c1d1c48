# Lua 5.4 binding, included by the top Makefile.
#   make lua          lua/tlshs.so (the C module; tlshs linked in statically)
#   make test-lua     busted over tests/lua against LuaSec and openssl peers
#   make test-lua-asan  the same suite against build/asan/lua/tlshs.so, the module
#                     built with ASan and UBSan from build/asan/libtlshs.a
#   make bench-lua    handshakes/s from Lua vs LuaSec vs C; cost of a no-progress step
#   make install-lua  tlshs.so into $(DESTDIR)$(PREFIX)/lib/lua/5.4 (on lua5.4's cpath
#                     for PREFIX=/usr/local) and the event-loop adapters (lua/tlshs/*.lua:
#                     tlshs.cqueues, tlshs.socket) beside it, in tlshs/ (lib/lua/5.4/?.lua
#                     is on lua5.4's path too); `make uninstall` removes them (uninstall-lua)
#   make clean-lua
.PHONY: lua lua-asan test-lua-asan test-lua install-lua uninstall-lua clean-lua bench-lua

LUA_CFLAGS ?= $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
LUA_CMOD_DIR ?= $(PREFIX)/lib/lua/5.4
# The Lua files go beside tlshs.so unless told otherwise (luarocks puts them in
# its LUADIR: tlshs-scm-1.rockspec).
LUA_LMOD_DIR ?= $(LUA_CMOD_DIR)
# The event-loop adapters, plain Lua over the module's memory mode (docs/lua.md,
# "Event loops"); found in the checkout with LUA_PATH='lua/?.lua;;'.
LUA_ADAPTERS = lua/tlshs/conn.lua lua/tlshs/cqueues.lua lua/tlshs/socket.lua

all: lua

lua: lua/tlshs.so

# A Lua C module does not link liblua: the interpreter provides its symbols.
# The archive's tlshs_* symbols stay inside the module (--exclude-libs).
# One module from several files (lua/ltlshs.h says which does what); only
# luaopen_tlshs is exported (the files' shared functions are hidden).
# tlshs.drive is Lua (lua/drive.lua), embedded rather than installed beside
# the module: tlshs.so stays the one file to install, find (package.cpath
# alone) and version, and the Lua source is compiled when the module is
# built.  lua/embed.lua, run by $(LUA), writes it into $(LUA_DRIVE_C) as a C
# string; no file of lua/ includes a generated file.
LUA_DRIVE_C = $(BUILD)/lua/drive.c
LUA_MODULE_SRCS = lua/tlshs.c lua/config.c lua/handshake.c lua/hello.c lua/records.c lua/moves.c \
    lua/common.c $(LUA_DRIVE_C)
lua/tlshs.so: $(LUA_MODULE_SRCS) lua/ltlshs.h csrc/tlshs.h $(BUILD)/libtlshs.a lua/lua.mk
	$(LUA_MODULE_CC) -Icsrc $(LUA_MODULE_SRCS) -o $@ $(LUA_MODULE_LIBS)

$(LUA_DRIVE_C): lua/drive.lua lua/embed.lua
	@mkdir -p $(@D)
	$(LUA) lua/embed.lua ltlshs_drive_lua lua/drive.lua > $@.tmp && mv $@.tmp $@

# busted runs under $(LUA) whatever `lua` points at; its plainTerminal output
# ends with "N successes / N failures / N errors / N pending".  The suite
# starts $(LUA) itself (TLSHS_LUA) and builds the module against a changed
# header (tests/lua/lists_spec.lua) the way lua/tlshs.so is built here.
LUA_MODULE_CC = $(CC) $(WARN) $(CFLAGS) -fPIC -shared $(LUA_CFLAGS) $(SSL_CFLAGS) -Ilua
LUA_MODULE_LIBS = $(BUILD)/libtlshs.a $(SSL_LIBS) -Wl,--exclude-libs,ALL
LUA_TEST = LUA_CPATH='lua/?.so;;' LUA_PATH='lua/?.lua;;' TLSHS_CERTS=$(CERTS) TLSHS_LUA='$(LUA)' \
    TLSHS_LUA_MODULE_CC='$(LUA_MODULE_CC)' TLSHS_LUA_MODULE_SRCS='$(LUA_MODULE_SRCS)' TLSHS_LUA_MODULE_LIBS='$(LUA_MODULE_LIBS)' \
    $(LUA) $$busted -o plainTerminal --lpath='tests/lua/?.lua' tests/lua
test-lua: lua/tlshs.so certs
	@busted=$$(command -v $(BUSTED)) || { echo "test-lua: $(BUSTED) not found (apt-get install lua-busted)"; exit 1; }; \
	echo "$(LUA_TEST)"; $(LUA_TEST)

# ---- the suite under AddressSanitizer and UBSan ----
# lua5.4 is not instrumented: the runtimes are preloaded (ASAN_ENV, top
# Makefile).  Lua 5.4 frees everything at lua_close (busted closes the state
# when it exits), so leak detection is on with no suppressions: any block that
# the module or the library loses fails the run.  lua_close also unloads the
# module, before LeakSanitizer reports at exit: -z nodelete keeps it mapped so
# the report can name the module's functions.
LUA_ASAN_SO := $(ASAN_BUILD)/lua/tlshs.so
lua-asan: $(LUA_ASAN_SO)
$(LUA_ASAN_SO): $(LUA_MODULE_SRCS) lua/ltlshs.h csrc/tlshs.h $(ASAN_BUILD)/libtlshs.a lua/lua.mk
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) $(ASAN_FLAGS) -fPIC -shared $(LUA_CFLAGS) -Icsrc -Ilua $(SSL_CFLAGS) \
	    $(LUA_MODULE_SRCS) -o $@ $(ASAN_BUILD)/libtlshs.a $(SSL_LIBS) -Wl,--exclude-libs,ALL -Wl,-z,nodelete

LUA_ASAN_TEST = LUA_CPATH='$(ASAN_BUILD)/lua/?.so;;' LUA_PATH='lua/?.lua;;' TLSHS_CERTS=$(CERTS) $(ASAN_ENV) \
    $(LUA) $$busted -o plainTerminal --helper=tests/sanitizers/busted_asan.lua --lpath='tests/lua/?.lua' tests/lua
test-lua-asan: $(LUA_ASAN_SO) certs
	@busted=$$(command -v $(BUSTED)) || { echo "test-lua-asan: $(BUSTED) not found (apt-get install lua-busted)"; exit 1; }; \
	echo "$(LUA_ASAN_TEST)"; $(LUA_ASAN_TEST)

# The C figures come from the lead's bench-c (bench/bench_c.c), run in the same go;
# then, with valgrind, instructions per handshake (bench/instructions.sh), which
# the machine's other work does not disturb.
BENCH_LUA_KINDS = tlshs:tlshs_from_Lua,_memory,_tlshs.pair tlshs-loop:tlshs_from_Lua,_memory,_hand-written_loop tlshs-fd:tlshs_from_Lua,_fd,_loopback luasec:LuaSec,_loopback
bench-lua: lua/tlshs.so certs $(BUILD)/bench-c
	LUA_CPATH='lua/?.so;;' $(LUA) bench/bench_lua.lua $(CERTS) $(BUILD)/bench-c
	@if command -v valgrind >/dev/null 2>&1 && [ -f bench/instructions.sh ]; then \
	    echo "instructions per handshake (callgrind, user space only):"; \
	    sh bench/instructions.sh "tlshs from C, memory" 20 $(BUILD)/bench-c $(CERTS) --only tlshs && \
	    for k in $(BENCH_LUA_KINDS); do \
	        LUA_CPATH='lua/?.so;;' sh bench/instructions.sh "$$(echo $${k#*:} | tr _ ' ')" 20 \
	            $(LUA) bench/bench_lua.lua $(CERTS) --only $${k%%:*} || exit 1; \
	    done; \
	fi

install-lua: lua/tlshs.so
	install -d $(DESTDIR)$(LUA_CMOD_DIR) $(DESTDIR)$(LUA_LMOD_DIR)/tlshs
	install -m 755 lua/tlshs.so $(DESTDIR)$(LUA_CMOD_DIR)/tlshs.so
	install -m 644 $(LUA_ADAPTERS) $(DESTDIR)$(LUA_LMOD_DIR)/tlshs/

uninstall: uninstall-lua
uninstall-lua:
	rm -f $(DESTDIR)$(LUA_CMOD_DIR)/tlshs.so $(patsubst lua/%,$(DESTDIR)$(LUA_LMOD_DIR)/%,$(LUA_ADAPTERS))
	rmdir $(DESTDIR)$(LUA_LMOD_DIR)/tlshs 2>/dev/null || true

clean-lua:
	rm -f lua/tlshs.so $(LUA_DRIVE_C)
