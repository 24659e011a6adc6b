#!/usr/bin/env python3
"""Fails when the folders under src/platform/ include each other in a cycle.

Usage: include_cycles.py REPO_ROOT

The graph is derived from the code: every `#include "..."` line of src/platform/**/*.{cpp,hpp}
and include/glia/platform/*.hpp gives an edge from the including file's folder to the included
file's folder. A private header ("artifacts/file_io.hpp", or "file_io.hpp" beside the file)
belongs to its folder; a public header (include/glia/platform/X.hpp) belongs to the folder whose
.cpp file includes it first (the file implementing it), and to none when no .cpp does (a
header-only type such as clock.hpp). Prints each cycle with one include per edge.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main(root):
    src = os.path.join(root, "src", "platform")
    pub = os.path.join(root, "include", "glia", "platform")
    folders = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)))
    files = {}  # path -> (folder or None for a public header, includes)
    for folder in folders:
        for dirpath, _, names in os.walk(os.path.join(src, folder)):
            for n in names:
                if n.endswith((".cpp", ".hpp")):
                    p = os.path.join(dirpath, n)
                    files[p] = (folder, INCLUDE.findall(open(p, encoding="utf-8").read()))
    # Public headers: owned by the folder implementing them: the folder of a .cpp of the same
    # name, else a folder of that name (assets.hpp: assets/), else the folder of a .cpp that
    # includes it first.
    owner = {}
    for n in sorted(os.listdir(pub)):
        if not n.endswith(".hpp"):
            continue
        stem, name = n[:-4], "glia/platform/" + n
        users = [(p, f) for p, (f, incs) in files.items() if p.endswith(".cpp") and name in incs]
        found = {f for p, f in users if os.path.basename(p) == stem + ".cpp"}
        if not found:
            found = {f for p, f in users if f in (stem, stem + "s")}
        if not found:
            found = {f for p, f in users if files[p][1] and files[p][1][0] == name}
        if len(found) > 1:
            print(f"{name} is implemented in several folders: {sorted(found)}")
            return 1
        if found:
            owner[name] = found
    for n in sorted(os.listdir(pub)):
        if n.endswith(".hpp"):
            p = os.path.join(pub, n)
            folder = next(iter(owner.get("glia/platform/" + n, {None})))
            files[p] = (folder, INCLUDE.findall(open(p, encoding="utf-8").read()))

    def target(inc, folder):
        if inc.startswith("glia/platform/"):
            return next(iter(owner.get(inc, {None})))
        first = inc.split("/")[0]
        if "/" in inc and first in folders:
            return first
        if "/" not in inc:
            return folder
        return None  # engine or other headers

    edges = {}  # (a, b) -> an example "file: #include"
    for p, (folder, incs) in files.items():
        if folder is None:
            continue
        for inc in incs:
            t = target(inc, folder)
            if t is not None and t != folder:
                edges.setdefault((folder, t), f'{os.path.relpath(p, root)}: #include "{inc}"')
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)

    cycles = []
    state = {}
    stack = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for f in folders:
        if f not in state:
            visit(f)
    for c in cycles:
        print("include cycle between folders of src/platform: " + " -> ".join(c))
        for a, b in zip(c, c[1:]):
            print(f"  {a} -> {b}: {edges[(a, b)]}")
    if not cycles:
        print(f"no cycles among {len(folders)} folders ({len(edges)} edges)")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
