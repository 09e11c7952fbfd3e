#!/usr/bin/env bash
# Encoder contract tests outside the server (ASan/UBSan): tensor-name prefixes, errors naming
# the first missing tensor, unsupported architectures, bad inputs, scratch reuse, ALiBi slopes.
# Uses the random-weight checkpoints of `make fixtures` (build/generated/encoder/models).
set -euo pipefail
cd "$VF_ROOT"
make -s fixtures-encoder build/unit/encoder_test
build/unit/encoder_test build/generated/encoder/models
