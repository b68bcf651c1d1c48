# tlshs: a resumable TLS handshake object over OpenSSL, for C, Python and Lua.
#
#   make            the C library (build/libtlshs.a, .so, tlshs.pc), the Python
#                   package in place (python/tlshs) and the Lua module (lua/tlshs.so)
#   make demo       a client and a server handshake in memory; prints each flight
#                   (installs the compiler and OpenSSL's headers if missing)
#   make examples   the demo and build/tlshs-dtls-server (examples/dtls_server.c)
#   make test       installs missing Debian packages, makes test certificates,
#                   builds, runs every suite; ends with "total: N passed,
#                   N failed, N skipped"
#   make bench      the benchmarks (bench/)
#   make install    PREFIX=/usr/local (DESTDIR honoured)
#
# Variables: PYTHON (the interpreter the Python package is built and tested
# with), LUA, BUSTED, CC, CFLAGS, PREFIX, WERROR=1 (warnings are errors; on
# when CI=true), OPENSSL=PREFIX (build against another OpenSSL, with an
# rpath; `make test-openssl35` does so with OpenSSL 3.5).

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
# The OpenSSL to build against: OPENSSL=PREFIX (its include/ and lib/), or
# what pkg-config finds (PKG_CONFIG_PATH chooses another).  One outside the
# system's library directories is linked with an rpath, so the library, the
# tests and the bindings run on the OpenSSL they were built for; the version
# compiled against is in tlshs_openssl_built_version().
OPENSSL ?=
ifneq ($(OPENSSL),)
SSL_CFLAGS := -I$(OPENSSL)/include
SSL_LIBDIR := $(OPENSSL)/lib
SSL_LIBS   := -L$(SSL_LIBDIR) -lssl -lcrypto
else
SSL_CFLAGS := $(shell pkg-config --cflags openssl 2>/dev/null)
SSL_LIBDIR := $(shell pkg-config --variable=libdir openssl 2>/dev/null)
SSL_LIBS   := $(shell pkg-config --libs openssl 2>/dev/null || echo -lssl -lcrypto)
endif
ifneq ($(filter-out /usr/lib /usr/lib/% /lib /lib/% /usr/lib64,$(SSL_LIBDIR)),)
SSL_LIBS   += -Wl,-rpath,$(SSL_LIBDIR)
endif
LIB_CFLAGS := $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden -DTLSHS_BUILDING -D_POSIX_C_SOURCE=200809L $(SSL_CFLAGS)

VERSION   := $(shell sed -n 's/^\#define TLSHS_VERSION_STRING "\(.*\)"/\1/p' csrc/tlshs.h)
# every public function gets a man page name (a link to tlshs.3)
MAN_LINKS := $(shell grep "^TLSHS_API" csrc/tlshs.h | sed "s/\x28.*//" | grep -o "tlshs_[a-z_0-9]*$$")

LIB_SRC := $(wildcard csrc/*.c)
LIB_OBJ := $(patsubst csrc/%.c,$(BUILD)/obj/%.o,$(LIB_SRC))
LIB_HDR := csrc/tlshs.h csrc/tlshs_internal.h

.PHONY: all lib pc demo demo-build examples test deps deps-build certs test-c test-c-asan test-c-tsan test-c-valgrind \
        test-man test-layers test-scripts test-demo test-suites test-openssl35 openssl35 bench-groups bench-openssl35 fuzz fuzz-seeds fuzz-hello fuzz-record fuzz-dtls-record test-fuzz bench bench-c bench-dtls bench-chart install uninstall \
        clean distclean format
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

# ---- Debian packages ----
# deps-build: what the library and the demo need (a compiler, OpenSSL's headers
# and its command for the test certificates); deps: that and everything the
# tests and the benchmarks use.  Each installs only what is missing, with
# apt-get (as root, or through sudo), so on a machine that has it all they do
# nothing.
DEB_PKGS_BUILD := build-essential pkg-config libssl-dev openssl
DEB_PKGS := $(DEB_PKGS_BUILD) swig python3 python3-dev python3-pytest \
            python3-venv python3-pip python3-setuptools python3-openssl lua5.4 liblua5.4-dev \
            lua-busted lua-sec lua-socket gnutls-bin valgrind mandoc clang libclang-rt-14-dev python3-mypy \
            tshark python3-scapy python3-matplotlib python3-cryptography sslscan \
            python3-uvloop python3-trio lua-cqueues curl dpkg-dev debian-archive-keyring
# $(call deb_install,TARGET,PACKAGES)
deb_install = missing=$$(for p in $(2); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "$(1): installing" $$missing; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "$(1): all present"; fi
deps:
	@$(call deb_install,deps,$(DEB_PKGS))
deps-build:
	@$(call deb_install,deps-build,$(DEB_PKGS_BUILD))

# ---- the demo ----
# The first command of the README: on a bare Debian it installs the compiler
# and OpenSSL's headers first (deps-build), then builds in a new make, whose
# flags (pkg-config) see what was just installed.
demo: deps-build
	@$(MAKE) --no-print-directory demo-build
	$(BUILD)/tlshs-demo $(CERTS)
demo-build: lib certs $(BUILD)/tlshs-demo
	@:

$(BUILD)/tlshs-demo: examples/demo.c $(BUILD)/libtlshs.a
	$(CC) $(WARN) $(CFLAGS) -Icsrc $< -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS)

# examples/dtls_server.c: a DTLS echo server demultiplexing clients on one
# UDP socket (build/tlshs-dtls-server [CERTDIR [PORT [CLIENTS]]]); the C
# suite compiles it in too (tests/c/test_dtls_example.c) and runs it against
# two openssl s_client at once.
$(BUILD)/tlshs-dtls-server: examples/dtls_server.c $(BUILD)/libtlshs.a
	$(CC) $(WARN) $(CFLAGS) -Icsrc $< -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS)
examples: lib certs $(BUILD)/tlshs-demo $(BUILD)/tlshs-dtls-server

# ---- C tests ----
TEST_C_SRC := $(wildcard tests/c/*.c)
TEST_C_HDR := $(wildcard tests/c/*.h) examples/dtls_server.c # the last one #included by a test
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
	TLSHS_CERTS=$(CERTS) TSAN_OPTIONS="exitcode=66 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" $(BUILD)/test-c-tsan $(TSAN_TESTS)

# The library once more with AddressSanitizer and UBSan, for the Python and Lua
# suites (test-python-asan, test-lua-asan): objects and archive under
# build/asan/, so the normal build is untouched.  The interpreters are not
# instrumented, so the sanitizer runtimes are preloaded (ASAN_PRELOAD); any
# report ends the run with an error (halt_on_error, -fno-sanitize-recover).
ASAN_BUILD   := $(BUILD)/asan
ASAN_LIB_OBJ := $(patsubst csrc/%.c,$(ASAN_BUILD)/obj/%.o,$(LIB_SRC))
# gcc ships libasan.so and libubsan.so; clang one runtime with both in it.
ASAN_PRELOAD  = $(wildcard $(foreach f,libasan.so libubsan.so libclang_rt.asan-$(shell uname -m).so,\
                    $(shell $(CC) -print-file-name=$(f) 2>/dev/null)))
ASAN_ENV      = LD_PRELOAD='$(ASAN_PRELOAD)' \
                ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

$(ASAN_BUILD)/obj/%.o: csrc/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(ASAN_FLAGS) -c $< -o $@

$(ASAN_BUILD)/libtlshs.a: $(ASAN_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

test-c-valgrind: $(BUILD)/test-c certs
	TLSHS_CERTS=$(CERTS) TLSHS_TEST_SLOW=1 valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 $(BUILD)/test-c

# ---- fuzzing (libFuzzer, clang) ----
# Three targets (tests/fuzz/): handshake (a real client and server whose flights
# the input replaces or edits, either side under test), dtls (the same over
# DTLS 1.2, one datagram at a time: the cookie check, lost datagrams and the
# timers fired in virtual time) and session-config (tlshs_set_session and
# tlshs_config_set with arbitrary bytes).  Each links
# the library built for it with ASan and UBSan.  Seeds are recorded at build
# time from real runs (build/fuzz-seeds/TARGET, by tests/fuzz/make_seeds.c;
# never committed); what the fuzzer finds stays in build/fuzz-corpus/TARGET.
# `make fuzz` runs every target FUZZ_SECONDS each; a crash, leak, hang or
# broken rule leaves its input in build/fuzz-TARGET-crash-* (or leak-, timeout-).
FUZZ_TARGETS := handshake session-config dtls
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_CFLAGS  := $(WARN) -D_POSIX_C_SOURCE=200809L -O1 -g -fno-sanitize-recover=all -Icsrc $(SSL_CFLAGS)
FUZZ_LIB_OBJ := $(patsubst csrc/%.c,$(FUZZ_BUILD)/obj/%.o,$(LIB_SRC))

$(FUZZ_BUILD)/obj/%.o: csrc/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -DTLSHS_BUILDING -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

# libFuzzer over the hello parser (csrc/hello.c), seeded with real hellos
# written at build time by tests/fuzz/hello_seeds.py; the corpus stays in
# build/fuzz-hello-corpus between runs.
$(BUILD)/fuzz-hello: tests/fuzz/fuzz_hello.c $(FUZZ_LIB_OBJ)
	clang $(FUZZ_CFLAGS) -DTLSHS_BUILDING -fsanitize=fuzzer,address,undefined $< $(FUZZ_LIB_OBJ) -o $@ $(SSL_LIBS)

$(BUILD)/fuzz-hello-seeds/.done: tests/fuzz/hello_seeds.py $(CERTS)/.done
	TLSHS_CERTS=$(CERTS) $(PYTHON) $< $(@D) && touch $@

fuzz-hello: $(BUILD)/fuzz-hello $(BUILD)/fuzz-hello-seeds/.done
	@mkdir -p $(BUILD)/fuzz-hello-corpus
	@if $(BUILD)/fuzz-hello -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
	    -artifact_prefix=$(BUILD)/hello- -print_final_stats=1 $(BUILD)/fuzz-hello-corpus \
	    $(BUILD)/fuzz-hello-seeds tests/fuzz/seeds-dtls/hello > $(BUILD)/fuzz-hello.log 2>&1; then \
	    tail -7 $(BUILD)/fuzz-hello.log; echo "1 passed, 0 failed (hello parser: no crash or broken rule in $(FUZZ_SECONDS) s)"; \
	else \
	    tail -40 $(BUILD)/fuzz-hello.log; echo "0 passed, 1 failed (the input is in $(BUILD)/hello-crash-*)"; exit 1; \
	fi

# libFuzzer over tlshs_records and tlshs_refragment; the seed corpus is the
# flights of real handshakes, written at build time by seed-record.
$(BUILD)/fuzz-record: tests/fuzz/fuzz_record.c $(FUZZ_LIB_OBJ)
	clang $(FUZZ_CFLAGS) -DTLSHS_BUILDING -fsanitize=fuzzer,address,undefined $< $(FUZZ_LIB_OBJ) -o $@ $(SSL_LIBS)
$(BUILD)/seed-record: tests/fuzz/seed_record.c $(BUILD)/libtlshs.a
	$(CC) $(WARN) $(CFLAGS) -Icsrc $< -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS)

fuzz-record: $(BUILD)/fuzz-record $(BUILD)/seed-record certs
	@mkdir -p $(BUILD)/fuzz-record-corpus
	@TLSHS_CERTS=$(CERTS) $(BUILD)/seed-record $(BUILD)/fuzz-record-corpus
	@if $(BUILD)/fuzz-record -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=10 \
	    -artifact_prefix=$(BUILD)/record- -print_final_stats=1 $(BUILD)/fuzz-record-corpus \
	    > $(BUILD)/fuzz-record.log 2>&1; then \
	    tail -7 $(BUILD)/fuzz-record.log; echo "1 passed, 0 failed (no crash, hang or broken rule in $(FUZZ_SECONDS) s)"; \
	else \
	    tail -40 $(BUILD)/fuzz-record.log; echo "0 passed, 1 failed (the input is in $(BUILD)/record-crash-*)"; exit 1; \
	fi

# libFuzzer over the DTLS record and fragment parsers and tlshs_dtls_refragment
# (csrc/record_dtls.c), seeded with the datagrams of real runs committed in
# tests/fuzz/seeds-dtls/record (tests/fuzz/dtls_seeds.py writes them).
$(BUILD)/fuzz-dtls-record: tests/fuzz/fuzz_dtls_record.c $(FUZZ_LIB_OBJ)
	clang $(FUZZ_CFLAGS) -DTLSHS_BUILDING -fsanitize=fuzzer,address,undefined $< $(FUZZ_LIB_OBJ) -o $@ $(SSL_LIBS)

fuzz-dtls-record: $(BUILD)/fuzz-dtls-record
	@mkdir -p $(BUILD)/fuzz-dtls-record-corpus
	@if $(BUILD)/fuzz-dtls-record -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
	    -artifact_prefix=$(BUILD)/dtls-record- -print_final_stats=1 $(BUILD)/fuzz-dtls-record-corpus \
	    tests/fuzz/seeds-dtls/record > $(BUILD)/fuzz-dtls-record.log 2>&1; then \
	    tail -7 $(BUILD)/fuzz-dtls-record.log; echo "1 passed, 0 failed (no crash, hang or broken rule in $(FUZZ_SECONDS) s)"; \
	else \
	    tail -40 $(BUILD)/fuzz-dtls-record.log; echo "0 passed, 1 failed (the input is in $(BUILD)/dtls-record-crash-*)"; exit 1; \
	fi

$(BUILD)/fuzz-handshake: tests/fuzz/fuzz_handshake.c tests/fuzz/fuzz_common.h $(FUZZ_LIB_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< $(FUZZ_LIB_OBJ) -o $@ $(SSL_LIBS)

$(BUILD)/fuzz-session-config: tests/fuzz/fuzz_session_config.c tests/fuzz/fuzz_common.h $(FUZZ_LIB_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< $(FUZZ_LIB_OBJ) -o $@ $(SSL_LIBS)

$(BUILD)/fuzz-dtls: tests/fuzz/fuzz_dtls.c tests/fuzz/fuzz_common.h $(FUZZ_LIB_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< $(FUZZ_LIB_OBJ) -o $@ $(SSL_LIBS)

# the DTLS target's seeds: the datagrams of clean runs (fuzz_dtls.c, built as a seed writer)
$(BUILD)/fuzz-seed-dtls: tests/fuzz/fuzz_dtls.c tests/fuzz/fuzz_common.h $(BUILD)/libtlshs.a
	$(CC) $(WARN) $(CFLAGS) -DFZ_DTLS_SEEDS -D_POSIX_C_SOURCE=200809L -Icsrc $(SSL_CFLAGS) $< -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS)

$(BUILD)/fuzz-make-seeds: tests/fuzz/make_seeds.c tests/fuzz/fuzz_common.h $(BUILD)/libtlshs.a
	$(CC) $(WARN) $(CFLAGS) -D_POSIX_C_SOURCE=200809L -Icsrc $(SSL_CFLAGS) $< -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS)

# The dictionary gets every key of the key table (TLSHS_CONFIG_KEYS) too, so a new key is fuzzed by name.
fuzz-seeds: $(BUILD)/fuzz-seeds/.done
$(BUILD)/fuzz-seeds/.done: $(BUILD)/fuzz-make-seeds $(BUILD)/fuzz-seed-dtls $(CERTS)/.done
	rm -rf $(BUILD)/fuzz-seeds
	TLSHS_CERTS=$(CERTS) $(BUILD)/fuzz-make-seeds $(BUILD)/fuzz-seeds
	mkdir -p $(BUILD)/fuzz-seeds/dtls && TLSHS_CERTS=$(CERTS) $(BUILD)/fuzz-seed-dtls $(BUILD)/fuzz-seeds/dtls
	sed -n 's/^ *X(\([a-z][a-z0-9_]*\), [A-Z]*, [0-9],.*/"\1"/p' csrc/tlshs.h >> $(BUILD)/fuzz-seeds/session-config.dict
	@touch $@

# What the seeds must make each target reach (labels of its tally; see tests/fuzz/run.sh).
FUZZ_REACH_handshake := received: ClientHello|received: ClientKeyExchange|received: CertificateVerify|\
    received: NewSessionTicket|resumed|ended: protocol_error|alert sent: decode_error
FUZZ_REACH_dtls := received: ClientHello|received: HelloVerifyRequest|received: Finished|timer fired|\
    ended: protocol_error
FUZZ_REACH_session-config := set_session accepted|set_session refused: bad_session|resumed|\
    config_set accepted: cert_pem|config_set accepted: ca_pem|config_set refused: bad_value|tlshs_new refused

# the parsers' targets (fuzz-hello, fuzz-record, fuzz-dtls-record) run after these, each
# FUZZ_SECONDS too; the last line adds them all up.
fuzz: $(foreach t,$(FUZZ_TARGETS),$(BUILD)/fuzz-$(t)) fuzz-seeds
	@pass=0; fail=0; \
	$(foreach t,$(FUZZ_TARGETS),if TLSHS_CERTS=$(CERTS) sh tests/fuzz/run.sh $(t) $(FUZZ_SECONDS) $(BUILD) \
	    '$(FUZZ_REACH_$(t))'; then pass=$$((pass + 1)); else fail=$$((fail + 1)); fi;) \
	for t in fuzz-hello fuzz-record fuzz-dtls-record; do \
	    if $(MAKE) --no-print-directory $$t FUZZ_SECONDS=$(FUZZ_SECONDS); then pass=$$((pass + 1)); \
	    else fail=$$((fail + 1)); fi; \
	done; \
	echo "$$pass passed, $$fail failed"; [ $$fail -eq 0 ]

# about 90 s: 15 s for each target
test-fuzz:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=15

# the files of csrc/ and of lua/ stand in layers (read from their objects
# with nm: tests/layers.py), and no .c or .i file is over 800 lines
LAYERS_LUA := $(BUILD)/layers/lua
test-layers: lib
	@rm -rf $(LAYERS_LUA) && mkdir -p $(LAYERS_LUA)
	@for f in lua/*.c; do \
	    $(CC) $(WARN) $(CFLAGS) -fPIC -Icsrc $(LUA_CFLAGS) -c $$f -o $(LAYERS_LUA)/$$(basename $$f .c).o || exit 1; \
	done
	$(PYTHON) tests/layers.py $(BUILD)/obj $(LAYERS_LUA)

# the project's own scripts (bench/instructions.sh) keep their promises
test-scripts:
	sh tests/scripts.sh

test-man:
	mandoc -Tlint -W warning man/tlshs.3 && mandoc -Tlint -W warning man/tlshs.1 && echo "2 passed, 0 failed"

# the README's first command keeps working: the demo builds (warnings as
# errors under CI) and runs to its end, exit 0
test-demo: lib certs $(BUILD)/tlshs-demo $(BUILD)/tlshs-dtls-server
	$(BUILD)/tlshs-demo $(CERTS) > $(BUILD)/demo.log 2>&1 && echo "1 passed, 0 failed" || \
	    { tail -20 $(BUILD)/demo.log; echo "0 passed, 1 failed"; exit 1; }

# ---- the hello parser's oracle tests (tests/python/test_hello_oracles.py) ----
# hello-dump prints what csrc/hello.c makes of a hello given in hex, as JSON.
$(BUILD)/hello-dump: tests/tools/hello_dump.c $(BUILD)/libtlshs.a
	$(CC) $(WARN) $(CFLAGS) -D_POSIX_C_SOURCE=200809L -Icsrc $(SSL_CFLAGS) $< -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS)

test-python: $(BUILD)/hello-dump

# ---- OpenSSL 3.5 beside the system's 3.0 ----
# test-openssl35 builds OpenSSL 3.5 from Debian 13's source package once
# (tests/openssl/build-openssl35.sh: an apt configuration of its own under
# build/, a pinned version whose .dsc's checksum is checked; kept in
# build/openssl-3.5 for the next run), then runs the C, Python and Lua suites
# and the demo against it in a copy of the tree (build/o35/tree: its own
# build/, its own Python and Lua modules), with 3.5's openssl command first
# on PATH, so s_server and s_client are 3.5's too.  Its last line adds them
# up; a source that cannot be had is one skip with the reason.
O35_PREFIX := $(CURDIR)/$(BUILD)/openssl-3.5
O35_TREE   := $(BUILD)/o35/tree
O35_SUITES ?= test-c test-python test-lua test-demo
openssl35: $(O35_PREFIX)/.done
$(O35_PREFIX)/.done: tests/openssl/build-openssl35.sh
	sh tests/openssl/build-openssl35.sh $(O35_PREFIX) $(CURDIR)/$(BUILD)/openssl-3.5-work
test-openssl35:
	@sh tests/openssl/build-openssl35.sh $(O35_PREFIX) $(CURDIR)/$(BUILD)/openssl-3.5-work; rc=$$?; \
	if [ $$rc -eq 2 ]; then echo "0 passed, 0 failed, 1 skipped (OpenSSL 3.5 could not be built: see the skip line above)"; exit 0; fi; \
	[ $$rc -eq 0 ] || { echo "0 passed, 1 failed (building OpenSSL 3.5 failed)"; exit 1; }; \
	rm -rf $(O35_TREE) && mkdir -p $(O35_TREE) && \
	tar --exclude=./build --exclude='*.so' --exclude='*.o' --exclude=__pycache__ --exclude=./.git -cf - . | tar -xf - -C $(O35_TREE) && \
	PATH=$(O35_PREFIX)/bin:$$PATH TLSHS_SUITES="$(O35_SUITES)" $(MAKE) --no-print-directory -C $(O35_TREE) \
	    OPENSSL=$(O35_PREFIX) test-suites > $(BUILD)/o35/suites.log 2>&1; \
	cat $(BUILD)/o35/suites.log; \
	sed -n 's/^total: \([0-9]* passed, [0-9]* failed, [0-9]* skipped\)$$/\1 (OpenSSL 3.5)/p' $(BUILD)/o35/suites.log | tail -1; \
	grep -q '^total: [0-9]* passed, 0 failed' $(BUILD)/o35/suites.log

# ---- the bindings (each in its own fragment) ----
include bindings/python.mk
include lua/lua.mk

# ---- everything ----
test: deps
	$(MAKE) --no-print-directory all certs
	sh tests/run-suites.sh $(MAKE)

# the suites of TLSHS_SUITES (tests/run-suites.sh) after building, without deps
test-suites: all certs
	sh tests/run-suites.sh $(MAKE)

# ---- benchmarks ----
$(BUILD)/bench-c: bench/bench_c.c $(BUILD)/libtlshs.a
	$(CC) $(WARN) -O2 -g -D_POSIX_C_SOURCE=200809L -Icsrc $< -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS)

# parsing one ClientHello with its fingerprints (csrc/hello.c)
$(BUILD)/bench-hello: bench/bench_hello.c $(BUILD)/libtlshs.a
	$(CC) $(WARN) -O2 -g -D_POSIX_C_SOURCE=200809L -Icsrc $(SSL_CFLAGS) $< -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS)

bench-c: all certs $(BUILD)/bench-c $(BUILD)/bench-hello
	$(BUILD)/bench-c $(CERTS)
	$(BUILD)/bench-hello
	@echo "instructions per handshake (callgrind: the same on every run)"
	@sh bench/instructions.sh "raw OpenSSL from C" 20 $(BUILD)/bench-c $(CERTS) --only raw
	@sh bench/instructions.sh "tlshs from C" 20 $(BUILD)/bench-c $(CERTS) --only tlshs
	@sh bench/instructions.sh "tlshs_pair from C" 20 $(BUILD)/bench-c $(CERTS) --only tlshs-pair
	@echo "the same with a client certificate the server requires and verifies"
	@sh bench/instructions.sh "raw OpenSSL from C" 20 $(BUILD)/bench-c $(CERTS) --only raw-mutual
	@sh bench/instructions.sh "tlshs from C" 20 $(BUILD)/bench-c $(CERTS) --only tlshs-mutual

# DTLS 1.2 in memory: raw OpenSSL against tlshs over the same datagram BIO,
# instructions per handshake; then lossy handshakes in virtual time
$(BUILD)/bench-dtls: bench/bench_dtls.c $(BUILD)/libtlshs.a
	$(CC) $(WARN) -O2 -g -D_POSIX_C_SOURCE=200809L -Icsrc $(SSL_CFLAGS) $< -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS)

bench-dtls: all certs python lua/tlshs.so $(BUILD)/bench-dtls
	@echo "DTLS 1.2 instructions per handshake (callgrind; cookies off unless named)"
	@sh bench/instructions.sh "raw OpenSSL DTLS from C" 20 $(BUILD)/bench-dtls $(CERTS) --only raw
	@sh bench/instructions.sh "tlshs DTLS from C" 20 $(BUILD)/bench-dtls $(CERTS) --only tlshs
	@sh bench/instructions.sh "tlshs_pair DTLS from C" 20 $(BUILD)/bench-dtls $(CERTS) --only tlshs-pair
	@sh bench/instructions.sh "tlshs DTLS, cookie on" 20 $(BUILD)/bench-dtls $(CERTS) --only tlshs-cookie
	@TLSHS_CERTS=$(CERTS) PYTHONPATH=python sh bench/instructions.sh "tlshs DTLS from Python" 20 \
	    $(PYTHON) bench/bench_dtls.py $(CERTS) --only tlshs
	@LUA_CPATH='lua/?.so;;' sh bench/instructions.sh "tlshs DTLS from Lua" 20 \
	    $(LUA) bench/bench_dtls.lua $(CERTS) --only tlshs
	@$(BUILD)/bench-dtls $(CERTS) --lossy 1000

# the key exchange's cost: instructions per handshake of raw OpenSSL and
# tlshs with X25519 alone and with OpenSSL's default groups (on 3.5:
# X25519MLKEM768 first), the heap of an in-flight client and its ClientHello
bench-groups: all certs $(BUILD)/bench-c
	@for g in X25519 default; do \
	    echo "groups $$g:"; \
	    BENCH_GROUPS=$$g sh bench/instructions.sh "raw OpenSSL from C" 20 $(BUILD)/bench-c $(CERTS) --only raw || exit 1; \
	    BENCH_GROUPS=$$g sh bench/instructions.sh "tlshs from C" 20 $(BUILD)/bench-c $(CERTS) --only tlshs || exit 1; \
	    BENCH_GROUPS=$$g $(BUILD)/bench-c $(CERTS) --heap 2000 || exit 1; \
	done

# bench-groups on OpenSSL 3.5, in the tree test-openssl35 makes
bench-openssl35: openssl35
	rm -rf $(O35_TREE) && mkdir -p $(O35_TREE)
	tar --exclude=./build --exclude='*.so' --exclude='*.o' --exclude=__pycache__ --exclude=./.git -cf - . | tar -xf - -C $(O35_TREE)
	PATH=$(O35_PREFIX)/bin:$$PATH $(MAKE) --no-print-directory -C $(O35_TREE) OPENSSL=$(O35_PREFIX) bench-groups

# every benchmark, one after the other (each compares side by side in one run),
# each one's output also in build/bench-NAME.log; then bench/chart.py draws
# their figures side by side in build/bench.svg (bench-chart: again from the logs).
BENCH_PARTS := c dtls python lua aio
bench: all certs
	@for b in $(BENCH_PARTS); do \
	    { $(MAKE) --no-print-directory bench-$$b; echo $$? > $(BUILD)/bench-$$b.rc; } 2>&1 | tee $(BUILD)/bench-$$b.log; \
	    [ "$$(cat $(BUILD)/bench-$$b.rc)" = 0 ] || { echo "bench: bench-$$b failed"; exit 1; }; \
	done
	@$(MAKE) --no-print-directory bench-chart

bench-chart:
	$(PYTHON) bench/chart.py $(foreach b,$(BENCH_PARTS),$(BUILD)/bench-$(b).log) -o $(BUILD)/bench.svg

# ---- install ----
install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man3 \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 $(BUILD)/libtlshs.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libtlshs.so $(DESTDIR)$(PREFIX)/lib/libtlshs.so.0
	ln -sf libtlshs.so.0 $(DESTDIR)$(PREFIX)/lib/libtlshs.so
	install -m 644 csrc/tlshs.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' tlshs.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/tlshs.pc
	install -m 644 man/tlshs.3 $(DESTDIR)$(PREFIX)/share/man/man3/
	install -m 644 man/tlshs.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	for f in $(MAN_LINKS); do ln -sf tlshs.3 $(DESTDIR)$(PREFIX)/share/man/man3/$$f.3; done
	$(MAKE) --no-print-directory install-lua

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libtlshs.a $(DESTDIR)$(PREFIX)/lib/libtlshs.so $(DESTDIR)$(PREFIX)/lib/libtlshs.so.0 \
	      $(DESTDIR)$(PREFIX)/include/tlshs.h $(DESTDIR)$(PREFIX)/lib/pkgconfig/tlshs.pc \
	      $(DESTDIR)$(PREFIX)/share/man/man3/tlshs.3 $(DESTDIR)$(PREFIX)/share/man/man1/tlshs.1
	for f in $(MAN_LINKS); do rm -f $(DESTDIR)$(PREFIX)/share/man/man3/$$f.3; done

format:
	clang-format -i csrc/*.c csrc/*.h lua/*.c tests/c/*.c tests/c/*.h bench/*.c examples/*.c

clean:
	rm -rf $(BUILD)/obj $(BUILD)/*.a $(BUILD)/*.so $(BUILD)/test-c* $(BUILD)/bench-c $(BUILD)/tlshs-demo $(BUILD)/tlshs-dtls-server $(BUILD)/tlshs.pc \
	       $(ASAN_BUILD) $(FUZZ_BUILD) $(BUILD)/fuzz-seeds $(BUILD)/fuzz-make-seeds \
	       $(foreach t,$(FUZZ_TARGETS),$(BUILD)/fuzz-$(t))
	$(MAKE) --no-print-directory clean-python clean-lua

distclean: clean
	rm -rf $(BUILD)
