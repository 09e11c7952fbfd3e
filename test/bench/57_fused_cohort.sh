#!/usr/bin/env bash
# Issue 10, 9 (b): a cohort of 1,000 people x 1 gene through the small fused model of the tests,
# three ways, same cohort and same weights:
#   A  varformer, one SQL query, serial: max_parallel_workers_per_gather = 0,
#      varformer.blas_threads = 1, a new session (empty backend-local prediction cache)
#   B  the path users take today: per person and haplotype `samtools faidx | bcftools consensus
#      -s S -H h -c chain`, the windows centred on the TSS in the haplotype's own coordinates
#      (through the chain), then the PyTorch reference (test/reference/predictors.py), one thread,
#      eval, no_grad, one person at a time (test/bench/fused_cohort_pytorch.py); timed as a whole
#      process: Python start, torch import, model load, VCF reading by bcftools, all of it
#   C  the query of A with default settings (2 parallel workers + the leader, the row-parallel
#      scan), a new session; every cache starts empty, and the participants share what they
#      compute through the query's shared cache (parallel_cache.c)
# The cohort is 56_fused_cache.sh's (its generator is run as is): 1,000 people whose haplotypes
# are drawn from 30 founder haplotypes over GENEP's windows (SNVs and indels).
# Rounds alternate A B C A B C (the machine is shared): medians and spread (max - min) are
# reported, with the CPU seconds A and C took in all their processes (the postmaster's
# children's CPU time, which collects every backend and worker once it exits): equal CPU
# means the second core computed nothing twice. B's predictions must equal A's to 1e-4 relative on every person, C's equal A's.
# VF_BENCH57_ROUNDS (default 2) and VF_BENCH57_PYTORCH_PEOPLE (default 1000: all; fewer, and
# B's time is extrapolated per person, said so in the table) change the run.
# Needs the generated checkpoints (make fixtures) and a running instance (test/run.sh bench).
set -euo pipefail
cd "$VF_ROOT"
source test/instance.sh
rounds=${VF_BENCH57_ROUNDS:-2}
npt=${VF_BENCH57_PYTORCH_PEOPLE:-1000}
gen=$VF_ROOT/build/generated
out=$gen/fused_cohort
rm -rf "$out"
mkdir -p "$out/run"
# 56's cohort generator, byte for byte (it writes OUT/cohort.vcf.gz and its index)
sed -n "/<<'PY'\$/,/^PY\$/p" test/bench/56_fused_cache.sh | sed '1d;$d' >"$out/make_cohort.py"
"${PYTHON:-/usr/bin/python3}" "$out/make_cohort.py" "$out"
chmod -R a+rX "$out"
[ "$(id -u)" -eq 0 ] && chown -R "$VF_TEST_USER" "$out/run"
vcf=$out/cohort.vcf.gz
models=$gen/predictor/models
ref=test/fixtures/fused/ref.fa
TSS=3000     # GENEP, + strand (test/fixtures/fused/genes.gtf)

psqlc() { as_test_user "$VF_BIN/psql" -X -q -h "$VF_SOCK" -p "$VF_PORT" -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }

psqlc -d postgres <<SQL
DROP DATABASE IF EXISTS fz_cohort;
CREATE DATABASE fz_cohort;
\c fz_cohort
SET client_min_messages = warning;
CREATE EXTENSION varformer;
SET varformer.file_root = '$VF_ROOT';
SELECT register_reference('fzc_ref', '$ref') IS NOT NULL AS registered \gset
SELECT import_gtf('test/fixtures/fused/genes.gtf') AS genes \gset
SELECT load_model('fzc', 'build/generated/predictor/models/ukbioformer', '{"reference": "fzc_ref"}') AS loaded \gset
CREATE TABLE cohort AS SELECT sample, gt FROM read_genotypes('build/generated/fused_cohort/cohort.vcf.gz', 'chr5:1-8000');
ANALYZE cohort;
SQL

# CPU seconds of the postmaster's exited children (every backend and worker, once reaped)
children_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($16 + $17) / hz}' "/proc/$(head -n 1 "$VF_DATA/postmaster.pid")/stat"
}

# query FILE SETTINGS [WHERE]: the cohort query in a new session;
# prints "seconds hits misses calls call_hits cpu_seconds" (this backend's cache and progress
# counters; the CPU of the session's backend and its workers)
query() {
  local res=$1 settings=$2 where=${3:-} log cpu0 pid
  cpu0=$(children_cpu)
  log=$(psqlc -d fz_cohort <<SQL
$settings
SELECT varformer_cache_reset();
\pset format unaligned
\pset tuples_only on
\pset fieldsep ','
\o $res
\timing on
SELECT sample, predict_expression(gt, 'GENEP', 'fzc') FROM cohort $where ORDER BY sample;
\timing off
\o
SELECT 'cache', hits, misses FROM varformer_cache_stats();
SELECT 'calls', calls, cache_hits FROM varformer_progress WHERE pid = pg_backend_pid();
SELECT 'pid', pg_backend_pid();
SQL
)
  local ms; ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$log" | tail -n 1)
  local c; c=$(grep '^cache,' <<<"$log" | cut -d, -f2,3 | tr , ' ')
  local k; k=$(grep '^calls,' <<<"$log" | cut -d, -f2,3 | tr , ' ')
  # the workers were reaped before the leader's query ended; the leader once it is gone
  pid=$(sed -n 's/^pid,//p' <<<"$log")
  while [ -n "$pid" ] && [ -e "/proc/$pid" ]; do sleep 0.05; done
  echo "$(awk -v m="$ms" 'BEGIN{printf "%.3f", m/1000}') $c $k $(awk -v a="$cpu0" -v b="$(children_cpu)" 'BEGIN{printf "%.2f", b - a}')"
}

serial_settings="SET max_parallel_workers_per_gather = 0;
SET varformer.blas_threads = 1;"

echo "plan with default settings (C):"
psqlc -d fz_cohort -c "EXPLAIN (COSTS OFF) SELECT sample, predict_expression(gt, 'GENEP', 'fzc') FROM cohort ORDER BY sample"

results=$out/results.txt
: >"$results"
for r in $(seq 1 "$rounds"); do
  # A: serial
  read -r s h m c ch cpu < <(query "$out/run/serial_$r.csv" "$serial_settings")
  echo "A $r $s $h $m $c $ch $cpu" | tee -a "$results"
  # B: export and PyTorch
  t0=$(now)
  blog=$("${PYTHON:-/usr/bin/python3}" test/bench/fused_cohort_pytorch.py "$ref" "$vcf" "$models" chr5 $TSS \
         "$out/pytorch_$r.csv" "$npt" | tail -n 1)
  t1=$(now)
  echo "B $r $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') $blog" | tee -a "$results"
  # C: default settings, 2 workers; a poller records each participant's calls and cache hits
  # (the workers' progress slots vanish when they exit, so they are sampled while running),
  # from one session (\watch), so that it costs the query's processes next to nothing
  poll=$out/run/poll_$r.txt; : >"$poll"
  psqlc -d "dbname=fz_cohort application_name=bench57_poller" -At -F' ' >>"$poll" 2>/dev/null <<'SQL' &
SELECT pid, coalesce(leader_pid, 0), calls, cache_hits FROM varformer_progress WHERE model = 'fzc' \watch 0.5
SQL
  poller=$!
  read -r s h m c ch cpu < <(query "$out/run/parallel_$r.csv" "")
  # ends the poller's \watch from the server side (its psql runs as the instance's user)
  psqlc -d postgres -At -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'bench57_poller'" >/dev/null
  wait "$poller" 2>/dev/null || true
  echo "C $r $s $h $m $c $ch $cpu" | tee -a "$results"
  echo "  C participants (pid leader_pid calls cache_hits, last sample while running):"
  sort -k1,1n -k3,3n "$poll" | awk '{last[$1]=$0} END{for (p in last) print "   ", last[p]}'
  # D, E: diagnosis of C's scaling without the cache (every call computed): the first 300
  # people, serial, then default settings
  read -r s h m c ch < <(query "$out/run/nocache_serial_$r.csv" "$serial_settings
SET varformer.prediction_cache_mb = 0;" "WHERE sample < 'P0300'")
  echo "D $r $s $h $m $c $ch" | tee -a "$results"
  read -r s h m c ch < <(query "$out/run/nocache_parallel_$r.csv" "SET varformer.prediction_cache_mb = 0;" "WHERE sample < 'P0300'")
  echo "E $r $s $h $m $c $ch" | tee -a "$results"
done

"${PYTHON:-/usr/bin/python3}" - "$out" "$rounds" "$npt" <<'PY'
import csv, statistics, sys
out, rounds, npt = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = [l.split() for l in open(out + "/results.txt")]
A = [r for r in rows if r[0] == "A"]
B = [r for r in rows if r[0] == "B"]
C = [r for r in rows if r[0] == "C"]

def load(p):
    return {s: float(v) for s, v in csv.reader(open(p))}

bad = 0
for r in range(1, rounds + 1):
    a = load("%s/run/serial_%d.csv" % (out, r))
    b = load("%s/pytorch_%d.csv" % (out, r))
    c = load("%s/run/parallel_%d.csv" % (out, r))
    if len(a) != 1000 or set(c) != set(a) or len(b) != min(npt, 1000) or not set(b) <= set(a):
        print("round %d: row sets differ (serial %d, parallel %d, pytorch %d)" % (r, len(a), len(c), len(b)))
        bad += 1
    worst = max(abs(a[s] - v) / max(abs(v), 1e-6) for s, v in b.items())
    worst_c = max(abs(a[s] - c[s]) / max(abs(a[s]), 1e-6) for s in a)
    print("round %d: varformer vs PyTorch on %d people, worst relative difference %.2e; "
          "2 workers vs serial %.2e" % (r, len(b), worst, worst_c))
    bad += worst > 1e-4 or worst_c > 1e-4
    for k in ("nocache_serial", "nocache_parallel"):
        x = load("%s/run/%s_%d.csv" % (out, k, r))
        if len(x) != 300 or any(abs(a[s] - v) > 1e-4 * max(abs(a[s]), 1e-6) for s, v in x.items()):
            print("round %d: %s differs from the cached serial run" % (r, k))
            bad += 1

def secs(rs):
    return [float(r[2]) for r in rs]

b_full = []
for r in B:     # extrapolated: the per-person steps scaled to 1,000, the rest (start, load) once
    t = float(r[2])
    kv = dict(x.split("=") for x in r[3:])
    n, per = int(kv["people"]), float(kv["consensus_s"]) + float(kv["torch_s"])
    b_full.append(t if n >= 1000 else t - per + per * 1000 / n)

def med(xs):
    return statistics.median(xs)

def fmt(xs):
    return "%8.2f   %6.2f   %s" % (med(xs), max(xs) - min(xs), " ".join("%.2f" % x for x in xs))

a, c = secs(A), secs(C)
d, e = secs([r for r in rows if r[0] == "D"]), secs([r for r in rows if r[0] == "E"])
print()
print("fused model, 1,000 people x GENEP, %d rounds (A B C alternating)" % rounds)
print("%-44s %8s   %6s   %s" % ("", "median s", "spread", "rounds"))
print("%-44s %s" % ("A varformer, 1 query, serial, fresh cache", fmt(a)))
print("%-44s %s" % ("B samtools|bcftools consensus + PyTorch" + ("" if npt >= 1000 else " (*)"), fmt(b_full)))
print("%-44s %s" % ("C varformer, 1 query, 2 workers, fresh", fmt(c)))
print("%-44s %s" % ("D as A, no cache, first 300 people", fmt(d)))
print("%-44s %s" % ("E as C, no cache, first 300 people", fmt(e)))
print("speed-up A vs B (goal >= 5x):     %.1fx" % (med(b_full) / med(a)))
print("speed-up C vs A (goal >= 1.7x):   %.2fx" % (med(a) / med(c)))
print("CPU seconds, all processes of the query: A %s, C %s (median %.2f vs %.2f)"
      % (" ".join(r[7] for r in A), " ".join(r[7] for r in C),
         med([float(r[7]) for r in A]), med([float(r[7]) for r in C])))
print("speed-up E vs D (the second core without the cache): %.2fx" % (med(d) / med(e)))
h, m = int(A[0][3]), int(A[0][4])
print("A cache: %d hits / %d lookups = %.1f%% (entries: trunk per haplotype pair, encoder per haplotype);"
      " calls answered wholly from the cache: %s of %s" % (h, h + m, 100.0 * h / (h + m), A[0][6], A[0][5]))
print("C leader cache: %s hits / %d lookups; leader calls %s (%s from the cache)"
      % (C[0][3], int(C[0][3]) + int(C[0][4]), C[0][5], C[0][6]))
for r in B:
    print("B round %s split: %s" % (r[1], " ".join(r[3:])))
if npt < 1000:
    print("(*) PyTorch run on the first %d people; time = start and load once + per-person steps x 1000 / %d (extrapolated)" % (npt, npt))
sys.exit(1 if bad else 0)
PY
psqlc -d postgres -c "DROP DATABASE fz_cohort"
