"""A pytest plugin for `make test-python-asan` (loaded with -p pytest_asan).

Stops the sanitizer settings from reaching the suite's subprocesses (openssl,
pip, a compiler): the runtimes are already loaded in this process, and those
programs are not ours to check.  Skips, with the reason printed (-rs), the
tests listed in SKIP.
"""

import os

import pytest

# test id (file::name) -> why it cannot run under a sanitizer
SKIP = {
    "tests/python/test_api.py::test_stubs_match_the_package":
        "mypy's stubtest imports the package in a second interpreter, which would load the "
        "ASan-built extension without the sanitizer runtime; it checks the type stubs, "
        "not memory, and runs in test-python",
}

_HIDDEN = ("LD_PRELOAD", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "PYTHONMALLOC")
_saved = {k: os.environ.pop(k) for k in _HIDDEN if k in os.environ}


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = SKIP.get(item.nodeid.split("[")[0]) or SKIP.get(item.nodeid)
        if reason:
            item.add_marker(pytest.mark.skip(reason="under ASan: " + reason))
