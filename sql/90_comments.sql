SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;

-- Every function, aggregate, table and view of the extension says what it is for (\df+, \dv+).
SELECT pg_describe_object(d.classid, d.objid, 0) AS without_comment
FROM pg_depend d
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'varformer') AND d.deptype = 'e'
  AND d.classid IN ('pg_proc'::regclass, 'pg_class'::regclass)
  AND obj_description(d.objid, CASE WHEN d.classid = 'pg_proc'::regclass THEN 'pg_proc' ELSE 'pg_class' END) IS NULL
ORDER BY 1;
-- support functions are marked, so \df+ tells them from the functions users call
SELECT count(*) FILTER (WHERE obj_description(p.oid, 'pg_proc') LIKE 'internal:%') > 30 AS internals_marked,
       count(*) FILTER (WHERE obj_description(p.oid, 'pg_proc') NOT LIKE 'internal:%') > 50 AS user_facing
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'varformer');

-- \df in the extension's schema lists only what users call: the support functions are in
-- varformer_internal, and each schema holds only its own kind
SELECT n.nspname, count(*) FILTER (WHERE obj_description(p.oid, 'pg_proc') LIKE 'internal:%') AS internal,
       count(*) FILTER (WHERE obj_description(p.oid, 'pg_proc') NOT LIKE 'internal:%') AS user_facing
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'varformer')
GROUP BY 1 ORDER BY 1;
-- the functions of the extension's schema, by name: README's list ("Installing into a schema")
SELECT DISTINCT p.proname AS user_facing_function
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'varformer')
  AND p.pronamespace = (SELECT extnamespace FROM pg_extension WHERE extname = 'varformer')
ORDER BY 1;
-- the types, operators, casts and aggregates still work with varformer_internal off the path
SHOW search_path;
SELECT '[1,2]'::embedding + '[3,4]' AS sum, '[1,2]'::embedding <-> '[4,6]' AS l2,
       avg(e) AS avg, ARRAY[1.5, 2]::real[]::embedding AS cast_in
FROM (VALUES ('[1,1]'::embedding), ('[3,3]')) v(e);
SELECT '22:1-10 5:A:G:0|1'::genotype = '22:1-10 5:A:G:0|1'::genotype AS geno_eq;

-- A schema that already has a table or view of the extension's names is refused before
-- anything is created, naming the clash and the way out (CREATE EXTENSION ... SCHEMA).
-- (in a database of its own: other tests' tables depend on the extension here)
\set regress_db :DBNAME
CREATE DATABASE vf90_clash;
\c vf90_clash
CREATE SCHEMA clash90;
CREATE TABLE clash90.gene (id int);
CREATE EXTENSION varformer SCHEMA clash90;
-- the schema of the support functions is claimed too
CREATE SCHEMA varformer_internal;
CREATE EXTENSION varformer SCHEMA clash90;
DROP SCHEMA varformer_internal;
CREATE SCHEMA vf90;
CREATE EXTENSION varformer SCHEMA vf90;
SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'varformer';
-- ... and works from there, qualified, without being on the search_path
SELECT vf90.n_variants('22:1-10 5:A:G:0|1'::vf90.genotype) AS n, count(*) AS models FROM vf90.models;
SELECT vf90.find_gene('NOSUCH');
-- DROP EXTENSION takes the support schema with it
DROP EXTENSION varformer;
SELECT count(*) AS internal_schemas_left FROM pg_namespace WHERE nspname = 'varformer_internal';
\c :regress_db
DROP DATABASE vf90_clash;
