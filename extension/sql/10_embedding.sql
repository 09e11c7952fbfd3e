-- 10_embedding: the `embedding` type (float4 vector, pgvector-compatible text form).

CREATE TYPE embedding;

CREATE FUNCTION varformer_internal.embedding_in(cstring, oid, integer) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_out(embedding) RETURNS cstring
    AS 'MODULE_PATHNAME', 'vf_embedding_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_typmod_in(cstring[]) RETURNS integer
    AS 'MODULE_PATHNAME', 'vf_embedding_typmod_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_typmod_out(integer) RETURNS cstring
    AS 'MODULE_PATHNAME', 'vf_embedding_typmod_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_recv(internal, oid, integer) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_send(embedding) RETURNS bytea
    AS 'MODULE_PATHNAME', 'vf_embedding_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- STORAGE main: keep values inline in the heap page (compressed only if that helps, moved
-- to TOAST only when a row cannot fit a page, e.g. beyond ~2000 dimensions). A 768-d value
-- (3080 bytes) would be pushed out of line under extended/external (the TOAST threshold is
-- ~2 kB); the heap would then hold 18-byte pointers, the planner would size the scan by that
-- small heap and skip parallel plans, and every row would cost a TOAST index lookup.
-- See README.md, "Storage".
CREATE TYPE embedding (
    INPUT = embedding_in,
    OUTPUT = embedding_out,
    TYPMOD_IN = embedding_typmod_in,
    TYPMOD_OUT = embedding_typmod_out,
    RECEIVE = embedding_recv,
    SEND = embedding_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = main
);

-- Casts. Length coercion first: embedding(n) columns and ::embedding(n) casts call it.
CREATE FUNCTION varformer_internal.embedding(embedding, integer, boolean) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_coerce' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.array_to_embedding(real[], integer, boolean) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_float4_array_to_embedding' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.array_to_embedding(double precision[], integer, boolean) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_float8_array_to_embedding' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.array_to_embedding(integer[], integer, boolean) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_int4_array_to_embedding' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_to_float4(embedding, integer, boolean) RETURNS real[]
    AS 'MODULE_PATHNAME', 'vf_embedding_to_float4_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE CAST (embedding AS embedding) WITH FUNCTION embedding(embedding, integer, boolean) AS IMPLICIT;
CREATE CAST (real[] AS embedding) WITH FUNCTION array_to_embedding(real[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (double precision[] AS embedding) WITH FUNCTION array_to_embedding(double precision[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (integer[] AS embedding) WITH FUNCTION array_to_embedding(integer[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (embedding AS real[]) WITH FUNCTION embedding_to_float4(embedding, integer, boolean) AS ASSIGNMENT;

-- Distances. COST 5 (units of cpu_operator_cost) is the fallback; when the dimension is
-- known (typmod or constant) the support function charges by dimension instead
-- (1 + dim / 16, e.g. 49 for 768-d), which is what lets the planner see that a
-- nearest-neighbour scan over wide embeddings is worth parallel workers.
CREATE FUNCTION varformer_internal.embedding_distance_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'vf_embedding_distance_support' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION l2_distance(embedding, embedding) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_embedding_l2_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 5 SUPPORT embedding_distance_support;
CREATE FUNCTION inner_product(embedding, embedding) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_embedding_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 5 SUPPORT embedding_distance_support;
CREATE FUNCTION varformer_internal.embedding_negative_inner_product(embedding, embedding) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_embedding_negative_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 5 SUPPORT embedding_distance_support;
CREATE FUNCTION cosine_distance(embedding, embedding) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_embedding_cosine_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 5 SUPPORT embedding_distance_support;
CREATE FUNCTION cosine_similarity(embedding, embedding) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_embedding_cosine_similarity' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 5 SUPPORT embedding_distance_support;
CREATE FUNCTION l1_distance(embedding, embedding) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_embedding_l1_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 5 SUPPORT embedding_distance_support;
CREATE FUNCTION dims(embedding) RETURNS integer
    AS 'MODULE_PATHNAME', 'vf_embedding_dims' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION l2_norm(embedding) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_embedding_l2_norm' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 3;
CREATE FUNCTION l2_normalize(embedding) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_l2_normalize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 5;
CREATE FUNCTION subembedding(embedding, integer, integer) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_subembedding' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR <-> (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = l2_distance, COMMUTATOR = '<->');
CREATE OPERATOR <=> (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = cosine_distance, COMMUTATOR = '<=>');
CREATE OPERATOR <#> (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_negative_inner_product, COMMUTATOR = '<#>');

-- Element-wise arithmetic.
CREATE FUNCTION varformer_internal.embedding_add(embedding, embedding) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 3;
CREATE FUNCTION varformer_internal.embedding_sub(embedding, embedding) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_sub' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 3;
CREATE FUNCTION varformer_internal.embedding_mul(embedding, embedding) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_mul' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 3;
CREATE OPERATOR + (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_add, COMMUTATOR = +);
CREATE OPERATOR - (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_sub);
CREATE OPERATOR * (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_mul, COMMUTATOR = *);

-- Total order (lexicographic on elements, then dimension) and hashing, so ORDER BY,
-- DISTINCT, GROUP BY, unique indexes and hash joins work.
CREATE FUNCTION varformer_internal.embedding_cmp(embedding, embedding) RETURNS integer
    AS 'MODULE_PATHNAME', 'vf_embedding_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_lt(embedding, embedding) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_embedding_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_le(embedding, embedding) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_embedding_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_eq(embedding, embedding) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_embedding_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_ne(embedding, embedding) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_embedding_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_ge(embedding, embedding) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_embedding_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_gt(embedding, embedding) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_embedding_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_hash(embedding) RETURNS integer
    AS 'MODULE_PATHNAME', 'vf_embedding_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_hash_extended(embedding, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'vf_embedding_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR < (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_lt,
    COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR <= (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_le,
    COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR = (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_eq,
    COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR <> (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_ne,
    COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR >= (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_ge,
    COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
CREATE OPERATOR > (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_gt,
    COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);

CREATE OPERATOR CLASS embedding_btree_ops DEFAULT FOR TYPE embedding USING btree AS
    OPERATOR 1 <,
    OPERATOR 2 <=,
    OPERATOR 3 =,
    OPERATOR 4 >=,
    OPERATOR 5 >,
    FUNCTION 1 embedding_cmp(embedding, embedding);

CREATE OPERATOR CLASS embedding_hash_ops DEFAULT FOR TYPE embedding USING hash AS
    OPERATOR 1 =,
    FUNCTION 1 embedding_hash(embedding),
    FUNCTION 2 embedding_hash_extended(embedding, bigint);

-- Aggregates: double-precision sums in an internal state, serializable for parallel plans.
-- The transition and combine functions must see NULL states, so they are not STRICT.
CREATE FUNCTION varformer_internal.embedding_agg_accum(internal, embedding) RETURNS internal
    AS 'MODULE_PATHNAME', 'vf_embedding_agg_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_agg_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'vf_embedding_agg_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_agg_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'vf_embedding_agg_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_agg_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'vf_embedding_agg_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_sum_final(internal) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_sum_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION varformer_internal.embedding_avg_final(internal) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_avg_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE sum(embedding) (
    SFUNC = embedding_agg_accum,
    STYPE = internal,
    FINALFUNC = embedding_sum_final,
    COMBINEFUNC = embedding_agg_combine,
    SERIALFUNC = embedding_agg_serialize,
    DESERIALFUNC = embedding_agg_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE avg(embedding) (
    SFUNC = embedding_agg_accum,
    STYPE = internal,
    FINALFUNC = embedding_avg_final,
    COMBINEFUNC = embedding_agg_combine,
    SERIALFUNC = embedding_agg_serialize,
    DESERIALFUNC = embedding_agg_deserialize,
    PARALLEL = SAFE
);
