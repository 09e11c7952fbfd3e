#!/usr/bin/env bash
# Exact nearest-neighbour scan over embeddings, against this machine's memory bandwidth.
#
#   ORDER BY e <=> $1 LIMIT 10 over ROWS random DIM-d embeddings (default 100,000 x 768),
#   parallel (the planner's choice) and serial; plus, to show where the time goes, the same
#   table scanned with no per-row work, with a trivial per-row function call, and with the
#   distance but no sort. Alongside, in the same run: memory bandwidth (test/bench/membw.c)
#   and the distance kernel alone over the same data volume (test/bench/embedding_kernel_bench.c
#   linked with src/embedding_kernels.c and the extension's kernel flags).
# Env: PGHOST/PGPORT/PGUSER (from test/run.sh), VF_ROOT, VF_GENERATED, PYTHON;
#      VF_BENCH_ROWS, VF_BENCH_DIM, VF_BENCH_RUNS to change the size.
set -euo pipefail
ROWS=${VF_BENCH_ROWS:-100000}
DIM=${VF_BENCH_DIM:-768}
RUNS=${VF_BENCH_RUNS:-7}
cd "$VF_ROOT"
bin=build/bench/embedding
mkdir -p "$bin" "$VF_GENERATED/embedding_bench"
KFLAGS="-O2 -ftree-vectorize -std=gnu11 -Wall -Wextra -Iinclude -fassociative-math -fno-signed-zeros -fno-trapping-math -pthread"
gcc $KFLAGS test/bench/membw.c -o "$bin/membw"
make -s build/bench/embedding_kernel_bench && cp build/bench/embedding_kernel_bench "$bin/kernel_bench"

declare -A M
collect() { while IFS='=' read -r k v; do [ -n "$k" ] && M[$k]=$v; done; }

echo "-- memory bandwidth (1 GiB buffer, best of 5 passes)"
"$bin/membw" 1024 | tee "$bin/membw.txt"; collect < "$bin/membw.txt"
echo "-- distance kernel alone: cosine over $ROWS x $DIM float32, top-10 kept (best of 5)"
"$bin/kernel_bench" "$ROWS" "$DIM" | tee "$bin/kernel.txt"; collect < "$bin/kernel.txt"

db=vf_bench_embedding
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
P() { psql -X -q -v ON_ERROR_STOP=1 -d $db "$@"; }
P -c "CREATE EXTENSION varformer"

# Data: seeded uniform [-1, 1) values, written as a COPY binary file (fast to load, and it
# goes through embedding_recv); the query vector and NumPy's exact top 10 alongside.
data="$VF_GENERATED/embedding_bench/items.bin"
"$PYTHON" - "$data" "$ROWS" "$DIM" "$bin" <<'PY'
import struct, sys
import numpy as np
path, rows, dim, outdir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(768)
x = (rng.random((rows, dim), dtype=np.float32) * 2 - 1).astype(np.float32)
q = (rng.random(dim, dtype=np.float32) * 2 - 1).astype(np.float32)
rec = np.dtype([("nf", ">i2"), ("l1", ">i4"), ("id", ">i4"), ("l2", ">i4"), ("dim", ">i2"), ("un", ">i2"), ("x", ">f4", (dim,))])
a = np.zeros(rows, dtype=rec)
a["nf"] = 2; a["l1"] = 4; a["id"] = np.arange(1, rows + 1); a["l2"] = 4 + 4 * dim; a["dim"] = dim; a["x"] = x
with open(path, "wb") as f:
    f.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
    f.write(a.tobytes())
    f.write(struct.pack(">h", -1))
x64 = x.astype(np.float64); q64 = q.astype(np.float64)
cos = 1 - (x64 @ q64) / (np.linalg.norm(x64, axis=1) * np.linalg.norm(q64))
top = np.argsort(cos, kind="stable")[:10] + 1
open(outdir + "/query.txt", "w").write("[" + ",".join(repr(float(v)) for v in q) + "]")
open(outdir + "/numpy_top10.txt", "w").write(",".join(str(i) for i in top))
PY
chmod a+r "$data"
t0=$(date +%s.%N)
P -c "CREATE TABLE items (id int, e embedding($DIM))" \
  -c "COPY items FROM 'generated/embedding_bench/items.bin' (FORMAT binary)" \
  -c "VACUUM (ANALYZE) items"
t1=$(date +%s.%N)
rm -f "$data"
q=$(cat "$bin/query.txt")
read -r heap toast sb < <(P -A -t -F ' ' -c "SELECT pg_relation_size('items'), coalesce(pg_relation_size(reltoastrelid), 0), current_setting('shared_buffers') FROM pg_class WHERE relname = 'items'")
echo "-- table: $ROWS rows loaded by COPY BINARY in $(echo "$t1 - $t0" | bc) s; heap $heap bytes, toast $toast bytes, shared_buffers $sb"

nn="SELECT id FROM items ORDER BY e <=> '$q' LIMIT 10"
par="SET max_parallel_workers_per_gather = 2"
ser="SET max_parallel_workers_per_gather = 0"

# One session, RUNS+1 rounds (the first is warm-up), each round running every variant once,
# so a noisy neighbour on the machine slows all variants alike rather than one of them.
# Besides wall time, each statement's CPU time in the backend (/proc/PID/schedstat, ns) is
# recorded: on a shared machine it is the steadier measure of what the serial variants cost
# (parallel workers are other processes, so it is not reported for the parallel plan).
timings() { # timings TAG_PREFIX
  local script=$bin/timed.sql
  {
    echo 'SELECT pg_backend_pid() AS bpid \gset'
    echo '\setenv BPID :bpid'
    echo '\timing on'
    for r in $(seq 0 "$RUNS"); do
      one() { # one TAG SQL
        echo "\echo @$r $1$2"
        echo "\! echo \"@cpu $r $1$2 \$(cut -d' ' -f1 /proc/\$BPID/schedstat)\""
        echo "$3;"
        echo "\! echo \"@cpu $r $1$2 \$(cut -d' ' -f1 /proc/\$BPID/schedstat)\""
      }
      echo "$par;"; one "$1" nn_par "$nn"
      echo "$ser;"; one "$1" nn_ser "$nn"
      one "$1" scan "SELECT count(*) FROM items"
      one "$1" call "SELECT count(*) FROM items WHERE dims(e) > 0"
      one "$1" dist "SELECT count(*) FROM items WHERE (e <=> '$q') < 3"
    done
  } > "$script"
  P -o /dev/null -f "$script" | awk '
    /^@cpu/ { if ($2 > 0) { if (($3) in start) { print "cpu_" $3, ($4 - start[$3]) / 1e6; delete start[$3] } else start[$3] = $4 }; next }
    /^@/ { r = substr($1, 2); tag = $2; next }
    /^Time:/ && tag != "" { if (r > 0) print tag, $2; tag = "" }'
}
echo "-- plan (parallel)"
P -A -t -c "$par" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $nn" | sed -E "s/'\[[^]]*\]'/'[query]'/"
got=$(P -A -t -c "$par" -c "$nn" | paste -sd, -)
want=$(cat "$bin/numpy_top10.txt")
echo "-- top 10 ids: $got"
[ "$got" = "$want" ] && echo "nn_matches_numpy=yes" || { echo "nn_matches_numpy=NO (numpy: $want)"; exit 1; }

timings "" > "$bin/timings.txt"

# Phase 2: the same, with the table held in shared buffers. With the default 128 MB the
# 410 MB heap cannot stay there, so every scan above copied each 8 kB page from the kernel's
# page cache into a small ring of buffers; this phase shows what that copy costs. It needs a
# restart (shared_buffers), undone on exit whatever happens.
source "$VF_ROOT/test/instance.sh"     # as_test_user, VF_BIN, VF_DATA, VF_RUN (definitions only)
restart() { as_test_user "$VF_BIN/pg_ctl" -D "$VF_DATA" -l "$VF_RUN/server.log" -w restart >/dev/null; }
cleanup() {
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" || true
  if [ "$(psql -X -A -t -d postgres -c "SHOW shared_buffers")" != "$sb" ]; then
    psql -X -q -d postgres -c "ALTER SYSTEM RESET shared_buffers" && restart
  fi
}
trap cleanup EXIT
sb_big=$(( heap / 1048576 + 256 ))MB
P -c "ALTER SYSTEM SET shared_buffers = '$sb_big'"
restart
P -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" -c "SELECT pg_prewarm('items')" >/dev/null
timings sb_ >> "$bin/timings.txt"

"$PYTHON" - <<PY
rows, dim, heap = $ROWS, $DIM, $heap
payload = rows * (8 + 4 * dim)
rd1, rdall = ${M[membw_read_1t_gbps]}, ${M[membw_read_all_gbps]}
k1, kall = ${M[kernel_1t_gbps]}, ${M[kernel_all_gbps]}
import statistics
runs = {}
for line in open("$bin/timings.txt"):
    tag, ms = line.split()
    runs.setdefault(tag, []).append(float(ms))
t = {tag: min(v) for tag, v in runs.items()}
t.update({tag + "_med": statistics.median(v) for tag, v in runs.items()})
def g(b, ms): return b / (ms / 1e3) / 1e9
print("-- results (best of $RUNS; median in brackets)")
for name, key, bw, label in (("parallel", "nn_par", rdall, "all-CPU read"), ("serial", "nn_ser", rd1, "1-thread read")):
    ms = t[key]
    print(f"nn_{name}_ms={ms:.1f} [{t[key + '_med']:.1f}]")
    print(f"nn_{name}_rows_per_s={rows / (ms / 1e3):.0f}")
    print(f"nn_{name}_heap_gbps={g(heap, ms):.2f}  (heap bytes scanned / s; {g(heap, ms) / bw:.2f} x {label} bandwidth {bw} GB/s)")
    print(f"nn_{name}_payload_gbps={g(payload, ms):.2f}  (embedding bytes / s)")
print(f"kernel_1t_gbps={k1}  ({k1 / rd1:.2f} x 1-thread read bandwidth {rd1} GB/s; goal >= 0.5)")
print(f"kernel_all_gbps={kall}  ({kall / rdall:.2f} x all-CPU read bandwidth {rdall} GB/s)")
kernel_ms = payload / (k1 * 1e9) * 1e3
print(f"-- with the table in shared buffers ($sb_big), so no page is copied from the OS cache")
for name, key, bw, label in (("parallel", "sb_nn_par", rdall, "all-CPU read"), ("serial", "sb_nn_ser", rd1, "1-thread read")):
    ms = t[key]
    print(f"nn_{name}_sb_ms={ms:.1f} [{t[key + '_med']:.1f}]  rows/s={rows / (ms / 1e3):.0f}  heap_gbps={g(heap, ms):.2f} ({g(heap, ms) / bw:.2f} x {label})")
print("-- where the serial query's time goes, ms: wall (CPU of the backend) for the table")
print("   read from the OS page cache | held in shared buffers")
def row(label, f):
    print(f"  {label:<47}{f(''):7.1f} ({f('cpu_'):6.1f}) | {f('sb_'):7.1f} ({f('cpu_sb_'):6.1f})")
row("heap scan, no per-row work (count(*)):", lambda p: t[p + 'scan'])
row("+ a trivial function call per row (dims(e)):", lambda p: t[p + 'call'] - t[p + 'scan'])
row("+ cosine distance instead (<=>), no sort:", lambda p: t[p + 'dist'] - t[p + 'call'])
row("+ top-10 sort and output:", lambda p: t[p + 'nn_ser'] - t[p + 'dist'])
row("= ORDER BY e <=> q LIMIT 10, serial:", lambda p: t[p + 'nn_ser'])
print(f"  (the kernel alone on this volume: {kernel_ms:.1f} ms)")
PY
