#!/usr/bin/env bash
# haplotype_sequence() against bcftools consensus, live, byte for byte:
#   samtools faidx REF chrom:start-end | bcftools consensus -s SAMPLE -H hap VCF
# for every sample (S1..S4), haplotype (1, 2) and window of the fixture cases
# (test/fixtures/haplotype/cases.vcf.gz: SNV, MNP, insertion, deletion, multi-allelic,
# missing, half-missing, unphased, haploid, adjacent and overlapping records, lower-case
# reference, symbolic <DEL>/<*>/<NON_REF>, '*'). Windows are derived from the records so
# that each one starts and ends on, just before and just after every record's padding
# base and cuts every multi-base REF; plus each whole contig.
# Then the coordinate map: for the whole-contig windows, every reference base that no
# record touches is found in the haplotype where haplotype_position() says.
set -euo pipefail
# the server resolves the relative paths below against the checkout (varformer.file_root)
export PGOPTIONS="-c varformer.file_root=$VF_ROOT"
cd "$VF_ROOT"
F=test/fixtures/haplotype
VCF=$F/cases.vcf.gz
DB=vf_haplotype_check
out=build/checks/30_haplotype
mkdir -p "$out"
PSQL=("$VF_BIN/psql" -X -q -At -F $'\t' -v ON_ERROR_STOP=1)
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap '"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT
"${PSQL[@]}" -d $DB -c "SET client_min_messages = warning; CREATE EXTENSION varformer" \
  -c "SELECT register_reference('fixture', 'test/fixtures/haplotype/ref.fa')" \
  -c "SELECT register_reference('fixture_bgzf', 'test/fixtures/haplotype/ref.fa.gz')" >/dev/null

# what a registered name denotes: the FASTA's sha256 and size, as sha256sum and stat see them
for pair in fixture:ref.fa fixture_bgzf:ref.fa.gz; do
  name=${pair%%:*} file=$F/${pair#*:}
  want="$(sha256sum "$file" | cut -d' ' -f1)	$(stat -c %s "$file")"
  got=$("${PSQL[@]}" -d $DB -c "SELECT sha256, bytes FROM reference_genome WHERE name = '$name'")
  if [ "$want" == "$got" ]; then echo "ok   $name: sha256 and size as sha256sum and stat"
  else echo "FAIL $name: registry has '$got', sha256sum/stat say '$want'"; exit 1; fi
done
"${PSQL[@]}" -d $DB -c "SELECT unregister_reference('fixture_bgzf')" >/dev/null

# windows: chrom start end (1-based, inclusive), clipped to the contig
zcat "$VCF" | awk -F'\t' -v OFS='\t' '
  BEGIN { len["chr22"] = 1200; len["chrX"] = 300 }
  /^#/ { next }
  {
    c = $1; p = $2; r = length($4)
    w[c "\t" (p - 30) "\t" p] = 1          # ends on the padding base
    w[c "\t" (p - 30) "\t" (p - 1)] = 1    # ends just before it
    w[c "\t" (p + 1) "\t" (p + 40)] = 1    # starts inside a deletion / after the padding base
    w[c "\t" p "\t" (p + 25)] = 1          # starts on the padding base
    if (r > 2) w[c "\t" (p - 20) "\t" (p + r - 2)] = 1   # cuts the REF short
  }
  END {
    for (k in w) {
      split(k, a, "\t"); s = a[2]; e = a[3]
      if (s < 1) s = 1; if (e > len[a[1]]) e = len[a[1]]
      if (s <= e) print a[1], s, e
    }
    print "chr22", 1, 1200; print "chrX", 1, 300
  }' | sort -u > "$out/windows.tsv"

# ours: one query for every window x sample x haplotype
"${PSQL[@]}" -d $DB > "$out/ours.tsv" <<SQL
SET client_min_messages = warning;
CREATE TEMP TABLE w (chrom text, s bigint, e bigint);
\copy w FROM '$out/windows.tsv'
CREATE TEMP TABLE g AS
  SELECT 'chr22' AS chrom, sample, gt FROM read_genotypes('test/fixtures/haplotype/cases.vcf.gz', 'chr22:1-1200')
  UNION ALL
  SELECT 'chrX', sample, gt FROM read_genotypes('test/fixtures/haplotype/cases.vcf.gz', 'chrX:1-300');
SELECT w.chrom, w.s, w.e, g.sample, h, haplotype_sequence(g.gt, h, w.chrom, w.s, w.e)
  FROM w JOIN g USING (chrom) CROSS JOIN generate_series(1, 2) h
 ORDER BY 1, 2, 3, 4, 5;
SQL

# bcftools side in 8 parallel lanes (one process pair per haplotype is the slow part)
compare_lane() {
  local n=0 bad=0
  while IFS=$'\t' read -r chrom s e sample h seq; do
    want=$(samtools faidx "$F/ref.fa" "$chrom:$s-$e" | bcftools consensus -s "$sample" -H "$h" "$VCF" 2>/dev/null | grep -v '^>' | tr -d '\n') \
      || { echo "bcftools failed on $chrom:$s-$e $sample -H $h"; bad=$((bad + 1)); continue; }
    n=$((n + 1))
    if [ "$want" != "$seq" ]; then
      bad=$((bad + 1))
      echo "MISMATCH $chrom:$s-$e $sample -H $h"
      echo "  bcftools: $want"
      echo "  ours    : $seq"
    fi
  done < "$1"
  echo "LANE $n $bad"
}
rm -f "$out"/lane.*
split -n l/8 "$out/ours.tsv" "$out/lane."
for f in "$out"/lane.*; do compare_lane "$f" > "$f.result" & done
wait
cat "$out"/lane.*.result | grep -v '^LANE' || true
read -r n bad < <(awk '/^LANE/ { n += $2; b += $3 } END { print n + 0, b + 0 }' "$out"/lane.*.result)
nwin=$(wc -l < "$out/windows.tsv")
echo "compared $n haplotypes ($nwin windows x 4 samples x 2) with bcftools consensus: $bad differ"
[ "$n" -ge $((nwin * 8)) ] || { echo "expected $((nwin * 8)) comparisons"; exit 1; }
[ "$bad" -eq 0 ] || exit 1

# coordinate map: untouched reference bases sit where haplotype_position() puts them
# (a record touches POS .. POS+len(REF)-1, or .. END when INFO/END is given)
zcat "$VCF" | awk -F'\t' '$1 == "chr22" {
    e = $2 + length($4) - 1
    if (match($8, /END=[0-9]+/)) e = substr($8, RSTART + 4, RLENGTH - 4)
    for (p = $2; p <= e; p++) print p }' | sort -un > "$out/touched.tsv"
"${PSQL[@]}" -d $DB > "$out/map.tsv" <<SQL
SET client_min_messages = warning;
CREATE TEMP TABLE touched (p bigint);
\copy touched FROM '$out/touched.tsv'
WITH g AS (SELECT sample, gt FROM read_genotypes('test/fixtures/haplotype/cases.vcf.gz', 'chr22:1-1200')),
     hs AS (SELECT sample, h, haplotype_sequence(gt, h, 'chr22', 1, 1200) AS seq, gt
              FROM g CROSS JOIN generate_series(1, 2) h),
     ref AS (SELECT reference_sequence('chr22', 1, 1200) AS seq)
SELECT count(*) AS checked,
       count(*) FILTER (WHERE substr(hs.seq, haplotype_position(hs.gt, hs.h, 'chr22', 1, 1200, p)::int, 1)
                              <> substr(ref.seq, p::int, 1)) AS wrong
  FROM hs, ref, generate_series(1, 1200) p
 WHERE p NOT IN (SELECT p FROM touched);
SQL
read -r checked wrong < "$out/map.tsv"
echo "coordinate map: $checked untouched positions checked, $wrong misplaced"
[ "$checked" -gt 5000 ] && [ "$wrong" -eq 0 ]
