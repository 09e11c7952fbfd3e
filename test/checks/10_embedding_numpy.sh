#!/usr/bin/env bash
# Parity of every embedding distance, norm and aggregate against NumPy (float64), on random
# embeddings of mixed dimension and scale (1e-20 .. 1e18, where float sums of squares would
# under/overflow). Also checks the text form round-trips the exact float32 bits.
set -euo pipefail
db=vf_check_embedding
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db"' EXIT
psql -X -q -d $db -c "CREATE EXTENSION varformer"
"$PYTHON" - "$db" <<'PY'
import subprocess, sys
import numpy as np

db = sys.argv[1]
rng = np.random.default_rng(20261121)

def psql(sql, stdin=None):
    r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "|", "-d", db, "-v", "ON_ERROR_STOP=1", "-c", sql],
                       input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("psql failed: " + r.stderr)
    return [line.split("|") for line in r.stdout.splitlines() if line]

def text(v):
    # repr of a float32 -> shortest digits that round-trip through strtof.
    return "[" + ",".join(repr(float(x)) for x in v) + "]"

pairs = []
for k in range(300):
    dim = int(rng.choice([1, 3, 16, 100, 768, 1537]))
    scale = 10.0 ** rng.uniform(-20, 18)
    a = (rng.standard_normal(dim) * scale).astype(np.float32)
    b = (rng.standard_normal(dim) * scale).astype(np.float32)
    pairs.append((a, b))

psql("CREATE TABLE p (k int, a embedding, b embedding)")
rows = "".join(f"{k}\t{text(a)}\t{text(b)}\n" for k, (a, b) in enumerate(pairs))
subprocess.run(["psql", "-X", "-q", "-d", db, "-v", "ON_ERROR_STOP=1", "-c", "COPY p FROM STDIN"],
               input=rows, text=True, check=True)

got = psql("SELECT k, a <-> b, a <=> b, a <#> b, inner_product(a, b), cosine_similarity(a, b), l1_distance(a, b), "
           "l2_norm(a), dims(a), a::text, l2_normalize(a)::real[]::text FROM p ORDER BY k")
fails = 0
def close(x, y, what, k, rtol=2e-6, atol=0.0):
    global fails
    if not np.isclose(x, y, rtol=rtol, atol=atol):
        fails += 1
        if fails < 20:
            print(f"row {k}: {what}: got {x!r}, numpy {y!r}")

for row in got:
    k = int(row[0]); a, b = pairs[k]
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    dot = float(a64 @ b64); na = float(np.sqrt(a64 @ a64)); nb = float(np.sqrt(b64 @ b64))
    sim = min(1.0, max(-1.0, dot / (na * nb)))
    # dot products cancel: compare them relative to |a||b|, the scale of their rounding error.
    close(float(row[1]), float(np.linalg.norm(a64 - b64)), "l2", k)
    close(float(row[2]), 1.0 - sim, "cosine", k, atol=1e-6)
    close(float(row[3]), -dot, "neg inner", k, atol=1e-6 * na * nb)
    close(float(row[4]), dot, "inner", k, atol=1e-6 * na * nb)
    close(float(row[5]), sim, "cosine similarity", k, atol=1e-6)
    close(float(row[6]), float(np.abs(a64 - b64).sum()), "l1", k)
    close(float(row[7]), na, "l2 norm", k)
    if int(row[8]) != len(a):
        fails += 1; print(f"row {k}: dims {row[8]} != {len(a)}")
    back = np.array([float(x) for x in row[9].strip("[]").split(",")], dtype=np.float32)
    if not np.array_equal(back.view(np.uint32), a.view(np.uint32)):
        fails += 1; print(f"row {k}: text form does not round-trip the float32 bits")
    normed = np.array([float(x) for x in row[10].strip("{}").split(",")])
    if not np.allclose(normed, (a64 / na).astype(np.float32), rtol=1e-6, atol=1e-7):
        fails += 1; print(f"row {k}: l2_normalize differs")

# Aggregates over one dimension group, against float64 sums.
group = [a for a, _ in pairs if len(a) == 768]
res = psql("SELECT sum(a)::real[]::text, avg(a)::real[]::text FROM p WHERE dims(a) = 768")[0]
s = np.array([float(x) for x in res[0].strip("{}").split(",")])
m = np.array([float(x) for x in res[1].strip("{}").split(",")])
ref = np.sum(np.array(group, dtype=np.float64), axis=0)
scale = np.abs(np.array(group, dtype=np.float64)).sum(axis=0)
if not np.all(np.abs(s - ref) <= 1e-6 * scale) or not np.all(np.abs(m - ref / len(group)) <= 1e-6 * scale / len(group)):
    fails += 1; print("sum/avg differ from numpy")

print(f"{len(got)} pairs, {len(group)} rows aggregated, {fails} mismatches")
if len(got) != len(pairs):
    fails += 1; print(f"{len(got)} rows came back for {len(pairs)} pairs")
sys.exit(1 if fails else 0)
PY
