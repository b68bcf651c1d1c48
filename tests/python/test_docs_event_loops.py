"""docs/python.md, "Event loops": its two complete programs run and print
what the page says they print, and it names every public name of
tlshs.aio and every member of tlshs.trio.TLSStream."""

import importlib
import os
import re
import subprocess
import sys

import pytest

import tlshs
import tlshs.aio
from conftest import ROOT, TIMEOUT

PKG = os.path.dirname(os.path.dirname(os.path.abspath(tlshs.__file__)))


def doc():
    with open(os.path.join(ROOT, "docs", "python.md"), encoding="utf-8") as f:
        return f.read()


def section(heading):
    """From heading to the next heading of its level or above."""
    text = doc()
    start = text.index(heading)
    level = len(heading) - len(heading.lstrip("#"))
    m = re.compile(r"^#{1,%d} " % level, re.M).search(text, start + len(heading))
    return text[start:m.start() if m else len(text)]


def example(heading):
    """The first ```python block of the section, and the ``` block after it
    (what it prints), if there is one."""
    blocks = re.findall(r"```(\w*)\n(.*?)```", section(heading), re.S)
    code = next(body for lang, body in blocks if lang == "python")
    return code


def run_example(code):
    env = dict(os.environ, PYTHONPATH=PKG)
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=3 * TIMEOUT, cwd=ROOT)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return p.stdout.decode()


def test_aio_example_runs_as_documented():
    out = run_example(example("### `tlshs.aio`"))
    text = section("### `tlshs.aio`")
    shown = re.search(r"It prints.*?```\n(.*?)```", text, re.S).group(1)
    def lines(text):  # (the JA4 is the OpenSSL build's own client hello's)
        return sorted(re.sub(r"t13d\w{6}_\w{12}_\w{12}", "JA4", line) for line in text.splitlines())

    assert lines(out) == lines(shown)  # the server's lines may come before the client's


def test_trio_example_runs_as_documented():
    pytest.importorskip("trio")
    out = run_example(example("### `tlshs.trio`"))
    assert out.splitlines() == ["TLSv1.3 TLS_AES_256_GCM_SHA384", "b'HELLO'", "b''"]
    assert "It prints `TLSv1.3 TLS_AES_256_GCM_SHA384`, `b'HELLO'` and `b''`" in section("### `tlshs.trio`")


def test_every_name_of_the_event_loops_is_documented():
    text = section("## Event loops")
    missing = [n for n in tlshs.aio.__all__ if not re.search(rf"\b{re.escape(n)}\b", text)]
    assert not missing, f"docs/python.md does not name tlshs.aio.{missing}"
    trio = pytest.importorskip("trio")
    stream = importlib.import_module("tlshs.trio").TLSStream
    members = {n for n in dir(stream) if not n.startswith("_")} - set(dir(trio.abc.Stream))
    members |= {"do_handshake", "send_all", "receive_some", "wait_send_all_might_not_block", "aclose",
                "handshake", "transport_stream"}
    missing = sorted(n for n in members if f"`{n}" not in text and f"{n}(" not in text)
    assert not missing, f"docs/python.md does not name TLSStream.{missing}"
