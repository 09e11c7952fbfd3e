#!/usr/bin/env bash
# JSON reader unit test (ASan/UBSan), outside the server.
set -euo pipefail
cd "$VF_ROOT"
make -s build/unit/json_test
build/unit/json_test
