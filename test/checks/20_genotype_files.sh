#!/usr/bin/env bash
# Inputs for sql/20_genotype_vcf.sql that cannot be committed: a file nobody may read.
set -euo pipefail
d="$VF_GENERATED/genotype"
mkdir -p "$d"
cp "$VF_ROOT/test/fixtures/genotype/sample.vcf" "$d/unreadable.vcf"
chmod 000 "$d/unreadable.vcf"
