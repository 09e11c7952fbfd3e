#!/usr/bin/env bash
# genotype module, outside the server (ASan/UBSan): the encoding, text form, region parser
# and contig names (genotype_test); the htslib reader on the fixtures and on damaged
# copies of them (vcf_reader_test).
set -euo pipefail
cd "$VF_ROOT"
make -s build/unit/genotype_test build/unit/vcf_reader_test
build/unit/genotype_test
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
build/unit/vcf_reader_test test/fixtures/genotype "$scratch"
