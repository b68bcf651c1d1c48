# tlshs: a resumable TLS handshake object over OpenSSL, for C, Python and Lua.
#
#   make            the C library (build/libtlshs.a, .so, tlshs.pc), the Python
#                   package in place (python/tlshs) and the Lua module (lua/tlshs.so)
#   make demo       a client and a server handshake in memory; prints each flight
#   make test       installs missing Debian packages, makes test certificates,
#                   builds, runs every suite; ends with "N passed, N failed"
#   make bench      the benchmarks (bench/)
#   make install    PREFIX=/usr/local (DESTDIR honoured)
#
# Variables: PYTHON (the interpreter the Python package is built and tested
# with), LUA, BUSTED, CC, CFLAGS, PREFIX, WERROR=1 (warnings are errors; on
# when CI=true).

PYTHON  ?= /usr/bin/python3
LUA     ?= lua5.4
BUSTED  ?= busted
SWIG    ?= swig
CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   := build
CERTS   := $(BUILD)/certs

CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 -Wvla
ifeq ($(CI),true)
WERROR  ?= 1
endif
ifeq ($(WERROR),1)
WARN    += -Werror
endif
SSL_CFLAGS := $(shell pkg-config --cflags openssl 2>/dev/null)
SSL_LIBS   := $(shell pkg-config --libs openssl 2>/dev/null || echo -lssl -lcrypto)
LIB_CFLAGS := $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden -DTLSHS_BUILDING -D_POSIX_C_SOURCE=200809L $(SSL_CFLAGS)

VERSION   := $(shell sed -n 's/^\#define TLSHS_VERSION_STRING "\(.*\)"/\1/p' csrc/tlshs.h)
# every public function gets a man page name (a link to tlshs.3)
MAN_LINKS := $(shell grep "^TLSHS_API" csrc/tlshs.h | sed "s/\x28.*//" | grep -o "tlshs_[a-z_0-9]*$$")

LIB_SRC := $(wildcard csrc/*.c)
LIB_OBJ := $(patsubst csrc/%.c,$(BUILD)/obj/%.o,$(LIB_SRC))
LIB_HDR := csrc/tlshs.h csrc/tlshs_internal.h

.PHONY: all lib pc demo test deps certs test-c test-c-asan test-c-tsan test-c-valgrind test-man fuzz test-fuzz \
        bench bench-c install uninstall clean distclean format
.DEFAULT_GOAL := all

all: lib pc

lib: $(BUILD)/libtlshs.a $(BUILD)/libtlshs.so

pc: $(BUILD)/tlshs.pc

$(BUILD)/obj/%.o: csrc/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c $< -o $@

$(BUILD)/libtlshs.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libtlshs.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libtlshs.so.0 -o $@ $^ $(SSL_LIBS)

$(BUILD)/tlshs.pc: tlshs.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

# ---- test certificates (made fresh, never committed) ----
certs: $(CERTS)/.done
$(CERTS)/.done: tests/gencerts.sh
	rm -rf $(CERTS)
	sh tests/gencerts.sh $(CERTS)

# ---- Debian packages the build, the tests and the benchmarks need ----
DEB_PKGS := build-essential pkg-config libssl-dev openssl swig python3 python3-dev python3-pytest \
            python3-venv python3-pip python3-setuptools python3-openssl lua5.4 liblua5.4-dev \
            lua-busted lua-sec lua-socket gnutls-bin valgrind mandoc clang libclang-rt-14-dev python3-mypy
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "deps: installing" $$missing; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: all present"; fi

# ---- the demo ----
demo: lib certs $(BUILD)/tlshs-demo
	$(BUILD)/tlshs-demo $(CERTS)

$(BUILD)/tlshs-demo: examples/demo.c $(BUILD)/libtlshs.a
	$(CC) $(WARN) $(CFLAGS) -Icsrc $< -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS)

# ---- C tests ----
TEST_C_SRC := $(wildcard tests/c/*.c)
TEST_C_HDR := $(wildcard tests/c/*.h)
TEST_CFLAGS = $(WARN) -pthread -D_POSIX_C_SOURCE=200809L -Icsrc -Itests/c $(SSL_CFLAGS)

$(BUILD)/test-c: $(TEST_C_SRC) $(TEST_C_HDR) $(BUILD)/libtlshs.a
	$(CC) $(TEST_CFLAGS) $(CFLAGS) $(TEST_C_SRC) -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS)

# Library and tests rebuilt together with AddressSanitizer and UBSan.
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
$(BUILD)/test-c-asan: $(TEST_C_SRC) $(TEST_C_HDR) $(LIB_SRC) $(LIB_HDR)
	$(CC) $(TEST_CFLAGS) $(ASAN_FLAGS) -DTLSHS_BUILDING $(LIB_SRC) $(TEST_C_SRC) -o $@ $(SSL_LIBS)

# Library and tests rebuilt with ThreadSanitizer; test-c-tsan runs the tests
# whose names contain TSAN_TESTS (the thread tests).  Any report fails the run
# (TSan's exit code 66).  OpenSSL itself is not instrumented: what it does
# inside is not checked, its locks are seen.
TSAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
TSAN_TESTS ?= threads
$(BUILD)/test-c-tsan: $(TEST_C_SRC) $(TEST_C_HDR) $(LIB_SRC) $(LIB_HDR)
	$(CC) $(TEST_CFLAGS) $(TSAN_FLAGS) -DTLSHS_BUILDING $(LIB_SRC) $(TEST_C_SRC) -o $@ $(SSL_LIBS)

test-c: $(BUILD)/test-c certs
	TLSHS_CERTS=$(CERTS) $(BUILD)/test-c

test-c-asan: $(BUILD)/test-c-asan certs
	TLSHS_CERTS=$(CERTS) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $(BUILD)/test-c-asan

test-c-tsan: $(BUILD)/test-c-tsan certs
	TLSHS_CERTS=$(CERTS) TSAN_OPTIONS="exitcode=66 second_deadlock_stack=1" $(BUILD)/test-c-tsan $(TSAN_TESTS)

test-c-valgrind: $(BUILD)/test-c certs
	TLSHS_CERTS=$(CERTS) TLSHS_TEST_SLOW=1 valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 $(BUILD)/test-c

# libFuzzer over feed and step (clang); FUZZ_SECONDS bounds the run. The
# corpus stays in build/fuzz-corpus between runs.
FUZZ_SECONDS ?= 60
$(BUILD)/fuzz-handshake: tests/fuzz/fuzz_handshake.c $(LIB_SRC) $(LIB_HDR)
	clang $(WARN) -D_POSIX_C_SOURCE=200809L -DTLSHS_BUILDING -O1 -g -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -Icsrc $< $(LIB_SRC) -o $@ $(SSL_LIBS)

fuzz: $(BUILD)/fuzz-handshake certs
	@mkdir -p $(BUILD)/fuzz-corpus
	@if TLSHS_CERTS=$(CERTS) $(BUILD)/fuzz-handshake -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -timeout=10 -artifact_prefix=$(BUILD)/ -print_final_stats=1 $(BUILD)/fuzz-corpus \
	    > $(BUILD)/fuzz.log 2>&1; then \
	    tail -7 $(BUILD)/fuzz.log; echo "1 passed, 0 failed (no crash, hang or broken rule in $(FUZZ_SECONDS) s)"; \
	else \
	    tail -40 $(BUILD)/fuzz.log; echo "0 passed, 1 failed (the input is in $(BUILD)/crash-* or timeout-*)"; exit 1; \
	fi

test-fuzz:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20

test-man:
	mandoc -Tlint -W warning man/tlshs.3 && echo "1 passed, 0 failed"

# ---- the bindings (each in its own fragment) ----
include bindings/python.mk
include lua/lua.mk

# ---- everything ----
test: deps
	$(MAKE) --no-print-directory all certs
	sh tests/run-suites.sh $(MAKE)

# ---- benchmarks ----
$(BUILD)/bench-c: bench/bench_c.c $(BUILD)/libtlshs.a
	$(CC) $(WARN) -O2 -g -D_POSIX_C_SOURCE=200809L -Icsrc $< -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS)

bench-c: all certs $(BUILD)/bench-c
	$(BUILD)/bench-c $(CERTS)
	@echo "instructions per handshake (callgrind: the same on every run)"
	@sh bench/instructions.sh "raw OpenSSL from C" 20 $(BUILD)/bench-c $(CERTS) --only raw
	@sh bench/instructions.sh "tlshs from C" 20 $(BUILD)/bench-c $(CERTS) --only tlshs
	@echo "the same with a client certificate the server requires and verifies"
	@sh bench/instructions.sh "raw OpenSSL from C" 20 $(BUILD)/bench-c $(CERTS) --only raw-mutual
	@sh bench/instructions.sh "tlshs from C" 20 $(BUILD)/bench-c $(CERTS) --only tlshs-mutual

# every benchmark, one after the other (each compares side by side in one run)
bench: bench-c bench-python bench-lua

# ---- install ----
install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 644 $(BUILD)/libtlshs.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libtlshs.so $(DESTDIR)$(PREFIX)/lib/libtlshs.so.0
	ln -sf libtlshs.so.0 $(DESTDIR)$(PREFIX)/lib/libtlshs.so
	install -m 644 csrc/tlshs.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' tlshs.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/tlshs.pc
	install -m 644 man/tlshs.3 $(DESTDIR)$(PREFIX)/share/man/man3/
	for f in $(MAN_LINKS); do ln -sf tlshs.3 $(DESTDIR)$(PREFIX)/share/man/man3/$$f.3; done
	$(MAKE) --no-print-directory install-lua

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libtlshs.a $(DESTDIR)$(PREFIX)/lib/libtlshs.so $(DESTDIR)$(PREFIX)/lib/libtlshs.so.0 \
	      $(DESTDIR)$(PREFIX)/include/tlshs.h $(DESTDIR)$(PREFIX)/lib/pkgconfig/tlshs.pc \
	      $(DESTDIR)$(PREFIX)/share/man/man3/tlshs.3
	for f in $(MAN_LINKS); do rm -f $(DESTDIR)$(PREFIX)/share/man/man3/$$f.3; done

format:
	clang-format -i csrc/*.c csrc/*.h lua/*.c tests/c/*.c tests/c/*.h bench/*.c examples/*.c

clean:
	rm -rf $(BUILD)/obj $(BUILD)/*.a $(BUILD)/*.so $(BUILD)/test-c* $(BUILD)/bench-c $(BUILD)/tlshs-demo $(BUILD)/tlshs.pc
	$(MAKE) --no-print-directory clean-python clean-lua

distclean: clean
	rm -rf $(BUILD)
