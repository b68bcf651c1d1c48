# Python binding, included by the top Makefile.
#
#   make python        builds the C extension in place, python/tlshs/_tlshs*.so,
#                      from bindings/tlshs.i (SWIG) and the C beside it
#                      (bindings/py_*.c, sharing bindings/tlshs_py.h), linked
#                      with build/libtlshs.a, so that
#                      PYTHONPATH=python $(PYTHON) -c "import tlshs" works
#   make test-python   runs pytest over tests/python (needs make certs)
#   make test-python-asan  the same suite against build/asan/python/tlshs: the
#                      package's .py files linked in beside an extension built
#                      with ASan and UBSan from build/asan/libtlshs.a
#   make bench-python  runs bench/bench_python.py
#   make clean-python  removes what the targets above made
#
# `pip install .` (setup.py) builds the same extension from the same .i and .c
# files but compiles csrc/*.c into it instead of linking the archive.

.PHONY: python test-python test-python-asan python-asan clean-python bench-python

PY_INCLUDE    := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null)
PY_EXT_SUFFIX := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null)
PY_BUILD      := $(BUILD)/python
PY_WRAP       := $(PY_BUILD)/tlshs_wrap.c
PY_EXT        := python/tlshs/_tlshs$(PY_EXT_SUFFIX)
PY_SRC        := $(wildcard bindings/py_*.c)
PY_HDR        := bindings/tlshs_py.h csrc/tlshs.h
PY_OBJ        := $(patsubst bindings/%.c,$(PY_BUILD)/obj/%.o,$(PY_SRC)) $(PY_BUILD)/obj/tlshs_wrap.o
# The SWIG wrapper is generated code: warnings that it trips are not ours to
# fix.  The C written by hand (bindings/py_*.c) gets the library's warnings,
# less unused parameters (Python's calling convention passes self and args).
PY_CFLAGS     := $(CFLAGS) -fPIC -fvisibility=hidden -Icsrc -Ibindings -I$(PY_INCLUDE)
PY_WRAP_WARN  := -Wall -Wno-unused-parameter -Wno-missing-field-initializers
PY_OWN_WARN   := $(WARN) -Wno-unused-parameter

all: python

python: $(PY_EXT)

$(PY_WRAP): bindings/tlshs.i csrc/tlshs.h
	@mkdir -p $(@D)
	$(SWIG) -python -interface _tlshs -Icsrc -outdir $(PY_BUILD) -o $@ bindings/tlshs.i

$(PY_BUILD)/obj/tlshs_wrap.o: $(PY_WRAP) $(PY_HDR)
	@mkdir -p $(@D)
	$(CC) $(PY_CFLAGS) $(PY_WRAP_WARN) -c $< -o $@

$(PY_BUILD)/obj/%.o: bindings/%.c $(PY_HDR)
	@mkdir -p $(@D)
	$(CC) $(PY_CFLAGS) $(PY_OWN_WARN) -c $< -o $@

# The archive's tlshs_* symbols stay inside the extension (--exclude-libs).
$(PY_EXT): $(PY_OBJ) $(BUILD)/libtlshs.a
	$(CC) $(PY_CFLAGS) -shared $(PY_OBJ) -o $@ $(BUILD)/libtlshs.a $(SSL_LIBS) -Wl,--exclude-libs,ALL

test-python: python certs
	TLSHS_CERTS=$(CERTS) PYTHONPATH=python $(PYTHON) -m pytest -p no:cacheprovider tests/python

# ---- the suite under AddressSanitizer and UBSan ----
# CPython is not instrumented: the runtimes are preloaded (ASAN_ENV, top
# Makefile).  PYTHONMALLOC=malloc sends every Python object through malloc, so
# ASan sees the binding overrun a bytes object too.  CPython leaves its own
# objects allocated at exit by design: tests/sanitizers/lsan-python.supp
# suppresses those, and those only.  tests/sanitizers/pytest_asan.py turns leak
# detection off for the suite's subprocesses (openssl, pip, a compiler) and
# would skip, with its reason shown, a test that cannot run under ASan (none
# does today).
PY_ASAN_DIR := $(ASAN_BUILD)/python
PY_ASAN_EXT := $(PY_ASAN_DIR)/tlshs/_tlshs$(PY_EXT_SUFFIX)
PY_ASAN_OBJ := $(patsubst $(PY_BUILD)/obj/%,$(PY_ASAN_DIR)/obj/%,$(PY_OBJ))

python-asan: $(PY_ASAN_EXT)
	@for f in python/tlshs/*; do case $$f in *.so) ;; *) [ ! -f $$f ] || ln -sfn $(CURDIR)/$$f $(PY_ASAN_DIR)/tlshs/;; esac; done
	@for f in $(PY_ASAN_DIR)/tlshs/*; do [ -e "$$f" ] || rm -f "$$f"; done

$(PY_ASAN_DIR)/obj/tlshs_wrap.o: $(PY_WRAP) $(PY_HDR)
	@mkdir -p $(@D)
	$(CC) $(PY_CFLAGS) $(PY_WRAP_WARN) $(ASAN_FLAGS) -c $< -o $@

$(PY_ASAN_DIR)/obj/%.o: bindings/%.c $(PY_HDR)
	@mkdir -p $(@D)
	$(CC) $(PY_CFLAGS) $(PY_OWN_WARN) $(ASAN_FLAGS) -c $< -o $@

$(PY_ASAN_EXT): $(PY_ASAN_OBJ) $(ASAN_BUILD)/libtlshs.a
	@mkdir -p $(@D)
	$(CC) $(PY_CFLAGS) $(ASAN_FLAGS) -shared $(PY_ASAN_OBJ) -o $@ $(ASAN_BUILD)/libtlshs.a $(SSL_LIBS) -Wl,--exclude-libs,ALL

test-python-asan: python-asan certs
	TLSHS_CERTS=$(CERTS) TLSHS_SOAK_N=1000 PYTHONPATH=$(PY_ASAN_DIR):tests/sanitizers PYTHONMALLOC=malloc $(ASAN_ENV) \
	    LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan-python.supp:print_suppressions=0:fast_unwind_on_malloc=0 \
	    $(PYTHON) -m pytest -p no:cacheprovider -p pytest_asan -rs --capture=sys tests/python

# Section 4, the instruction counts, runs each library in its own process
# (--only: it imports that library alone), beside raw OpenSSL from C.
bench-python: python certs $(BUILD)/bench-c
	TLSHS_CERTS=$(CERTS) PYTHONPATH=python $(PYTHON) bench/bench_python.py
	@echo "4. instructions per handshake (callgrind: the same on every run)"
	@sh bench/instructions.sh "raw OpenSSL from C" 20 $(BUILD)/bench-c $(CERTS) --only raw
	@for lib in tlshs tlshs-loop ssl pyopenssl; do TLSHS_CERTS=$(CERTS) PYTHONPATH=python \
	    sh bench/instructions.sh "Python $$lib" 20 $(PYTHON) bench/bench_python.py --only $$lib || exit 1; done
	@echo "   the same with a client certificate the server requires and verifies:"
	@sh bench/instructions.sh "raw OpenSSL from C" 20 $(BUILD)/bench-c $(CERTS) --only raw-mutual
	@for lib in tlshs ssl pyopenssl; do TLSHS_CERTS=$(CERTS) PYTHONPATH=python \
	    sh bench/instructions.sh "Python $$lib" 20 $(PYTHON) bench/bench_python.py --mutual --only $$lib || exit 1; done

clean-python:
	rm -rf $(PY_BUILD) python/tlshs/_tlshs*.so python/tlshs/__pycache__ python/*.egg-info \
	       tests/python/__pycache__ bindings/tlshs_wrap.c bindings/_tlshs.py
