#!/usr/bin/env bash
# Encoder benchmark (make bench), all measured in this one run on the same machine state:
#   - an NT-v2-50M-shaped encoder (hidden 512, 12 layers, 16 heads, SwiGLU 2048, rotary, random
#     weights, real tensor names) on a 1,000-token input (<cls> + 999 6-mers), one thread;
#   - varformer through SQL (load_model + encode_sequence of 5,994 bases) against PyTorch eval/no_grad with
#     torch.set_num_threads(1) on the same safetensors bytes;
#   - achieved GFLOP/s (matrix-product FLOPs of the forward pass / time) against the
#     single-thread cblas_sgemm peak: the best of the encoder's own product shapes and 512^3
#     (short calls; on a busy host also see the replay of the forward's products, same length);
#   - model load rate: load_model bytes/s from a warm page cache (and the C image build alone).
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
load_ms=${times[0]}
sql_ms=$(printf '%s\n' "${times[@]:3}" | sort -g | head -1)

torch_out=$("$PYTHON" test/reference/bench_encoder_torch.py time "$model" "$dir/seq1000.txt")
torch_s=$(echo "$torch_out" | awk '/torch_seconds/ {print $2}')

flops=$(echo "$c_out" | awk '/c_forward_seconds/ {print $8}')
awk -v sql_ms="$sql_ms" -v torch_s="$torch_s" -v flops="$flops" -v peak="$peak" \
    -v load_ms="$load_ms" -v bytes="$bytes" -v c_gflops="$c_gflops" -v replay="$replay_gflops" 'BEGIN {
  sql_s = sql_ms / 1000; gf = flops / sql_s / 1e9
  printf "varformer SQL encode_sequence, 1000 tokens: %.3f s (%.1f GFLOP/s)\n", sql_s, gf
  printf "PyTorch eval/no_grad, 1 thread:             %.3f s\n", torch_s
  printf "speed vs PyTorch:                           %.2fx (goal >= 1)\n", torch_s / sql_s
  printf "fraction of sgemm peak (SQL):               %.0f%% (C forward alone %.0f%%; goal >= 60%%)\n", 100 * gf / peak, 100 * c_gflops / peak
  printf "fraction of the sgemm-only replay of the forward pass products (%.1f GFLOP/s): SQL %.0f%%, C %.0f%%\n", replay, 100 * gf / replay, 100 * c_gflops / replay
  printf "load_model, warm page cache:                %.2f GB/s (%d bytes in %.3f s; goal >= 1)\n", bytes / (load_ms / 1000) / 1e9, bytes, load_ms / 1000
}'
