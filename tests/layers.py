#!/usr/bin/env python3
"""The files of csrc/ and of lua/ stand in layers: none uses a file that uses
it back, directly or through others.  A file A uses B when A's object refers
to a global symbol B's object defines (read with nm).  Also: no .c or .i file
of csrc/, lua/ or bindings/ is over 800 lines.  Run after `make`; prints one
line per check and ends with "N passed, N failed".

Usage: layers.py CSRC_OBJ_DIR LUA_OBJ_DIR"""
import glob
import os
import subprocess
import sys

MAX_LINES = 800


def uses_of(objs):
    defs, uses = {}, {}
    for obj in objs:
        name = os.path.basename(obj).rsplit(".", 1)[0]
        uses[name] = set()
        out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "TDBR":
                defs.setdefault(p[2], name)
            elif len(p) == 2 and p[0] == "U":
                uses[name].add(p[1])
    return {a: {defs[s] for s in u if s in defs and defs[s] != a} for a, u in uses.items()}


def loops(graph):
    """The strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, found, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def main():
    passed = failed = 0
    for label, d in (("csrc", sys.argv[1]), ("lua", sys.argv[2])):
        objs = sorted(glob.glob(os.path.join(d, "*.o")))
        if not objs:
            print(f"FAIL {label}: no objects in {d}")
            failed += 1
            continue
        graph = uses_of(objs)
        bad = loops(graph)
        if bad:
            for comp in bad:
                print(f"FAIL {label}: files in a loop: " + "; ".join(
                    f"{a} uses {', '.join(sorted(graph[a] & set(comp)))}" for a in comp))
            failed += 1
        else:
            print(f"ok   {label}: {len(objs)} files in layers, none uses a file that uses it back")
            passed += 1
    long_files = []
    for path in sorted(glob.glob("csrc/*.c") + glob.glob("lua/*.c") + glob.glob("bindings/*.c") + glob.glob("bindings/*.i")):
        with open(path, encoding="utf-8") as f:
            n = sum(1 for _ in f)
        if n > MAX_LINES:
            long_files.append(f"{path} ({n})")
    if long_files:
        print(f"FAIL files over {MAX_LINES} lines: " + ", ".join(long_files))
        failed += 1
    else:
        print(f"ok   no .c or .i file of csrc/, lua/, bindings/ over {MAX_LINES} lines")
        passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
