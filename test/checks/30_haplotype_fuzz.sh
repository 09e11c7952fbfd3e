#!/usr/bin/env bash
# The plain-C haplotype builder (outside the server, ASan/UBSan) against bcftools consensus
# on random dense VCFs (tools/haplotype_fuzz_vcf.py: overlapping, multi-allelic, symbolic,
# missing/haploid/unphased calls, mixed-case reference), 4 windows x 4 samples x 2
# haplotypes per seed. Where bcftools refuses (REF mismatch), the builder must refuse too.
# The driver also checks the coordinate map's invariants on every case.
set -euo pipefail
cd "$VF_ROOT"
make -s build/unit/haplotype_driver
export ASAN_OPTIONS=detect_leaks=0:exitcode=99   # the driver does not free its VCF records; a sanitizer finding must not look like a refusal
drv=build/unit/haplotype_driver
work="$VF_GENERATED/haplotype_fuzz"
SEEDS=${VF_FUZZ_SEEDS:-8}
total=0; fails=0; both_err=0
for seed in $(seq 1 "$SEEDS"); do
  d="$work/$seed"; rm -rf "$d"
  VF_FUZZ_BADREF=0.004 "$PYTHON" tools/haplotype_fuzz_vcf.py "$d" "$seed" 80 300
  samtools faidx "$d/ref.fa"
  bgzip -f "$d/calls.vcf" && tabix -f -p vcf "$d/calls.vcf.gz"
  for w in "1 300" "$((seed * 7 % 150 + 1)) $((seed * 13 % 150 + 150))" "$((seed * 11 % 290 + 1)) 300" "$((seed * 3 % 100 + 1)) $((seed * 5 % 100 + 101))"; do
    set -- $w
    for S in S0 S1 S2 S3; do for h in 1 2; do
      total=$((total + 1))
      want=$(samtools faidx "$d/ref.fa" "c1:$1-$2" | bcftools consensus -s $S -H $h "$d/calls.vcf.gz" 2>/dev/null | grep -v '^>' | tr -d '\n'; echo " rc=${PIPESTATUS[1]}")
      got=$($drv "$d/ref.fa" "$d/calls.vcf.gz" $S $h c1 "$1" "$2" | tr -d '\n'; echo " rc=${PIPESTATUS[0]}")
      if [ "${want##* rc=}" != 0 ] || [ "${got##* rc=}" != 0 ]; then
        if [ "${want##* rc=}" != 0 ] && [ "${got##* rc=}" = 1 ]; then both_err=$((both_err + 1)); continue; fi
        fails=$((fails + 1)); echo "refusal differs: seed $seed $S -H $h c1:$1-$2: bcftools ${want##* }, ours ${got##* } ${got% rc=*}"
        continue
      fi
      if [ "$want" != "$got" ]; then
        fails=$((fails + 1)); echo "DIFF seed $seed $S -H $h c1:$1-$2"; echo "  bcftools: $want"; echo "  ours    : $got"
      fi
    done; done
  done
done
echo "random cases: $total compared, $fails differ, $both_err refused by both"
[ "$fails" -eq 0 ] && [ "$total" -gt 0 ]
