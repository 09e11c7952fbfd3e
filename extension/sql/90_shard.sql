-- What two servers must agree on to split a cohort between them (README "A cohort on several
-- servers", tools/shard/): which models a model name depends on, so a coordinator can compare
-- them with a shard's, and under which gene identifiers predict_expression answers for a model,
-- so a shard-side view can offer every (model, gene) pair and compute only those a query's
-- WHERE clause (shipped by postgres_fdw) selects. Generic: a single server may use them too.

-- The model and, for an ensemble, every model it is made of (members of members included, as
-- predict_expression resolves them: at most 8 levels), each name once. A member that is not
-- loaded is listed all the same: comparing servers must see that it is missing.
CREATE FUNCTION model_dependencies(model text) RETURNS SETOF text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE ROWS 4
    SET search_path FROM CURRENT
AS $$
    WITH RECURSIVE dep(name, depth) AS (
        SELECT model, 0
        UNION
        SELECT x.member, d.depth + 1
        FROM dep d
        JOIN model_catalog c ON c.name = d.name
        CROSS JOIN LATERAL (
            SELECT k FROM jsonb_object_keys(CASE WHEN jsonb_typeof(c.options -> 'ensemble') = 'object'
                                                 THEN c.options -> 'ensemble' END) k
            UNION ALL
            SELECT e ->> 'model' FROM jsonb_array_elements(CASE WHEN jsonb_typeof(c.options -> 'ensemble') = 'array'
                                                                THEN c.options -> 'ensemble' END) e
        ) x(member)
        WHERE d.depth < 8 AND x.member IS NOT NULL)
    SELECT DISTINCT name FROM dep
$$;
COMMENT ON FUNCTION model_dependencies(text) IS
    'the model and every model it is made of (ensemble members, recursively): what a model name''s predictions depend on';

-- Every identifier under which predict_expression(gt, id, model) finds a gene of the model:
-- for a PredictDB model its gene ids with and without version and its gene names
-- (extra.genename, as the file spells them); for a model reading haplotypes
-- the annotation bound at load (gene_id, unversioned id, gene_name); for an ensemble its
-- members' (a member lacking the gene then gives NULL or its error, as on one server).
-- An id shared by several genes is listed: predicting with it is the same error everywhere.
-- A coordinator passes a listed id to a shard's predict_expression as it is, so listing one
-- more id never changes a result: it only lets the shards compute it (tools/shard/).
CREATE FUNCTION model_gene_ids(model text) RETURNS SETOF text
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
