-- Hostile server files (test/fixtures/hostile/make_hostile.sh, built by `make fixtures`):
-- each is refused with a clear error before it can hang, exhaust memory or store bad text;
-- positions above 2^31 come back unchanged.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';
\set VERBOSITY default

-- FIFOs: open() would block in the kernel, deaf to statement_timeout and cancel; refused first
SELECT * FROM read_vcf('build/generated/hostile/fifo.vcf');
SELECT * FROM read_genotypes('build/generated/hostile/fifo.vcf', 'chr1:1-100');
SELECT import_gtf('build/generated/hostile/fifo.gtf');
SELECT register_reference('fifo', 'build/generated/hostile/fifo.fa');
-- ... and the index htslib would open next to a FASTA, and a model directory's member
SELECT register_reference('fai_fifo', 'build/generated/hostile/fai_fifo.fa');
SELECT load_model('fifo_model', 'build/generated/hostile/model_fifo');
-- a character device where a file is expected
SELECT * FROM read_vcf('/dev/zero');

-- a 2 MB GTF line: refused at the 1 MB cap, before the rest of it is read
SELECT import_gtf('build/generated/hostile/long_line.gtf');
SELECT count(*) AS genes_left_behind FROM gene WHERE gene_id = 'G1';

-- invalid UTF-8 from files never becomes text
SELECT import_gtf('build/generated/hostile/bad_utf8.gtf');
SELECT * FROM read_vcf('build/generated/hostile/bad_utf8_sample.vcf');
SELECT * FROM read_genotypes('build/generated/hostile/bad_utf8_sample.vcf.gz', 'chr1:1-1000');
SELECT * FROM read_vcf('build/generated/hostile/bad_utf8_id.vcf');
SELECT register_reference('bad_utf8', 'build/generated/hostile/bad_utf8.fa');
SELECT count(*) AS registered FROM reference_contigs('bad_utf8');

-- a BCF record claiming 1 GiB: refused at the 256 MiB record cap before htslib allocates it
SELECT * FROM read_vcf('build/generated/hostile/huge_record.bcf');

-- positions above 2^31 (int4 would wrap them negative)
SELECT sample, pos, pg_typeof(pos) AS type, id, gt FROM read_vcf('build/generated/hostile/bigpos.vcf');
SELECT v.pos, v.id, v.gt
  FROM read_genotypes('build/generated/hostile/bigpos.vcf.gz', 'chr1:2147483000-3000000100') g,
       genotype_variants(g.gt) v;
SELECT dosage(gt, 3000000000, 'C', 'T') AS dosage_at_3e9
  FROM read_genotypes('build/generated/hostile/bigpos.vcf.gz', 'chr1:2147483000-3000000100');
