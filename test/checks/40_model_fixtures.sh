#!/usr/bin/env bash
# Model-store inputs for sql/40_models*.sql: small checkpoints (F32/F16/BF16), malformed files,
# and their goldens (numpy sums, hashlib digests) in generated/models/.
set -euo pipefail
cd "$VF_ROOT"
rm -rf "$VF_GENERATED/models"
"$PYTHON" test/fixtures/models/make_models.py "$VF_GENERATED/models"
# the directory digest is what sha256sum over the directory's files, piped to sha256sum, prints
( cd "$VF_GENERATED/models/esm_f32" && sha256sum config.json model.safetensors vocab.txt | sha256sum | cut -d' ' -f1 ) \
  | cmp - "$VF_GENERATED/models/esm_f32.sha256"
sha256sum "$VF_GENERATED/models/esm_bare.safetensors" | cut -d' ' -f1 | cmp - "$VF_GENERATED/models/esm_bare.sha256"
[ "$(id -u)" -eq 0 ] && chown -R varformer_test "$VF_GENERATED/models"
echo "model fixtures written"
