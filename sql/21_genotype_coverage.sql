-- genotype coverage: which sites a genotype assayed. "region": every position of the region
-- (no call = homozygous reference); "listed": only the positions with a call (no call =
-- unknown). read_genotypes makes listed genotypes unless told the file lists every site.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

-- text: "/listed" after the region; the plain form is region coverage, as before
SELECT '22:100-200/listed 150:rs1:A:G:0|0 170:C:T:0|1'::genotype AS listed;
SELECT genotype_coverage('22:100-200 150:A:G:0|1'::genotype) AS plain,
       genotype_coverage('22:100-200/listed 150:A:G:0|1'::genotype) AS listed,
       '22:100-200/listed'::genotype <> '22:100-200'::genotype AS different_values;
SELECT g::text::genotype = g AS text_round_trip, genotype_coverage(g::text::genotype)
FROM (VALUES ('chr1:1-1000/listed 10:rs5:A:G,T:1|2:DS=0.5,. 20:A:<DEL>:0/0:END=90 30:G:.:0/0'::genotype)) v(g);
SELECT '22:100-200/listedx'::genotype;
SELECT '22:100-200/LISTED'::genotype;
-- n_variants counts calls carrying an ALT; n_sites every call (0/0 and missing included)
SELECT n_variants(g), n_sites(g)
FROM (VALUES ('22:100-200/listed 110:A:G:0|0 120:A:G:0|1 130:A:G:./. 140:C:T:0/0:DS=0.2 150:C:T:1'::genotype)) v(g);

-- dosage: a site without a call is 0 in a region genotype, unknown (NULL) in a listed one;
-- alleles are case-insensitive; a REF that is not the call's is an error naming both
SELECT dosage('22:100-200 150:A:G:0|1'::genotype, 160, 'A', 'G') AS region_uncalled,
       dosage('22:100-200/listed 150:A:G:0|1'::genotype, 160, 'A', 'G') AS listed_uncalled,
       dosage('22:100-200/listed 150:A:G:0|0'::genotype, 150, 'A', 'G') AS listed_ref_call,
       dosage('22:100-200/listed 150:A:G:0|1'::genotype, 150, 'a', 'g') AS lower_case,
       dosage('22:100-200/listed 150:A:G:0|1'::genotype, 150, 'A', 'T') AS other_alt,
       dosage('22:100-200/listed 150:A:G:./.'::genotype, 150, 'A', 'T') AS other_alt_missing,
       dosage('22:100-200/listed 150:A:<DEL>:0|1:END=160'::genotype, 150, 'A', '<del>') AS symbolic;
SELECT dosage('22:100-200 150:A:G:0|1'::genotype, 150, 'C', 'G');      -- wrong REF
SELECT dosage('22:100-200 150:A:G:0|1'::genotype, 150, 'R', 'G');      -- not a base
SELECT dosage('22:100-200 150:A:G:0|1'::genotype, 150, 'A', '');       -- empty ALT

-- read_genotypes: listed by default (the file's 0/0 calls kept, a site it lacks unknown);
-- coverage => 'region' for a file that lists every variant site (joint-called WGS)
SELECT sample, genotype_coverage(gt), n_variants(gt), n_sites(gt), octet_length(varformer_internal.genotype_send(gt)) AS bytes,
       dosage(gt, 2100, 'C', 'T') AS called, dosage(gt, 1700, 'A', 'C') AS not_in_file
FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-2200') ORDER BY sample;
SELECT sample, genotype_coverage(gt), n_variants(gt), n_sites(gt), octet_length(varformer_internal.genotype_send(gt)) AS bytes,
       dosage(gt, 2100, 'C', 'T') AS called, dosage(gt, 1700, 'A', 'C') AS not_in_file
FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-2200', coverage => 'region') ORDER BY sample;
SELECT * FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-2200', coverage => 'all');
-- the same calls either way, apart from the 0/0 ones
SELECT count(*) AS samples_agreeing
FROM read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-2200') l
JOIN read_genotypes('test/fixtures/genotype/sample.vcf.gz', 'chr22:1000-2200', coverage => 'region') r USING (sample)
WHERE (SELECT array_agg(v.pos ORDER BY v.pos) FROM genotype_variants(l.gt) v WHERE v.gt !~ '^0[/|]0$')
    = (SELECT array_agg(v.pos ORDER BY v.pos) FROM genotype_variants(r.gt) v WHERE v.gt !~ '^0[/|]0$');

-- storage cost of listed coverage: a 0/0 biallelic SNV costs what any SNV call costs (2 bytes
-- + its gap + its rsID), so a listed genotype costs about 6 bytes a site the file lists. Over
-- 1 Mb of a WGS-like file (30 sites a kb, 5% carried) that is 17.6x the region form (which a
-- joint-called WGS file allows); an array-like file (1 site in 3.3 kb) stays at about 2 KB.
SELECT setseed(0.21);
CREATE TEMP TABLE gt21_sites AS
SELECT i, 20000000 + i * 33 + floor(random() * 30)::int AS p,
       CASE WHEN random() < 0.05 THEN '0|1' ELSE '0|0' END AS gt
FROM generate_series(0, 29999) i;
SELECT density, octet_length(varformer_internal.genotype_send(region_form)) AS region_bytes,
       octet_length(varformer_internal.genotype_send(listed_form)) AS listed_bytes,
       round(octet_length(varformer_internal.genotype_send(listed_form))::numeric / octet_length(varformer_internal.genotype_send(region_form)), 1) AS ratio
FROM (SELECT 'wgs' AS density,
             ('22:20000000-20999999 ' || coalesce(string_agg(format('%s:rs%s:A:G:%s', p, 1000000 + i, gt), ' ' ORDER BY p) FILTER (WHERE gt <> '0|0'), ''))::genotype AS region_form,
             ('22:20000000-20999999/listed ' || string_agg(format('%s:rs%s:A:G:%s', p, 1000000 + i, gt), ' ' ORDER BY p))::genotype AS listed_form
      FROM gt21_sites
      UNION ALL
      SELECT 'array',
             ('22:20000000-20999999 ' || coalesce(string_agg(format('%s:rs%s:A:G:%s', p, 1000000 + i, gt), ' ' ORDER BY p) FILTER (WHERE gt <> '0|0'), ''))::genotype,
             ('22:20000000-20999999/listed ' || string_agg(format('%s:rs%s:A:G:%s', p, 1000000 + i, gt), ' ' ORDER BY p))::genotype
      FROM gt21_sites WHERE i % 100 = 0) x
ORDER BY density DESC;
