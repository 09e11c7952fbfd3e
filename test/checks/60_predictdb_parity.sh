#!/usr/bin/env bash
# PredictDB parity, run live: varformer (load_model + predict_expression_detail in SQL) against
#  1. test/reference/predixcan_ref.py, an independent re-implementation of PrediXcan's rules,
#     on the rules fixture (every matching case; varID keys, rsID keys, palindromic skipped);
#  2. plink2 --score (Debian plink2) on the plink fixture: VCF imported with dosage=DS, one score
#     column per gene, 'no-mean-imputation' so missing calls contribute nothing and
#     'cols=+scoresums' so sums (not averages) are compared. The python reference is checked
#     against plink2 on the same data too.
#  3. the reference on genotypes that do not assay every model variant (coverage.vcf: an
#     array-like file with contigs "chr22"; build37.vcf: other alleles at the model's positions)
# GReX (predict_expression_detail's sum_used, PrediXcan's sum whatever the coverage) must
# agree within 1e-6; the per-gene counts (used, flipped, complemented, skipped, missing) must
# agree exactly with the reference. Genotypes come as text (the reference's loader) and
# through read_genotypes (listed coverage, its default), both compared in full.
set -euo pipefail
# the server resolves the relative paths below against the checkout (varformer.file_root)
export PGOPTIONS="-c varformer.file_root=$VF_ROOT"
cd "$VF_ROOT"
FIX=test/fixtures/predictdb
OUT=$VF_GENERATED/predictdb_parity
REF="$PYTHON test/reference/predixcan_ref.py"
rm -rf "$OUT"; mkdir -p "$OUT"; chmod 777 "$OUT"
PSQL=(psql -X -v ON_ERROR_STOP=1 -q -d postgres)
cleanup() {
  psql -X -q -d postgres -c "SELECT unload_model(name) FROM models WHERE name LIKE 'pdb60p_%'" \
       -c "DROP TABLE IF EXISTS pdb60p_rules, pdb60p_plink, pdb60p_rules_rg, pdb60p_plink_rg, pdb60p_cov, pdb60p_cov_rg, pdb60p_b37_rg" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"${PSQL[@]}" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS varformer;"

# genotypes: the fixture VCFs in the genotype text form, one row per sample
$REF --vcf $FIX/rules.vcf --genotype-text 22:1-5000 > "$OUT/rules_gt.tsv"
$REF --vcf $FIX/plink.vcf --genotype-text chr22:9000-13000 > "$OUT/plink_gt.tsv"
$REF --vcf $FIX/coverage.vcf --genotype-text chr22:1-5000 > "$OUT/cov_gt.tsv"
# ... and through read_genotypes from the bgzipped, indexed VCFs
for v in rules plink coverage build37; do
  bgzip -c $FIX/$v.vcf > "$OUT/$v.vcf.gz"; tabix -f -p vcf "$OUT/$v.vcf.gz"
done
[ "$(id -u)" -eq 0 ] && chown -R varformer_test "$OUT"
"${PSQL[@]}" <<SQL
DROP TABLE IF EXISTS pdb60p_rules, pdb60p_plink, pdb60p_rules_rg, pdb60p_plink_rg, pdb60p_cov, pdb60p_cov_rg, pdb60p_b37_rg;
CREATE TABLE pdb60p_rules_rg AS SELECT * FROM read_genotypes('build/generated/predictdb_parity/rules.vcf.gz', '22:1-5000');
CREATE TABLE pdb60p_plink_rg AS SELECT * FROM read_genotypes('build/generated/predictdb_parity/plink.vcf.gz', '22:9000-13000');
CREATE TABLE pdb60p_cov_rg AS SELECT * FROM read_genotypes('build/generated/predictdb_parity/coverage.vcf.gz', 'chr22:1-5000');
CREATE TABLE pdb60p_b37_rg AS SELECT * FROM read_genotypes('build/generated/predictdb_parity/build37.vcf.gz', '22:1-5000');
CREATE TABLE pdb60p_rules (sample text, gt genotype);
CREATE TABLE pdb60p_plink (sample text, gt genotype);
CREATE TABLE pdb60p_cov (sample text, gt genotype);
\copy pdb60p_rules FROM '$OUT/rules_gt.tsv'
\copy pdb60p_plink FROM '$OUT/plink_gt.tsv'
\copy pdb60p_cov FROM '$OUT/cov_gt.tsv'
SELECT load_model('pdb60p_v8', 'test/fixtures/predictdb/rules_v8.db', '{"replace": true}');
SELECT load_model('pdb60p_v8skip', 'test/fixtures/predictdb/rules_v8.db', '{"replace": true, "palindromic": "skip"}');
SELECT load_model('pdb60p_old', 'test/fixtures/predictdb/rules_old.db', '{"replace": true}');
SELECT load_model('pdb60p_plink', 'test/fixtures/predictdb/plink.db', '{"replace": true}');
SQL

# scores(model, table, exclude-gene) -> TSV like the reference prints
scores() {
  "${PSQL[@]}" -tA -F $'\t' -c "
    SELECT s.sample, g.gene, to_char(d.sum_used, 'FM999990.0000000000'), d.n_snps_in_model, d.n_snps_used,
           d.flipped, d.complemented, d.skipped, d.missing
    FROM $2 s CROSS JOIN predictdb_genes('$1') g
    CROSS JOIN LATERAL predict_expression_detail(s.gt, g.gene, '$1') d
    WHERE g.gene <> '$3'
    ORDER BY 1, 2"
}

# compare A B: same keys, |grex| diff <= 1e-6, counts equal
compare() {
  $PYTHON - "$1" "$2" "$3" <<'PY'
import sys
a, b, what = sys.argv[1], sys.argv[2], sys.argv[3]
def load(p):
    return {tuple(l.split("\t")[:2]): l.rstrip("\n").split("\t")[2:] for l in open(p) if l.strip()}
x, y = load(a), load(b)
bad = 0
if not x:
    print("%s: no predictions to compare" % what); sys.exit(1)
if set(x) != set(y):
    print("%s: different (sample, gene) sets: %s" % (what, sorted(set(x) ^ set(y))[:5])); sys.exit(1)
worst = 0.0
for k in sorted(x):
    d = abs(float(x[k][0]) - float(y[k][0]))
    worst = max(worst, d)
    if d > 1e-6 or x[k][1:] != y[k][1:]:
        print("%s: %s %s: %s vs %s" % (what, k[0], k[1], x[k], y[k])); bad += 1
print("%s: %d predictions, max |diff| %.3g, %d mismatches" % (what, len(x), worst, bad))
sys.exit(1 if bad else 0)
PY
}

# 1. the rules fixture against the python reference (GENEE, on chr21, is not covered: all missing)
scores pdb60p_v8 pdb60p_rules none > "$OUT/v8.varformer"
$REF --vcf $FIX/rules.vcf --db $FIX/rules_v8.db --region 22:1-5000 > "$OUT/v8.ref"
compare "$OUT/v8.varformer" "$OUT/v8.ref" "varID keys vs reference"

# read_genotypes keeps the file's 0/0 calls (listed coverage): the same counts
scores pdb60p_v8 pdb60p_rules_rg none > "$OUT/v8_rg.varformer"
compare "$OUT/v8_rg.varformer" "$OUT/v8.ref" "varID keys, read_genotypes vs reference"

scores pdb60p_v8skip pdb60p_rules none > "$OUT/v8skip.varformer"
$REF --vcf $FIX/rules.vcf --db $FIX/rules_v8.db --region 22:1-5000 --palindromic skip > "$OUT/v8skip.ref"
compare "$OUT/v8skip.varformer" "$OUT/v8skip.ref" "palindromic skip vs reference"

scores pdb60p_old pdb60p_rules none > "$OUT/old.varformer"
$REF --vcf $FIX/rules.vcf --db $FIX/rules_old.db --key rsid --region 22:1-5000 > "$OUT/old.ref"
compare "$OUT/old.varformer" "$OUT/old.ref" "rsID keys (older schema) vs reference"

# every matching case was exercised: the reference's counts over the fixture
awk -F'\t' '{u+=$5; f+=$6; c+=$7; s+=$8; m+=$9} END {printf "cases exercised: used %d, flipped %d, complemented %d, skipped %d, missing %d\n", u, f, c, s, m; exit !(f && c && s && m)}' "$OUT/v8.ref"

# 2. plink2 --score on the plink fixture
$REF --vcf $FIX/plink.vcf --db $FIX/plink.db --plink-weights "$OUT/plink_weights.tsv"
ncol=$(head -1 "$OUT/plink_weights.tsv" | awk -F'\t' '{print NF}')
plink2 --vcf $FIX/plink.vcf dosage=DS --make-pgen --out "$OUT/plink" > "$OUT/plink_import.log"
plink2 --pfile "$OUT/plink" --score "$OUT/plink_weights.tsv" 1 2 header-read no-mean-imputation cols=+scoresums \
       --score-col-nums 3-"$ncol" --out "$OUT/plink_score" > "$OUT/plink_score.log"
# .sscore: #IID ... <gene>_SUM columns -> sample gene sum
$PYTHON - "$OUT/plink_score.sscore" > "$OUT/plink.plink2" <<'PY'
import sys
lines = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
h = lines[0]
for r in lines[1:]:
    for i, c in enumerate(h):
        if c.endswith("_SUM") and c != "NAMED_ALLELE_DOSAGE_SUM":
            print("%s\t%s\t%s" % (r[0], c[:-4], r[i]))
PY
scores pdb60p_plink pdb60p_plink none | cut -f1-3 > "$OUT/plink.varformer"
$REF --vcf $FIX/plink.vcf --db $FIX/plink.db | cut -f1-3 > "$OUT/plink.ref"
compare "$OUT/plink.varformer" "$OUT/plink.plink2" "varformer vs plink2 --score"
scores pdb60p_plink pdb60p_plink_rg none | cut -f1-3 > "$OUT/plink_rg.varformer"
compare "$OUT/plink_rg.varformer" "$OUT/plink.plink2" "varformer (read_genotypes) vs plink2 --score"
compare "$OUT/plink.ref" "$OUT/plink.plink2" "reference vs plink2 --score"

# 3. coverage: variants the genotype does not assay are missing, as PrediXcan counts them
$REF --vcf $FIX/coverage.vcf --db $FIX/rules_v8.db --region chr22:1-5000 > "$OUT/cov.ref"
scores pdb60p_v8 pdb60p_cov none > "$OUT/cov.varformer"
compare "$OUT/cov.varformer" "$OUT/cov.ref" "listed genotypes (text) vs reference"
scores pdb60p_v8 pdb60p_cov_rg none > "$OUT/cov_rg.varformer"
compare "$OUT/cov_rg.varformer" "$OUT/cov.ref" "listed genotypes (read_genotypes, chr22) vs reference"
$REF --vcf $FIX/build37.vcf --db $FIX/rules_v8.db --region 22:1-5000 > "$OUT/b37.ref"
scores pdb60p_v8 pdb60p_b37_rg none > "$OUT/b37.varformer"
compare "$OUT/b37.varformer" "$OUT/b37.ref" "another build's alleles (read_genotypes) vs reference"
# the reference's counts say which genes predict_expression must withhold (fewer than half of
# a gene's variants used, FUSION's default): varformer's NULLs must be exactly those
"${PSQL[@]}" -tA -F $'\t' -c "
    SELECT s.sample, g.gene, predict_expression(s.gt, g.gene, 'pdb60p_v8') IS NULL
    FROM pdb60p_cov_rg s CROSS JOIN predictdb_genes('pdb60p_v8') g ORDER BY 1, 2" > "$OUT/cov_null.varformer"
awk -F'\t' '{print $1 "\t" $2 "\t" (($5 == 0 || $5 < 0.5 * $4) ? "t" : "f")}' "$OUT/cov.ref" > "$OUT/cov_null.ref"
if ! cmp -s "$OUT/cov_null.varformer" "$OUT/cov_null.ref"; then
  echo "NULL predictions differ from the reference's coverage:"; diff "$OUT/cov_null.varformer" "$OUT/cov_null.ref" | head; exit 1
fi
echo "withheld predictions: $(grep -c 't$' "$OUT/cov_null.ref") of $(wc -l < "$OUT/cov_null.ref"), as the reference's counts say"
