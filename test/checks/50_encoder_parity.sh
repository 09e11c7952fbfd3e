#!/usr/bin/env bash
# Encoder parity with PyTorch: the random-weight checkpoints (real tensor names and
# config.json keys) and their goldens, made from test/reference/ by `make fixtures`
# (build/generated/encoder); the committed goldens (test/fixtures/encoder, `make goldens`)
# must still match them, then varformer's encoder (plain C, outside the server) runs every
# case: 1e-4 relative.
set -euo pipefail
cd "$VF_ROOT"
out=build/generated/encoder
make -s fixtures-encoder build/unit/encoder_parity
"$PYTHON" test/reference/compare_goldens.py test/fixtures/encoder "$out/goldens"
n=0
for g in "$out"/goldens/*.json; do
  m=$(basename "$g" .json)
  build/unit/encoder_parity "$out/models/$m" "$g" 1e-4
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "no goldens in $out/goldens"; exit 1; }
