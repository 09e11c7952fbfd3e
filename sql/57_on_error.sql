SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';
SET max_parallel_workers_per_gather = 0;

-- A cohort x genes query meets rows it cannot predict: errors name the gene, the model and
-- the regions; varformer.on_error = 'null' (or on_error => 'null') returns NULL for them and
-- one NOTICE at the end of the statement counts them.
SELECT register_reference('oe_ref', 'test/fixtures/fused/ref.fa') IS NOT NULL AS registered;
SELECT import_gtf('test/fixtures/fused/genes.gtf') AS genes;
-- chr5 has 8000 bases: a TSS near its end, and one past it (an annotation of another build)
INSERT INTO gene (gene_id, gene_name, chrom, start, "end", strand, tss, annotation)
VALUES ('ENSG00000900003.1', 'GENEEND', 'chr5', 7900, 7950, '+', 7900, 'genes'),
       ('ENSG00000900004.1', 'GENEFAR', 'chr5', 9000, 9100, '+', 9000, 'genes');
SELECT load_model('oe_s2f', 'build/generated/predictor/models/enformer_pt', '{"reference": "oe_ref", "window": 1280}');
CREATE TABLE oe_people AS
SELECT sample, gt FROM read_genotypes('test/fixtures/fused/people.vcf.gz', 'chr5:1-8000') WHERE sample IN ('S1', 'S2')
UNION ALL
SELECT sample || '_narrow', gt FROM read_genotypes('test/fixtures/fused/people.vcf.gz', 'chr5:2500-3200') WHERE sample = 'S3';
SELECT sample, genotype_region(gt), genotype_chrom(gt), genotype_start(gt), genotype_end(gt)
FROM oe_people ORDER BY sample;

-- which rows cover which gene's window (GENEP's TSS 3000 +- 640, GENEM's 5600 +- 640)
SELECT sample, covers_gene(gt, 'GENEP', 'oe_s2f') AS genep, covers_gene(gt, 'GENEM', 'oe_s2f') AS genem,
       covers_gene(gt, 'GENEEND', 'oe_s2f') AS geneend, covers_gene(gt, 'GENEFAR', 'oe_s2f') AS genefar,
       covers_gene('chr7:1-100000'::genotype, 'GENEP', 'oe_s2f') AS other_contig
FROM oe_people ORDER BY sample;

-- by default the first bad row stops the query, the error naming gene, model and regions
-- (the genotype does not know its sample: the context says how to find the row)
SELECT sample, predict_expression(gt, 'GENEP', 'oe_s2f') FROM oe_people ORDER BY sample;
SELECT predict_expression(gt, 'GENEEND', 'oe_s2f') FROM oe_people WHERE sample = 'S1';
SELECT predict_expression(gt, 'GENEFAR', 'oe_s2f') FROM oe_people WHERE sample = 'S1';
SELECT predict_expression('chr7:1-100000'::genotype, 'GENEP', 'oe_s2f');

-- per call: NULL for the rows that cannot be predicted, one NOTICE for the statement
SELECT sample, predict_expression(gt, 'GENEP', 'oe_s2f', on_error => 'null') IS NOT NULL AS predicted
FROM oe_people ORDER BY sample;
-- ... equal to the plain call where the row can be predicted
SELECT bool_and(predict_expression(gt, 'GENEP', 'oe_s2f', on_error => 'null') = predict_expression(gt, 'GENEP', 'oe_s2f')) AS same
FROM oe_people WHERE covers_gene(gt, 'GENEP', 'oe_s2f');
-- per session: a cohort x genes query finishes; 1 + 1 + 3 + 3 calls give NULL
SET varformer.on_error = 'null';
SELECT g.gene_name, count(*) AS calls, count(predict_expression(p.gt, g.gene_name, 'oe_s2f')) AS predicted
FROM oe_people p CROSS JOIN gene g GROUP BY g.gene_name ORDER BY g.gene_name;
-- the per-call argument wins over the setting
SELECT predict_expression(gt, 'GENEP', 'oe_s2f', on_error => 'error') FROM oe_people WHERE sample = 'S3_narrow';
-- the 5-argument form (track, on_error)
SELECT sample, predict_expression(gt, 'GENEP', 'oe_s2f', 0, 'null') IS NOT NULL AS predicted FROM oe_people ORDER BY sample;
-- errors about the query itself stay errors: they would make every row NULL
SELECT predict_expression(gt, 'NOSUCHGENE', 'oe_s2f') FROM oe_people;
SELECT predict_expression(gt, 'GENEP', 'oe_nosuch') FROM oe_people;
SELECT predict_expression(gt, 'GENEP', 'oe_s2f', on_error => 'skip') FROM oe_people;
-- parallel workers' counts reach the one NOTICE of the leader
SET force_parallel_mode = on;
SET max_parallel_workers_per_gather = 2;
-- (every row fails alike, so the NOTICE does not depend on which process took which row)
SELECT count(predict_expression(p.gt, 'GENEFAR', 'oe_s2f')) AS predicted FROM oe_people p, generate_series(1, 4);
RESET force_parallel_mode;
SET max_parallel_workers_per_gather = 0;
-- inside a function, the rows are counted for the statement that called it
CREATE FUNCTION oe_count() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  SELECT count(predict_expression(gt, 'GENEP', 'oe_s2f')) INTO n FROM oe_people;
  SELECT n + count(predict_expression(gt, 'GENEM', 'oe_s2f')) INTO n FROM oe_people;
  RETURN n;
END $$;
SELECT oe_count() AS predicted;
RESET varformer.on_error;

DROP FUNCTION oe_count();
SELECT unload_model('oe_s2f');
SELECT unregister_reference('oe_ref');
DROP TABLE oe_people;
DELETE FROM gene_annotation;
