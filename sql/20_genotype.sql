-- genotype type: text form, validation, binary form, accessors.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;

-- round trip: phased/unphased, multi-allelic, missing, half-missing, haploid, ID, DS, symbolic
SELECT '22:100-200 150:A:G:0|1 170:C:CT,CTT:1/2'::genotype;
SELECT '22:100-200'::genotype AS empty, n_variants('22:100-200'::genotype);
SELECT 'chr1:1-1000 1:rs123:A:G:0|1:DS=0.98 5:A:T:./. 6:A:T:.|1 7:G:A:1 8:G:A:. 9:C:T:1/0:DS=1 9:C:A:0/1'::genotype;
SELECT '1:1-1000 10:1:12345:A:G:A:G:0|1 20:esv_1;rs2:T:C:1|1'::genotype AS id_with_colons;
SELECT '1:1-1000 10:A:G,T:1|2:DS=0.5,. 20:A:<DEL>:0/1:END=90 30:G:<*>:0/0:END=40 40:C:*,T:1/2 50:CAG:C:1|0 60:N:.:0|0'::genotype;
SELECT '1:1-1000 10:A:G:0|1:DS=0.3333333 11:A:G:0|1:DS=1e-07'::genotype AS float_ds;
SELECT 'HLA-A*01:01:01:01:1-3000 5:A:G:0|1'::genotype AS contig_with_colons;
-- whitespace is free on input, canonical on output; output reads back to the same value
SELECT E'  22:100-200\t150:A:G:0|1\n\n 170:C:T:1|1  '::genotype;
SELECT g::text::genotype = g AS text_round_trip
FROM (VALUES ('22:100-200 150:rs7:A:G:0|1:DS=0.98 170:C:CT,CTT:1/2 180:A:<DEL>:1:END=199'::genotype)) v(g);
-- accessors
SELECT genotype_region('chr22:10,000-20,000 15000:A:G:0|1'::genotype) AS bad_region_commas;
SELECT genotype_region('chr22:10000-20000 15000:A:G:0|1'::genotype),
       n_variants('chr22:10000-20000 15000:A:G:0|1 15001:A:T:0/1'::genotype);
-- n_variants counts calls where the sample carries an ALT (a 0|0 call kept for its DS and a
-- missing call are none); n_sites counts them all; the region's parts
SELECT n_variants(g), n_sites(g), genotype_chrom(g), genotype_start(g), genotype_end(g)
FROM (VALUES ('chr22:10000-20000 15000:A:G:0|0:DS=0.3 15001:A:T:0/1 15002:C:G:./. 15003:C:T:0 15004:C:T:1'::genotype)) v(g);
SELECT * FROM genotype_variants('1:1-1000 1:rs123:A:G:0|1:DS=0.98 5:A:T:./. 7:G:A:1 10:A:G,T:1|2:DS=0.5,. 20:A:<DEL>:0/1:END=90'::genotype);
-- dosage: DS wins, else GT count; uncalled site in region = 0; outside region or missing = NULL
SELECT dosage(g, 1, 'A', 'G') AS ds, dosage(g, 3, 'A', 'G') AS gt_count,
       dosage(g, 4, 'C', 'T') AS haploid, dosage(g, 5, 'A', 'T') AS missing,
       dosage(g, 6, 'A', 'T') AS half_missing, dosage(g, 500, 'A', 'C') AS uncalled,
       dosage(g, 2000, 'A', 'C') AS outside, dosage(g, 10, 'A', 'T') AS multi_ds_missing,
       dosage(g, 11, 'A', 'T') AS multi_gt
FROM (VALUES ('1:1-1000 1:A:G:0|1:DS=0.98 3:A:G:1/1 4:C:T:1 5:A:T:./. 6:A:T:.|1 10:A:G,T:1|2:DS=0.5,. 11:A:G,T:2|2'::genotype)) v(g);

-- storage (uncompressed encoding, genotype_send = the stored payload): 3000 biallelic SNVs
-- spread over 2 Mb, with a 9-digit rsID and a 3-decimal DS each, stay under 12 bytes a call
SELECT setseed(0.2);
CREATE TEMP TABLE gt20_calls AS
SELECT i, 20000000 + i * 666 + floor(random() * 600)::int AS p,
       (ARRAY['0|0','0|1','1|0','1|1'])[1 + floor(random() * 4)::int] AS gt,
       round(random()::numeric * 2, 3) AS ds
FROM generate_series(0, 2999) i;
CREATE TEMP TABLE gt20_size AS
SELECT ('22:20000000-21999999 ' || string_agg(format('%s:rs%s:A:G:%s:DS=%s', p, 100000000 + i, gt, ds), ' ' ORDER BY p))::genotype AS full_call,
       ('22:20000000-21999999 ' || string_agg(format('%s:A:G:%s', p, gt), ' ' ORDER BY p))::genotype AS gt_only
FROM gt20_calls;
SELECT n_sites(full_call), octet_length(full_call::text) AS text_bytes,
       octet_length(varformer_internal.genotype_send(full_call)) AS encoded_bytes,
       round(octet_length(varformer_internal.genotype_send(full_call)) / 3000.0, 2) AS bytes_per_call,
       octet_length(varformer_internal.genotype_send(gt_only)) AS encoded_bytes_gt_only,
       round(octet_length(varformer_internal.genotype_send(gt_only)) / 3000.0, 2) AS bytes_per_call_gt_only
FROM gt20_size;

-- validation errors
SELECT '22:100-200 170:A:G:0|1 150:C:T:0|1'::genotype;   -- out of order
SELECT '22:100-200 250:A:G:0|1'::genotype;               -- outside the region
SELECT '22:100-200 50:A:G:0|1'::genotype;                -- before the region
SELECT '22:100-200 150:A:G:0|2'::genotype;               -- allele index out of range
SELECT '22:100-200 150:A:X:0|1'::genotype;               -- bad base
SELECT '22:100-200 150:a:g:0|1'::genotype;               -- lower case
SELECT '22:100-200 150:A:<DUP>:0|1'::genotype;           -- unsupported symbolic allele
SELECT '22:100-200 150:A:G:0|1|1'::genotype;             -- triploid
SELECT '22:100-200 150:A:G'::genotype;                   -- too few fields
SELECT '22:100-200 150:A:G:0|1:DS=0.5,0.2'::genotype;    -- DS count
SELECT '22:100-200 150:A:G:0|1:DS=abc'::genotype;        -- DS not a number
SELECT '22:100-200 150:A:<DEL>:0|1:END=120'::genotype;   -- END before POS
SELECT '22:100-200 150:.:A:G:0|1'::genotype;             -- "." as ID
SELECT '22:200-100'::genotype;                           -- region ends before start
SELECT '22'::genotype;                                   -- region without range
SELECT '22:x-100'::genotype;                             -- region does not parse
SELECT '22:100-200 150:A:G:0|1:DS=0.5:DS=0.5'::genotype; -- DS twice
SELECT ''::genotype;                                     -- empty
SELECT '22:100-200 0150:A:G:0|1'::genotype;              -- leading zero
