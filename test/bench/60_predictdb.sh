#!/usr/bin/env bash
# GReX throughput: predict_expression over a cohort table against plink2 --score, same data.
#
#   data : simulated phased VCF, 10,000 samples x 10,000 SNVs on chr22 (tools/simulate_vcf.py),
#          a PredictDB model of 200 genes x 50 SNPs (varID keys; half the rows with swapped
#          alleles, so both dosage and 2 - dosage are exercised)
#   ours : SELECT sum(predict_expression(gt, gene, m)) FROM cohort CROSS JOIN genes
#          (cohort = read_genotypes over the whole region, loaded once beforehand), serial and
#          with parallel workers (ALTER TABLE cohort SET (parallel_workers = cores): the heap
#          itself is tiny, its genotypes live in TOAST, so the planner would not go parallel),
#          the parallel run also with jit = off (see below)
#   peer : plink2 --pfile --score (VCF converted to .pgen once beforehand), 200 score
#          columns, no-mean-imputation, sums; its default thread count (all cores)
# Loading is timed separately for both (read_genotypes into a table; plink2 VCF -> pgen).
# Best of 3; throughput in predictions (sample x gene) per second; ratio = ours / plink2.
# The two results are compared too (plink2 prints 6 significant digits).
set -euo pipefail
N_SAMPLES=${VF_BENCH_PDB_SAMPLES:-10000}
N_GENES=${VF_BENCH_PDB_GENES:-200}
SNPS=${VF_BENCH_PDB_SNPS:-50}
N_SITES=$((N_GENES * SNPS))
dir="$VF_GENERATED/bench/predictdb"
mkdir -p "$dir"
vcf="$dir/cohort_${N_SAMPLES}x${N_SITES}.vcf.gz"
db="$dir/model_${N_GENES}x${SNPS}.db"
if [ ! -f "$vcf.tbi" ]; then
  "$PYTHON" "$VF_ROOT/tools/simulate_vcf.py" "$N_SAMPLES" "$N_SITES" chr22 60 | bgzip -@2 -c > "$vcf.tmp"
  mv "$vcf.tmp" "$vcf"
  tabix -f -p vcf "$vcf"
fi
# the model: gene g takes sites g*SNPS .. g*SNPS+SNPS-1 (cis windows), random weights
zcat "$vcf" | grep -v '^#' | cut -f1-5 > "$dir/sites.tsv"
"$PYTHON" - "$dir/sites.tsv" "$db" "$dir/weights.tsv" "$SNPS" <<'PY'
import os, random, sqlite3, sys
sites = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
db_path, wpath, per = sys.argv[2], sys.argv[3], int(sys.argv[4])
rng = random.Random(60)
if os.path.exists(db_path):
    os.remove(db_path)
db = sqlite3.connect(db_path)
db.execute("CREATE TABLE weights (gene TEXT, rsid TEXT, varID TEXT, ref_allele TEXT, eff_allele TEXT, weight DOUBLE)")
db.execute('CREATE TABLE extra (gene TEXT, genename TEXT, "n.snps.in.model" INTEGER, "pred.perf.R2" DOUBLE, "pred.perf.pval" DOUBLE, "pred.perf.qval" DOUBLE)')
genes = []
rows = {}
for g in range(len(sites) // per):
    gene = "ENSG%011d.1" % (g + 1)
    genes.append(gene)
    for chrom, pos, rsid, ref, alt in sites[g * per:(g + 1) * per]:
        w = round(rng.uniform(-0.5, 0.5), 6)
        r, e = (ref, alt) if rng.random() < 0.5 else (alt, ref)
        db.execute("INSERT INTO weights VALUES (?,?,?,?,?,?)",
                   (gene, rsid, "%s_%s_%s_%s_b38" % (chrom, pos, ref, alt), r, e, w))
        rows.setdefault((rsid, e), {})[gene] = w
    db.execute("INSERT INTO extra VALUES (?,?,?,?,?,?)", (gene, "G%d" % g, per, 0.1, 1e-3, 1e-2))
db.commit()
db.close()
with open(wpath, "w") as f:
    f.write("ID\tA1\t" + "\t".join(genes) + "\n")
    for (vid, a1), ws in rows.items():
        f.write("%s\t%s\t%s\n" % (vid, a1, "\t".join(repr(ws.get(g, 0.0)) for g in genes)))
PY
[ "$(id -u)" -eq 0 ] && chown -R varformer_test "$dir" 2>/dev/null || true
region="chr22:1-$((16000000 + N_SITES * 200))"
rel="generated/bench/predictdb"
preds=$((N_SAMPLES * N_GENES))
PSQL=("$VF_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d postgres)
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

"${PSQL[@]}" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS varformer"
t0=$(now)
"${PSQL[@]}" > /dev/null <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS pdb60b_cohort, pdb60b_genes;
SELECT load_model('pdb60b', '$rel/$(basename "$db")', '{"replace": true}');
CREATE TABLE pdb60b_cohort AS SELECT sample, gt FROM read_genotypes('$rel/$(basename "$vcf")', '$region');
CREATE TABLE pdb60b_genes AS SELECT gene FROM predictdb_genes('pdb60b');
ALTER TABLE pdb60b_cohort SET (parallel_workers = $(nproc));
VACUUM ANALYZE pdb60b_cohort;
ANALYZE pdb60b_genes;
SQL
t1=$(now); load_ours=$(elapsed "$t0" "$t1")
t0=$(now)
plink2 --vcf "$vcf" --make-pgen --out "$dir/cohort" > "$dir/plink_import.log"
t1=$(now); load_plink=$(elapsed "$t0" "$t1")
ncol=$(head -1 "$dir/weights.tsv" | awk -F'\t' '{print NF}')

query="SELECT count(*), sum(predict_expression(c.gt, g.gene, 'pdb60b')) FROM pdb60b_cohort c CROSS JOIN pdb60b_genes g"
serial="SET max_parallel_workers_per_gather = 0;"
parallel="SET max_parallel_workers_per_gather = $(nproc); SET parallel_setup_cost = 0;"
# predict_expression's COST (1000: deep models take milliseconds a call) puts this query far
# above jit_above_cost, so every backend and worker JIT-compiles (with inlining) an
# expression whose time is all in the C function: measured with the default and jit = off.
nojit="$parallel SET jit = off;"
echo "plan (parallel):"; "${PSQL[@]}" -c "$parallel" -c "EXPLAIN (COSTS OFF) $query" | sed 's/^/  /'
best_ser=999999; best_par=999999; best_nojit=999999; best_plink=999999
for i in 1 2 3; do
  t0=$(now); out=$("${PSQL[@]}" -c "$serial" -c "$query"); t1=$(now)
  best_ser=$(awk -v d="$(elapsed "$t0" "$t1")" -v m="$best_ser" 'BEGIN { print (d < m ? d : m) }')
  t0=$(now); outp=$("${PSQL[@]}" -c "$parallel" -c "$query"); t1=$(now)
  best_par=$(awk -v d="$(elapsed "$t0" "$t1")" -v m="$best_par" 'BEGIN { print (d < m ? d : m) }')
  t0=$(now); outj=$("${PSQL[@]}" -c "$nojit" -c "$query"); t1=$(now)
  best_nojit=$(awk -v d="$(elapsed "$t0" "$t1")" -v m="$best_nojit" 'BEGIN { print (d < m ? d : m) }')
  t0=$(now)
  plink2 --pfile "$dir/cohort" --score "$dir/weights.tsv" 1 2 header-read no-mean-imputation cols=+scoresums \
         --score-col-nums 3-"$ncol" --out "$dir/score" > "$dir/plink_score.log"
  t1=$(now)
  best_plink=$(awk -v d="$(elapsed "$t0" "$t1")" -v m="$best_plink" 'BEGIN { print (d < m ? d : m) }')
done
# for scale: decoding each sample's genotype in full, rsIDs spelled out (dosage() decodes all calls;
# predict_expression with a varID model decodes without rsIDs, so a little less than this)
first=$(head -1 "$dir/sites.tsv" | awk -F'\t' '{print $2" "$4" "$5}')
read -r fpos fref falt <<< "$first"
t0=$(now); "${PSQL[@]}" -c "$serial" -c "SELECT sum(dosage(gt, $fpos, '$fref', '$falt')) FROM pdb60b_cohort" > /dev/null; t1=$(now)
decode=$(elapsed "$t0" "$t1")
# the two agree: total of all sums, and the largest per-prediction difference
"${PSQL[@]}" -c "COPY (SELECT c.sample, g.gene, predict_expression(c.gt, g.gene, 'pdb60b') FROM pdb60b_cohort c CROSS JOIN pdb60b_genes g) TO STDOUT" > "$dir/ours.tsv"
cmp_out=$("$PYTHON" - "$dir/score.sscore" "$dir/ours.tsv" <<'PY'
import sys
lines = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
h = lines[0]
plink = {}
for r in lines[1:]:
    for i, c in enumerate(h):
        if c.endswith("_SUM") and c != "NAMED_ALLELE_DOSAGE_SUM":
            plink[(r[0], c[:-4])] = float(r[i])
worst, n = 0.0, 0
for l in open(sys.argv[2]):
    s, g, v = l.rstrip("\n").split("\t")
    p = plink[(s, g)]
    worst = max(worst, abs(float(v) - p) / max(1.0, abs(p)))
    n += 1
print("%d predictions compared, max relative difference %.2g (plink2 prints 6 digits)%s" %
      (n, worst, "" if n == len(plink) and worst < 1e-5 else "  MISMATCH"))
PY
)
"${PSQL[@]}" -c "SELECT unload_model('pdb60b')" -c "DROP TABLE pdb60b_cohort, pdb60b_genes" > /dev/null
echo "data: $N_SAMPLES samples x $N_SITES SNVs, model $N_GENES genes x $SNPS SNPs = $preds predictions, $(nproc) cores"
echo "load: read_genotypes into a table ${load_ours} s; plink2 VCF -> pgen ${load_plink} s (not in the throughput)"
echo "varformer result (count|sum): serial $out, parallel $outp, parallel without JIT $outj"
echo "agreement: $cmp_out"
awk -v p="$preds" -v s="$best_ser" -v o="$best_par" -v j="$best_nojit" -v k="$best_plink" -v c="$(nproc)" -v d="$decode" 'BEGIN {
  printf "plink2 --score (%d threads)          : %.3f s  %.0f predictions/s\n", c, k, p / k
  printf "predict_expression, serial          : %.3f s  %.0f predictions/s\n", s, p / s
  printf "predict_expression, %d workers+leader: %.3f s  %.0f predictions/s\n", c, o, p / o
  printf "  the same with jit = off            : %.3f s  %.0f predictions/s\n", j, p / j
  printf "  for scale, decoding every genotype in full (dosage() over the cohort, serial): %.3f s\n", d
  printf "ratio (varformer / plink2): %.2f parallel, %.2f parallel with jit = off, %.2f serial  (goal >= 1)\n", k / o, k / j, k / s
}'
case "$cmp_out" in *MISMATCH*) exit 1;; esac
