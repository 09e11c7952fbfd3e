#!/usr/bin/env bash
# DNABERT v1 parity with the PyTorch reference written from the authors' sources
# (test/reference/dnabert_ref.py, dnabert_tokenizer_ref.py): random-weight 3-mer and 6-mer
# checkpoints with the real tensor names, config.json and vocab.txt, made by `make fixtures`
# (build/generated/dnabert). The committed goldens (test/fixtures/dnabert, `make goldens`) must
# still match the regenerated ones; then for every case (N, lower case, IUPAC letters, odd
# lengths, shorter than k, exactly 512 tokens) varformer's tokenizer must give the reference's
# ids exactly, and its encoder the reference's hidden states and their mean to 1e-4 relative,
# from model.safetensors and from torch.save's pytorch_model.bin (zip and legacy formats) alike.
set -euo pipefail
cd "$VF_ROOT"
out=build/generated/dnabert
make -s fixtures-dnabert build/unit/encoder_parity build/unit/tokenize_main
"$PYTHON" test/reference/compare_goldens.py test/fixtures/dnabert "$out/goldens"
n=0
for g in "$out"/goldens/*.json; do
  m=$(basename "$g" .json)
  "$PYTHON" -c '
import json, sys
cases = json.load(open(sys.argv[1]))["cases"]
with open(sys.argv[2], "w") as s, open(sys.argv[3], "w") as i:
    for c in cases:
        s.write(c["seq"] + "\n")
        i.write(" ".join(map(str, c["ids"])) + "\n")
' "$g" "$out/$m.seqs" "$out/$m.ids"
  for d in "$m" "${m}_torch" "${m}_legacy"; do
    build/unit/tokenize_main --vocab "$out/models/$d/vocab.txt" --config "$out/models/$d/config.json" \
      < "$out/$m.seqs" > "$out/$d.c_ids"
    cmp "$out/$d.c_ids" "$out/$m.ids" || { echo "FAIL token ids of $d differ from the reference's"; diff "$out/$d.c_ids" "$out/$m.ids" | head; exit 1; }
    echo "ok   $d: token ids of $(wc -l < "$out/$m.ids") sequences identical to the reference's"
    build/unit/encoder_parity "$out/models/$d" "$g" 1e-4
    n=$((n + 1))
  done
done
[ "$n" -eq 6 ] || { echo "expected 6 DNABERT checkpoints, ran $n"; exit 1; }
