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


# ---- the key tables: each document against tlshs.config_keys() (issue 15) ----

KIND_TYPES = {"path": "_Path", "pem": "_Pem", "switch": "_Switch", "number": "_Number", "list": "_List",
              "text": "str"}


def _unescape(cell):
    return cell.strip().replace("\\|", "|")


def test_python_md_key_table_is_config_keys():
    text = doc()
    table = text[text.index("<!-- keys: tlshs.config_keys(), row for row -->"):].split("\n\n")[0]
    lines = table.splitlines()
    assert lines[1] == "| key | kind | roles | value | default | what |", lines[1]
    rows = []
    for line in lines[3:]:
        cells = [_unescape(c) for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        assert len(cells) == 6 and cells[5], line
        name, kind, roles, metavar, default = cells[:5]
        rows.append((name.strip("`"), kind, tuple(roles.split(", ")), metavar.strip("`"), default or None))
    want = [(k.name, k.kind, k.roles, k.metavar, k.default) for k in tlshs.config_keys()]
    assert rows == want, "docs/python.md's key table differs from tlshs.config_keys(); its rows should read:\n" + \
        "\n".join(f"| `{k.name}` | {k.kind} | {', '.join(k.roles)} | `{k.metavar}` | {k.default or ''} | {k.help} |"
                  for k in tlshs.config_keys())


def test_man_page_key_options_are_config_keys():
    """man/tlshs.1's list of configuration options: each key's option, value
    form, kind, commands (a client's keys are probe's, a server's serve's),
    help and default, in the table's order."""
    with open(os.path.join(ROOT, "man", "tlshs.1"), encoding="utf-8") as f:
        text = f.read()
    section = text[text.index(".Ss Configuration options"):text.index(".Ss Other options")]
    items = section[section.index(".Bl -tag"):section.index("\n.El")].split("\n.It ")[1:]
    commands = {"client": "probe", "server": "serve"}
    got, want = [], []
    for item in items:
        lines = item.splitlines()
        m = re.fullmatch(r"Fl (\S+) Ar (\S+)", lines[0])  # Fl writes one dash itself
        assert m, lines[0]
        p = re.fullmatch(r"\.Pq (\w+); (.+)", lines[1])
        assert p, lines[1]
        default = lines[3][len("Default: "):-1] if len(lines) > 3 else None
        got.append(("-" + m.group(1).replace("\\-", "-"), m.group(2), p.group(1), p.group(2), lines[2], default))
    for k in tlshs.config_keys():
        want.append(("--" + k.name.replace("_", "-"), k.metavar, k.kind, ", ".join(commands[r] for r in k.roles),
                     k.help[0].upper() + k.help[1:] + ".", k.default))
    assert got == want


def test_stub_keywords_of_config_are_config_keys():
    """__init__.pyi: Config's keywords are the keys, in order, each typed by
    its kind."""
    with open(os.path.join(os.path.dirname(tlshs.__file__), "__init__.pyi"), encoding="utf-8") as f:
        stub = f.read()
    init = stub[stub.index("class Config("):]
    init = init[init.index("def __init__("):init.index(") -> None: ...")]
    params = re.findall(r"^        (\w+): (\w+) = \.\.\.,$", init, re.M)
    assert params == [(k.name, KIND_TYPES[k.kind]) for k in tlshs.config_keys()]


def test_config_docstring_lists_every_key():
    doc_text = tlshs.Config.__doc__
    for k in tlshs.config_keys():
        assert f"\n    {k.name}={k.metavar}\n" in doc_text, k.name
    assert "<the keys" not in doc_text
