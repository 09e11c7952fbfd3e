#!/usr/bin/env bash
# DNABERT v1 benchmark (make bench), both measured in this one run on the same machine state:
# a DNA_bert_6-shaped encoder (hidden 768, 12 layers, 12 heads, intermediate 3072, 4101 6-mer
# vocabulary, random weights, the authors' tensor names) on its longest input, 515 bases =
# [CLS] + 510 overlapping 6-mers + [SEP] = 512 tokens; varformer through SQL (encode_sequence,
# tokenizer included, best of 3 after a warm-up, one BLAS thread: varformer.blas_threads'
# default) against PyTorch eval/no_grad with torch.set_num_threads(1) on the same safetensors
# bytes (test/reference/bench_dnabert_torch.py). Goal: at least as fast as PyTorch.
set -euo pipefail
cd "$VF_ROOT"
dir=$VF_GENERATED/bench
model=$dir/dnabert6
mkdir -p "$dir"
[ -f "$model/model.safetensors" ] || "$PYTHON" test/reference/bench_dnabert_torch.py write "$model"
chmod -R a+rX "$dir"
"$PYTHON" -c "print(('ACGTTGCAATCGGATCCTAGGCTTAACG' * 20)[:515])" > "$dir/dnabert_seq515.txt"
cat "$model"/* > /dev/null   # warm page cache

sql_out=$(psql -X -v ON_ERROR_STOP=1 -q -d postgres <<SQL
\set seq \`cat $dir/dnabert_seq515.txt\`
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
SELECT unload_model('bench_dnabert6') FROM models WHERE name = 'bench_dnabert6';
SELECT load_model('bench_dnabert6', 'generated/bench/dnabert6') IS NOT NULL AS loaded;
SELECT cardinality(sequence_tokens(:'seq', 'bench_dnabert6')) AS tokens;
SELECT dims(encode_sequence(:'seq', 'bench_dnabert6')) AS warmup;
\timing on
SELECT dims(encode_sequence(:'seq', 'bench_dnabert6')) AS run1;
SELECT dims(encode_sequence(:'seq', 'bench_dnabert6')) AS run2;
SELECT dims(encode_sequence(:'seq', 'bench_dnabert6')) AS run3;
\timing off
SELECT (encode_sequence(:'seq', 'bench_dnabert6')::real[])[1:4] AS pooled_head;
SELECT unload_model('bench_dnabert6');
SQL
)
echo "$sql_out"
sql_ms=$(echo "$sql_out" | awk '/^Time:/ {print $2}' | sort -g | head -1)
torch_out=$("$PYTHON" test/reference/bench_dnabert_torch.py time "$model" "$dir/dnabert_seq515.txt")
echo "$torch_out"
torch_s=$(echo "$torch_out" | awk '/torch_seconds/ {print $2}')
awk -v sql_ms="$sql_ms" -v torch_s="$torch_s" 'BEGIN {
  sql_s = sql_ms / 1000
  printf "varformer SQL encode_sequence, DNABERT-6 shape, 512 tokens: %.3f s\n", sql_s
  printf "PyTorch eval/no_grad, 1 thread:                            %.3f s\n", torch_s
  printf "speed vs PyTorch:                                          %.2fx (goal >= 1)\n", torch_s / sql_s
}'
