#!/usr/bin/env bash
# Exact nearest neighbours against pgvector 0.8.6 itself, side by side in one instance.
#
#   peer : pgvector 0.8.6 from ../shared/peers/pgvector-0.8.6.tar.gz (VF_PGVECTOR_TARBALL),
#          built portably as its README asks (make OPTFLAGS="") with the same PostgreSQL 15,
#          installed into this run's build/tmp_install next to varformer.
#   data : the same 100,000 x 768 seeded random rows (one COPY BINARY file: embedding and
#          vector share the binary form) in three tables:
#            vf   embedding(768)               (the type's storage, main: inline)
#            pv   vector(768)                  (pgvector's default storage, external: TOAST)
#            pvp  vector(768), STORAGE PLAIN   (pgvector's advice for fast exact scans)
#          each VACUUM ANALYZEd, then a CHECKPOINT, then the instance restarted and every
#          table file dropped from the OS page cache and read back the same way (below).
#   query: SELECT id FROM t ORDER BY v <=> q LIMIT 10, serial (max_parallel_workers_per_gather
#          = 0) and as PostgreSQL plans it by default (2 workers allowed; for pgvector's
#          default storage with the two settings its README gives for a parallel scan of
#          TOASTed vectors), each run a fresh client connection, timed as the client sees it.
#   order: RUNS rounds after one warm-up round, each round every configuration once,
#          varformer and pgvector alternating (vf pvp pv ...), the order rotated by one each
#          round, so machine drift hits all alike; medians with min-max spread; ratio =
#          pgvector / varformer time. Serial queries also by the backend's CPU time
#          (/proc/PID/schedstat), the steadier measure on a shared machine.
#   check: all configurations return the same 10 ids, and those are NumPy's (float64) top 10.
# Env: PGHOST/PGPORT/PGUSER (from test/run.sh), VF_ROOT, VF_BUILD, VF_BIN, VF_GENERATED,
#      PYTHON; VF_BENCH_ROWS, VF_BENCH_DIM, VF_BENCH_RUNS, VF_BENCH_KEEP.
set -euo pipefail
ROWS=${VF_BENCH_ROWS:-100000}
DIM=${VF_BENCH_DIM:-768}
RUNS=${VF_BENCH_RUNS:-9}
TARBALL=${VF_PGVECTOR_TARBALL:-$VF_ROOT/../shared/peers/pgvector-0.8.6.tar.gz}
[ -f "$TARBALL" ] || TARBALL=/work/shared/peers/pgvector-0.8.6.tar.gz
[ -f "$TARBALL" ] || { echo "SKIP no pgvector source tarball ($TARBALL)"; exit 77; }
cd "$VF_ROOT"
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
src=$VF_BUILD/peers/pgvector-0.8.6
bin=$VF_BUILD/bench/pgvector
mkdir -p "$src" "$bin" "$VF_GENERATED/pgvector_bench"

echo "-- building pgvector 0.8.6 (portable: OPTFLAGS=\"\") into $VF_BUILD/tmp_install"
[ -f "$src/Makefile" ] || tar xzf "$TARBALL" -C "$src"
make -s -C "$src" OPTFLAGS="" PG_CONFIG=$PG_CONFIG >/dev/null
make -s -C "$src" OPTFLAGS="" PG_CONFIG=$PG_CONFIG install DESTDIR="$VF_BUILD/tmp_install" >/dev/null

db=vf_bench_pgvector
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
P() { psql -X -q -v ON_ERROR_STOP=1 -d $db "$@"; }
# VF_BENCH_KEEP=1 keeps the database for a look afterwards
[ -n "${VF_BENCH_KEEP:-}" ] || trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
P -c "CREATE EXTENSION varformer" -c "CREATE EXTENSION vector"
P -A -t -c "SELECT 'pgvector ' || extversion FROM pg_extension WHERE extname = 'vector'"

data="$VF_GENERATED/pgvector_bench/items.bin"
"$PYTHON" - "$data" "$ROWS" "$DIM" "$bin" <<'PY'
import struct, sys
import numpy as np
path, rows, dim, outdir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(768)
x = (rng.random((rows, dim), dtype=np.float32) * 2 - 1).astype(np.float32)
q = (rng.random(dim, dtype=np.float32) * 2 - 1).astype(np.float32)
# embedding_recv and pgvector's vector_recv read the same layout: int16 dim, int16 0, floats
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
[ "$(id -u)" -eq 0 ] && chown -R "${VF_TEST_USER:-varformer_test}" "$VF_GENERATED/pgvector_bench" 2>/dev/null || true
P -c "CREATE TABLE vf (id int, v embedding($DIM))" \
  -c "CREATE TABLE pv (id int, v vector($DIM))" \
  -c "CREATE TABLE pvp (id int, v vector($DIM))" \
  -c "ALTER TABLE pvp ALTER COLUMN v SET STORAGE PLAIN" \
  -c "COPY vf FROM 'generated/pgvector_bench/items.bin' (FORMAT binary)" \
  -c "COPY pv FROM 'generated/pgvector_bench/items.bin' (FORMAT binary)" \
  -c "COPY pvp FROM 'generated/pgvector_bench/items.bin' (FORMAT binary)" \
  -c "VACUUM (ANALYZE) vf" -c "VACUUM (ANALYZE) pv" -c "VACUUM (ANALYZE) pvp" -c "CHECKPOINT"
rm -f "$data"
echo "-- tables (heap bytes, toast bytes, storage of the column)"
P -A -t -F ' ' -c "SELECT c.relname, pg_relation_size(c.oid), coalesce(pg_relation_size(c.reltoastrelid), 0),
                          CASE a.attstorage WHEN 'p' THEN 'plain' WHEN 'm' THEN 'main' WHEN 'e' THEN 'external' ELSE 'extended' END
                     FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'v'
                    WHERE c.relname IN ('vf', 'pv', 'pvp') ORDER BY 1" | sed 's/^/   /'

# a fresh instance, as a client would meet it after a restart
source "$VF_ROOT/test/instance.sh"     # as_test_user, VF_BIN, VF_DATA, VF_RUN (definitions only)
as_test_user "$VF_BIN/pg_ctl" -D "$VF_DATA" -l "$VF_RUN/server.log" -w restart >/dev/null

# The same page cache for every table. A scan of a table larger than shared_buffers copies
# each page from the kernel's page cache (about half of the query's CPU time), and that copy
# costs up to 15-20% more when the file's cached pages are scattered in physical memory: the
# pages a file got when COPY wrote it 8 kB at a time depend on what the machine's other
# processes had freed at that moment, so whichever table was unlucky looked slower, whatever
# its type (measured: 75% vs 89% of pages physically adjacent, 123 vs 105 ms of kernel time
# to pread the same 410 MB). Every table file (heap, TOAST, TOAST index) is therefore
# written back, dropped from the page cache and read again sequentially, the same way for
# all, so the kernel's readahead caches each in large folios before anything is timed.
P -A -t -F ' ' -c "SELECT c.relname, pg_relation_filepath(c.oid) FROM pg_class c
             WHERE c.relname IN ('vf', 'pv', 'pvp')
                OR c.oid IN (SELECT reltoastrelid FROM pg_class WHERE relname IN ('vf', 'pv', 'pvp'))
                OR c.oid IN (SELECT i.indexrelid FROM pg_index i JOIN pg_class t ON t.reltoastrelid = i.indrelid
                              WHERE t.relname IN ('vf', 'pv', 'pvp'))" > "$bin/files.txt"
echo "-- page cache: every table file written back, dropped and read back sequentially, the same way for all"
"$PYTHON" - "$VF_DATA" "$bin/files.txt" <<'PY'
import ctypes, glob, mmap, os, struct, sys
datadir, listing = sys.argv[1], sys.argv[2]

def adjacent(path):
    """Share of the file's cached pages whose successor is the next physical page, or None
    (PFNs need root: /proc/self/pagemap shows them as 0 to others)."""
    size = os.path.getsize(path)
    n = size // 4096
    if n < 2:
        return None
    fd = os.open(path, os.O_RDONLY)
    m = mmap.mmap(fd, size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    for i in range(n):
        m[i * 4096]                       # map each page (already cached: no I/O)
    view = (ctypes.c_char * size).from_buffer(m)
    with open("/proc/self/pagemap", "rb") as pm:
        pm.seek(ctypes.addressof(view) // 4096 * 8)
        e = struct.unpack("%dQ" % n, pm.read(8 * n))
    del view
    m.close(); os.close(fd)
    pfn = [x & ((1 << 55) - 1) for x in e]
    if not any(pfn):
        return None
    return sum(1 for i in range(1, n) if pfn[i] == pfn[i - 1] + 1) / (n - 1)

for line in open(listing):
    name, rel = line.split()
    for f in [os.path.join(datadir, rel)] + sorted(glob.glob(os.path.join(datadir, rel) + ".*")):
        fd = os.open(f, os.O_RDONLY)
        os.fsync(fd)                      # fsync = off in test instances: pages may be dirty
        before = adjacent(f)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        while os.read(fd, 1 << 20):
            pass
        os.close(fd)
        after = adjacent(f)
        if before is not None and os.path.getsize(f) > (1 << 24):
            print("   %-16s %4.0f MB: pages physically adjacent %5.1f%% as loaded, %5.1f%% re-read"
                  % (name, os.path.getsize(f) / 1e6, 100 * before, 100 * after))
PY

q=$(cat "$bin/query.txt")
want=$(cat "$bin/numpy_top10.txt")
nn() { echo "SELECT id FROM $1 ORDER BY v <=> '$q' LIMIT 10"; }
ser="SET max_parallel_workers_per_gather = 0"
par="RESET max_parallel_workers_per_gather"      # PostgreSQL's default: 2
configs="vf_ser pvp_ser pv_ser vf_par pvp_par pv_par"
# pgvector's default storage keeps a 5 MB heap, below min_parallel_table_scan_size: its README
# ("Why isn't a query using a parallel table scan?") says to lower these two for a parallel scan
par_toast="SET min_parallel_table_scan_size = 1; SET parallel_setup_cost = 1"
sql_of() {
  case $1 in *_ser) echo "$ser";; pv_par) echo "$par; $par_toast";; *) echo "$par";; esac
}

echo "-- plans (EXPLAIN ANALYZE in the fresh instance)"
for c in $configs; do
  t=${c%_*}
  echo "   $c:"
  P -A -t -c "$(sql_of "$c")" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) $(nn "$t")" \
    | sed -E "s/'\[[^]]*\]'/'[q]'/; s/^/     /" | grep -v -E '^ *(Sort Method|Output)' 
done

echo "-- results checked: every configuration returns NumPy's top 10 ($want)"
for c in $configs; do
  got=$(P -A -t -c "$(sql_of "$c")" -c "$(nn "${c%_*}")" | paste -sd, -)
  [ "$got" = "$want" ] || { echo "MISMATCH $c: $got"; exit 1; }
done

echo "-- timed: $RUNS rounds (+1 warm-up), a fresh connection per query; load before: $(uptime | sed 's/.*load/load/')"
# Parallel workers' CPU: the postmaster's children's time (cutime + cstime, in clock ticks),
# which grows when it reaps them; the Gather has waited for that before the query returns.
# The previous query's backend is waited for first (reaped, gone from /proc), so its own
# exit is not counted.
pm=$(head -1 "$VF_DATA/postmaster.pid")
echo 0 > "$bin/prev"
hz=$(getconf CLK_TCK)
: > "$bin/timings.txt"
set -- $configs
n=$#
for r in $(seq 0 "$RUNS"); do
  # the order rotates by one each round, so no configuration always follows the same one
  for k in $(seq 0 $((n - 1))); do
    i=$(( (k + r) % n + 1 ))
    c=${!i}
    P -A -t > "$bin/one.out" <<SQL
SELECT pg_backend_pid() AS bpid \gset
\setenv BPID :bpid
$(sql_of "$c");
\! for w in \$(seq 200); do [ -e /proc/\$(cat $bin/prev) ] || break; sleep 0.01; done
\! cut -d' ' -f1 /proc/\$BPID/schedstat > $bin/cpu0; awk '{ print \$16 + \$17 }' /proc/$pm/stat > $bin/kids0
\timing on
$(nn "${c%_*}");
\timing off
\! cut -d' ' -f1 /proc/\$BPID/schedstat > $bin/cpu1; awk '{ print \$16 + \$17 }' /proc/$pm/stat > $bin/kids1
\! echo \$BPID > $bin/prev
SQL
    ms=$(awk '/^Time:/ { print $2 }' "$bin/one.out")
    cpu=$(( $(cat "$bin/cpu1") - $(cat "$bin/cpu0") ))
    kids=$(( ($(cat "$bin/kids1") - $(cat "$bin/kids0")) * 1000000000 / hz ))
    [ "$r" -gt 0 ] && echo "$c $ms $cpu $kids" >> "$bin/timings.txt"
  done
done
echo "   load after: $(uptime | sed 's/.*load/load/')"

"$PYTHON" - "$bin/timings.txt" <<'PY'
import statistics, sys
runs, cpu = {}, {}
kids = {}
for line in open(sys.argv[1]):
    c, ms, ns, kns = line.split()
    runs.setdefault(c, []).append(float(ms))
    cpu.setdefault(c, []).append(int(ns) / 1e6)
    kids.setdefault(c, []).append((int(ns) + int(kns)) / 1e6)
med = {c: statistics.median(v) for c, v in runs.items()}
print("-- results, ms: median [min-max] of %d runs" % len(runs["vf_ser"]))
names = {"vf": "varformer embedding(768), storage main",
         "pvp": "pgvector vector(768), STORAGE PLAIN",
         "pv": "pgvector vector(768), default storage (external)"}
note = {"pv_par": " (README's settings for a parallel scan)"}
for mode, label in (("ser", "serial"), ("par", "default plan, 2 workers allowed")):
    print("  %s:" % label)
    for t in ("vf", "pvp", "pv"):
        v = runs[t + "_" + mode]
        print("    %-50s %7.1f [%.1f-%.1f]%s" % (names[t], med[t + "_" + mode], min(v), max(v), note.get(t + "_" + mode, "")))
ok = True
for mode in ("ser", "par"):
    for t in ("pvp", "pv"):
        r = med[t + "_" + mode] / med["vf_" + mode]
        ok &= r >= 1.0
        print("ratio_%s_%s=%.2f  (pgvector %s time / varformer time; goal >= 1)" % (t, mode, r, t))
print("varformer parallel / serial: %.2f" % (med["vf_par"] / med["vf_ser"]))
print("-- serial: CPU time of the backend per query, ms (steadier than wall time on a busy machine)")
for t in ("vf", "pvp", "pv"):
    v = cpu[t + "_ser"]
    print("    %-50s %7.1f [%.1f-%.1f]" % (names[t], statistics.median(v), min(v), max(v)))
for t in ("pvp", "pv"):
    print("cpu_ratio_%s_ser=%.2f  (pgvector %s CPU / varformer CPU)" % (t, statistics.median(cpu[t + "_ser"]) / statistics.median(cpu["vf_ser"]), t))
print("-- 2 workers allowed: CPU time of the leader and its workers per query, ms (workers in clock ticks)")
for t in ("vf", "pvp", "pv"):
    v = kids[t + "_par"]
    print("    %-50s %7.1f [%.1f-%.1f]" % (names[t], statistics.median(v), min(v), max(v)))
for t in ("pvp", "pv"):
    print("cpu_ratio_%s_par=%.2f  (pgvector %s CPU / varformer CPU, all participants)" % (t, statistics.median(kids[t + "_par"]) / statistics.median(kids["vf_par"]), t))
print("goal (varformer at least as fast as pgvector everywhere): %s" % ("met" if ok else "NOT met"))
PY
