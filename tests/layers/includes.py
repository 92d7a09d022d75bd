#!/usr/bin/env python3
"""The include graph of the sources: no cycle between files, and no include that climbs the
layers (libk < user < hal < mm < kern < rpc < dev < mapper < fs < vmm < proc < syscall < boot < soak < bench
< tools).
The build's include scopes already refuse a climbing include; this test also names every
cycle inside a layer.
Usage: includes.py PROJECT_DIR"""
import pathlib
import re
import sys

# user (the RV32IMAC interpreter) is a side branch on libk alone: listed right above libk, it may
# include nothing but libk; which layers link it is the include scopes' business.
LAYERS = ["libk", "user", "hal", "mm", "kern", "rpc", "dev", "mapper", "fs", "vmm", "proc", "syscall", "boot", "soak",
          "bench", "tools"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path: pathlib.Path, root: pathlib.Path) -> str:
    parts = path.relative_to(root).parts
    if parts[0] == "src":
        if parts[1:3] == ("mm", "mapper"):
            return "mapper"  # a layer of its own above rpc and dev, though under src/mm/
        if parts[1:3] == ("mm", "vmm"):
            return "vmm"  # a layer of its own above fs, though under src/mm/
        return parts[1]
    if parts[0] == "include":
        return "api"
    return parts[0]


def main() -> int:
    root = pathlib.Path(sys.argv[1]).resolve()
    files = [p for d in ("src", "include", "bench", "tools") for p in (root / d).rglob("*.[ch]pp")]
    by_name = {}
    for p in files:
        rel = p.relative_to(root)
        key = str(rel.relative_to(rel.parts[0])) if rel.parts[0] in ("src", "include") else str(rel)
        by_name[key] = p
    graph = {}
    problems = []
    for p in files:
        targets = []
        for name in INCLUDE.findall(p.read_text()):
            target = (p.parent / name).resolve() if (p.parent / name).exists() else by_name.get(name)
            if target is None:
                continue
            targets.append(target)
            src_layer, dst_layer = layer_of(p, root), layer_of(target, root)
            if dst_layer == "api" or src_layer == "api":
                continue
            if LAYERS.index(dst_layer) > LAYERS.index(src_layer):
                problems.append(f"{p.relative_to(root)} includes {name}: layer {src_layer} climbs to {dst_layer}")
        graph[p] = targets
    state = {}
    stack = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                problems.append("include cycle: " + " -> ".join(str(c.relative_to(root)) for c in cycle))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node)
    for line in problems:
        print("FAIL:", line)
    print(f"includes: {len(files)} files, {sum(map(len, graph.values()))} includes, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
