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
    loaded_at    timestamptz
);
SELECT pg_catalog.pg_extension_config_dump('model_catalog', '');
REVOKE ALL ON model_catalog FROM PUBLIC;
GRANT SELECT ON model_catalog TO PUBLIC;

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

CREATE FUNCTION model_store_status(
    OUT name text, OUT kind text, OUT generation bigint, OUT bytes bigint,
    OUT backends integer, OUT transactions bigint, OUT sha256 text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'vf_model_store_status'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED COST 10 ROWS 10;

CREATE FUNCTION model_checksum(name text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'vf_model_checksum'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 100000;
COMMENT ON FUNCTION model_checksum(text) IS
'Sum of every weight of a loaded checkpoint (reads the whole shared image)';

CREATE VIEW models AS
SELECT c.name, c.kind, c.architecture, c.parameters, c.bytes, c.path, c.sha256,
       s.name IS NOT NULL AS loaded,
       coalesce(s.backends, 0) AS backends,
       coalesce(s.transactions, 0) AS transactions,
       c.options, c.loaded_at
FROM model_catalog c
LEFT JOIN model_store_status() s ON s.name = c.name;
