#!/usr/bin/env bash
# GReX throughput at default settings: predict_expression over a cohort table against
# plink2 --score on its own binary format, same data, as a user runs both.
#
#   data : simulated phased VCF with imputed dosages (GT:DS, tools/simulate_vcf.py --dosage),
#          10,000 samples x 10,000 SNVs on chr22, and a PredictDB model of 200 genes x 50 SNPs
#          (varID keys; about half the weights on the REF allele, so both d and 2 - d are used)
#   ours : SELECT count(*), sum(predict_expression(gt, gene, m)) FROM cohort CROSS JOIN genes
#          (cohort = read_genotypes over the whole region, loaded once beforehand), each run a
#          fresh connection with no settings at all (the planner's plan, JIT and parallelism
#          as it decides), and serially (max_parallel_workers_per_gather = 0, nothing else)
#   peer : plink2 --pfile --score (VCF converted to .pgen with dosage=DS once beforehand), 200
#          score columns, no-mean-imputation, sums; its defaults (all cores)
#   order: one warm-up round, then RUNS rounds of default, plink2, serial, plink2 (alternating,
#          so machine drift hits both); medians [min-max]; throughput in predictions
#          (sample x gene) per second; ratio = ours / plink2.
#   check: every prediction equals a NumPy float64 reference from the simulated dosages within
#          1e-8 (the dosages are multiples of 1/64, exact in every tool), and plink2's sums
#          within the 6 significant digits it prints.
# Loading is timed separately for both (read_genotypes into a table; plink2 VCF -> pgen).
set -euo pipefail
N_SAMPLES=${VF_BENCH_PDB_SAMPLES:-10000}
N_GENES=${VF_BENCH_PDB_GENES:-200}
SNPS=${VF_BENCH_PDB_SNPS:-50}
RUNS=${VF_BENCH_PDB_RUNS:-5}
N_SITES=$((N_GENES * SNPS))
dir="$VF_GENERATED/bench/predictdb"
mkdir -p "$dir"
vcf="$dir/cohort_ds_${N_SAMPLES}x${N_SITES}.vcf.gz"
npy="$dir/cohort_ds_${N_SAMPLES}x${N_SITES}.npy"
db="$dir/model_${N_GENES}x${SNPS}.db"
if [ ! -f "$vcf.tbi" ] || [ ! -f "$npy" ]; then
  "$PYTHON" "$VF_ROOT/tools/simulate_vcf.py" "$N_SAMPLES" "$N_SITES" chr22 60 --dosage "$npy" | bgzip -@2 -c > "$vcf.tmp"
  mv "$vcf.tmp" "$vcf"
  tabix -f -p vcf "$vcf"
fi
# the model: gene g takes sites g*SNPS .. g*SNPS+SNPS-1 (cis windows), random weights, the
# effect allele REF or ALT at random; the NumPy reference from the simulated dosages
zcat "$vcf" | grep -v '^#' | cut -f1-5 > "$dir/sites.tsv"
"$PYTHON" - "$dir/sites.tsv" "$db" "$dir/weights.tsv" "$SNPS" "$npy" "$dir/numpy_ref.tsv" <<'PY'
import os, random, sqlite3, sys
import numpy as np
sites = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
db_path, wpath, per, npy, refpath = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
dos = np.load(npy, mmap_mode="r")            # sites x samples, ALT dosage in 64ths
rng = random.Random(60)
if os.path.exists(db_path):
    os.remove(db_path)
db = sqlite3.connect(db_path)
db.execute("CREATE TABLE weights (gene TEXT, rsid TEXT, varID TEXT, ref_allele TEXT, eff_allele TEXT, weight DOUBLE)")
db.execute('CREATE TABLE extra (gene TEXT, genename TEXT, "n.snps.in.model" INTEGER, "pred.perf.R2" DOUBLE, "pred.perf.pval" DOUBLE, "pred.perf.qval" DOUBLE)')
genes = []
rows = {}
ref = open(refpath, "w")
for g in range(len(sites) // per):
    gene = "ENSG%011d.1" % (g + 1)
    genes.append(gene)
    score = np.zeros(dos.shape[1])
    for k, (chrom, pos, rsid, r0, a0) in enumerate(sites[g * per:(g + 1) * per]):
        w = round(rng.uniform(-0.5, 0.5), 6)
        r, e = (r0, a0) if rng.random() < 0.5 else (a0, r0)
        db.execute("INSERT INTO weights VALUES (?,?,?,?,?,?)",
                   (gene, rsid, "%s_%s_%s_%s_b38" % (chrom, pos, r0, a0), r, e, w))
        rows.setdefault((rsid, e), {})[gene] = w
        d = dos[g * per + k].astype(np.float64) / 64
        score += w * (d if e == a0 else 2 - d)
    ref.write(gene + "\t" + "\t".join(repr(float(v)) for v in score) + "\n")
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
VACUUM ANALYZE pdb60b_cohort;
ANALYZE pdb60b_genes;
SQL
t1=$(now); load_ours=$(elapsed "$t0" "$t1")
t0=$(now)
plink2 --vcf "$vcf" dosage=DS --make-pgen --out "$dir/cohort" > "$dir/plink_import.log"
t1=$(now); load_plink=$(elapsed "$t0" "$t1")
ncol=$(head -1 "$dir/weights.tsv" | awk -F'\t' '{print NF}')
read -r heap toast < <("${PSQL[@]}" -F ' ' -c "SELECT pg_relation_size('pdb60b_cohort'), pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = 'pdb60b_cohort'")

query="SELECT count(*), sum(predict_expression(c.gt, g.gene, 'pdb60b')) FROM pdb60b_cohort c CROSS JOIN pdb60b_genes g"
serial="SET max_parallel_workers_per_gather = 0"
echo "cohort table: heap $heap bytes, toast $toast bytes"
echo "plan at default settings:"
"${PSQL[@]}" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $query" | grep -v -E '^ *(Timing|Options|Functions):' | sed 's/^/  /'
echo "plan, serial:"
"${PSQL[@]}" -c "$serial" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $query" | grep -v -E '^ *(Timing|Options|Functions):' | sed 's/^/  /'
plink_run() {
  plink2 --pfile "$dir/cohort" --score "$dir/weights.tsv" 1 2 header-read no-mean-imputation cols=+scoresums \
         --score-col-nums 3-"$ncol" --out "$dir/score" > "$dir/plink_score.log"
}
# a fresh connection per query, timed as its client sees it (connection included, as for plink2)
timed() { local t0 t1; t0=$(now); "$@" > "$dir/last.out"; t1=$(now); elapsed "$t0" "$t1"; }
echo "load before: $(uptime | sed 's/.*load/load/')"
: > "$dir/timings.txt"
for r in $(seq 0 "$RUNS"); do
  a=$(timed "${PSQL[@]}" -c "$query"); out=$(cat "$dir/last.out")
  b=$(timed plink_run)
  c=$(timed "${PSQL[@]}" -c "$serial" -c "$query"); outs=$(cat "$dir/last.out")
  d=$(timed plink_run)
  [ "$r" -gt 0 ] && printf 'default %s\nplink %s\nserial %s\nplink %s\n' "$a" "$b" "$c" "$d" >> "$dir/timings.txt"
done
echo "load after: $(uptime | sed 's/.*load/load/')"
# the results: every prediction against NumPy (1e-8) and plink2 (its printed digits)
"${PSQL[@]}" -c "COPY (SELECT c.sample, g.gene, predict_expression(c.gt, g.gene, 'pdb60b') FROM pdb60b_cohort c CROSS JOIN pdb60b_genes g) TO STDOUT" > "$dir/ours.tsv"
cmp_out=$("$PYTHON" - "$dir/score.sscore" "$dir/ours.tsv" "$dir/numpy_ref.tsv" "$N_SAMPLES" <<'PY'
import sys
lines = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
h = lines[0]
plink = {}
for r in lines[1:]:
    for i, c in enumerate(h):
        if c.endswith("_SUM") and c != "NAMED_ALLELE_DOSAGE_SUM":
            plink[(r[0], c[:-4])] = float(r[i])
ref = {}
for l in open(sys.argv[3]):
    f = l.rstrip("\n").split("\t")
    for s, v in enumerate(f[1:]):
        ref[("S%04d" % s, f[0])] = float(v)
worst_p = worst_n = 0.0
n = 0
for l in open(sys.argv[2]):
    s, g, v = l.rstrip("\n").split("\t")
    v = float(v)
    worst_p = max(worst_p, abs(v - plink[(s, g)]) / max(1.0, abs(plink[(s, g)])))
    worst_n = max(worst_n, abs(v - ref[(s, g)]))
    n += 1
ok = n == len(plink) == len(ref) and worst_n <= 1e-8 and worst_p < 1e-5
print("%d predictions compared: max |varformer - NumPy float64| %.2g (goal <= 1e-8), "
      "max relative difference to plink2 %.2g (it prints 6 digits)%s" % (n, worst_n, worst_p, "" if ok else "  MISMATCH"))
PY
)
"${PSQL[@]}" -c "SELECT unload_model('pdb60b')" -c "DROP TABLE pdb60b_cohort, pdb60b_genes" > /dev/null
echo "data: $N_SAMPLES samples x $N_SITES dosage SNVs, model $N_GENES genes x $SNPS SNPs = $preds predictions, $(nproc) cores"
echo "load: read_genotypes into a table ${load_ours} s; plink2 VCF -> pgen ${load_plink} s (not in the throughput)"
echo "varformer result (count|sum): default $out, serial $outs"
echo "agreement: $cmp_out"
"$PYTHON" - "$dir/timings.txt" "$preds" "$(nproc)" <<'PY'
import statistics, sys
runs = {}
for l in open(sys.argv[1]):
    k, v = l.split()
    runs.setdefault(k, []).append(float(v))
preds, cores = int(sys.argv[2]), int(sys.argv[3])
med = {k: statistics.median(v) for k, v in runs.items()}
print("-- seconds: median [min-max] of %d runs; predictions/s from the median" % len(runs["default"]))
for k, label in (("plink", "plink2 --score (%d threads)" % cores),
                 ("default", "predict_expression, default settings"),
                 ("serial", "predict_expression, serial")):
    v = runs[k]
    print("%-40s %.3f [%.3f-%.3f]  %.0f predictions/s" % (label, med[k], min(v), max(v), preds / med[k]))
rd, rs = med["plink"] / med["default"], med["plink"] / med["serial"]
print("ratio (varformer / plink2 throughput): %.2f default (goal >= 1), %.2f serial (goal >= 0.6)" % (rd, rs))
PY
case "$cmp_out" in *MISMATCH*) exit 1;; esac
