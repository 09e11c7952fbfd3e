-- PredictDB (PrediXcan elastic net) models, predict_expression's dispatch, ensembles.
-- Fixtures: test/fixtures/predictdb/make_fixtures.py; GReX parity with the PrediXcan
-- reference and plink2 --score is checked by test/checks/60_predictdb_parity.sh.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
-- server files: relative paths resolve against the source tree (varformer.file_root), so
-- the messages below do not depend on where it lives
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

SELECT load_model('pdb60_v8', 'test/fixtures/predictdb/rules_v8.db');
SELECT load_model('pdb60_old', 'test/fixtures/predictdb/rules_old.db');
SELECT name, kind, architecture FROM models WHERE name LIKE 'pdb60%' ORDER BY name;
-- how each file was read: keys detected from the schema (varID column vs rsid only)
SELECT * FROM predictdb_model_info('pdb60_v8');
SELECT * FROM predictdb_model_info('pdb60_old');
SELECT * FROM predictdb_genes('pdb60_v8') ORDER BY gene;

-- One sample over 22:1-5000 (the GENEA/GENEB sites of rules.vcf, S1's calls, 1200 unlisted).
CREATE TEMP TABLE pdb60_gt AS SELECT
 '22:1-5000 1000:rs1000:C:T:1|1:DS=0.75 1100:rs1100:C:T:0|1 1300:rs1300:C:T:1|1 1400:rs1400:C:T:0|1 1500:rs1500:A:T:1|1 1600:rs1600:A:T:0|1'::genotype AS gt;

-- detail per gene: GENEA uses all four rules (exact, swapped, complement (1200 hom-ref), complement+swapped)
SELECT (d).n_snps_in_model, (d).n_snps_used, (d).flipped, (d).complemented, (d).skipped, (d).missing
FROM (SELECT predict_expression_detail(gt, 'ENSG00000000001.5', 'pdb60_v8') AS d FROM pdb60_gt) x;
-- GReX = sum of weight x effect-allele dosage, checked here against the weights themselves:
-- 1000 exact DS 0.75, 1100 swapped 2-1, 1200 complement 0, 1300 complement+swapped 2-2
SELECT round(predict_expression(gt, 'ENSG00000000001.5', 'pdb60_v8')::numeric, 9) AS grex,
       round((0.75 * 0.526013 + 1 * 0.682852 + 0 * -0.625534 + 0 * 0.396868)::numeric, 9) AS by_hand
FROM pdb60_gt;
-- gene ids match with or without version; an unknown gene has no prediction (NULL)
SELECT predict_expression(gt, 'ENSG00000000001', 'pdb60_v8') = predict_expression(gt, 'ENSG00000000001.5', 'pdb60_v8') AS unversioned,
       predict_expression(gt, 'ENSG00000000001.9', 'pdb60_v8') = predict_expression(gt, 'ENSG00000000001.5', 'pdb60_v8') AS other_version,
       predict_expression(gt, 'ENSG00000999999', 'pdb60_v8') IS NULL AS unknown_is_null
FROM pdb60_gt;
-- GENEB: 1400 C/T vs model C/G is skipped; palindromic 1500 (exact) and 1600 (swapped) kept
SELECT (d).n_snps_used, (d).flipped, (d).skipped, round((d).grex::numeric, 9) AS grex
FROM (SELECT predict_expression_detail(gt, 'ENSG00000000002.3', 'pdb60_v8') AS d FROM pdb60_gt) x;
-- chromosome names: chr22 and 22 are the same chromosome
SELECT predict_expression(replace(gt::text, '22:1-5000', 'chr22:1-5000')::genotype, 'ENSG00000000001.5', 'pdb60_v8')
     = predict_expression(gt, 'ENSG00000000001.5', 'pdb60_v8') AS chr_prefix
FROM pdb60_gt;
-- a gene on another chromosome than the genotype's is an error naming both
SELECT predict_expression(gt, 'ENSG00000000005.1', 'pdb60_v8') FROM pdb60_gt;
-- rsID keys (older schema): unlisted variants are missing (no positions to place them)
SELECT (d).n_snps_used, (d).flipped, (d).complemented, (d).missing, round((d).grex::numeric, 9) AS grex
FROM (SELECT predict_expression_detail(gt, 'ENSG00000000001.5', 'pdb60_old') AS d FROM pdb60_gt) x;
-- sites outside the genotype's region are missing
SELECT (predict_expression_detail('22:3000-4000'::genotype, 'ENSG00000000001.5', 'pdb60_v8')).*;

-- options: palindromic sites skipped; variant_key forced
SELECT load_model('pdb60_skip', 'test/fixtures/predictdb/rules_v8.db', '{"palindromic": "skip"}');
SELECT (d).n_snps_used, (d).skipped, round((d).grex::numeric, 9) AS grex
FROM (SELECT predict_expression_detail(gt, 'ENSG00000000002.3', 'pdb60_skip') AS d FROM pdb60_gt) x;
SELECT load_model('pdb60_rs', 'test/fixtures/predictdb/rules_v8.db', '{"variant_key": "rsid"}');
SELECT variant_key FROM predictdb_model_info('pdb60_rs');
SELECT load_model('pdb60_bad', 'test/fixtures/predictdb/rules_v8.db', '{"variant_key": "position"}');
SELECT load_model('pdb60_bad', 'test/fixtures/predictdb/rules_old.db', '{"variant_key": "varID"}');

-- bad input: clear errors
SELECT load_model('pdb60_bad', 'test/fixtures/predictdb/bad_not_sqlite.db');
SELECT load_model('pdb60_bad', 'test/fixtures/predictdb/bad_no_tables.db');
SELECT load_model('pdb60_bad', 'test/fixtures/predictdb/bad_columns.db');
SELECT load_model('pdb60_bad', 'test/fixtures/predictdb/bad_view.db');
SELECT load_model('pdb60_bad', 'test/fixtures/predictdb/bad_text_weight.db');
SELECT load_model('pdb60_bad', 'test/fixtures/predictdb/bad_nan_weight.db');
SELECT load_model('pdb60_bad', 'test/fixtures/predictdb/bad_dup_conflict.db');
SELECT load_model('pdb60_bad', 'test/fixtures/predictdb/bad_all_null.db');
-- ... or documented skips, counted: NULL weights, alleles that are not bases, repeated rows
SELECT load_model('pdb60_null', 'test/fixtures/predictdb/null_weights.db');
SELECT n_weights, skipped_null_weights, skipped_bad_alleles FROM predictdb_model_info('pdb60_null');
SELECT load_model('pdb60_dup', 'test/fixtures/predictdb/dup_rows.db');
SELECT n_weights, skipped_duplicates, genes_without_extra FROM predictdb_model_info('pdb60_dup');
-- an unversioned id shared by two versions is refused, not guessed
SELECT load_model('pdb60_versions', 'test/fixtures/predictdb/versions.db');
SELECT predict_expression(gt, 'ENSG00000000001', 'pdb60_versions') FROM pdb60_gt;
SELECT predict_expression(gt, 'ENSG00000000009', 'pdb60_versions') FROM pdb60_gt;

-- ensembles: fixed weights over other models' outputs, predicted like any model
SELECT load_model('pdb60_ens', NULL, '{"ensemble": {"pdb60_v8": 0.25, "pdb60_skip": 0.75}, "intercept": 0.5}');
SELECT round(predict_expression(gt, 'ENSG00000000002.3', 'pdb60_ens')::numeric, 9) =
       round((0.5 + 0.25 * predict_expression(gt, 'ENSG00000000002.3', 'pdb60_v8')
                  + 0.75 * predict_expression(gt, 'ENSG00000000002.3', 'pdb60_skip'))::numeric, 9) AS ensemble_ok,
       predict_expression(gt, 'ENSG00000999999', 'pdb60_ens') IS NULL AS unknown_is_null
FROM pdb60_gt;
-- an ensemble of an ensemble
SELECT load_model('pdb60_ens2', NULL, '{"ensemble": [{"model": "pdb60_ens", "weight": 2}]}');
SELECT round(predict_expression(gt, 'ENSG00000000002.3', 'pdb60_ens2')::numeric, 9) =
       round(2 * predict_expression(gt, 'ENSG00000000002.3', 'pdb60_ens')::numeric, 9) AS nested_ok
FROM pdb60_gt;
-- an ensemble that contains itself is refused at load (it would never end) ...
SELECT load_model('pdb60_loop', NULL, '{"ensemble": {"pdb60_v8": 1, "pdb60_loop": 1}}');
-- ... and one made circular by replacing a member ends at the nesting limit
SELECT load_model('pdb60_loop', NULL, '{"ensemble": {"pdb60_v8": 1}}');
SELECT load_model('pdb60_loop2', NULL, '{"ensemble": {"pdb60_loop": 1}}');
SELECT load_model('pdb60_loop', NULL, '{"ensemble": {"pdb60_loop2": 1}, "replace": true}');
SELECT predict_expression(gt, 'ENSG00000000002.3', 'pdb60_loop') FROM pdb60_gt;
SELECT load_model('pdb60_loop', NULL, '{"ensemble": {"pdb60_v8": 1}, "replace": true}');
SELECT load_model('pdb60_ens_bad', NULL, '{"ensemble": {"pdb60_v8": "x"}}');
-- members must be loaded (and predict) when the ensemble is
SELECT load_model('pdb60_ens_missing', NULL, '{"ensemble": {"pdb60_nosuch": 1}}');
SELECT predict_expression_detail(gt, 'ENSG00000000002.3', 'pdb60_ens') FROM pdb60_gt;
-- other kinds are not scored by predict_expression yet
SELECT load_model('pdb60_esm', 'build/generated/models/esm_f32');
SELECT predict_expression(gt, 'ENSG00000000002.3', 'pdb60_esm') FROM pdb60_gt;
SELECT predict_expression(gt, 'ENSG00000000002.3', 'pdb60_nosuch') FROM pdb60_gt;

-- a cohort x genes join: the genotype is matched once per sample, genes read from it
CREATE TEMP TABLE pdb60_cohort AS
SELECT i AS sample, replace(gt::text, '1000:rs1000:C:T:1|1:DS=0.75', format('1000:rs1000:C:T:1|1:DS=%s', i / 4.0))::genotype AS gt
FROM pdb60_gt, generate_series(0, 8) i;
SELECT sample, round(predict_expression(gt, 'ENSG00000000001.5', 'pdb60_v8')::numeric, 6) AS a,
       round(predict_expression(gt, 'ENSG00000000002.3', 'pdb60_v8')::numeric, 6) AS b
FROM pdb60_cohort ORDER BY sample;

-- a member an ensemble still uses cannot be unloaded
SELECT unload_model('pdb60_v8');
-- ensembles first (outermost first), then the rest
SELECT count(*) AS unloaded FROM (
  SELECT unload_model(name) FROM (
    SELECT name FROM models WHERE name LIKE 'pdb60%' ORDER BY kind <> 'ensemble', name DESC) o) u;
