#!/usr/bin/env bash
# The plain-C GTF parser (ASan/UBSan), outside the server.
set -euo pipefail
cd "$VF_ROOT"
make -s build/unit/gtf_test
build/unit/gtf_test
