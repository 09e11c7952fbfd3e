SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

-- the samples of a VCF or BCF, in file order (what bcftools query -l prints)
SELECT * FROM vcf_samples('test/fixtures/genotype/sample.vcf.gz');
SELECT count(*) FROM vcf_samples('test/fixtures/genotype/sample.bcf');
SELECT * FROM vcf_samples('test/fixtures/genotype/odd_samples.vcf');
SELECT * FROM vcf_samples('test/fixtures/genotype/no_such.vcf.gz');

-- a sample the file does not have: an error by default, left out with a NOTICE when
-- force_samples is true (bcftools --force-samples)
SELECT sample FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-1100', ARRAY['S2', 'NA00001']);
SELECT sample, genotype_region(gt) FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-1100',
                                                    ARRAY['S2', 'NA00001', 'S1'], force_samples => true);
SELECT count(*) FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-1100', ARRAY['NA00001'], true);
SELECT sample, pos FROM read_vcf('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-1000', ARRAY['x', 'S3'], true);
-- all present: the same rows as without it
SELECT (SELECT array_agg(gt::text) FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-2200', ARRAY['S3', 'S1'], true)) =
       (SELECT array_agg(gt::text) FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-2200', ARRAY['S3', 'S1'])) AS same;

-- a whole contig from a VCF without ##contig lines: its length comes from the registered
-- default reference (chr22 of test/fixtures/haplotype/ref.fa has 1200 bases) ...
SELECT genotype_region(gt) FROM read_genotypes('test/fixtures/genotype/nocontig.vcf.gz', 'chr22', ARRAY['S1']);
SELECT register_reference('vcf21_ref', 'test/fixtures/haplotype/ref.fa', is_default => true) AS contigs;
SELECT genotype_region(gt) FROM read_genotypes('test/fixtures/genotype/nocontig.vcf.gz', 'chr22', ARRAY['S1']);
-- ... a contig the reference does not have still needs an end
SELECT genotype_region(gt) FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chrY', ARRAY['S1']);
SELECT unregister_reference('vcf21_ref');

-- import_gtf refuses a file it reads no gene from, saying why
SELECT import_gtf('test/fixtures/haplotype/ucsc_transcripts.gtf');
SELECT import_gtf('test/fixtures/haplotype/ref.fa');
SELECT import_gtf('test/fixtures/genotype/sample.vcf');
SELECT count(*) AS imported FROM gene WHERE gene_id = 'GENE1';
