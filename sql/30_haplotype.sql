-- Reference genomes, haplotypes and genes (test/fixtures/haplotype). Every haplotype here
-- is also compared byte for byte with bcftools consensus by
-- test/checks/30_haplotype_bcftools.sh; this file covers the API, errors and security.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
-- server files: relative paths resolve against the source tree (varformer.file_root), so
-- the messages below do not depend on where it lives
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

-- no reference yet
SELECT reference_sequence('chr22', 1, 10);

-- register: plain FASTA with .fai, bgzipped with .fai/.gzi; returns the contig count
SELECT register_reference('hap_plain', 'test/fixtures/haplotype/ref.fa');
SELECT name, is_default, n_contigs, fasta_path LIKE '/%/fixtures/haplotype/ref.fa' AS absolute
  FROM reference_genome ORDER BY name;
SELECT * FROM reference_contigs();
-- one reference registered: it is the default; case is kept as in the FASTA
SELECT reference_sequence('chr22', 395, 410);
SELECT register_reference('hap_bgzf', 'test/fixtures/haplotype/ref.fa.gz');
SELECT reference_sequence('chr22', 395, 410, 'hap_bgzf') = reference_sequence('chr22', 395, 410, 'hap_plain') AS same;
-- two references, none marked: NULL is ambiguous
SELECT reference_sequence('chr22', 1, 10);
SELECT register_reference('hap_plain', 'test/fixtures/haplotype/ref.fa', is_default => true);
SELECT name, is_default FROM reference_genome ORDER BY name;
SELECT reference_sequence('chr22', 1, 10);
SELECT length(reference_sequence('chr22', 1, 1200)), length(reference_sequence('chrX', 1, 300));
SELECT reference_sequence('chr22', 1, 10, 'nosuch');
SELECT reference_sequence(NULL, 1, 10) IS NULL AS null_chrom;

-- windows outside the contig
SELECT reference_sequence('chr22', 0, 10);
SELECT reference_sequence('chr22', 1190, 1201);
SELECT reference_sequence('chr22', 20, 10);

-- contig naming: the FASTA says chr22, the user says 22 (and the other way round)
SELECT reference_sequence('22', 1, 10);
SELECT register_reference('hap_nochr', 'test/fixtures/haplotype/ref22.fa');
SELECT reference_sequence('chrX', 1, 10, 'hap_nochr');
SELECT reference_sequence('MT', 1, 10, 'hap_nochr');

-- bad paths and indexes (terse for the missing file: its hint names the data directory)
\set VERBOSITY terse
SELECT register_reference('bad', 'test/fixtures/haplotype/nosuch.fa');
\set VERBOSITY default
SELECT register_reference('bad', 'test/fixtures/haplotype');
SELECT register_reference('bad', 'build/generated/haplotype/unreadable.fa');
SELECT register_reference('bad', 'test/fixtures/haplotype/ref_gzip.fa.gz');
SELECT register_reference('bad', 'build/generated/haplotype/readonly/noindex.fa');
SELECT register_reference('bad', 'test/fixtures/haplotype/genes.gtf');
SELECT register_reference('', 'test/fixtures/haplotype/ref.fa');
-- a missing index is built when the directory is writable (plain and bgzipped)
SELECT register_reference('hap_built', 'build/generated/writable/noindex.fa');
SELECT register_reference('hap_built_gz', 'build/generated/writable/ref.fa.gz');
SELECT reference_sequence('chr22', 395, 410, 'hap_built') = reference_sequence('chr22', 395, 410, 'hap_built_gz') AS same;
SELECT unregister_reference('hap_built'), unregister_reference('hap_built_gz'), unregister_reference('hap_built');

-- haplotypes: S1 at the SNV (100 G>T, 1|1), MNP (120, 0|1), insertion (140, 1|0)
CREATE TABLE hap_gt AS
  SELECT sample, gt FROM read_genotypes('test/fixtures/haplotype/cases.vcf.gz', 'chr22:1-1200');
SELECT reference_sequence('chr22', 95, 145) AS ref,
       haplotype_sequence(gt, 1, 'chr22', 95, 145) AS hap1,
       haplotype_sequence(gt, 2, 'chr22', 95, 145) AS hap2
  FROM hap_gt WHERE sample = 'S1';
-- deletion 160 TTCGG>T and the window cutting it; lower-case reference keeps its case
SELECT sample, haplotype_sequence(gt, 1, 'chr22', 155, 170) AS hap1,
       haplotype_sequence(gt, 1, 'chr22', 162, 170) AS from_inside,
       haplotype_sequence(gt, 1, 'chr22', 405, 435) AS lower_case
  FROM hap_gt ORDER BY sample;
-- coordinate map: positions before, inside and after the deletion at 160 (4 bases gone)
SELECT p, haplotype_position(gt, 1, 'chr22', 150, 200, p) AS hap_pos
  FROM hap_gt, unnest(ARRAY[150, 160, 161, 164, 165, 200]) p WHERE sample = 'S1';
SELECT substr(haplotype_sequence(gt, 1, 'chr22', 150, 200), haplotype_position(gt, 1, 'chr22', 150, 200, 165)::int, 5)
       = substr(reference_sequence('chr22', 150, 200), 16, 5) AS map_finds_base
  FROM hap_gt WHERE sample = 'S1';
SELECT haplotype_position(gt, 1, 'chr22', 150, 200, 201) FROM hap_gt WHERE sample = 'S1';
-- windows centred on a reference position after indels: S1 deletes 161-164 (1|1) and
-- inserts CGTT after 140 (1|0), so hap 1 moves 170 by 0 and hap 2 by -4
SELECT sample, h,
       haplotype_window(gt, h, 'chr22', 170, 21) AS win,
       haplotype_window(gt, h, 'chr22', 170, 21)
         = substr(haplotype_sequence(gt, h, 'chr22', 100, 300),
                  haplotype_position(gt, h, 'chr22', 100, 300, 170)::int - 10, 21) AS same_as_map,
       substr(haplotype_window(gt, h, 'chr22', 170, 21), 11, 1) = upper(reference_sequence('chr22', 170, 170)) AS centre_base
  FROM hap_gt, generate_series(1, 2) h WHERE sample IN ('S1', 'S3') ORDER BY 1, 2;
-- a genotype region too narrow to make up for the deletion
SELECT haplotype_window(g.gt, 1, 'chr22', 170, 41)
  FROM read_genotypes('test/fixtures/haplotype/cases.vcf.gz', 'chr22:150-200', ARRAY['S1']) g;
SELECT haplotype_window(g.gt, 1, 'chr22', 170, 61)
  FROM read_genotypes('test/fixtures/haplotype/cases.vcf.gz', 'chr22:150-200', ARRAY['S1']) g;

-- argument errors
SELECT haplotype_sequence(gt, 3, 'chr22', 1, 10) FROM hap_gt WHERE sample = 'S1';
SELECT haplotype_sequence(gt, 1, 'chr22', 10, 1) FROM hap_gt WHERE sample = 'S1';
SELECT haplotype_sequence(gt, 1, '22', 1, 10) FROM hap_gt WHERE sample = 'S1';
SELECT haplotype_sequence(gt, 1, 'chrX', 1, 10) FROM hap_gt WHERE sample = 'S1';
SELECT haplotype_sequence(g.gt, 1, 'chr22', 90, 130)
  FROM read_genotypes('test/fixtures/haplotype/cases.vcf.gz', 'chr22:100-200', ARRAY['S1']) g;
SELECT haplotype_sequence(gt, 1, 'chr22', 1, 10, 'hap_nochr') FROM hap_gt WHERE sample = 'S1';
SELECT haplotype_sequence(NULL, 1, 'chr22', 1, 10) IS NULL AS null_gt;
-- REF that does not match the reference: an error naming the site and both alleles
SELECT haplotype_sequence(g.gt, 1, 'chr22', 90, 200)
  FROM read_genotypes('test/fixtures/haplotype/bad_ref.vcf.gz', 'chr22:1-1200', ARRAY['S1']) g;
-- ... but a window that does not include it is fine
SELECT haplotype_sequence(g.gt, 1, 'chr22', 90, 110)
  FROM read_genotypes('test/fixtures/haplotype/bad_ref.vcf.gz', 'chr22:1-1200', ARRAY['S1']) g;

-- genes
SELECT import_gtf('test/fixtures/haplotype/genes.gtf');
SELECT gene_id, gene_name, chrom, start, "end", strand, tss, gene_type, gene_id_unversioned
  FROM gene ORDER BY gene_id;
-- gzipped, same content, same name (genes): the annotation is replaced, not duplicated
SELECT import_gtf('test/fixtures/haplotype/genes.gtf.gz');
SELECT count(*) FROM gene;
SELECT (find_gene('ENSG00000100030.15')).gene_name, (find_gene('ENSG00000100030')).gene_name,
       (find_gene('MAPK1')).gene_id, (find_gene('ENSG00000002586')).chrom,
       (find_gene('ENSG00000002586.20_PAR_Y')).chrom;
SELECT find_gene('CD99');
SELECT find_gene('NOSUCH');
SELECT import_gtf('test/fixtures/haplotype/bad.gtf');
\set VERBOSITY terse
SELECT import_gtf('test/fixtures/haplotype/nosuch.gtf');
\set VERBOSITY default
SELECT import_gtf('test/fixtures/haplotype');
-- a gene's TSS window through the haplotype: MAPK1 (+ strand) starts at 101
SELECT g.tss, haplotype_position(h.gt, 1, g.chrom, g.tss - 50, g.tss + 50, g.tss) AS tss_in_hap1
  FROM gene g, hap_gt h WHERE g.gene_name = 'MAPK1' AND h.sample = 'S1';
-- a GTF named the other way than the default reference: imported, with a warning
SELECT import_gtf('test/fixtures/haplotype/genes_nochr.gtf');
SELECT drop_annotation('genes_nochr');

-- security: reading server files needs superuser or pg_read_server_files
CREATE ROLE hap_nobody LOGIN;
CREATE ROLE hap_reader LOGIN IN ROLE pg_read_server_files;
GRANT SELECT ON hap_gt TO hap_nobody;
SET ROLE hap_nobody;
SELECT register_reference('x', 'test/fixtures/haplotype/ref.fa');
SELECT import_gtf('test/fixtures/haplotype/genes.gtf');
SELECT unregister_reference('hap_plain');
-- a registered reference is usable by everyone
SELECT reference_sequence('chr22', 395, 410);
SELECT haplotype_sequence(gt, 1, 'chr22', 95, 105) FROM hap_gt WHERE sample = 'S1';
SELECT (find_gene('MAPK1')).tss;
RESET ROLE;
SET ROLE hap_reader;
SELECT register_reference('hap_reader_ref', 'test/fixtures/haplotype/ref.fa');
SELECT import_gtf('test/fixtures/haplotype/genes.gtf');
SELECT unregister_reference('hap_reader_ref');
RESET ROLE;
REVOKE SELECT ON hap_gt FROM hap_nobody;
DROP ROLE hap_nobody;
DROP ROLE hap_reader;

-- the registry survives pg_dump (configuration table of the extension)
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) AS cfg(relid) JOIN pg_class c ON c.oid = cfg.relid
 WHERE e.extname = 'varformer' AND c.relname IN ('reference_genome', 'gene') ORDER BY 1;

DROP TABLE hap_gt;
SELECT unregister_reference('hap_bgzf'), unregister_reference('hap_nochr');
DELETE FROM gene_annotation;
