#!/usr/bin/env bash
# No dependency cycle between files: the file-level call graph, read from the objects
# (`nm`: which object defines each global symbol and which objects use it), has no cycle.
# A cycle means two files are one module in two pieces: neither can be read, tested or
# replaced without the other. Break one with a callback registered at init, by moving the
# shared piece into a file of its own, or by moving code up a layer.
# Needs the objects: run after `make all` (make check builds first).
set -euo pipefail
cd "$VF_ROOT"
objs=()
while IFS= read -r src; do
  o=${src%.c}.o
  [ -f "$o" ] || { echo "$o: not built (run make all first)"; exit 1; }
  objs+=("$o")
done < <(find src -name '*.c' | sort)
for o in "${objs[@]}"; do
  echo "F ${o%.o}.c -"
  nm -g --defined-only "$o" | awk -v f="${o%.o}.c" 'NF == 3 { print "D", f, $3 }'
  nm -u "$o" | awk -v f="${o%.o}.c" '{ print "U", f, $NF }'
done | "${PYTHON:-python3}" -c '
import sys
from collections import defaultdict
defs, uses = {}, defaultdict(set)
for line in sys.stdin:
    kind, f, sym = line.split()
    if kind == "F":
        uses[f]
    elif kind == "D":
        defs[sym] = f
    else:
        uses[f].add(sym)
edges = defaultdict(dict)          # user -> {definer: first symbol}
for f, syms in uses.items():
    for s in sorted(syms):
        d = defs.get(s)
        if d is not None and d != f:
            edges[f].setdefault(d, s)
# Tarjan: strongly connected components of more than one file are cycles.
index, low, onstack, stack, sccs, n = {}, {}, set(), [], [], [0]
def visit(v):
    index[v] = low[v] = n[0]; n[0] += 1
    stack.append(v); onstack.add(v)
    for w in sorted(edges[v]):
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in onstack:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); onstack.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(sorted(comp))
sys.setrecursionlimit(10000)
files = sorted(set(uses) | set(defs.values()))
for v in files:
    if v not in index: visit(v)
def cycle(comp):
    # a shortest cycle through the first file, by breadth-first search inside the component
    start, inside = comp[0], set(comp)
    prev, queue = {start: None}, [start]
    for v in queue:
        for w in sorted(edges[v]):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None: path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w in inside and w not in prev:
                prev[w] = v; queue.append(w)
for comp in sccs:
    c = cycle(comp)
    print("cycle: " + " -> ".join("%s (%s)" % (a, edges[a][b]) for a, b in zip(c, c[1:])) + " -> " + c[-1])
    if len(comp) > len(c) - 1:
        print("       (one of the cycles among " + ", ".join(comp) + ")")
n_edges = sum(len(e) for e in edges.values())
if sccs:
    sys.exit(1)
print("ok   %d files, %d file-to-file dependencies, no cycle" % (len(files), n_edges))
'
