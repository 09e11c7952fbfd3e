#!/usr/bin/env bash
# Encoder parity with PyTorch: regenerate the random-weight checkpoints (real tensor names and
# config.json keys) and their goldens from test/reference/ into build/generated/encoder, check
# the committed goldens (test/fixtures/encoder, `make goldens`) still match them, then run
# varformer's encoder (plain C, outside the server) on every case: 1e-4 relative.
set -euo pipefail
cd "$VF_ROOT"
out=$VF_GENERATED/encoder
rm -rf "$out"; mkdir -p "$out"
"$PYTHON" test/reference/make_encoder_fixtures.py "$out/models" "$out/goldens"
chmod -R a+rX "$out"
"$PYTHON" test/reference/compare_goldens.py test/fixtures/encoder "$out/goldens"
make -s build/unit/encoder_parity
for g in "$out"/goldens/*.json; do
  m=$(basename "$g" .json)
  build/unit/encoder_parity "$out/models/$m" "$g" 1e-4
done
