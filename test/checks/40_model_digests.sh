#!/usr/bin/env bash
# The model-store goldens that test/fixtures/models/make_models.py writes with hashlib (and
# sql/40_models.sql compares load_model's sha256 with) are what sha256sum prints: for a
# directory, sha256sum over its files piped to sha256sum; for a bare file, its sha256sum.
set -euo pipefail
cd "$VF_ROOT"
make -s fixtures-models
m=build/generated/models
( cd "$m/esm_f32" && sha256sum config.json model.safetensors vocab.txt | sha256sum | cut -d' ' -f1 ) \
  | cmp - "$m/esm_f32.sha256"
sha256sum "$m/esm_bare.safetensors" | cut -d' ' -f1 | cmp - "$m/esm_bare.sha256"
echo "ok   directory and file digests equal sha256sum's"
