#!/usr/bin/env bash
# Encoder contract tests outside the server (ASan/UBSan): tensor-name prefixes, errors naming
# the first missing tensor, unsupported architectures, bad inputs, scratch reuse, ALiBi slopes.
# Uses the random-weight checkpoints 50_encoder_parity.sh writes (regenerated if absent).
set -euo pipefail
cd "$VF_ROOT"
models=$VF_GENERATED/encoder/models
[ -f "$models/nt_v2/config.json" ] || "$PYTHON" test/reference/make_encoder_fixtures.py "$models" "$VF_GENERATED/encoder/goldens"
make -s build/unit/encoder_test
build/unit/encoder_test "$models"
