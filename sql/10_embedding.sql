-- 10_embedding: the embedding type. Errors are followed by \echo :LAST_ERROR_SQLSTATE so the
-- expected output pins the SQLSTATE as well as the message.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
SET extra_float_digits = 0;

-- Text form: pgvector's, whitespace tolerated, shortest round-trip output.
SELECT '[1,2.5,-3e-2]'::embedding;
SELECT '  [ 1 ,	2 ,3 ]  '::embedding;
SELECT '[0.1, 1e-7, -0, 3.4e38, 1e-40]'::embedding;
SELECT '[0.1,1e-7,-0,3.4e38]'::embedding::text::embedding = '[0.1,1e-7,-0,3.4e38]'::embedding AS round_trip;

-- Bad text input.
SELECT '[]'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '[ ]'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '[1,NaN]'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '[Infinity]'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '[-inf,1]'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '[1,1e39]'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '[-1e400]'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '[1,x2]'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '[1,2]x'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '[1 2]'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '[1,,2]'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '[1,2,]'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '{1,2}'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '[1,2'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '[1,'::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '['::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT ''::embedding;
\echo :LAST_ERROR_SQLSTATE
-- Long inputs are abbreviated in the message; the detail points at the bad token.
SELECT ('[' || repeat('1.5, ', 100) || 'x]')::embedding;
\echo :LAST_ERROR_SQLSTATE

-- Dimension limit: 16000 is allowed, 16001 is not (text, arrays and typmods alike).
SELECT dims(('[' || array_to_string(array_fill(0.5, ARRAY[16000]), ',') || ']')::embedding);
SELECT dims(('[' || array_to_string(array_fill(0.5, ARRAY[16001]), ',') || ']')::embedding);
\echo :LAST_ERROR_SQLSTATE
SELECT dims(array_fill(1, ARRAY[16001])::embedding);
\echo :LAST_ERROR_SQLSTATE
SELECT NULL::embedding(16000);
SELECT NULL::embedding(16001);
\echo :LAST_ERROR_SQLSTATE
SELECT NULL::embedding(0);
\echo :LAST_ERROR_SQLSTATE
SELECT NULL::embedding(2, 3);
\echo :LAST_ERROR_SQLSTATE

-- Typmods: checked on literals, casts, inserts, updates and COPY.
CREATE TABLE emb10_items (id int PRIMARY KEY, e embedding(3));
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'emb10_items'::regclass AND attname = 'e';
INSERT INTO emb10_items VALUES (1, '[1,2,3]'), (2, '[4,5,6]'), (3, '[1,1,1]'), (4, '[0,0,0]');
INSERT INTO emb10_items VALUES (5, '[1,2]');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO emb10_items VALUES (5, '{1,2,3,4}'::real[]);
\echo :LAST_ERROR_SQLSTATE
UPDATE emb10_items SET e = '[1,2,3,4]'::embedding WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
SELECT '[1,2]'::embedding(3);
\echo :LAST_ERROR_SQLSTATE
SELECT '[1,2]'::embedding::embedding(2), '[1,2]'::embedding::embedding(3);
\echo :LAST_ERROR_SQLSTATE

-- Casts from and to arrays.
SELECT '{1,2.5,-3}'::real[]::embedding, '{1.5,2e-3}'::float8[]::embedding,
       '{1,-2,16777217}'::int[]::embedding, '[1,2.5]'::embedding::real[];
SELECT ARRAY[1,2,3]::embedding(3);
INSERT INTO emb10_items VALUES (5, ARRAY[2,2,2]), (6, ARRAY[0.5,0.5,0.5]::real[]);
SELECT '{}'::real[]::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '{1,NULL}'::real[]::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '{{1,2},{3,4}}'::real[]::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '{1,NaN}'::real[]::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '{-Infinity}'::float8[]::embedding;
\echo :LAST_ERROR_SQLSTATE
SELECT '{1,1e39}'::float8[]::embedding;
\echo :LAST_ERROR_SQLSTATE

-- Error messages quote at most 60 bytes of the input, cut at a character boundary (the 'é'
-- straddling byte 60 is left out whole, never halved into invalid UTF-8).
SELECT ('[' || repeat('1,', 29) || repeat('é', 10) || ']')::embedding;
SELECT ('[1,' || repeat('é', 30) || ']')::embedding;

-- Binary: send's bytes; recv through COPY (FORMAT binary) from files that `make fixtures`
-- writes (test/fixtures/embedding/make_binary.sh) into build/generated/embedding; sending
-- what was received gives the file's bytes back.
\getenv abs_srcdir PG_ABS_SRCDIR
\set bin :abs_srcdir '/build/generated/embedding/'
SELECT varformer_internal.embedding_send('[1,-2.5]');
CREATE TABLE emb10_bin (e embedding(3));
\set f :bin 'good.bin'
COPY emb10_bin FROM :'f' (FORMAT binary);
SELECT e, position(varformer_internal.embedding_send(e) IN pg_read_binary_file(:'bin' || 'good.bin')) > 0 AS send_matches_file
  FROM emb10_bin;
-- Malformed binary input, one file per defect.
CREATE TABLE emb10_bin_any (e embedding);
\set f :bin 'short.bin'
COPY emb10_bin_any FROM :'f' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
\set f :bin 'long.bin'
COPY emb10_bin_any FROM :'f' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
\set f :bin 'header_only.bin'
COPY emb10_bin_any FROM :'f' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
\set f :bin 'dim_zero.bin'
COPY emb10_bin_any FROM :'f' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
\set f :bin 'dim_negative.bin'
COPY emb10_bin_any FROM :'f' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
\set f :bin 'dim_over.bin'
COPY emb10_bin_any FROM :'f' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
\set f :bin 'unused.bin'
COPY emb10_bin_any FROM :'f' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
\set f :bin 'nan.bin'
COPY emb10_bin_any FROM :'f' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
\set f :bin 'inf.bin'
COPY emb10_bin_any FROM :'f' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE emb10_bin2 (e embedding(2));
\set f :bin 'good.bin'
COPY emb10_bin2 FROM :'f' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS rows_after_bad_copies FROM emb10_bin_any;

-- Distances. [1,2,3] vs [4,5,6]: L2 sqrt(27), L1 9, dot 32, cosine 1 - 32/sqrt(14*77).
SELECT '[1,2,3]'::embedding <-> '[4,5,6]' AS l2,
       l2_distance('[1,2,3]', '[4,5,6]') AS l2_fn,
       '[1,2,3]'::embedding <=> '[4,5,6]' AS cos,
       cosine_distance('[1,2,3]', '[4,5,6]') AS cos_fn,
       1 - 32 / sqrt(14 * 77.0) AS cos_expected,
       '[1,2,3]'::embedding <#> '[4,5,6]' AS neg_ip,
       inner_product('[1,2,3]', '[4,5,6]') AS ip,
       l1_distance('[1,2,3]', '[4,5,6]') AS l1;
SELECT cosine_similarity('[1,0]', '[0,1]') AS orthogonal, cosine_similarity('[1,1]', '[2,2]') AS same,
       cosine_similarity('[1,1]', '[-3,-3]') AS opposite, '[1,1]'::embedding <=> '[-3,-3]' AS dist_opposite;
-- The angle to the zero vector is undefined.
SELECT '[0,0]'::embedding <=> '[1,1]' AS cos_zero, cosine_similarity('[1,1]', '[0,0]') AS sim_zero;
SELECT dims('[1,2,3]'::embedding), l2_norm('[3,4]'), l2_normalize('[3,4]'), l2_normalize('[0,0]');
-- Float sums that overflow or underflow are redone in double: huge and tiny elements work.
SELECT l2_norm('[3e38,3e38]'::embedding) AS huge_norm, '[2e30]'::embedding <-> '[-2e30]' AS huge_l2,
       l2_normalize('[3e-30,4e-30]') AS tiny_normalized, '[1e-30,0]'::embedding <=> '[1e-30,1e-30]' AS tiny_cos,
       l1_distance('[3e38]', '[-3e38]') AS huge_l1;
SELECT '[1,2]'::embedding <-> '[1,2,3]';
\echo :LAST_ERROR_SQLSTATE
SELECT '[1,2]'::embedding <=> '[1,2,3]';
\echo :LAST_ERROR_SQLSTATE
SELECT inner_product('[1,2]', '[1,2,3]');
\echo :LAST_ERROR_SQLSTATE
SELECT l1_distance('[1,2]', '[1,2,3]');
\echo :LAST_ERROR_SQLSTATE

-- Nearest neighbours: the operators order rows as distances should.
SELECT id, e, round((e <-> '[1,1,1]')::numeric, 4) AS l2 FROM emb10_items ORDER BY e <-> '[1,1,1]', id LIMIT 3;
SELECT id, e FROM emb10_items WHERE id <> 4 ORDER BY e <=> '[1,1,1]', id LIMIT 4;
SELECT id, e FROM emb10_items ORDER BY e <#> '[1,1,1]', id LIMIT 2;

-- Element-wise arithmetic.
SELECT '[1,2,3]'::embedding + '[4,5,6]', '[1,2,3]'::embedding - '[4,5,6]', '[1,2,3]'::embedding * '[4,5,6]';
SELECT '[3e38]'::embedding + '[3e38]';
\echo :LAST_ERROR_SQLSTATE
SELECT '[-3e38]'::embedding - '[3e38]';
\echo :LAST_ERROR_SQLSTATE
SELECT '[1,1e20]'::embedding * '[1,1e20]';
\echo :LAST_ERROR_SQLSTATE
SELECT '[1,2]'::embedding + '[1,2,3]';
\echo :LAST_ERROR_SQLSTATE

-- subembedding(e, start, count): 1-based, clipped to the embedding like substring().
SELECT subembedding('[1,2,3,4,5]', 2, 3), subembedding('[1,2,3,4,5]', 4, 10), subembedding('[1,2,3,4,5]', -1, 3),
       subembedding('[1,2,3]', 1, 2147483647) AS huge_count;
SELECT subembedding('[1,2,3]', 2147483647, 2147483647);
\echo :LAST_ERROR_SQLSTATE
SELECT subembedding('[1,2,3]', 4, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT subembedding('[1,2,3]', 1, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT subembedding('[1,2,3]', -5, 2);
\echo :LAST_ERROR_SQLSTATE

-- Total order: lexicographic on elements, then shorter first; -0 equals 0.
SELECT e FROM (VALUES ('[1,2]'::embedding), ('[1,2,0]'), ('[0,9,9]'), ('[1,1]'), ('[-1]'), ('[1]')) v(e) ORDER BY e;
SELECT '[0,-0]'::embedding = '[-0,0]' AS zeros_equal, '[1,2]'::embedding < '[1,2,0]' AS shorter_first,
       '[1,2]'::embedding <> '[1,3]' AS ne, '[2]'::embedding > '[1,9]' AS gt, '[1,2]'::embedding >= '[1,2]' AS ge,
       '[1,2]'::embedding <= '[1,2]' AS le, varformer_internal.embedding_cmp('[1,2]', '[1,3]') AS cmp;
SELECT varformer_internal.embedding_hash('[0,-0]') = varformer_internal.embedding_hash('[-0,0]') AS hash_zeros,
       varformer_internal.embedding_hash_extended('[0,-0]', 7) = varformer_internal.embedding_hash_extended('[-0,0]', 7) AS hash_ext_zeros,
       varformer_internal.embedding_hash('[1,2]') <> varformer_internal.embedding_hash('[2,1]') AS hash_order_matters;
CREATE TABLE emb10_dup (e embedding);
INSERT INTO emb10_dup VALUES ('[1,2]'), ('[1,2]'), ('[0,-0]'), ('[-0,0]'), ('[3]'), ('[1,2,0]');
SELECT DISTINCT e FROM emb10_dup ORDER BY e;
-- Same groups whether the planner sorts or hashes.
SET enable_hashagg = off;
SELECT e, count(*) FROM emb10_dup GROUP BY e ORDER BY e;
RESET enable_hashagg;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT e, count(*) FROM emb10_dup GROUP BY e;
SELECT e, count(*) FROM emb10_dup GROUP BY e ORDER BY count(*), e::text;
RESET enable_sort;
-- Hash join and merge join find the same pairs (-0 matches 0).
SET enable_mergejoin = off; SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM emb10_dup a JOIN emb10_dup b ON a.e = b.e;
SELECT count(*) FROM emb10_dup a JOIN emb10_dup b ON a.e = b.e;
RESET enable_mergejoin; SET enable_hashjoin = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM emb10_dup a JOIN emb10_dup b ON a.e = b.e;
SELECT count(*) FROM emb10_dup a JOIN emb10_dup b ON a.e = b.e;
RESET enable_hashjoin; RESET enable_nestloop;
-- Unique indexes (btree and, through the hash opclass, hash-partitioned tables).
CREATE UNIQUE INDEX emb10_items_e ON emb10_items (e);
INSERT INTO emb10_items VALUES (7, '[1,2,3]');
\echo :LAST_ERROR_SQLSTATE
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM emb10_items WHERE e = '[4,5,6]';
SELECT id FROM emb10_items WHERE e = '[4,5,6]';
RESET enable_seqscan;
CREATE TABLE emb10_hashpart (e embedding) PARTITION BY HASH (e);
CREATE TABLE emb10_hashpart_0 PARTITION OF emb10_hashpart FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE emb10_hashpart_1 PARTITION OF emb10_hashpart FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO emb10_hashpart SELECT e FROM emb10_dup;
SELECT count(DISTINCT tableoid) AS partitions_holding_zero FROM emb10_hashpart WHERE e = '[0,0]';

-- Aggregates: NULLs skipped, no rows gives NULL, mixed dimensions refused.
SELECT avg(e), sum(e) FROM emb10_items;
SELECT avg(e), sum(e) FROM (VALUES ('[1,2]'::embedding), (NULL), ('[3,5]')) v(e);
SELECT avg(e) IS NULL AS avg_null, sum(e) IS NULL AS sum_null FROM emb10_items WHERE false;
SELECT avg(e) FROM (VALUES ('[1,2]'::embedding), ('[3]')) v(e);
\echo :LAST_ERROR_SQLSTATE
SELECT sum(e) FROM (VALUES ('[3e38]'::embedding), ('[3e38]')) v(e);
\echo :LAST_ERROR_SQLSTATE
SELECT id % 2 AS parity, avg(e) FROM emb10_items GROUP BY id % 2 ORDER BY 1;

-- Storage: 768-d values (3080 bytes) stay inline in the heap, untoasted (README, "Storage").
-- sin() gives incompressible, reproducible elements (constant ones would just compress).
SELECT typstorage FROM pg_type WHERE typname = 'embedding';
CREATE TABLE emb10_wide (e embedding(768));
INSERT INTO emb10_wide
SELECT (SELECT array_agg(sin(g * 768 + i)::real ORDER BY i) FROM generate_series(1, 768) i)::embedding
  FROM generate_series(1, 20) g;
SELECT pg_column_size(e) AS bytes, count(*) FROM emb10_wide GROUP BY 1;
SELECT pg_relation_size(reltoastrelid) AS toast_bytes, pg_relation_size(oid) / current_setting('block_size')::int AS heap_pages
  FROM pg_class WHERE relname = 'emb10_wide';
-- Rows too large for a page still go to TOAST, and read back intact.
CREATE TABLE emb10_huge (g int, e embedding);
INSERT INTO emb10_huge
SELECT g, (SELECT array_agg(sin(g * 16000 + i)::real ORDER BY i) FROM generate_series(1, 16000) i)::embedding
  FROM generate_series(1, 2) g;
SELECT g, dims(e), e = (SELECT array_agg(sin(g * 16000 + i)::real ORDER BY i) FROM generate_series(1, 16000) i)::embedding AS intact
  FROM emb10_huge ORDER BY g;
SELECT pg_relation_size(reltoastrelid) > 0 AS toasted FROM pg_class WHERE relname = 'emb10_huge';

-- The planner's cost of a distance follows the dimension when it is known (a typmod or a
-- constant): 1 + dim / 16 in cpu_operator_cost units, else the declared COST 5.
CREATE FUNCTION emb10_per_row_cost(q text, base text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
  a json; b json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO a;
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || base INTO b;
  RETURN round((((a -> 0 -> 'Plan' ->> 'Total Cost')::float8 - (b -> 0 -> 'Plan' ->> 'Total Cost')::float8)
                / (a -> 0 -> 'Plan' ->> 'Plan Rows')::float8 / current_setting('cpu_operator_cost')::float8)::numeric, 2);
END $$;
ANALYZE emb10_wide;
SELECT emb10_per_row_cost('SELECT e <=> e FROM emb10_wide', 'SELECT e FROM emb10_wide') AS typmod_768,
       emb10_per_row_cost('SELECT l2_distance(e::embedding, ''[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]'') FROM emb10_wide',
                          'SELECT e::embedding FROM emb10_wide') AS constant_16,
       emb10_per_row_cost('SELECT e::embedding <#> e::embedding FROM emb10_wide', 'SELECT e::embedding FROM emb10_wide') AS unknown;
DROP FUNCTION emb10_per_row_cost(text, text);

-- Every function is IMMUTABLE and PARALLEL SAFE; only the aggregate transition and combine
-- functions, which must see NULL states, are not STRICT. Listed: the exceptions.
SELECT p.proname, p.provolatile, p.proparallel, p.proisstrict
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'varformer'
 WHERE p.prokind = 'f'
   AND (p.proname LIKE 'embedding%' OR p.prorettype = 'embedding'::regtype
        OR 'embedding'::regtype = ANY (p.proargtypes::oid[]))
   AND (p.provolatile <> 'i' OR p.proparallel <> 's' OR NOT p.proisstrict)
 ORDER BY 1;

DROP TABLE emb10_items, emb10_bin, emb10_bin_any, emb10_bin2, emb10_dup, emb10_hashpart, emb10_wide, emb10_huge;
