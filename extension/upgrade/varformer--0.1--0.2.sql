-- varformer 0.1 -> 0.2, run by ALTER EXTENSION varformer UPDATE (README "Upgrading").
--
-- Every change to the extension's SQL objects made after 0.1 (extension/sql/*.sql, which
-- builds the 0.2 install script) is repeated here, in the order it was made, so that a
-- database created at 0.1 ends up with exactly the objects of a fresh 0.2 install:
--   new object            the same CREATE statement (and its COMMENT ON, GRANT/REVOKE)
--   changed function      CREATE OR REPLACE FUNCTION with the new definition, or ALTER
--                         FUNCTION for volatility/STRICT/PARALLEL/COST only; a changed
--                         return type or argument list: DROP FUNCTION then CREATE
--   removed object        DROP ...
--   new table column      ALTER TABLE ADD COLUMN, and the column last in extension/sql too
--   changed comment       COMMENT ON again
-- test/t/051_extension_update.pl installs 0.1, updates it and compares the catalog with a
-- fresh install: a change missing here fails it, naming the object.
-- Until 0.2 is released this file may grow; after that it is frozen like varformer--0.1.sql.

\echo Use "ALTER EXTENSION varformer UPDATE TO '0.2'" to load this file. \quit

-- model_gene_ids also lists PredictDB gene names, so a coordinator lets the shards compute
-- predictions asked for by name (issue 16; extension/sql/90_shard.sql)
CREATE OR REPLACE FUNCTION model_gene_ids(model text) RETURNS SETOF text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE COST 1000 ROWS 1000
    SET search_path FROM CURRENT
AS $$
    SELECT DISTINCT id FROM (
        SELECT unnest(ARRAY[g.gene_id, g.gene_id_unversioned, g.gene_name])
        FROM model_dependencies(model) d(name)
        JOIN model_gene g ON g.model = d.name
        UNION ALL
        SELECT unnest(ARRAY[p.gene, unversioned_gene_id(p.gene), nullif(p.genename, '')])
        FROM model_dependencies(model) d(name)
        JOIN model_catalog c ON c.name = d.name AND c.kind = 'predictdb'
        CROSS JOIN LATERAL predictdb_genes(c.name) p
    ) ids(id)
    WHERE id IS NOT NULL
$$;
COMMENT ON FUNCTION model_gene_ids(text) IS
    'every gene identifier predict_expression accepts for the model (versioned and unversioned ids, PredictDB gene names, names of the bound annotation; ensemble members'')';
