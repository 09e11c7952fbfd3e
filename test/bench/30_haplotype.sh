#!/usr/bin/env bash
# haplotype_sequence for 1,000 windows of 10 kb against bcftools consensus for the same
# windows, on a generated reference and VCF of 500 samples x 20,000 sites (SNVs and indels,
# tools/simulate_haplotype_bench.py), one sample (S0001), haplotype 1.
#
#   peer: for each window: samtools faidx REF chr22:s-e | bcftools consensus -s S0001 -H 1 VCF
#   ours: SELECT haplotype_sequence(gt, 1, 'chr22', s, e) over the 1,000 windows, the
#         genotypes read beforehand (read_genotypes per window, timed separately as
#         "end to end", which includes reading the VCF as bcftools must)
# Both outputs are hashed: the run fails unless they are identical.
set -euo pipefail
N_SAMPLES=${VF_BENCH_SAMPLES:-500}
N_SITES=${VF_BENCH_SITES:-20000}
N_WIN=${VF_BENCH_WINDOWS:-1000}
WLEN=10000
dir="$VF_GENERATED/bench/haplotype_${N_SAMPLES}x${N_SITES}"
if [ ! -f "$dir/bench.vcf.gz.tbi" ]; then
  rm -rf "$dir"
  "$PYTHON" "$VF_ROOT/tools/simulate_haplotype_bench.py" "$dir" "$N_SAMPLES" "$N_SITES" 30
  samtools faidx "$dir/ref.fa"
  bgzip -f "$dir/bench.vcf"
  tabix -f -p vcf "$dir/bench.vcf.gz"
fi
[ "$(id -u)" -eq 0 ] && chown -R varformer_test "$VF_GENERATED/bench" 2>/dev/null || true
rel="generated/bench/$(basename "$dir")"
len=$(cut -f2 "$dir/ref.fa.fai")
"$PYTHON" - "$len" "$N_WIN" "$WLEN" > "$dir/windows.tsv" <<'PY'
import random, sys
length, n, w = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(7)
for i in range(n):
    s = rng.randint(1, length - w + 1)
    print("%d\t%d\t%d" % (i, s, s + w - 1))
PY
DB=vf_haplotype_bench
PSQL=(env PGOPTIONS="-c client_min_messages=warning" "$VF_BIN/psql" -X -q -At -v ON_ERROR_STOP=1)
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" 2>/dev/null
trap '"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT
now() { date +%s.%N; }

t0=$(now)
"${PSQL[@]}" -d $DB <<SQL
SET client_min_messages = warning;
CREATE EXTENSION varformer;
SELECT register_reference('bench', '$rel/ref.fa') \\g /dev/null
CREATE TABLE w (id int, s bigint, e bigint);
\\copy w FROM '$dir/windows.tsv'
CREATE TABLE wg AS
  SELECT w.id, w.s, w.e, g.gt
    FROM w, LATERAL read_genotypes('$rel/bench.vcf.gz', 'chr22:' || w.s || '-' || w.e, ARRAY['S0001']) g;
ANALYZE wg;
SQL
t1=$(now)
setup=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

best_ours=999999
for i in 1 2 3; do
  t0=$(now)
  ours_md5=$("${PSQL[@]}" -d $DB -c "SELECT md5(string_agg(haplotype_sequence(gt, 1, 'chr22', s, e), E'\\n' ORDER BY id)) FROM wg")
  t1=$(now)
  best_ours=$(awk -v a="$t0" -v b="$t1" -v m="$best_ours" 'BEGIN { d = b - a; print (d < m ? d : m) }')
done
t0=$(now)
e2e_md5=$("${PSQL[@]}" -d $DB -c "SELECT md5(string_agg(haplotype_sequence(g.gt, 1, 'chr22', w.s, w.e), E'\\n' ORDER BY w.id))
  FROM w, LATERAL read_genotypes('$rel/bench.vcf.gz', 'chr22:' || w.s || '-' || w.e, ARRAY['S0001']) g")
t1=$(now)
e2e=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

t0=$(now)
bcf_md5=$(while IFS=$'\t' read -r id s e; do
    samtools faidx "$dir/ref.fa" "chr22:$s-$e" | bcftools consensus -s S0001 -H 1 "$dir/bench.vcf.gz" 2>/dev/null | grep -v '^>' | tr -d '\n'
    echo
  done < "$dir/windows.tsv" | head -c -1 | md5sum | cut -d' ' -f1)
t1=$(now)
bcf=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

applied=$("${PSQL[@]}" -d $DB -c "SELECT sum(n_variants(gt)) FROM wg")
echo "data: $N_SAMPLES samples x $N_SITES sites (SNVs + indels), reference $len bp; $N_WIN windows of $WLEN bp, sample S0001, -H 1 ($applied non-reference calls in the windows)"
echo "setup (register + read_genotypes per window, not timed below): ${setup} s"
echo "output md5: bcftools $bcf_md5, haplotype_sequence $ours_md5, end-to-end $e2e_md5"
awk -v b="$bcf" -v o="$best_ours" -v e="$e2e" -v n="$N_WIN" 'BEGIN {
  printf "bcftools consensus (faidx | consensus per window): %.3f s  %.2f ms/window\n", b, 1000 * b / n
  printf "haplotype_sequence (best of 3)                   : %.3f s  %.3f ms/window\n", o, 1000 * o / n
  printf "read_genotypes + haplotype_sequence (end to end) : %.3f s  %.3f ms/window\n", e, 1000 * e / n
  printf "ratio bcftools / haplotype_sequence: %.1fx faster; end to end: %.1fx faster (goal > 1)\n", b / o, b / e
}'
[ "$bcf_md5" = "$ours_md5" ] && [ "$bcf_md5" = "$e2e_md5" ] || { echo "OUTPUTS DIFFER"; exit 1; }
