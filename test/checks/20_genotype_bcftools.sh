#!/usr/bin/env bash
# Cross-checks read_vcf and read_genotypes against bcftools query, run live on the fixtures.
#
# read_vcf: same rows, same order, same columns as
#   bcftools query [-r REGION] [-s SAMPLES] -f '[%SAMPLE\t%CHROM\t%POS\t%ID\t%REF\t%ALT\t%GT\t%DS\n]'
# read_genotypes: genotype_variants() of each sample's genotype equals the same query
#   restricted to POS inside the region, without the records the genotype leaves out
#   (symbolic <CN0>/<DUP>, the IUPAC REF), without plain hom-ref calls, alleles upper-cased.
set -euo pipefail
# the server resolves the relative paths below against the checkout (varformer.file_root)
export PGOPTIONS="-c varformer.file_root=$VF_ROOT"
cd "$VF_ROOT/test/fixtures/genotype"
PSQL=("$VF_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At -F $'\t' -d postgres)
"${PSQL[@]}" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS varformer"
fail=0

# check_vcf FILE REGION|'' SAMPLES|''
check_vcf() {
  local file=$1 region=$2 samples=$3 want got
  local args=() sql_region=NULL sql_samples=NULL
  [ -n "$region" ] && { args+=(-r "$region"); sql_region="'$region'"; }
  [ -n "$samples" ] && { args+=(-s "$samples"); sql_samples="string_to_array('$samples', ',')"; }
  want=$(bcftools query "${args[@]}" -f '[%SAMPLE\t%CHROM\t%POS\t%ID\t%REF\t%ALT\t%GT\t%DS\n]' "$file")
  got=$("${PSQL[@]}" -c "SELECT sample, chrom, pos, coalesce(id, '.'), ref,
            coalesce(nullif(array_to_string(alt, ','), ''), '.'), coalesce(gt, '.'),
            coalesce(array_to_string(dosages, ',', '.'), '.')
          FROM read_vcf('test/fixtures/genotype/$file', $sql_region, $sql_samples)")
  if [ "$want" == "$got" ]; then
    echo "ok   read_vcf $file ${region:-(all)} ${samples:-(all)}: $(echo "$want" | wc -l) rows"
  else
    echo "FAIL read_vcf $file ${region:-(all)} ${samples:-(all)}"; diff <(echo "$want") <(echo "$got") || true; fail=1
  fi
}

check_vcf sample.vcf '' ''
check_vcf sample.vcf.gz chr22:1100-1500 ''
check_vcf sample.vcf.gz chr22:1000-1200 S3,S1
check_vcf sample.bcf chr22:1520-1540 ''
check_vcf sample.bcf chrX S2
check_vcf sample.bcf chrX:5050- ''
check_vcf sample.vcf.gz chr22 S1,S2,S3

# Sample names htslib's -s list would read as syntax ("^B" excludes, "-" means all, "a,b" is two
# names) are still names: selected by a file (bcftools -S), they must give bcftools' rows.
check_odd_samples() { # NAME... (one SQL array element each)
  local list want got arr
  list=$(mktemp); printf '%s\n' "$@" > "$list"
  want=$(bcftools query -S "$list" -f '[%SAMPLE\t%POS\t%GT\n]' odd_samples.vcf)
  arr=$(printf "'%s'," "$@"); arr="ARRAY[${arr%,}]"
  got=$("${PSQL[@]}" -c "SELECT sample, pos, gt FROM read_vcf('test/fixtures/genotype/odd_samples.vcf', NULL, $arr)")
  rm -f "$list"
  if [ -n "$want" ] && [ "$want" == "$got" ]; then
    echo "ok   read_vcf odd_samples.vcf $*: $(echo "$want" | wc -l) rows"
  else
    echo "FAIL read_vcf odd_samples.vcf $*"; diff <(echo "$want") <(echo "$got") || true; fail=1
  fi
}
check_odd_samples '^B' C
check_odd_samples -
check_odd_samples 'a,b' A
check_odd_samples C '^B' - 'a,b' A

# check_genotypes FILE CHROM START END COVERAGE: with listed coverage (the default) every
# record bcftools prints is a call, 0/0 included; with region coverage plain hom-ref is left out
check_genotypes() {
  local file=$1 chrom=$2 start=$3 end=$4 coverage=$5 s want got
  for s in $(bcftools query -l "$file"); do
    want=$(bcftools query -r "$chrom:$start-$end" -s "$s" \
             -e 'ALT~"<CN0>" || ALT~"<DUP>" || REF="R"' \
             -f '[%POS\t%REF\t%ALT\t%GT\t%DS\n]' "$file" |
           awk -F'\t' -v lo="$start" -v hi="$end" -v cov="$coverage" 'BEGIN{OFS="\t"}
             $2 !~ /^[ACGTNacgtn]+$/ { next }
             $1 < lo || $1 > hi { next }
             { homref = ($4 == "0/0" || $4 == "0|0" || $4 == "0")
               n = split($5, d, ","); nz = 0
               for (i = 1; i <= n; i++) if (d[i] != "." && d[i] + 0 != 0) nz = 1
               if (cov == "region" && homref && !nz) next
               print $1, toupper($2), ($3 == "." ? "." : toupper($3)), $4, $5 }')
    got=$("${PSQL[@]}" -c "SET client_min_messages = warning" -c "SELECT v.pos, v.ref, coalesce(nullif(array_to_string(v.alt, ','), ''), '.'), v.gt,
              coalesce(array_to_string(v.dosages, ',', '.'), '.')
            FROM read_genotypes('test/fixtures/genotype/$file', '$chrom:$start-$end', ARRAY['$s'], coverage => '$coverage') g,
                 genotype_variants(g.gt) v")
    if [ "$want" == "$got" ]; then
      echo "ok   read_genotypes $file $chrom:$start-$end $s ($coverage): $(echo -n "$want" | grep -c . || true) calls"
    else
      echo "FAIL read_genotypes $file $chrom:$start-$end $s"; diff <(echo "$want") <(echo "$got") || true; fail=1
    fi
  done
}

for cov in listed region; do
  check_genotypes sample.vcf.gz chr22 1000 2200 $cov
  check_genotypes sample.bcf chr22 1100 1900 $cov
  check_genotypes sample.bcf chrX 1 100000 $cov
done
exit $fail
