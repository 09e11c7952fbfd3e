#!/usr/bin/env bash
# Server-side files for sql/30_haplotype.sql that cannot live in the repository as such:
# a FASTA without index in a directory the server cannot write (index cannot be built),
# the same in one it can (index gets built), a bgzipped FASTA without .fai/.gzi, an
# unreadable FASTA, and a FASTA the server rewrites under a registered name
# (sql/50_encoder_haplotype.sql). Also runs the plain-C GTF parser unit test.
set -euo pipefail
cd "$VF_ROOT"
F=test/fixtures/haplotype
G="$VF_GENERATED/haplotype"
[ -d "$G/readonly" ] && chmod 755 "$G/readonly"
rm -rf "$G"
mkdir -p "$G/readonly" "$G/writable"
cp $F/noindex.fa "$G/readonly/noindex.fa"
cp $F/noindex.fa "$G/writable/noindex.fa"
bgzip -c $F/ref.fa > "$G/writable/ref.fa.gz"
cp $F/ref.fa "$G/unreadable.fa"
cp $F/ref.fa "$G/writable/mutable.fa"
if [ "$(id -u)" -eq 0 ]; then chown -R varformer_test "$G"; fi
chmod 000 "$G/unreadable.fa"
chmod 555 "$G/readonly"
ls -l "$G" "$G/readonly" "$G/writable"

make -s build/unit/gtf_test
build/unit/gtf_test
