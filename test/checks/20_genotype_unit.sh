#!/usr/bin/env bash
# genotype encoding, text form, region parser, contig names: unit test + fuzz (ASan/UBSan).
set -euo pipefail
cd "$VF_ROOT"
make -s build/unit/genotype_test
build/unit/genotype_test
