SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;

-- A person's haplotype through an encoder: the window centred on the gene's TSS after indels,
-- reverse-complemented on the minus strand when the model asks for it.
SELECT register_reference('enc50_ref', 'fixtures/haplotype/ref.fa') IS NOT NULL AS registered;
SELECT import_gtf('fixtures/haplotype/genes.gtf') > 0 AS genes;
CREATE TABLE enc50h_people AS
SELECT sample, gt FROM read_genotypes('fixtures/haplotype/cases.vcf.gz', 'chr22:1-1200');
SELECT load_model('enc50h_rc', 'generated/encoder/models/nt_v2', '{"window": 60, "reverse_complement": true}') AS status;
SELECT load_model('enc50h_fwd', 'generated/encoder/models/nt_v1', '{"window": 60}') AS status;
SELECT load_model('enc50h_nowin', 'generated/encoder/models/nt_v1') AS status;

-- plus strand (MAPK1, TSS 101): exactly encode_sequence of haplotype_window
SELECT sample, h,
       encode_haplotype(gt, h, 'MAPK1', 'enc50h_rc', 'enc50_ref')
       = encode_sequence(haplotype_window(gt, h, 'chr22', 101, 60, 'enc50_ref'), 'enc50h_rc') AS same
FROM enc50h_people, generate_series(1, 2) h
WHERE sample IN ('S1', 'S2')
ORDER BY sample, h;
-- the two haplotypes of S2 differ around the TSS, and so do their embeddings
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_rc', 'enc50_ref')
       <> encode_haplotype(gt, 2, 'MAPK1', 'enc50h_rc', 'enc50_ref') AS haplotypes_differ
FROM enc50h_people WHERE sample = 'S2';

-- minus strand (LINC-TEST, TSS 1100): reverse complement when the model asks, else as is
SELECT encode_haplotype(gt, 1, 'LINC-TEST', 'enc50h_rc', 'enc50_ref')
       = encode_sequence(translate(reverse(haplotype_window(gt, 1, 'chr22', 1100, 60, 'enc50_ref')),
                                   'ACGTNacgtn', 'TGCANtgcan'), 'enc50h_rc') AS reverse_complemented,
       encode_haplotype(gt, 1, 'LINC-TEST', 'enc50h_fwd', 'enc50_ref')
       = encode_sequence(haplotype_window(gt, 1, 'chr22', 1100, 60, 'enc50_ref'), 'enc50h_fwd') AS forward_when_not_asked
FROM enc50h_people WHERE sample = 'S1';
-- a gene can be named by versioned or unversioned id as well as by name
SELECT encode_haplotype(gt, 1, 'ENSG00000100030', 'enc50h_rc', 'enc50_ref')
       = encode_haplotype(gt, 1, 'MAPK1', 'enc50h_rc', 'enc50_ref') AS by_id
FROM enc50h_people WHERE sample = 'S1';

SELECT p.oid::regprocedure AS function, provolatile, proparallel, procost
FROM pg_proc p WHERE proname = 'encode_haplotype';

-- refusals
\set VERBOSITY terse
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_rc', 'enc50_ref') FROM enc50h_people WHERE sample = 'S3';
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_nowin', 'enc50_ref') FROM enc50h_people WHERE sample = 'S1';
SELECT encode_haplotype(gt, 1, 'NO-SUCH-GENE', 'enc50h_rc', 'enc50_ref') FROM enc50h_people WHERE sample = 'S1';
SELECT encode_haplotype(gt, 1, 'MAPK1', 'enc50h_missing', 'enc50_ref') FROM enc50h_people WHERE sample = 'S1';
\set VERBOSITY default

SELECT count(unload_model(name)) AS unloaded FROM models WHERE name LIKE 'enc50h\_%';
SELECT unregister_reference('enc50_ref');
DROP TABLE enc50h_people;
