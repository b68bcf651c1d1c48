"""docs/python.md names every public name of the package and every public
attribute and method of Config and Handshake (so a new one cannot go
undocumented)."""

import os
import re

import tlshs
from conftest import ROOT


def doc():
    with open(os.path.join(ROOT, "docs", "python.md"), encoding="utf-8") as f:
        return f.read()


def public(cls):
    return {n for n in dir(cls) if not n.startswith("_")}


def test_every_public_name_is_documented():
    text = doc()
    missing = [n for n in tlshs.__all__ if n != "__version__" and not re.search(rf"\b{re.escape(n)}\b", text)]
    assert not missing, f"docs/python.md does not name {missing}"


def test_every_member_of_config_and_handshake_is_documented():
    text = doc()
    for cls in (tlshs.Config, tlshs.Handshake, tlshs.ClientHello, tlshs.Event):
        names = public(cls) - public(tuple) if issubclass(cls, tuple) else public(cls)
        missing = sorted(n for n in names if f"`{n}" not in text and f"{n}(" not in text)
        assert not missing, f"docs/python.md does not name {cls.__name__}.{missing}"
