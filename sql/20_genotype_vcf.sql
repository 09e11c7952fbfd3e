-- read_vcf / read_genotypes over the fixtures in test/fixtures/genotype (see make_fixtures.sh).
-- Every value read_vcf returns here is also checked against bcftools query by
-- test/checks/20_genotype_bcftools.sh.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
-- server files: relative paths resolve against the source tree (varformer.file_root), so
-- the messages below do not depend on where it lives
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

-- the whole plain-text VCF, no index needed
SELECT * FROM read_vcf('test/fixtures/genotype/sample.vcf');

-- region queries through .tbi (VCF.gz) and .csi (BCF) agree with the plain file
SELECT count(*) AS rows_vcf_gz FROM read_vcf('test/fixtures/genotype/sample.vcf.gz', 'chr22:1100-1500');
SELECT count(*) AS differences FROM (
  (SELECT * FROM read_vcf('test/fixtures/genotype/sample.vcf.gz', 'chr22:1100-1500')
   EXCEPT ALL SELECT * FROM read_vcf('test/fixtures/genotype/sample.bcf', 'chr22:1100-1500'))
  UNION ALL
  (SELECT * FROM read_vcf('test/fixtures/genotype/sample.bcf', 'chr22:1100-1500')
   EXCEPT ALL SELECT * FROM read_vcf('test/fixtures/genotype/sample.vcf', NULL) WHERE pos BETWEEN 1100 AND 1500)) d;
-- a region overlapping the <DEL> at 1500 (END=1550) from inside returns it, as bcftools -r does
SELECT DISTINCT chrom, pos, ref, alt FROM read_vcf('test/fixtures/genotype/sample.bcf', 'chr22:1520-1540');
-- sample subsets (returned in the order asked for, as bcftools query -s does), commas in region numbers, open-ended regions
SELECT sample, pos, gt, dosage FROM read_vcf('test/fixtures/genotype/sample.vcf.gz', 'chr22:1,000-1,200', ARRAY['S3', 'S1']);
SELECT count(*) FROM read_vcf('test/fixtures/genotype/sample.bcf', 'chrX:5050-', ARRAY['S2']);
SELECT count(*) FROM read_vcf('test/fixtures/genotype/sample.bcf', 'chrX');
SELECT count(*) AS declared_but_empty FROM read_vcf('test/fixtures/genotype/sample.vcf.gz', 'chrY:1-1000');
SELECT count(*) AS no_samples FROM read_vcf('test/fixtures/genotype/sample.vcf.gz', 'chr22', '{}');

-- genotypes: one per sample covering the region exactly, listing the file's records (0/0
-- calls kept: listed coverage, 21_genotype_coverage); <CN0>/<DUP> and the IUPAC REF are
-- skipped with one NOTICE each
SELECT sample, gt, n_variants(gt) FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-2200');
SELECT sample, gt FROM read_genotypes('test/fixtures/genotype/sample.bcf', 'chrX', ARRAY['S1']);
SELECT sample, genotype_region(gt) FROM read_genotypes('test/fixtures/genotype/sample.bcf', 'chr22:1,500-', ARRAY['S2']);
-- records starting before the region are left out (and counted)
SELECT sample, gt FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1520-1540');
-- the same genotypes from VCF.gz and BCF
SELECT count(*) AS same FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-1500') a
  JOIN read_genotypes('test/fixtures/genotype/sample.bcf', 'chr22:1000-1500') b USING (sample) WHERE a.gt = b.gt;
-- genotype_variants/dosage agree with read_vcf for the kept calls
SELECT v.pos, v.ref, v.alt, v.gt, v.dosage, r.gt AS vcf_gt, r.dosage AS vcf_dosage
FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-1400', ARRAY['S1']) g,
     genotype_variants(g.gt) v
     JOIN read_vcf('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-1400', ARRAY['S1']) r USING (pos);
-- a site the file does not list is unknown (NULL) in a listed genotype, 0 with coverage => 'region'
SELECT dosage(gt, 1000, 'A', 'G') AS ds_rs1, dosage(gt, 1200, 'G', 'T') AS ds_rs3_t,
       dosage(gt, 1300, 'T', 'TA') AS gt_count, dosage(gt, 1700, 'A', 'C') AS uncalled
FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-2200', ARRAY['S1']);
SELECT dosage(gt, 1700, 'A', 'C') AS uncalled_region
FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-2200', ARRAY['S1'], coverage => 'region');

-- errors, each with a clear message
SELECT * FROM read_vcf('test/fixtures/genotype/sample.vcf.gz', '22:1000-2000');          -- contig naming
SELECT * FROM read_vcf('test/fixtures/genotype/sample.vcf.gz', 'chr7:1000-2000');        -- absent contig
SELECT * FROM read_genotypes('test/fixtures/genotype/sample.bcf', '22:1000-2000');       -- contig naming (BCF)
SELECT * FROM read_vcf('test/fixtures/genotype/noindex.vcf.gz', 'chr22:1000-2000');      -- no index
SELECT * FROM read_vcf('test/fixtures/genotype/sample.vcf', 'chr22:1000-2000');          -- plain text + region
SELECT * FROM read_vcf('test/fixtures/genotype/sample.vcf.gz', 'chr22:2000-1000');       -- bad region
SELECT * FROM read_vcf('test/fixtures/genotype/sample.vcf.gz', 'chr22:abc');             -- bad region
SELECT * FROM read_vcf('test/fixtures/genotype/sample.vcf.gz', '');                      -- empty region
SELECT * FROM read_vcf('test/fixtures/genotype/sample.vcf.gz', NULL, ARRAY['S1', 'NA12878']); -- unknown sample
SELECT * FROM read_vcf('test/fixtures/genotype/sample.vcf.gz', NULL, ARRAY['S1', NULL]);  -- NULL sample
SELECT * FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', NULL);              -- region required
SELECT * FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chrY');            -- no contig length
SELECT count(*) FROM read_vcf('test/fixtures/genotype/truncated.vcf.gz');                -- truncated
SELECT count(*) FROM read_vcf('test/fixtures/genotype/shortline.vcf');                   -- short line
\set VERBOSITY terse
SELECT * FROM read_vcf('test/fixtures/genotype/nonexistent.vcf.gz');                     -- no such file
SELECT * FROM read_vcf('build/generated/genotype/unreadable.vcf');                        -- mode 000
\set VERBOSITY default
SELECT * FROM read_vcf('test/fixtures/genotype');                                        -- a directory
SELECT * FROM read_vcf('test/fixtures/genotype/make_fixtures.sh');                       -- not a VCF
-- varformer.file_root: an absolute directory or empty; empty means the data directory (as COPY)
SET varformer.file_root = 'test/fixtures';
SELECT current_setting('varformer.file_root') = :'abs_srcdir' AS unchanged;
RESET varformer.file_root;
\set VERBOSITY terse
SELECT count(*) FROM read_vcf('test/fixtures/genotype/sample.vcf');                  -- not in the data directory
\set VERBOSITY default
SET varformer.file_root = '/nonexistent';
SELECT count(*) FROM read_vcf(:'abs_srcdir' || '/test/fixtures/genotype/sample.vcf'); -- absolute: root not applied
SET varformer.file_root = :'abs_srcdir';

-- privilege: an unprivileged role may not read server files; pg_read_server_files may
CREATE ROLE gt20_reader;
SET ROLE gt20_reader;
SELECT * FROM read_vcf('test/fixtures/genotype/sample.vcf');
SELECT * FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1-2000');
RESET ROLE;
GRANT pg_read_server_files TO gt20_reader;
SET ROLE gt20_reader;
SELECT count(*) FROM read_vcf('test/fixtures/genotype/sample.vcf');
RESET ROLE;
DROP ROLE gt20_reader;
