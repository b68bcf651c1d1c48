"""A pytest plugin for `make test-python-asan` (loaded with -p pytest_asan).

Turns leak detection off for the suite's subprocesses (openssl, pip, the
compiler, a second interpreter): they are not ours to check, but they keep
the preloaded runtimes, which a second interpreter that imports the
ASan-built extension needs.  Skips, with the reason printed (-rs), the tests
listed in SKIP (none today), and stops if one of them is no longer there.
"""

import ctypes
import os

import pytest

# test id (file::name) -> why it cannot run under a sanitizer
SKIP: dict = {}

# Subprocesses keep the runtimes (a second interpreter that imports the
# ASan-built extension needs them first in its library list) but not leak
# detection: openssl, pip and the compiler are not ours to check.
os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
for _k in ("LSAN_OPTIONS", "PYTHONMALLOC"):
    os.environ.pop(_k, None)


def _import_uvloop_unwatched():
    """uvloop (the tlshs.aio tests run on it too) keeps references it never
    drops to objects its import touches, asyncio's among them: `python3 -c
    "import uvloop"` under this runtime, without tlshs, leaks 54 blocks.  So
    it is imported here, before anything imports asyncio, with
    LeakSanitizer looking away (__lsan_disable: what is allocated meanwhile
    is never reported).  What uvloop allocates later, in the tests, is
    checked as usual."""
    try:
        lsan = ctypes.CDLL(None)
        disable, enable = lsan.__lsan_disable, lsan.__lsan_enable
    except AttributeError:  # the runtime is not preloaded: nothing to hide
        return
    disable()
    try:
        import uvloop  # noqa: F401
    except ImportError:
        pass
    finally:
        enable()


_import_uvloop_unwatched()


def pytest_collection_modifyitems(config, items):
    used = set()
    for item in items:
        name = item.nodeid.split("[")[0]
        if name in SKIP:
            used.add(name)
            item.add_marker(pytest.mark.skip(reason="under ASan: " + SKIP[name]))
    # a renamed test would slip out of SKIP and then fail under ASan; say why
    files = {item.nodeid.split("::")[0] for item in items}
    stale = [name for name in SKIP if name not in used and name.split("::")[0] in files]
    if stale:
        raise pytest.UsageError("pytest_asan.py: no test is named " + ", ".join(stale) + " any more")
