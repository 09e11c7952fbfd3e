#!/usr/bin/env bash
# read_genotypes throughput against bcftools query on the same file and region.
#
#   peer: bcftools query -r REGION -f '[%GT\t]\n' FILE > /dev/null
#   ours: SELECT count(*), sum(n_variants(gt)) FROM read_genotypes(FILE, REGION, coverage => 'region')
#   (the file is WGS-like, every site of the cohort listed: region coverage is what it allows)
# on a simulated VCF.gz of 500 samples x 20,000 SNVs (tools/simulate_vcf.py), best of 3.
# Throughput is in calls (sample x site) per second; ratio = ours / bcftools.
set -euo pipefail
N_SAMPLES=${VF_BENCH_SAMPLES:-500}
N_SITES=${VF_BENCH_SITES:-20000}
dir="$VF_GENERATED/bench"
vcf="$dir/genotype_${N_SAMPLES}x${N_SITES}.vcf.gz"
mkdir -p "$dir"
if [ ! -f "$vcf.tbi" ]; then
  "$PYTHON" "$VF_ROOT/tools/simulate_vcf.py" "$N_SAMPLES" "$N_SITES" chr22 20 | bgzip -c > "$vcf.tmp"
  mv "$vcf.tmp" "$vcf"
  tabix -f -p vcf "$vcf"
fi
[ "$(id -u)" -eq 0 ] && chown -R varformer_test "$dir" 2>/dev/null || true
region="chr22:1-$((16000000 + N_SITES * 200))"
rel="generated/bench/$(basename "$vcf")"
calls=$((N_SAMPLES * N_SITES))
PSQL=("$VF_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d postgres)
"${PSQL[@]}" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS varformer"

now() { date +%s.%N; }
best_bcf=999999; best_ours=999999
for i in 1 2 3; do
  t0=$(now); bcftools query -r "$region" -f '[%GT\t]\n' "$vcf" > /dev/null; t1=$(now)
  best_bcf=$(awk -v a="$t0" -v b="$t1" -v m="$best_bcf" 'BEGIN { d = b - a; print (d < m ? d : m) }')
  t0=$(now); out=$("${PSQL[@]}" -c "SELECT count(*), sum(n_variants(gt)) FROM read_genotypes('$rel', '$region', coverage => 'region')"); t1=$(now)
  best_ours=$(awk -v a="$t0" -v b="$t1" -v m="$best_ours" 'BEGIN { d = b - a; print (d < m ? d : m) }')
done
stored=$("${PSQL[@]}" -c "SELECT sum(pg_column_size(gt)), sum(octet_length(varformer_internal.genotype_send(gt))) FROM read_genotypes('$rel', '$region', coverage => 'region')")
echo "file: $vcf ($N_SAMPLES samples x $N_SITES sites = $calls calls), region $region"
echo "read_genotypes result (samples|non-ref calls): $out"
echo "stored (compressed|encoded bytes, all samples): $stored"
awk -v c="$calls" -v b="$best_bcf" -v o="$best_ours" 'BEGIN {
  printf "bcftools query  : %.3f s  %.2f M calls/s\n", b, c / b / 1e6
  printf "read_genotypes  : %.3f s  %.2f M calls/s\n", o, c / o / 1e6
  printf "ratio (read_genotypes / bcftools): %.2f  (goal >= 0.5)\n", b / o
}'
