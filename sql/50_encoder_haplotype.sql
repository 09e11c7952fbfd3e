SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
-- server files: relative paths resolve against the source tree (varformer.file_root), so
-- the messages below do not depend on where it lives
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

-- A person's haplotype through an encoder: the window centred on the gene's TSS after indels,
-- reverse-complemented on the minus strand when the model asks for it.
SELECT register_reference('enc50_ref', 'test/fixtures/haplotype/ref.fa') IS NOT NULL AS registered;
SELECT import_gtf('test/fixtures/haplotype/genes.gtf') > 0 AS genes;
CREATE TABLE enc50h_people AS
SELECT sample, gt FROM read_genotypes('test/fixtures/haplotype/cases.vcf.gz', 'chr22:1-1200');
SELECT load_model('enc50h_rc', 'build/generated/encoder/models/nt_v2',
                  '{"window": 60, "reverse_complement": true, "reference": "enc50_ref"}') AS status;
SELECT load_model('enc50h_fwd', 'build/generated/encoder/models/nt_v1', '{"window": 60, "reference": "enc50_ref"}') AS status;
SELECT load_model('enc50h_nowin', 'build/generated/encoder/models/nt_v1') AS status;
-- what each model is bound to (the reference as resolved, the gene table copied at load)
SELECT m.name, m.options, m.reference, m.genes,
       c.reference_sha256 = (SELECT sha256 FROM reference_genome WHERE name = 'enc50_ref') AS same_sha
FROM models m JOIN model_catalog c USING (name) WHERE m.name LIKE 'enc50h\_%' ORDER BY 1;
SELECT count(*) AS copied FROM model_gene WHERE model = 'enc50h_rc';

-- plus strand (MAPK1, TSS 101): exactly encode_sequence of haplotype_window
SELECT sample, h,
       encode_haplotype(gt, h, 'MAPK1', 'enc50h_rc')
       = encode_sequence(haplotype_window(gt, h, 'chr22', 101, 60, 'enc50_ref'), 'enc50h_rc') AS same
FROM enc50h_people, generate_series(1, 2) h
WHERE sample IN ('S1', 'S2')
ORDER BY sample, h;
-- the two haplotypes of S2 differ around the TSS, and so do their embeddings
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_rc')
       <> encode_haplotype(gt, 2, 'MAPK1', 'enc50h_rc') AS haplotypes_differ
FROM enc50h_people WHERE sample = 'S2';

-- minus strand (LINC-TEST, TSS 1100): reverse complement when the model asks, else as is
SELECT encode_haplotype(gt, 1, 'LINC-TEST', 'enc50h_rc')
       = encode_sequence(translate(reverse(haplotype_window(gt, 1, 'chr22', 1100, 60, 'enc50_ref')),
                                   'ACGTNacgtn', 'TGCANtgcan'), 'enc50h_rc') AS reverse_complemented,
       encode_haplotype(gt, 1, 'LINC-TEST', 'enc50h_fwd')
       = encode_sequence(haplotype_window(gt, 1, 'chr22', 1100, 60, 'enc50_ref'), 'enc50h_fwd') AS forward_when_not_asked
FROM enc50h_people WHERE sample = 'S1';
-- a gene can be named by versioned or unversioned id as well as by name
SELECT encode_haplotype(gt, 1, 'ENSG00000100030', 'enc50h_rc')
       = encode_haplotype(gt, 1, 'MAPK1', 'enc50h_rc') AS by_id
FROM enc50h_people WHERE sample = 'S1';

SELECT p.oid::regprocedure AS function, provolatile, proparallel, proisstrict, procost
FROM pg_proc p WHERE proname IN ('encode_haplotype', 'model_find_gene', 'gene_choose', 'find_gene')
ORDER BY p.oid;  -- creation order

-- per-call options: how this call reads the window (window, reverse_complement,
-- allow_unphased), over the model's; the result depends on the arguments only
SELECT sample,
       encode_haplotype(gt, 1, 'MAPK1', 'enc50h_fwd', '{"window": 40}')
       = encode_sequence(haplotype_window(gt, 1, 'chr22', 101, 40, 'enc50_ref'), 'enc50h_fwd') AS window_40,
       encode_haplotype(gt, 1, 'MAPK1', 'enc50h_fwd', '{}') = encode_haplotype(gt, 1, 'MAPK1', 'enc50h_fwd') AS empty_is_model,
       encode_haplotype(gt, 1, 'LINC-TEST', 'enc50h_fwd', '{"reverse_complement": true}')
       = encode_sequence(translate(reverse(haplotype_window(gt, 1, 'chr22', 1100, 60, 'enc50_ref')),
                                   'ACGTNacgtn', 'TGCANtgcan'), 'enc50h_fwd') AS rc_on,
       encode_haplotype(gt, 1, 'LINC-TEST', 'enc50h_rc', '{"reverse_complement": false, "window": 50}')
       = encode_sequence(haplotype_window(gt, 1, 'chr22', 1100, 50, 'enc50_ref'), 'enc50h_rc') AS rc_off
FROM enc50h_people WHERE sample IN ('S1', 'S2') ORDER BY sample;
-- S3 has unphased heterozygous calls near MAPK1: refused, unless the call allows them
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_rc', '{"allow_unphased": true}')
       = encode_sequence(haplotype_window(gt, 1, 'chr22', 101, 60, 'enc50_ref'), 'enc50h_rc') AS unphased_allowed
FROM enc50h_people WHERE sample = 'S3';
-- checked as load_model checks its options; what the model is bound to cannot change per call
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_fwd', '{"windows": 40}') FROM enc50h_people WHERE sample = 'S1';
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_fwd', '{"reference": "hap_plain"}') FROM enc50h_people WHERE sample = 'S1';
\set VERBOSITY terse
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_fwd', '{"window": "40"}') FROM enc50h_people WHERE sample = 'S1';
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_fwd', '{"window": 0}') FROM enc50h_people WHERE sample = 'S1';
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_fwd', '{"allow_unphased": "yes"}') FROM enc50h_people WHERE sample = 'S1';
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_fwd', '[40]') FROM enc50h_people WHERE sample = 'S1';
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_nowin', '{"window": 40}') FROM enc50h_people WHERE sample = 'S1';
\set VERBOSITY default

-- IMMUTABLE is honest: the model keeps the gene table as it was at load. Moving MAPK1's TSS
-- in the gene table changes find_gene, not the model ...
CREATE TABLE enc50h_before AS
SELECT sample, encode_haplotype(gt, 1, 'MAPK1', 'enc50h_fwd') AS e FROM enc50h_people WHERE sample IN ('S1', 'S2');
UPDATE gene SET start = 131, tss = 131 WHERE gene_name = 'MAPK1';
SELECT (find_gene('MAPK1')).tss AS table_tss, (model_find_gene('enc50h_fwd', 'MAPK1')).tss AS model_tss;
SELECT b.sample, encode_haplotype(p.gt, 1, 'MAPK1', 'enc50h_fwd') = b.e AS unchanged
FROM enc50h_before b JOIN enc50h_people p USING (sample) ORDER BY 1;
-- ... and loading the same bytes again is now different content: refused, unless replace
SELECT load_model('enc50h_fwd', 'build/generated/encoder/models/nt_v1', '{"window": 60, "reference": "enc50_ref"}');
SELECT load_model('enc50h_fwd', 'build/generated/encoder/models/nt_v1', '{"window": 60, "reference": "enc50_ref", "replace": true}') AS status;
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_fwd')
       = encode_sequence(haplotype_window(gt, 1, 'chr22', 131, 60, 'enc50_ref'), 'enc50h_fwd') AS new_tss
FROM enc50h_people WHERE sample = 'S1';
SELECT import_gtf('test/fixtures/haplotype/genes.gtf') > 0 AS restored;
-- same bytes, same options, same binding: nothing to do ("replace" is not part of the content)
SELECT load_model('enc50h_rc', 'build/generated/encoder/models/nt_v2',
                  '{"reverse_complement": true, "window": 60, "reference": "enc50_ref", "replace": false}') AS status;
-- other options under the same name are other content
SELECT load_model('enc50h_rc', 'build/generated/encoder/models/nt_v2', '{"window": 80, "reference": "enc50_ref"}');

-- the reference is bound by content: re-registered with other bytes (the bgzipped copy of
-- the same bases), the model refuses rather than give an answer from other content
SELECT register_reference('enc50_ref', 'test/fixtures/haplotype/ref.fa.gz') IS NOT NULL AS reregistered;
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_rc') FROM enc50h_people WHERE sample = 'S1';
SELECT unregister_reference('enc50_ref');
\set VERBOSITY terse
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_rc') FROM enc50h_people WHERE sample = 'S1';
\set VERBOSITY default
SELECT register_reference('enc50_ref', 'test/fixtures/haplotype/ref.fa') IS NOT NULL AS registered_again;
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_rc')
       = encode_sequence(haplotype_window(gt, 1, 'chr22', 101, 60, 'enc50_ref'), 'enc50h_rc') AS works_again
FROM enc50h_people WHERE sample = 'S1';

-- a registered FASTA rewritten on disk (another size) is refused, not read
SELECT register_reference('enc50_mutable', 'build/generated/writable/mutable.fa') AS contigs;
SELECT reference_sequence('chr22', 1, 10, 'enc50_mutable') AS before_rewrite;
DO $$ BEGIN
  EXECUTE format('COPY (SELECT %L UNION ALL SELECT %L) TO %L', '>chr22', 'ACGTACGTAC',
                 current_setting('varformer.file_root') || '/build/generated/writable/mutable.fa');
END $$;
DO $$ BEGIN
  PERFORM reference_sequence('chr22', 1, 10, 'enc50_mutable');
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  RAISE NOTICE '%: %', SQLSTATE, replace(SQLERRM, current_setting('varformer.file_root'), '$SRCDIR');
END $$;
SELECT unregister_reference('enc50_mutable');

-- refusals
\set VERBOSITY terse
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_rc') FROM enc50h_people WHERE sample = 'S3';
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_nowin') FROM enc50h_people WHERE sample = 'S1';
SELECT encode_haplotype(gt, 1, 'NO-SUCH-GENE', 'enc50h_rc') FROM enc50h_people WHERE sample = 'S1';
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_missing') FROM enc50h_people WHERE sample = 'S1';
SELECT load_model('enc50h_bad', 'build/generated/encoder/models/nt_v1', '{"window": "60"}');
SELECT load_model('enc50h_bad', 'build/generated/encoder/models/nt_v1', '{"window": 0}');
SELECT load_model('enc50h_bad', 'build/generated/encoder/models/nt_v1', '{"window": 60, "reference": 7}');
SELECT load_model('enc50h_bad', 'build/generated/encoder/models/nt_v1', '{"window": 60, "reference": "no-such-ref"}');
BEGIN;
DELETE FROM gene_annotation;
SELECT load_model('enc50h_bad', 'build/generated/encoder/models/nt_v1', '{"window": 60, "reference": "enc50_ref"}');
ROLLBACK;
\set VERBOSITY default
SELECT count(*) AS bad_not_loaded FROM models WHERE name = 'enc50h_bad';

SELECT count(unload_model(name)) AS unloaded FROM models WHERE name LIKE 'enc50h\_%';
SELECT count(*) AS copies_left FROM model_gene WHERE model LIKE 'enc50h\_%';
SELECT unregister_reference('enc50_ref');
DROP TABLE enc50h_people, enc50h_before;
DELETE FROM gene_annotation;
