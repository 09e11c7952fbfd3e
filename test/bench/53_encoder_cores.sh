#!/usr/bin/env bash
# Issue 15, point 3: encoders on the whole machine, against PyTorch on the same weights.
# The NT-v2-50M-shaped encoder of 50_encoder.sh (hidden 512, 12 layers, 16 heads, SwiGLU
# 2048, rotary, random weights) and ROWS sequences of 5,994 bases (1,000 tokens each, seeded),
# in a table. Every round runs, in this order (rounds alternate, so drift hits every side):
#   peak    single-thread cblas_sgemm (OpenBLAS, OPENBLAS_NUM_THREADS=1) on the encoder's own
#           product shapes, the best of them (build/bench/sgemm_peak)
#   a_vf    encode_sequence of one sequence through SQL, one BLAS thread (the default of
#           varformer.blas_threads), after a warm-up call in the same session
#   a_pt    PyTorch eval/no_grad on that sequence, torch.set_num_threads(1) and
#           OPENBLAS_NUM_THREADS=1, after a warm-up (torch.set_num_threads does not reach
#           Debian's OpenBLAS: without the variable its products use a thread per core)
#   a_pt2b  the same PyTorch run with OpenBLAS's default pool (2 threads here): what
#           50_encoder.sh's "one thread" peer measured, for reference, not a goal
#   b_s     SELECT count(encode_sequence(seq, m)) FROM the table, serial
#           (max_parallel_workers_per_gather = 0), a new session: single-core throughput
#   b_p     the same query with default settings: 2 parallel workers + the leader on the
#           row-parallel scan (README "Cohort queries in parallel"), a new session
#   b_pt    PyTorch over the same sequences, torch.set_num_threads(2), OpenBLAS's 2-thread
#           pool, batches of 8 (equal lengths, no padding), model load not counted
# Goals: (a) a_pt / a_vf >= 1.3; (b) b_s / b_p >= 1.8 and b_pt / b_p >= 1.3; (c) the forward
# pass's GFLOP/s (matrix-product FLOPs / a_vf) >= 85% of peak. Medians over the rounds with
# their range; the load average before and after every round. varformer's and PyTorch's pooled
# embeddings of the first sequence must agree to 1e-4 relative (first 4 values).
# VF_BENCH53_ROWS (default 200) and VF_BENCH53_ROUNDS (default 3) change the run.
# Needs a running instance (test/run.sh bench).
set -euo pipefail
cd "$VF_ROOT"
rows=${VF_BENCH53_ROWS:-200}
rounds=${VF_BENCH53_ROUNDS:-3}
dir=$VF_GENERATED/bench
model=$dir/ntv2_50m
mkdir -p "$dir"
[ -f "$model/model.safetensors" ] || "$PYTHON" test/reference/bench_encoder_torch.py write "$model"
"$PYTHON" - "$dir/seqs53.txt" "$rows" <<'PY'
import random, sys
rng = random.Random(53)
with open(sys.argv[1], "w") as f:
    for _ in range(int(sys.argv[2])):
        f.write("".join(rng.choice("ACGT") for _ in range(6 * 999)) + "\n")
PY
head -1 "$dir/seqs53.txt" > "$dir/seq53_1.txt"
chmod -R a+rX "$dir"
make -s build/bench/sgemm_peak

psqlc() { "$VF_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
ms() { awk '/^Time:/ {print $2}'; }
load() { awk '{print $1}' /proc/loadavg; }
psqlc <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
SELECT count(unload_model('bench53')) AS unloaded FROM models WHERE name = 'bench53' \gset
SELECT load_model('bench53', 'generated/bench/ntv2_50m') IS NOT NULL AS loaded;
DROP TABLE IF EXISTS enc53;
CREATE TABLE enc53 (i serial PRIMARY KEY, seq text NOT NULL);
\copy enc53 (seq) FROM '$dir/seqs53.txt'
ANALYZE enc53;
SQL
echo "OpenBLAS kernels: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset (OpenBLAS detects the CPU)}, the same for every side (the server inherits it)"
echo "table enc53: $(psqlc -At -c 'SELECT count(*) FROM enc53') sequences of $(psqlc -At -c "SELECT cardinality(sequence_tokens(seq, 'bench53')) FROM enc53 WHERE i = 1") tokens"
echo "parallel plan:"
psqlc -c "EXPLAIN (COSTS OFF) SELECT count(encode_sequence(seq, 'bench53')) FROM enc53"
vf_head=$(psqlc -At -c "SELECT array_to_string((encode_sequence(seq, 'bench53')::real[])[1:4], ' ') FROM enc53 WHERE i = 1")

flops=$(awk 'BEGIN { N = 1000; H = 512; I = 2048; L = 12
  printf "%.0f", L * (2*N*H*3*H + 4*N*N*H + 2*N*H*H + 2*N*H*2*I + 2*N*I*H) }')
: > "$dir/bench53.tsv"
for r in $(seq 1 "$rounds"); do
  l0=$(load)
  peak=0
  for shape in "1000 512 512" "1000 4096 512" "1000 512 2048" "1000 1000 32" "1000 32 1000"; do
    g=$(OPENBLAS_NUM_THREADS=1 build/bench/sgemm_peak $shape | awk '{print $2}')
    peak=$(awk -v a="$peak" -v b="$g" 'BEGIN { print (b > a ? b : a) }')
  done
  a_vf=$(psqlc <<SQL | ms | tail -1
\set seq \`cat $dir/seq53_1.txt\`
SELECT dims(encode_sequence(:'seq', 'bench53')) AS warmup;
\timing on
SELECT dims(encode_sequence(:'seq', 'bench53')) AS run;
SQL
)
  pt1=$(OPENBLAS_NUM_THREADS=1 "$PYTHON" test/reference/bench_encoder_torch.py time "$model" "$dir/seq53_1.txt" 1)
  a_pt=$(echo "$pt1" | awk '/torch_seconds/ {print $2 * 1000}')
  pt_head=$(echo "$pt1" | awk '/torch_pooled_head/ {$1 = ""; print}')
  a_pt2b=$("$PYTHON" test/reference/bench_encoder_torch.py time "$model" "$dir/seq53_1.txt" 1 | awk '/torch_seconds/ {print $2 * 1000}')
  b_s=$(psqlc <<'SQL' | ms
SET max_parallel_workers_per_gather = 0;
\timing on
SELECT count(encode_sequence(seq, 'bench53')) FROM enc53;
SQL
)
  b_p=$(psqlc <<'SQL' | ms
\timing on
SELECT count(encode_sequence(seq, 'bench53')) FROM enc53;
SQL
)
  b_pt=$(OPENBLAS_NUM_THREADS=2 "$PYTHON" test/reference/bench_encoder_torch.py table "$model" "$dir/seqs53.txt" 2 8 |
         awk '/torch_table_seconds/ {print $2 * 1000}')
  l1=$(load)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$peak" "$a_vf" "$a_pt" "$a_pt2b" "$b_s" "$b_p" "$b_pt" "$l0" "$l1" >> "$dir/bench53.tsv"
  printf 'round %d (load %s -> %s): peak %s GFLOP/s; one sequence: varformer %s ms, PyTorch 1 thread %s ms (2 BLAS threads %s ms); %d rows: serial %s ms, parallel %s ms, PyTorch 2 threads batch 8 %s ms\n' \
    "$r" "$l0" "$l1" "$peak" "$a_vf" "$a_pt" "$a_pt2b" "$rows" "$b_s" "$b_p" "$b_pt"
done

# first sequence: varformer through SQL against PyTorch, 1e-4 relative on the first 4 values
awk -v a="$vf_head" -v b="$pt_head" 'BEGIN { n = split(a, x, " "); split(b, y, " "); worst = 0
  for (i = 1; i <= n; i++) { d = x[i] - y[i]; d = d < 0 ? -d : d; s = y[i] < 0 ? -y[i] : y[i]
    e = d / (s > 1e-6 ? s : 1e-6); worst = e > worst ? e : worst }
  printf "pooled embedding of sequence 1: varformer %s, PyTorch %s, worst relative difference %.2g\n", a, b, worst
  exit (n == 4 && worst <= 1e-4) ? 0 : 1 }'

awk -F'\t' -v rows="$rows" -v flops="$flops" '
function median(v, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j-1] > v[j]; j--) { t = v[j]; v[j] = v[j-1]; v[j-1] = t }
  return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
function range(v, n, f,   i, lo, hi) { lo = hi = v[1]; for (i = 2; i <= n; i++) { lo = v[i] < lo ? v[i] : lo; hi = v[i] > hi ? v[i] : hi }
  return sprintf(f "-" f, lo, hi) }
{ n++; pk[n] = $2; avf[n] = $3; apt[n] = $4; apt2[n] = $5; bs[n] = $6; bp[n] = $7; bpt[n] = $8
  ra[n] = $4 / $3; rs[n] = $6 / $7; rpt[n] = $8 / $7; gf[n] = flops / ($3 / 1000) / 1e9; frac[n] = 100 * gf[n] / $2
  loads = loads sprintf(" %s->%s", $9, $10) }
END {
  printf "rounds: %d, load average before->after each:%s\n", n, loads
  printf "sgemm single-thread peak (best of the encoder shapes): median %.1f GFLOP/s (range %s)\n", median(pk, n), range(pk, n, "%.0f")
  printf "(a) one 1,000-token sequence: varformer %.3f s (range %s ms), PyTorch 1 thread %.3f s (range %s ms): %.2fx, per-round ratios %s (goal >= 1.3)\n",
    median(avf, n) / 1000, range(avf, n, "%.0f"), median(apt, n) / 1000, range(apt, n, "%.0f"), median(ra, n), range(ra, n, "%.2f")
  printf "    PyTorch with OpenBLAS default threads (2): %.3f s (range %s ms), varformer %.2fx\n", median(apt2, n) / 1000, range(apt2, n, "%.0f"), median(apt2, n) / median(avf, n)
  printf "(b) %d rows: serial %.1f s (%.2f rows/s, range %s ms), 2 workers + leader %.1f s (%.2f rows/s, range %s ms): %.2fx serial, per-round %s (goal >= 1.8)\n",
    rows, median(bs, n) / 1000, rows / (median(bs, n) / 1000), range(bs, n, "%.0f"), median(bp, n) / 1000, rows / (median(bp, n) / 1000), range(bp, n, "%.0f"), median(rs, n), range(rs, n, "%.2f")
  printf "    PyTorch 2 threads, batch 8: %.1f s (%.2f rows/s, range %s ms): varformer %.2fx, per-round %s (goal >= 1.3)\n",
    median(bpt, n) / 1000, rows / (median(bpt, n) / 1000), range(bpt, n, "%.0f"), median(rpt, n), range(rpt, n, "%.2f")
  printf "(c) forward pass through SQL: %.1f GFLOP/s (%.0f GFLOP in %.3f s) = %.0f%% of the sgemm peak, per-round %s%% (goal >= 85%%)\n",
    median(gf, n), flops / 1e9, median(avf, n) / 1000, median(frac, n), range(frac, n, "%.0f")
}' "$dir/bench53.tsv"
psqlc -c "SELECT unload_model('bench53')" > /dev/null
