-- PredictDB scoring when the genotype does not assay every model variant: unassayed variants
-- are missing (as PrediXcan counts them), a gene below the model's min_variant_fraction has
-- no prediction (or an error, as the model's low_coverage says), and contig naming, genome
-- build and missing-ID problems are named. Fixtures: test/fixtures/predictdb/make_fixtures.py
-- (coverage.vcf: an array-like file; build37.vcf: other alleles at the model's positions);
-- the counts are checked against the PrediXcan reference by test/checks/60_predictdb_parity.sh.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

SELECT load_model('pdb61', 'test/fixtures/predictdb/rules_v8.db');
SELECT load_model('pdb61_err', 'test/fixtures/predictdb/rules_v8.db', '{"low_coverage": "error"}');
SELECT load_model('pdb61_any', 'test/fixtures/predictdb/rules_v8.db', '{"min_variant_fraction": 0}');
SELECT load_model('pdb61_rs', 'test/fixtures/predictdb/rules_old.db');
SELECT min_variant_fraction, low_coverage FROM predictdb_model_info('pdb61');

-- the array-like file, contigs named "chr22", read with its default (listed) coverage
CREATE TEMP TABLE pdb61_cohort AS
SELECT * FROM read_genotypes('test/fixtures/predictdb/coverage.vcf.gz', 'chr22:1-5000');
-- the coverage report: GENEA fully assayed; GENEB 2 of 5 (1600 has no ALT: skipped); GENEC,
-- GENED not in the file; GENEE on chr21; GENEF 4 of 12
SELECT g.genename, d.n_snps_in_model AS n, d.n_snps_used AS used, d.skipped, d.missing,
       round(d.fraction_used::numeric, 2) AS fraction, d.status, round(d.grex::numeric, 6) AS grex,
       round(d.sum_used::numeric, 6) AS sum_used, d.note
FROM pdb61_cohort c CROSS JOIN predictdb_genes('pdb61') g
CROSS JOIN LATERAL predict_expression_detail(c.gt, g.gene, 'pdb61') d
WHERE c.sample = 'S1' ORDER BY g.gene;
-- predict_expression: a value only where the detail's status is ok
SELECT c.sample, count(*) FILTER (WHERE predict_expression(c.gt, g.gene, 'pdb61') IS NOT NULL) AS predicted,
       count(*) FILTER (WHERE d.status = 'ok') AS status_ok
FROM pdb61_cohort c CROSS JOIN predictdb_genes('pdb61') g
CROSS JOIN LATERAL predict_expression_detail(c.gt, g.gene, 'pdb61') d
GROUP BY 1 ORDER BY 1;
-- a model loaded with min_variant_fraction 0 predicts from whatever was used (not from nothing)
SELECT g.genename, round(predict_expression(c.gt, g.gene, 'pdb61_any')::numeric, 6) AS grex
FROM pdb61_cohort c CROSS JOIN predictdb_genes('pdb61') g WHERE c.sample = 'S1' ORDER BY g.gene;
-- low_coverage "error": the error names the model, the gene and why
SELECT predict_expression(gt, 'GENEA', 'pdb61_err') IS NOT NULL AS fine FROM pdb61_cohort WHERE sample = 'S1';
SELECT predict_expression(gt, 'GENEF', 'pdb61_err') FROM pdb61_cohort WHERE sample = 'S1';
SELECT predict_expression(gt, 'GENED', 'pdb61_err') FROM pdb61_cohort WHERE sample = 'S1';

-- the same file claimed to list every site (coverage => 'region'): the sites it lacks become
-- homozygous reference and every gene gets a confident number. This is why listed is the default.
SELECT g.genename, d.n_snps_used AS used, d.missing, d.status
FROM read_genotypes('test/fixtures/predictdb/coverage.vcf.gz', 'chr22:1-5000', ARRAY['S1'], coverage => 'region') c
CROSS JOIN predictdb_genes('pdb61') g
CROSS JOIN LATERAL predict_expression_detail(c.gt, g.gene, 'pdb61') d ORDER BY g.gene;

-- another genome build: the model's positions hold other alleles. Named once per statement.
SELECT c.sample, g.genename, predict_expression(c.gt, g.gene, 'pdb61') AS grex
FROM read_genotypes('test/fixtures/predictdb/build37.vcf.gz', '22:1-5000', ARRAY['S1']) c
CROSS JOIN predictdb_genes('pdb61') g WHERE g.genename IN ('GENEA', 'GENEF') ORDER BY 2;
SELECT d.status, d.skipped, d.note
FROM read_genotypes('test/fixtures/predictdb/build37.vcf.gz', '22:1-5000', ARRAY['S1']) c,
     predict_expression_detail(c.gt, 'GENEA', 'pdb61') d;
-- contig naming the model does not share (RefSeq accessions): named
SELECT predict_expression('NC_000022.11:1-5000/listed 1000:C:T:0|1 1100:C:T:0|1'::genotype, 'GENEA', 'pdb61');
SELECT status, note FROM predict_expression_detail('NC_000022.11:1-5000/listed 1000:C:T:0|1'::genotype, 'GENEA', 'pdb61');
-- "chr" prefixes are no mismatch
SELECT predict_expression('chr22:1-5000/listed 1000:C:T:0|1 1100:C:T:0|1 1200:C:T:0|0 1300:C:T:0|0'::genotype, 'GENEA', 'pdb61')
     = predict_expression('22:1-5000/listed 1000:C:T:0|1 1100:C:T:0|1 1200:C:T:0|0 1300:C:T:0|0'::genotype, 'GENEA', 'pdb61') AS chr_prefix_same;
-- an rsID-keyed model and a genotype without IDs: named
SELECT predict_expression('22:1-5000/listed 1000:C:T:0|1 1100:C:T:0|1'::genotype, 'GENEA', 'pdb61_rs');

-- gene names, case-insensitively, in predictdb and SQL annotation lookups alike: the model's
-- own names (extra.genename), then the gene table's (find_gene's rule, any version of the id)
SELECT predict_expression(gt, 'genea', 'pdb61') = predict_expression(gt, 'ENSG00000000001', 'pdb61') AS same
FROM pdb61_cohort WHERE sample = 'S1';
-- (quiet: whether its contig naming matches a reference other tests registered is beside the point)
SET client_min_messages = error;
SELECT import_gtf('test/fixtures/predictdb/genes.gtf') AS genes;
RESET client_min_messages;
SELECT (find_gene('calias')).gene_id;
SELECT (predict_expression_detail(gt, 'calias', 'pdb61')).n_snps_in_model AS calias_is_genec,
       predict_expression(gt, 'TableOnly', 'pdb61') IS NULL AS known_without_weights
FROM pdb61_cohort WHERE sample = 'S1';
SELECT predict_expression(gt, 'NOTAGENE', 'pdb61') FROM pdb61_cohort WHERE sample = 'S1';
DELETE FROM gene WHERE gene_id IN ('ENSG00000000003.2', 'ENSG00000000077.1');

-- rsid "." rows: a GTEx v8 file keys them by varID and loads; without varIDs, refused naming the gene
SELECT load_model('pdb61_dot', 'test/fixtures/predictdb/rsid_dot_v8.db');
SELECT variant_key, n_weights FROM predictdb_model_info('pdb61_dot');
SELECT round(predict_expression('22:1-5000/listed 1000:rs1000:C:T:0|1 1100:C:T:1|1 1300:C:T:0|0'::genotype, 'GENEA', 'pdb61_dot')::numeric, 6) AS grex,
       round((0.5 * 1 + 0.25 * (2 - 2) + -0.125 * (2 - 0))::numeric, 6) AS by_hand;
SELECT load_model('pdb61_bad', 'test/fixtures/predictdb/rsid_dot_v8.db', '{"variant_key": "rsid"}');
SELECT load_model('pdb61_bad', 'test/fixtures/predictdb/rsid_dot_old.db');

-- option values are checked
SELECT load_model('pdb61_bad', 'test/fixtures/predictdb/rules_v8.db', '{"min_variant_fraction": 1.5}');
SELECT load_model('pdb61_bad', 'test/fixtures/predictdb/rules_v8.db', '{"min_variant_fraction": "half"}');
SELECT load_model('pdb61_bad', 'test/fixtures/predictdb/rules_v8.db', '{"low_coverage": "warn"}');

SELECT count(unload_model(name)) AS unloaded FROM models WHERE name LIKE 'pdb61%';
