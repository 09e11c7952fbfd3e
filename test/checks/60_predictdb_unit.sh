#!/usr/bin/env bash
# PredictDB reader, PrediXcan allele matching, scoring and ensembles: plain-C unit test (ASan/UBSan).
set -euo pipefail
cd "$VF_ROOT"
make -s build/unit/predictdb_test
build/unit/predictdb_test
