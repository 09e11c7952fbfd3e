-- Model store: load_model / unload_model, the persisted catalog and the models view.

-- What was loaded, so that a restart or a crash reset of shared memory can reload it.
-- Written only by load_model/unload_model (as the extension owner); dumped by pg_dump.
CREATE TABLE model_catalog (
    name         text PRIMARY KEY,
    kind         text NOT NULL,
    architecture text NOT NULL,
    path         text,
    options      jsonb NOT NULL DEFAULT '{}',
    sha256       text NOT NULL,
    parameters   bigint,
    bytes        bigint,
    loaded_at    timestamptz,
    -- A model with a "window" option reads haplotypes around genes' TSSs. What it reads is
    -- bound at load time, so that its name denotes fixed content and its prediction
    -- functions can be IMMUTABLE: the reference (name and the FASTA's sha256 then) and a
    -- copy of the gene table (model_gene, and the sha256 of what was copied).
    reference          text,
    reference_sha256   text,
    annotation_sha256  text,
    genes              integer,
    -- the gene annotation (gene_annotation.name) the genes were copied from
    annotation         text
);
SELECT pg_catalog.pg_extension_config_dump('model_catalog', '');
-- Everyone may see what is loaded, but a model's server path only a role that may read
-- server files (as load_model needs): other columns only for PUBLIC.
REVOKE ALL ON model_catalog FROM PUBLIC;
GRANT SELECT (name, kind, architecture, options, sha256, parameters, bytes, loaded_at,
              reference, reference_sha256, annotation_sha256, genes, annotation) ON model_catalog TO PUBLIC;
GRANT SELECT ON model_catalog TO pg_read_server_files;

-- The genes of its annotation as they were when a haplotype-reading model was loaded (see
-- model_catalog). import_gtf changes the gene table, not this; load_model with
-- {"replace": true} renews it.
CREATE TABLE model_gene (
    model       text NOT NULL,
    gene_id     text NOT NULL,
    gene_name   text,
    chrom       text NOT NULL,
    start       bigint NOT NULL,
    "end"       bigint NOT NULL,
    strand      text NOT NULL,
    tss         bigint NOT NULL,
    gene_type   text,
    gene_id_unversioned text NOT NULL,
    PRIMARY KEY (model, gene_id)
);
CREATE INDEX model_gene_unversioned_idx ON model_gene (model, gene_id_unversioned);
CREATE INDEX model_gene_name_idx ON model_gene (model, lower(gene_name));
SELECT pg_catalog.pg_extension_config_dump('model_gene', '');
REVOKE ALL ON model_gene FROM PUBLIC;
GRANT SELECT ON model_gene TO PUBLIC;

-- The gene `id` means (find_gene's rule) in the annotation bound to a model.
CREATE FUNCTION model_find_gene(model text, id text) RETURNS gene
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 100
    SET search_path FROM CURRENT
AS $$
DECLARE
    g gene := gene_choose(id, ARRAY(
        SELECT ROW(m.gene_id, m.gene_name, m.chrom, m.start, m."end", m.strand, m.tss,
                   m.gene_type, m.gene_id_unversioned, c.annotation)::gene
        FROM model_gene m
        JOIN model_catalog c ON c.name = m.model
        WHERE m.model = model_find_gene.model
          AND (m.gene_id = id OR lower(m.gene_name) = lower(id) OR m.gene_id_unversioned = unversioned_gene_id(id))));
    n integer;
    a text;
BEGIN
    IF g.gene_id IS NULL THEN
        SELECT c.genes, c.annotation INTO n, a FROM model_catalog c WHERE c.name = model;
        RAISE EXCEPTION 'gene "%" is not in the annotation model "%" was loaded with', id, model
            USING ERRCODE = 'undefined_object',
                  DETAIL = format('The model bound %s genes of gene annotation "%s" when it was loaded.', coalesce(n, 0), a),
                  HINT = 'Genes imported since count after load_model(name, path, options || ''{"replace": true}'').';
    END IF;
    RETURN g;
END
$$;

CREATE FUNCTION load_model(name text, path text, options jsonb DEFAULT '{}')
RETURNS text
AS 'MODULE_PATHNAME', 'vf_load_model'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE COST 100000;
COMMENT ON FUNCTION load_model(text, text, jsonb) IS
'Loads a safetensors file, Hugging Face directory or PredictDB database into shared memory once; returns loaded, replaced or unchanged';

CREATE FUNCTION unload_model(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'vf_unload_model'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE COST 1000;

-- Changing shared state is for administrators; they grant it on.
REVOKE ALL ON FUNCTION load_model(text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION unload_model(text) FROM PUBLIC;

CREATE FUNCTION varformer_internal.model_store_status(
    OUT name text, OUT kind text, OUT generation bigint, OUT bytes bigint,
    OUT backends integer, OUT transactions bigint, OUT sha256 text, OUT image bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'vf_model_store_status'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED COST 10 ROWS 10;

CREATE FUNCTION model_checksum(name text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'vf_model_checksum'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 100000;
COMMENT ON FUNCTION model_checksum(text) IS
'Sum of every weight of a loaded checkpoint (reads the whole shared image)';

-- Readable by everyone; path is NULL for a role that may not read server files (the view
-- reads the catalog as its owner, so it hides the column itself).
CREATE VIEW models AS
SELECT c.name, c.kind, c.architecture, c.parameters, c.bytes,
       CASE WHEN pg_catalog.pg_has_role('pg_read_server_files', 'MEMBER') THEN c.path END AS path,
       c.sha256,
       s.name IS NOT NULL AS loaded,
       coalesce(s.backends, 0) AS backends,
       coalesce(s.transactions, 0) AS transactions,
       c.options, c.loaded_at, c.reference, c.genes,
       -- names whose images are the same bytes share one copy in shared memory (same number)
       s.image,
       -- the gene annotation a haplotype-reading model copied its genes from
       c.annotation
FROM model_catalog c
LEFT JOIN model_store_status() s ON s.name = c.name;
GRANT SELECT ON models TO PUBLIC;
