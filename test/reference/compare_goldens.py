#!/usr/bin/env python3
"""Compares two directories of encoder goldens (committed vs regenerated from PyTorch).

    compare_goldens.py COMMITTED_DIR REGENERATED_DIR [TOLERANCE]

Same models, same cases and token ids, and every hidden state within TOLERANCE (default 1e-5)
relative to the tensor's largest magnitude. Exit status 1 on any difference.
"""
import json
import os
import sys


def rel(a, b):
    flat_a = [x for row in a for x in (row if isinstance(row, list) else [row])]
    flat_b = [x for row in b for x in (row if isinstance(row, list) else [row])]
    if len(flat_a) != len(flat_b):
        return float("inf")
    scale = max(abs(x) for x in flat_b) or 1.0
    return max(abs(x - y) for x, y in zip(flat_a, flat_b)) / scale


def main():
    committed, regenerated = sys.argv[1], sys.argv[2]
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5
    names = sorted(f for f in os.listdir(committed) if f.endswith(".json"))
    bad = 0
    if names != sorted(f for f in os.listdir(regenerated) if f.endswith(".json")):
        print("model sets differ: %s" % names)
        bad += 1
    for name in names:
        a = json.load(open(os.path.join(committed, name)))
        b = json.load(open(os.path.join(regenerated, name)))
        if [c["ids"] for c in a["cases"]] != [c["ids"] for c in b["cases"]]:
            print("%s: token ids differ" % name)
            bad += 1
            continue
        worst = max(max(rel(x["hidden"], y["hidden"]), rel(x["pooled"], y["pooled"]))
                    for x, y in zip(a["cases"], b["cases"]))
        print("%-22s %d cases, worst relative difference %.2e" % (name, len(a["cases"]), worst))
        bad += worst > tol
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
