-- Who may do and see what: a superuser, a role with pg_read_server_files (a "reader") and an
-- ordinary role, over the model store, the reference registry and the engine's settings.
-- Decisions (README, Security): everyone may use loaded models and read the models view and
-- the catalog, except the server paths, which only roles that may read server files see;
-- loading is granted by an administrator; a reader may register a FASTA that is indexed
-- already but never creates files (only a superuser's call writes the .fai/.gzi); the
-- per-backend resource settings are a superuser's.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
DROP ROLE IF EXISTS p80_reader;
DROP ROLE IF EXISTS p80_user;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

CREATE ROLE p80_reader IN ROLE pg_read_server_files;
CREATE ROLE p80_user;
SELECT load_model('p80_m', 'build/generated/encoder/models/dnabert2') AS status;
-- a FASTA with no index, in the directory the server may write: named per run, so that an
-- index left by an earlier run does not count
SELECT :'abs_srcdir' || '/build/generated/writable/p80_' || txid_current() || '.fa' AS fa \gset
COPY (VALUES ('>p80'), ('ACGTACGTACGTACGTACGT')) TO :'fa';
\o /dev/null
SELECT set_config('p80.fa', :'fa', false);
\o

CREATE TEMP TABLE p80_matrix (no integer, what text, role text, result text);
GRANT ALL ON p80_matrix TO PUBLIC;
-- one cell: the statement's single value, or the SQLSTATE it failed with
CREATE FUNCTION pg_temp.p80_run(no integer, what text, stmt text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    BEGIN
        EXECUTE stmt INTO r;
        r := coalesce(r, 'ok');
    EXCEPTION WHEN OTHERS THEN
        r := 'ERROR ' || SQLSTATE ||
             CASE WHEN SQLERRM LIKE 'FASTA index % is missing' THEN ' (no index)' ELSE '' END;
    END;
    INSERT INTO p80_matrix VALUES (no, what,
        CASE current_user WHEN 'p80_reader' THEN 'reader' WHEN 'p80_user' THEN 'user' ELSE 'superuser' END, r);
END
$$;

-- the same checks in the same order for each role (the reader before the superuser, so the
-- FASTA has no index yet when the reader registers it)
\set checks 'SELECT pg_temp.p80_run(1, $$models view: the model is listed$$, $q$SELECT count(*)::text FROM models WHERE name = $$p80_m$$$q$); SELECT pg_temp.p80_run(2, $$models view: path shown$$, $q$SELECT (path IS NOT NULL)::text FROM models WHERE name = $$p80_m$$$q$); SELECT pg_temp.p80_run(3, $$model_catalog: name, sha256$$, $q$SELECT count(sha256)::text FROM model_catalog WHERE name = $$p80_m$$$q$); SELECT pg_temp.p80_run(4, $$model_catalog: path$$, $q$SELECT (path IS NOT NULL)::text FROM model_catalog WHERE name = $$p80_m$$$q$); SELECT pg_temp.p80_run(5, $$use a loaded model$$, $q$SELECT (encode_tokens(ARRAY[5, 6, 7], $$p80_m$$) IS NOT NULL)::text$q$); SELECT pg_temp.p80_run(6, $$load_model$$, $q$SELECT load_model($$p80_m$$, $$build/generated/encoder/models/dnabert2$$)$q$); SELECT pg_temp.p80_run(7, $$register a FASTA (index missing)$$, format($q$SELECT register_reference($$p80_ref$$, %L)::text$q$, current_setting($$p80.fa$$))); SELECT pg_temp.p80_run(8, $$SET varformer.blas_threads$$, $q$SELECT set_config($$varformer.blas_threads$$, $$2$$, false)$q$); SELECT pg_temp.p80_run(9, $$SET varformer.max_scratch_memory$$, $q$SELECT set_config($$varformer.max_scratch_memory$$, $$64GB$$, false)$q$);'
SET ROLE p80_reader;
\o /dev/null
:checks
\o
RESET ROLE;
SET ROLE p80_user;
\o /dev/null
:checks
\o
RESET ROLE;
\o /dev/null
:checks
\o
-- with the index the superuser's call wrote, the reader may register the FASTA
SET ROLE p80_reader;
\o /dev/null
SELECT pg_temp.p80_run(10, 'register a FASTA (index present)', format($q$SELECT register_reference('p80_ref', %L)::text$q$, current_setting('p80.fa')));
\o
RESET ROLE;
SET ROLE p80_user;
\o /dev/null
SELECT pg_temp.p80_run(10, 'register a FASTA (index present)', format($q$SELECT register_reference('p80_ref', %L)::text$q$, current_setting('p80.fa')));
\o
RESET ROLE;
\o /dev/null
SELECT pg_temp.p80_run(10, 'register a FASTA (index present)', format($q$SELECT register_reference('p80_ref', %L)::text$q$, current_setting('p80.fa')));
\o

SELECT no, what,
       max(result) FILTER (WHERE role = 'superuser') AS superuser,
       max(result) FILTER (WHERE role = 'reader') AS reader,
       max(result) FILTER (WHERE role = 'user') AS "user"
FROM p80_matrix GROUP BY no, what ORDER BY no;

-- The registry's own queries do not resolve names through the caller's search_path: an
-- = for text placed before pg_catalog is never called.
CREATE SCHEMA p80_evil;
CREATE FUNCTION p80_evil.texteq(text, text) RETURNS boolean LANGUAGE plpgsql AS
$$BEGIN RAISE EXCEPTION 'search_path operator called'; END$$;
CREATE OPERATOR p80_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = p80_evil.texteq);
CREATE FUNCTION p80_evil.count(anyelement) RETURNS bigint LANGUAGE plpgsql AS
$$BEGIN RAISE EXCEPTION 'search_path function called'; END$$;
SET search_path = p80_evil, pg_catalog, public;
SELECT reference_sequence('p80', 2, 6, 'p80_ref') AS bases;
SELECT register_reference('p80_ref', current_setting('p80.fa'), true) AS contigs;
SELECT unregister_reference('p80_ref') AS unregistered;
RESET search_path;
DROP SCHEMA p80_evil CASCADE;
SELECT register_reference('p80_ref', current_setting('p80.fa')) AS contigs;
SELECT unregister_reference('p80_ref');
SELECT unload_model('p80_m');
RESET varformer.blas_threads;
RESET varformer.max_scratch_memory;
DROP ROLE p80_reader;
DROP ROLE p80_user;
