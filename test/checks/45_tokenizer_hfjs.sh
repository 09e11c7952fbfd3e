#!/usr/bin/env bash
# Hugging Face's own JavaScript port of the tokenizers crate (npm @huggingface/tokenizers,
# pinned) as a second reference for the tokenizer.json files: the plain-C tokenizer
# (ASan/UBSan build) must give the same ids on the sequence set of 45_tokenizer.sh. It needs
# node and the npm registry; without them it exits 77 (counted as skipped, not passed).
# Known departures of the port from the crate keep files out: its WordLevel drops unknown
# characters instead of giving unk_token (the character-level file), its BPE ignores
# continuing_subword_prefix and its template looks specials up by name instead of
# special_tokens' ids (the features file), and it fuses unknowns across pre-token words where
# the crate fuses within a word (GROVER is compared as a copy with fuse_unk off).
set -euo pipefail
cd "$VF_ROOT"
PY=${PYTHON:-/usr/bin/python3}
F=test/fixtures/tokenizer
OUT=${VF_GENERATED:-build/generated}/tokenizer_hfjs
HFJS=build/hfjs
command -v node >/dev/null && command -v npm >/dev/null \
  || { echo "SKIP node or npm is not installed"; exit 77; }
[ -d $HFJS/node_modules/@huggingface/tokenizers ] \
  || timeout 180 npm install --prefix $HFJS --no-audit --no-fund --silent @huggingface/tokenizers@0.2.0 >/dev/null 2>&1 \
  || { echo "SKIP npm could not install @huggingface/tokenizers@0.2.0 (no registry?)"; exit 77; }

mkdir -p "$OUT"
make -s build/unit/tokenize_main
BIN=build/unit/tokenize_main
$PY test/reference/tokenizer_sequences.py > "$OUT/seqs.txt"
n=$(wc -l < "$OUT/seqs.txt")
[ "$n" -gt 0 ] || { echo "FAIL no sequences"; exit 1; }
$PY -c "import json,sys; d=json.load(open(sys.argv[1])); d['model']['fuse_unk']=False; json.dump(d,open(sys.argv[2],'w'))" \
  $F/grover_tokenizer.json "$OUT/grover_nofuse_tokenizer.json"
fail=0
for tj in $F/dnabert2_tokenizer.json $F/dnabert2_pairs_tokenizer.json $OUT/grover_nofuse_tokenizer.json; do
  t=$(basename $tj _tokenizer.json)
  "$BIN" --tokenizer-json $tj < "$OUT/seqs.txt" | sed 's/^ERROR .*/ERROR/' > "$OUT/$t.c_nolimit.txt"
  HFJS_DIR="$PWD/$HFJS/node_modules" node test/reference/tokenizers_hfjs.mjs $tj < "$OUT/seqs.txt" > "$OUT/$t.js.txt"
  if cmp -s "$OUT/$t.c_nolimit.txt" "$OUT/$t.js.txt"; then
    echo "ok   parity $t against tokenizers.js: $n sequences identical"
  else
    echo "FAIL parity $t against tokenizers.js"; diff "$OUT/$t.c_nolimit.txt" "$OUT/$t.js.txt" | head -n 10; fail=1
  fi
done
exit $fail
