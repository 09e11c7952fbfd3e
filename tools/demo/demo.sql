-- make demo: the main job end to end through SQL on the bundled simulated cohort.
-- psql variables: data (bundled data directory), models (trained models directory).
-- Run by tools/demo/run.sh, which times each
-- prediction query and prints the accuracy report (tools/demo/report.sql).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;

\echo '[demo] reference, annotation'
SELECT register_reference('sim', :'data' || '/reference.fa.gz', is_default => true) IS NOT NULL AS registered;
SELECT import_gtf(:'data' || '/genes.gtf') AS genes_imported;

\echo '[demo] cohort: one genotype per person and contig, from the VCF'
CREATE TABLE cohort (sample text, chrom text, gt genotype, PRIMARY KEY (sample, chrom));
INSERT INTO cohort
SELECT r.sample, c.chrom, r.gt
FROM (VALUES ('sim1'), ('sim2')) c(chrom),
     LATERAL read_genotypes(:'data' || '/cohort.vcf.gz', c.chrom) r;
SELECT count(DISTINCT sample) AS people, count(*) AS genotypes,
       pg_size_pretty(sum(pg_column_size(gt))) AS genotype_bytes FROM cohort;

\echo '[demo] measured expression, samples and genes (the simulator''s tables)'
CREATE TABLE sample_info (sample text PRIMARY KEY, population text, split text);
\set file :data '/samples.tsv'
COPY sample_info FROM :'file' WITH (FORMAT csv, DELIMITER E'\t', HEADER true);
CREATE TABLE expression (sample text, population text, gene_id text, expression float8,
                         PRIMARY KEY (sample, gene_id));
\set file :data '/expression.tsv'
COPY expression FROM :'file' WITH (FORMAT csv, DELIMITER E'\t', HEADER true);
CREATE TABLE gene_info (gene_id text PRIMARY KEY, gene_name text, chrom text, tss bigint, strand text,
                        split text, h2 float8, h2_class text);
CREATE TEMP TABLE gene_tsv (gene_id text, gene_name text, chrom text, tss bigint, strand text, split text,
    h2 float8, h2_class text, h2_pop1 float8, h2_pop2 float8, genetic_sd_pop1 float8, noise_sd float8,
    ref_expression float8, gene_start bigint, gene_end bigint, n_enhancers int, mechanism_start bigint,
    mechanism_end bigint, mechanism_reach bigint, promoter_var_frac float8, n_causal int, flipped_motifs text);
\set file :data '/genes.tsv'
COPY gene_tsv FROM :'file' WITH (FORMAT csv, DELIMITER E'\t', HEADER true);
INSERT INTO gene_info SELECT gene_id, gene_name, chrom, tss, strand, split, h2, h2_class FROM gene_tsv;
ALTER TABLE gene_info ADD COLUMN every_10th boolean;
UPDATE gene_info g SET every_10th = (n % 10 = 0) FROM (SELECT gene_id, row_number() OVER (ORDER BY gene_id) AS n FROM gene_info) r WHERE r.gene_id = g.gene_id;

\echo '[demo] models into shared memory'
-- genes: which genes each model's query predicts ('all', or 'every 10th' where a model's
-- calls are too slow for the demo's time budget on 2 cores: the fused model embeds 32 kb of
-- each haplotype per call)
CREATE TABLE demo_model (model text PRIMARY KEY, description text, genes text DEFAULT 'all');
SELECT load_model('enet', :'models' || '/enet.db') AS enet;
INSERT INTO demo_model VALUES ('enet', 'PrediXcan elastic net (PredictDB format), trained per gene');
-- deep models (tools/train_demo.sh): windows centred on each gene's TSS in each haplotype
SELECT load_model('enformer', :'models' || '/enformer', '{"window": 2056, "track": 0, "tss_bins": 3}') AS enformer;
INSERT INTO demo_model VALUES ('enformer', 'reference-only Enformer-style trunk (sum of 3 central bins, both haplotypes averaged)');
SELECT load_model('fused', :'models' || '/fused') AS fused;
INSERT INTO demo_model VALUES ('fused', 'UKBioFormer-style: trunk + variant-aware LM embeddings of both haplotypes + MLP, beta learned', 'every 10th');
-- the same language model's pooled embeddings through an MLP alone (Ramprasad-style), no trunk
SELECT load_model('embedding_mlp', :'models' || '/embedding_mlp') AS embedding_mlp;
INSERT INTO demo_model VALUES ('embedding_mlp', 'embeddings-only: variant-aware LM embeddings of both haplotypes + MLP (Ramprasad-style)', 'every 10th');
-- an ensemble is a fixed-weight sum of its members' raw outputs; the trunk's output is on a
-- linear scale (2^expression, tools/README-demo-models.md), the elastic net's on the
-- expression scale, so this one leans on the elastic net
SELECT load_model('ensemble', NULL, '{"ensemble": {"enet": 0.9, "enformer": 0.1}}') AS ensemble;
INSERT INTO demo_model VALUES ('ensemble', 'elastic net 0.9 + reference-only trunk 0.1 (NULL where the elastic net has no weights)');
SELECT name, kind, architecture, parameters, pg_size_pretty(bytes) AS size FROM models ORDER BY name;
