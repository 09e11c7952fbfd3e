#!/usr/bin/env bash
# Tokenizer throughput on 4 Mb of random DNA (1% N) in 1,000 windows of 4 kb (about what
# DNABERT-2's 512 tokens or NT's 1,000 cover): our C tokenizers (-O2) against
# Hugging Face's tokenizers.js (npm @huggingface/tokenizers, BPE) and our Python reference
# (NT) on the same input, measured in this run. Prints bases/s and the ratio.
set -euo pipefail
cd "$VF_ROOT"
PY=${PYTHON:-/usr/bin/python3}
F=test/fixtures/tokenizer
OUT=${VF_GENERATED:-build/generated}/tokenizer_bench
mkdir -p "$OUT"
make -s build/bench/tokenize_main
BIN=build/bench/tokenize_main
$PY -c "
import random; r=random.Random(11)
for _ in range(1000): print(''.join('N' if r.random() < 0.01 else r.choice('ACGT') for _ in range(4000)))" > "$OUT/seqs.txt"
BASES=4000000
secs() { local t0 t1; t0=$(date +%s%N); "$@" > /dev/null; t1=$(date +%s%N); echo "scale=3; ($t1 - $t0) / 1000000000" | bc; }
report() { # label ours peer peer-name
  printf '%-28s ours %7.3f s (%5.1f Mb/s)   %-16s %7.3f s   speed-up x%.1f\n' "$1" "$2" \
    "$(echo "$BASES / $2 / 1000000" | bc -l)" "$4" "$3" "$(echo "$3 / $2" | bc -l)"
}
c_nt=$(secs "$BIN" --vocab $F/nt_vocab.txt < "$OUT/seqs.txt")
py_nt=$(secs "$PY" test/reference/tokenizers_ref.py --vocab $F/nt_vocab.txt < "$OUT/seqs.txt")
report "NT 6-mer, 1000 x 4 kb" "$c_nt" "$py_nt" "python-ref"
c_bpe=$(secs "$BIN" --tokenizer-json $F/dnabert2_tokenizer.json < "$OUT/seqs.txt")
if [ -d build/hfjs/node_modules/@huggingface/tokenizers ] || timeout 180 npm install --prefix build/hfjs --no-audit --no-fund --silent @huggingface/tokenizers@0.2.0 >/dev/null 2>&1; then
  js_bpe=$(secs env HFJS_DIR="$PWD/build/hfjs/node_modules" node test/reference/tokenizers_hfjs.mjs $F/dnabert2_tokenizer.json < "$OUT/seqs.txt")
  report "BPE (DNABERT-2), 1000 x 4 kb" "$c_bpe" "$js_bpe" "tokenizers.js"
else
  echo "BPE (DNABERT-2), 1000 x 4 kb: ours $c_bpe s (tokenizers.js unavailable: no ratio)"
fi
