SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

-- Gene annotations are named, like references: two GTFs coexist, an import replaces only its
-- own annotation's genes, and a model (or a call) says which annotation it reads.
SELECT import_gtf('test/fixtures/haplotype/genes.gtf', 'gencode') AS genes;
SET client_min_messages = error;  -- not the contig-naming WARNING (30_haplotype shows it)
SELECT import_gtf('test/fixtures/haplotype/genes_nochr.gtf', 'ensembl') AS genes;
RESET client_min_messages;
SELECT annotation, count(*) AS genes, string_agg(DISTINCT chrom, ',') AS contigs
  FROM gene GROUP BY annotation ORDER BY annotation;
SELECT name, is_default, gtf_path LIKE '%/test/fixtures/haplotype/genes%.gtf' AS absolute_path
  FROM gene_annotation ORDER BY name;
-- the same gene in both, each where its file puts it
SELECT (find_gene('MAPK1', 'gencode')).chrom AS gencode, (find_gene('MAPK1', 'ensembl')).chrom AS ensembl,
       (find_gene('ENSG00000100030', 'ensembl')).annotation;
-- two annotations and no default: a call must say which
SELECT find_gene('MAPK1');
SELECT find_gene('MAPK1', 'refseq');
SELECT find_gene('NOSUCH', 'gencode');

-- importing again into one name replaces that annotation only
CREATE TEMP TABLE ann31_before AS SELECT md5(string_agg(g::text, ';' ORDER BY gene_id)) AS h FROM gene g WHERE annotation = 'gencode';
SET client_min_messages = error;  -- not the contig-naming WARNING (30_haplotype shows it)
SELECT import_gtf('test/fixtures/haplotype/genes_nochr.gtf', 'ensembl') AS genes;
RESET client_min_messages;
SELECT import_gtf('test/fixtures/haplotype/genes.gtf', 'ensembl') AS genes;
SELECT (SELECT md5(string_agg(g::text, ';' ORDER BY gene_id)) FROM gene g WHERE annotation = 'gencode') = h
       AS gencode_untouched FROM ann31_before;
SELECT annotation, count(*) AS genes, string_agg(DISTINCT chrom, ',') AS contigs
  FROM gene GROUP BY annotation ORDER BY annotation;
SET client_min_messages = error;  -- not the contig-naming WARNING (30_haplotype shows it)
SELECT import_gtf('test/fixtures/haplotype/genes_nochr.gtf', 'ensembl') AS genes;
RESET client_min_messages;
-- the one-argument form names the annotation after the file
SELECT import_gtf('test/fixtures/haplotype/genes.gtf.gz') AS genes;
SELECT name FROM gene_annotation ORDER BY name;
-- renaming an annotation takes its genes along
UPDATE gene_annotation SET name = 'gencode_gz' WHERE name = 'genes';
SELECT annotation, count(*) FROM gene WHERE annotation LIKE 'gen%' GROUP BY 1 ORDER BY 1;
UPDATE gene_annotation SET name = 'genes' WHERE name = 'gencode_gz';
SELECT drop_annotation('genes'), drop_annotation('genes');
SELECT count(*) AS genes_of_dropped FROM gene WHERE annotation = 'genes';
SELECT import_gtf('test/fixtures/haplotype/genes.gtf', '');

-- a default makes the one-argument lookups work again
SELECT import_gtf('test/fixtures/haplotype/genes.gtf', 'gencode', is_default => true) AS genes;
SELECT (find_gene('MAPK1')).chrom, (find_gene('MAPK1')).annotation;
SELECT name, is_default FROM gene_annotation ORDER BY name;
SET client_min_messages = error;  -- not the contig-naming WARNING (30_haplotype shows it)
SELECT import_gtf('test/fixtures/haplotype/genes_nochr.gtf', 'ensembl', true) AS genes;
RESET client_min_messages;
SELECT name, is_default FROM gene_annotation ORDER BY name;
UPDATE gene_annotation SET is_default = false;
UPDATE gene_annotation SET is_default = true WHERE name = 'gencode';

-- models bind one annotation's genes at load: the named one, else the default
SELECT register_reference('ann31_ref', 'test/fixtures/haplotype/ref.fa') IS NOT NULL AS registered;
SELECT load_model('ann31_default', 'build/generated/encoder/models/nt_v1', '{"window": 60, "reference": "ann31_ref"}') AS status;
SELECT load_model('ann31_ens', 'build/generated/encoder/models/nt_v1', '{"window": 60, "reference": "ann31_ref", "annotation": "ensembl"}') AS status;
SELECT name, annotation, genes, options ->> 'annotation' AS option FROM models WHERE name LIKE 'ann31\_%' ORDER BY name;
SELECT (model_find_gene('ann31_default', 'MAPK1')).chrom AS default_model,
       (model_find_gene('ann31_ens', 'MAPK1')).chrom AS ensembl_model,
       (model_find_gene('ann31_ens', 'MAPK1')).annotation;
-- a third GTF, or a new default, changes neither model (loading one again now would bind the
-- new default: refused, a name keeps its content)
SET client_min_messages = error;  -- not the contig-naming WARNING (30_haplotype shows it)
SELECT import_gtf('test/fixtures/haplotype/genes_nochr.gtf', 'third', true) AS genes;
RESET client_min_messages;
SELECT load_model('ann31_default', 'build/generated/encoder/models/nt_v1', '{"window": 60, "reference": "ann31_ref"}') AS status;
\set VERBOSITY terse
SELECT load_model('ann31_default', 'build/generated/encoder/models/nt_v1', '{"window": 60, "reference": "ann31_ref", "annotation": "ensembl"}') AS status;
\set VERBOSITY default
SELECT drop_annotation('ensembl');
SELECT (model_find_gene('ann31_ens', 'MAPK1')).chrom AS ensembl_model_after_drop;
-- what a load may say about annotations
SELECT load_model('ann31_bad', 'build/generated/encoder/models/nt_v1', '{"window": 60, "annotation": "ensembl"}');
SELECT load_model('ann31_bad', 'build/generated/encoder/models/nt_v1', '{"window": 60, "annotation": 7}');
SELECT load_model('ann31_bad', 'build/generated/encoder/models/nt_v1', '{"annotation": "gencode"}');
SELECT load_model('ann31_bad', 'build/generated/encoder/models/nt_v1', '{"window": 60, "anotation": "gencode"}');
UPDATE gene_annotation SET is_default = false;
SELECT load_model('ann31_bad', 'build/generated/encoder/models/nt_v1', '{"window": 60}');
SELECT count(*) AS bad_not_loaded FROM models WHERE name = 'ann31_bad';

-- the registry survives pg_dump (configuration tables of the extension)
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) AS cfg(relid) JOIN pg_class c ON c.oid = cfg.relid
 WHERE e.extname = 'varformer' AND c.relname IN ('gene_annotation', 'gene') ORDER BY 1;

SELECT count(unload_model(name)) AS unloaded FROM models WHERE name LIKE 'ann31\_%';
SELECT unregister_reference('ann31_ref');
DELETE FROM gene_annotation;
SELECT count(*) AS genes_left FROM gene;
