#!/usr/bin/env bash
# Safetensors parsing, dtype conversion and the checkpoint image (ASan/UBSan), outside the server.
set -euo pipefail
cd "$VF_ROOT"
make -s build/unit/checkpoint_test
build/unit/checkpoint_test
build/unit/checkpoint_test 3 | tail -n1
