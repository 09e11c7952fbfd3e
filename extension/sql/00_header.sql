-- varformer install script, assembled by the Makefile from extension/sql/NN_*.sql
-- (one fragment per module, in file-name order).

\echo Use "CREATE EXTENSION varformer" to load this file. \quit

-- The extension claims a few names in the schema it is installed into (tables gene,
-- gene_annotation, model_catalog, model_gene, reference_genome, views models, varformer_progress, types
-- embedding, genotype). A schema that already has one would fail half-way with a bare
-- "already exists"; say which name clashes and how to install beside it instead.
DO $$
DECLARE
    clash text;
BEGIN
    SELECT string_agg(format('%s "%s"', kind, name), ', ' ORDER BY name) INTO clash
    FROM (SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'i' THEN 'index' ELSE 'table' END AS kind,
                 c.relname::text AS name
          FROM pg_catalog.pg_class c
          WHERE c.relnamespace = pg_catalog.to_regnamespace(pg_catalog.current_schema())
            AND c.relname IN ('gene', 'gene_annotation', 'gene_annotation_pkey', 'gene_annotation_one_default',
                              'model_catalog', 'model_gene', 'reference_genome', 'models',
                              'varformer_progress', 'gene_pkey', 'gene_unversioned_idx', 'gene_name_idx',
                              'model_catalog_pkey', 'model_gene_pkey', 'model_gene_unversioned_idx',
                              'model_gene_name_idx', 'reference_genome_pkey', 'reference_genome_one_default')
          UNION ALL
          SELECT 'type', t.typname::text
          FROM pg_catalog.pg_type t
          WHERE t.typnamespace = pg_catalog.to_regnamespace(pg_catalog.current_schema())
            AND t.typname IN ('embedding', 'genotype') AND t.typrelid = 0) n;
    IF pg_catalog.to_regnamespace('varformer_internal') IS NOT NULL THEN
        RAISE EXCEPTION 'schema "varformer_internal" already exists, and varformer would create it for its support functions'
            USING ERRCODE = 'duplicate_schema',
                  HINT = 'It is not varformer''s (a database holds one varformer, and DROP EXTENSION drops that schema): rename or drop it first.';
    END IF;
    IF clash IS NOT NULL THEN
        RAISE EXCEPTION 'schema "%" already has %, which varformer would create', pg_catalog.current_schema(), clash
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Install varformer into a schema of its own and put it on the search_path: CREATE SCHEMA varformer; CREATE EXTENSION varformer SCHEMA varformer; SET search_path = public, varformer (or ALTER DATABASE ... SET search_path).';
    END IF;
END
$$;

-- Support functions (type input/output, operator and cast functions, aggregate steps, planner
-- support, the registries behind views) live in a schema of their own, so that \df in the
-- user's schema lists what users call. PostgreSQL calls them by OID, wherever they live; the
-- schema belongs to the extension (DROP EXTENSION drops it, pg_dump recreates it with
-- CREATE EXTENSION). Its name is fixed: there is one varformer per database.
CREATE SCHEMA varformer_internal;
COMMENT ON SCHEMA varformer_internal IS 'varformer''s support functions (type I/O, operators, casts, aggregates, planner support): called by PostgreSQL, not by users';
GRANT USAGE ON SCHEMA varformer_internal TO PUBLIC;
-- The rest of the script finds them unqualified (CREATE TYPE, CREATE OPERATOR, SUPPORT,
-- COMMENT ON), and functions with SET search_path FROM CURRENT see both schemas. Local to the
-- script: CREATE EXTENSION restores the search_path afterwards.
SELECT pg_catalog.set_config('search_path', '@extschema@, varformer_internal, pg_temp', true);
