#!/usr/bin/env bash
# Encoder benchmark (make bench), all measured in this one run on the same machine state:
#   - an NT-v2-50M-shaped encoder (hidden 512, 12 layers, 16 heads, SwiGLU 2048, rotary, random
#     weights, real tensor names) on a 1,000-token input (<cls> + 999 6-mers), one thread;
#   - varformer through SQL (load_model + encode_sequence of 5,994 bases) against PyTorch eval/no_grad with
#     torch.set_num_threads(1) and OPENBLAS_NUM_THREADS=1 on the same safetensors bytes;
#   - achieved GFLOP/s (matrix-product FLOPs of the forward pass / time) against the
#     single-thread cblas_sgemm peak: the best of the encoder's own product shapes and 512^3
#     (short calls; on a busy host also see the replay of the forward's products, same length);
#   - model load rate: load_model bytes/s from a warm page cache, median of 7 loads (and the C
#     image build alone), against peers over the same file in this run: sha256sum (coreutils),
#     openssl dgst -sha256 (OpenSSL, SHA-NI: the hash load_model uses) and a plain read
#     (cat > /dev/null). load_model reads, hashes and converts every byte into shared memory,
#     so "openssl dgst" is the rate of its hash alone and "cat" of its read alone.
# Goals: at least as fast as PyTorch, >= 60% of sgemm peak, load >= 1 GB/s.
set -euo pipefail
cd "$VF_ROOT"
dir=$VF_GENERATED/bench
model=$dir/ntv2_50m
mkdir -p "$dir"
[ -f "$model/model.safetensors" ] || "$PYTHON" test/reference/bench_encoder_torch.py write "$model"
chmod -R a+rX "$dir"
"$PYTHON" -c "print(('ACGTTGCAATCGGATC' * 400)[:6 * 999])" > "$dir/seq1000.txt"
make -s build/bench/sgemm_peak build/bench/encoder_bench

peak=0
for shape in "1000 512 512" "1000 4096 512" "1000 512 2048" "1000 1000 32" "1000 32 1000" "512 512 512"; do
  g=$(OPENBLAS_NUM_THREADS=1 build/bench/sgemm_peak $shape | awk '{print $2}')
  echo "sgemm ${shape// /x}: $g GFLOP/s"
  peak=$(awk -v a="$peak" -v b="$g" 'BEGIN { print (b > a ? b : a) }')
done
echo "sgemm single-thread peak: $peak GFLOP/s"

c_out=$(build/bench/encoder_bench "$model" 1000)
echo "$c_out"
c_gflops=$(echo "$c_out" | awk '/c_forward_seconds/ {print $6}')
replay_gflops=$(echo "$c_out" | awk '/sgemm_replay_seconds/ {print $4}')

# varformer through SQL, one BLAS thread (the default of varformer.blas_threads)
bytes=$(stat -c %s "$model/model.safetensors")
cat "$model"/* > /dev/null   # warm page cache

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
wall_ms() { # wall_ms CMD...: milliseconds of one run, output discarded
  local t0 t1
  t0=$(date +%s%N); "$@" > /dev/null; t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }'
}
load_runs=$({
  echo "SET client_min_messages = warning;"
  echo "CREATE EXTENSION IF NOT EXISTS varformer;"
  echo "SELECT unload_model('bench_ntv2') FROM models WHERE name = 'bench_ntv2';"
  for i in 1 2 3 4 5 6 7; do
    echo '\timing on'
    echo "SELECT load_model('bench_ntv2', 'generated/bench/ntv2_50m') IS NOT NULL AS loaded;"
    echo '\timing off'
    echo "SELECT unload_model('bench_ntv2');"
  done
} | psql -X -v ON_ERROR_STOP=1 -q -d postgres | awk '/^Time:/ {print $2}')
st=$model/model.safetensors
sha256sum_ms=$(for i in 1 2 3 4 5; do wall_ms sha256sum "$st"; done | median)
openssl_ms=0   # 0: no openssl command on this machine (not one of the build's packages)
command -v openssl > /dev/null && openssl_ms=$(for i in 1 2 3 4 5; do wall_ms openssl dgst -sha256 "$st"; done | median)
cat_ms=$(for i in 1 2 3 4 5; do wall_ms cat "$st"; done | median)
load_ms=$(echo "$load_runs" | median)
load_min=$(echo "$load_runs" | sort -g | head -1)
load_max=$(echo "$load_runs" | sort -g | tail -1)
echo "load_model runs (ms): $(echo $load_runs)"
sql_out=$(psql -X -v ON_ERROR_STOP=1 -q -d postgres <<SQL
\set seq \`cat $dir/seq1000.txt\`
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
SELECT unload_model('bench_ntv2') FROM models WHERE name = 'bench_ntv2';
\timing on
SELECT load_model('bench_ntv2', 'generated/bench/ntv2_50m') IS NOT NULL AS loaded;
SELECT cardinality(sequence_tokens(:'seq', 'bench_ntv2')) AS tokens;
SELECT dims(encode_sequence(:'seq', 'bench_ntv2')) AS warmup;
SELECT dims(encode_sequence(:'seq', 'bench_ntv2')) AS run1;
SELECT dims(encode_sequence(:'seq', 'bench_ntv2')) AS run2;
SELECT dims(encode_sequence(:'seq', 'bench_ntv2')) AS run3;
SQL
)
echo "$sql_out"
times=($(echo "$sql_out" | awk '/^Time:/ {print $2}'))
sql_ms=$(printf '%s\n' "${times[@]:3}" | sort -g | head -1)

# OPENBLAS_NUM_THREADS=1: torch.set_num_threads(1) does not reach Debian's OpenBLAS, whose
# pool otherwise runs PyTorch's products on a thread per core
torch_out=$(OPENBLAS_NUM_THREADS=1 "$PYTHON" test/reference/bench_encoder_torch.py time "$model" "$dir/seq1000.txt")
torch_s=$(echo "$torch_out" | awk '/torch_seconds/ {print $2}')

flops=$(echo "$c_out" | awk '/c_forward_seconds/ {print $8}')
awk -v sql_ms="$sql_ms" -v torch_s="$torch_s" -v flops="$flops" -v peak="$peak" \
    -v load_ms="$load_ms" -v bytes="$bytes" -v c_gflops="$c_gflops" -v replay="$replay_gflops" \
    -v load_min="$load_min" -v load_max="$load_max" -v sha_ms="$sha256sum_ms" -v ossl_ms="$openssl_ms" \
    -v cat_ms="$cat_ms" 'BEGIN {
  sql_s = sql_ms / 1000; gf = flops / sql_s / 1e9
  printf "varformer SQL encode_sequence, 1000 tokens: %.3f s (%.1f GFLOP/s)\n", sql_s, gf
  printf "PyTorch eval/no_grad, 1 thread:             %.3f s\n", torch_s
  printf "speed vs PyTorch:                           %.2fx (goal >= 1)\n", torch_s / sql_s
  printf "fraction of sgemm peak (SQL):               %.0f%% (C forward alone %.0f%%; goal >= 60%%)\n", 100 * gf / peak, 100 * c_gflops / peak
  printf "fraction of the sgemm-only replay of the forward pass products (%.1f GFLOP/s): SQL %.0f%%, C %.0f%%\n", replay, 100 * gf / replay, 100 * c_gflops / replay
  gbs = bytes / (load_ms / 1000) / 1e9
  printf "load_model, warm page cache:                %.2f GB/s (%d bytes in %.3f s, median of 7, range %.2f-%.2f GB/s; goal >= 1)\n", gbs, bytes, load_ms / 1000, bytes / (load_max / 1000) / 1e9, bytes / (load_min / 1000) / 1e9
  ossl = ossl_ms > 0 ? sprintf("%.2f GB/s", bytes / (ossl_ms / 1000) / 1e9) : "n/a"
  ossl_x = ossl_ms > 0 ? sprintf("%.2fx", ossl_ms / load_ms) : "n/a"
  printf "peers on the same file (median of 5):       sha256sum %.2f GB/s, openssl dgst -sha256 %s, cat > /dev/null %.2f GB/s\n", bytes / (sha_ms / 1000) / 1e9, ossl, bytes / (cat_ms / 1000) / 1e9
  printf "load_model vs peers:                        %.2fx sha256sum, %s openssl dgst -sha256, %.2fx cat\n", sha_ms / load_ms, ossl_x, cat_ms / load_ms
}'
