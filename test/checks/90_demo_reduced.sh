#!/usr/bin/env bash
# A reduced make demo, end to end through SQL, asserted against the simulator's ground truth
# (issue 11 point 5): the bundled simulated cohort (tools/demo/data) and trained models
# (tools/demo/models), 40 held-out people of the training population, 3 training genes (the
# deep models on one) and one held-out gene, in a database of its own. register_reference, import_gtf,
# read_genotypes, load_model (elastic net, fused, embeddings-only, and the latter's encoder
# alone), predict_expression per person, gene and model, and haplotype_window +
# encode_sequence for an independent route to the pooled embeddings. test/demo_reduced.py
# writes the inputs (a VCF of those people plus a carrier of a causal indel with it reverted
# and two people with their phase swapped) and asserts: correlation with the genetic value,
# its loss when people are permuted, a difference made by the indel, and the haplotype order
# the MLP reads (its docstring says what each catches).
set -euo pipefail
cd "$VF_ROOT"
out=$VF_GENERATED/demo_reduced
data=tools/demo/data
models=tools/demo/models
db=vf_demo_reduced
rm -rf "$out"; mkdir -p "$out"
"$PYTHON" test/demo_reduced.py prep "$data" "$models" "$out"
chmod -R a+rX "$out"; chmod a+w "$out"
[ "$(id -u)" -eq 0 ] && chown -R varformer_test "$out"

export PGOPTIONS="-c varformer.file_root=$VF_ROOT"
cleanup() {
  psql -X -q -d "$db" -c "SELECT unload_model(name) FROM models WHERE name LIKE 'dr\\_%'" \
       -c "SELECT unregister_reference('dr_sim')" >/dev/null 2>&1 || true
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
plan() { "$PYTHON" -c 'import json,sys; p=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$out/plan.json" "$1"; }
enet_genes=$(plan '",".join("'"'"'%s'"'"'" % g for g in p["genes"])')
deep_genes=$(plan '",".join("'"'"'%s'"'"'" % g for g in p["deep_genes"] + [p["indel_gene"]])')
chroms=$(plan '",".join("('"'"'%s'"'"')" % c for c in p["chroms"])')
s=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION varformer;
SELECT register_reference('dr_sim', '$data/reference.fa.gz') IS NOT NULL AS registered;
SELECT import_gtf('$data/genes.gtf') > 0 AS genes_imported;
CREATE TABLE cohort AS
SELECT r.sample, c.chrom, r.gt
FROM (VALUES $chroms) c(chrom), LATERAL read_genotypes('${out#$VF_ROOT/}/reduced.vcf.gz', c.chrom) r;
SELECT load_model('dr_enet', '$models/enet.db') IS NOT NULL AS enet;
SELECT load_model('dr_fused', '$models/fused', '{"reference": "dr_sim"}') IS NOT NULL AS fused;
SELECT load_model('dr_emb', '$models/embedding_mlp', '{"reference": "dr_sim"}') IS NOT NULL AS emb;
SELECT load_model('dr_enc', '$models/embedding_mlp/encoder') IS NOT NULL AS enc;
-- every person x gene x model, one query (the demo's join); the deep models on their genes
CREATE TABLE pred AS
SELECT m.model, c.sample, g.gene_id, predict_expression(c.gt, g.gene_id, m.model) AS predicted
FROM cohort c JOIN gene g USING (chrom)
JOIN (VALUES ('dr_enet', ARRAY[$enet_genes]), ('dr_fused', ARRAY[$deep_genes]), ('dr_emb', ARRAY[$deep_genes])) m(model, genes)
  ON g.gene_id = ANY (m.genes);
\copy (SELECT * FROM pred ORDER BY 1, 2, 3) TO '$out/pred.tsv' WITH (FORMAT csv, DELIMITER E'\t', HEADER)
-- the pooled embeddings by another route: the encoder alone on the 1 kb pieces of each
-- haplotype's 32 kb window, averaged (the rule of encoder_chunk)
CREATE TEMP TABLE win (sample text, gene_id text, chrom text, tss bigint);
\copy win FROM '$out/windows.tsv' WITH (FORMAT csv, DELIMITER E'\t', HEADER)
CREATE TABLE emb AS
SELECT w.sample, w.gene_id, h.hap,
       avg(encode_sequence(substr(haplotype_window(c.gt, h.hap, w.chrom, w.tss, 32768, 'dr_sim'), 1 + 1024 * k, 1024), 'dr_enc')) AS e
FROM win w JOIN cohort c ON c.sample = w.sample AND c.chrom = w.chrom
CROSS JOIN (VALUES (1), (2)) h(hap) CROSS JOIN generate_series(0, 31) k
GROUP BY 1, 2, 3;
\copy (SELECT sample, gene_id, hap, e::text AS e FROM emb ORDER BY 1, 2, 3) TO '$out/embeddings.tsv' WITH (FORMAT csv, DELIMITER E'\t', HEADER)
SQL
echo "SQL: $(( $(date +%s) - s )) s"
"$PYTHON" test/demo_reduced.py check "$data" "$models" "$out"
