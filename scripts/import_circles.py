#!/usr/bin/env python3
"""Lists file-level import circles in every crate's src/ and exits 1 when there is one.

An edge A -> B is counted when file A names module B by path: `crate::b::`, `super::b::`, a
`crate::{b, ..}` group, or a parent module using its child (`child::item`). Comments and the
trailing `#[cfg(test)] mod tests` block are ignored: doc links and tests are not structure.

    scripts/import_circles.py [CRATES_DIR] [--edges]
"""
import collections
import os
import re
import sys

EDGES = "--edges" in sys.argv
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
ROOT = ARGS[0] if ARGS else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates")
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def module_file(src, parts):
    """The file of the longest prefix of `parts` that names a module."""
    for k in range(len(parts), 0, -1):
        base = os.path.join(src, *parts[:k])
        for cand in (base + ".rs", os.path.join(base, "mod.rs")):
            if os.path.exists(cand):
                return cand
    return None


def module_path(src, f):
    rel = os.path.relpath(f, src)[:-3].split(os.sep)
    if rel[-1] == "mod":
        rel = rel[:-1]
    return [] if rel in (["lib"], ["main"]) else rel


def strip(text):
    m = re.search(r"\n#\[cfg\(test\)\]\s*\nmod \w+\s*(;|\{)", text)
    if m:
        text = text[: m.start()]
    return re.sub(r"//[^\n]*", "", text)


def graph(src):
    files = [os.path.join(d, f) for d, _, fs in os.walk(src) for f in fs if f.endswith(".rs")]
    g = collections.defaultdict(set)
    for f in files:
        here = module_path(src, f)
        text = strip(open(f, encoding="utf-8").read())

        def add(parts):
            t = module_file(src, [p for p in parts if p and p[0].islower()])
            if t and t != f:
                g[f].add(t)

        for m in re.finditer(r"\b(crate|super)((?:::" + IDENT + r")+)", text):
            parts = m.group(2).strip(":").split("::")
            add((here[:-1] if m.group(1) == "super" else []) + parts)
        for m in re.finditer(r"\b(crate|super)::\{([^}]*)\}", text):
            for item in re.split(r"[,\s]+", m.group(2)):
                add((here[:-1] if m.group(1) == "super" else []) + item.split("::"))
        for m in re.finditer(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", text, re.M):
            child = m.group(1)
            if re.search(r"(?<![:\w])(?:self::)?" + child + r"::", text):
                add(here + [child])
    return files, g


def circles(files, g):
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in g[v]:
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
                out.append(comp)

    for v in sorted(files):
        if v not in index:
            visit(v)
    return out


def main():
    total = 0
    for crate in sorted(os.listdir(ROOT)):
        src = os.path.join(ROOT, crate, "src")
        if not os.path.isdir(src):
            continue
        files, g = graph(src)
        for comp in circles(files, g):
            total += 1
            names = sorted(os.path.relpath(x, src) for x in comp)
            print(f"{crate}: import circle of {len(comp)}: {', '.join(names)}")
            if EDGES:
                inside = set(comp)
                for v in sorted(comp):
                    to = sorted(os.path.relpath(w, src) for w in g[v] if w in inside)
                    print(f"    {os.path.relpath(v, src)} -> {', '.join(to)}")
    print(f"{total} import circles")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
