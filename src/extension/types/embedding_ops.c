/*
 * embedding_ops.c: operators, functions, aggregates and btree/hash support for `embedding`.
 *
 * The arithmetic lives in src/embedding_kernels.c; this file checks arguments, allocates
 * results and turns kernel outcomes (overflow, mismatched dimensions) into SQL errors.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/hashfn.h"
#include "libpq/pqformat.h"
#include "nodes/nodeFuncs.h"
#include "nodes/supportnodes.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "types/embedding.h"

static inline void
check_same_dims(const Embedding *a, const Embedding *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different embedding dimensions %d and %d", a->dim, b->dim)));
}

/* Element-wise results can overflow float (e.g. 3e38 + 3e38): refuse, never store inf. */
static void
check_overflow(const Embedding *r, const char *op)
{
	int			i = vf_emb_first_nonfinite(r->x, r->dim);

	if (i >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("embedding %s overflows at element %d", op, i + 1)));
}

/* ---------------- distances and norms ---------------- */

PG_FUNCTION_INFO_V1(vf_embedding_l2_distance);
Datum
vf_embedding_l2_distance(PG_FUNCTION_ARGS)
{
	Embedding  *a = PG_GETARG_EMBEDDING_P(0);
	Embedding  *b = PG_GETARG_EMBEDDING_P(1);

	check_same_dims(a, b);
	PG_RETURN_FLOAT8(sqrt(vf_emb_l2sq(a->x, b->x, a->dim)));
}

PG_FUNCTION_INFO_V1(vf_embedding_inner_product);
Datum
vf_embedding_inner_product(PG_FUNCTION_ARGS)
{
	Embedding  *a = PG_GETARG_EMBEDDING_P(0);
	Embedding  *b = PG_GETARG_EMBEDDING_P(1);

	check_same_dims(a, b);
	PG_RETURN_FLOAT8(vf_emb_dot(a->x, b->x, a->dim));
}

/* <#>: smaller is closer, so ORDER BY ... LIMIT k finds the largest inner products. */
PG_FUNCTION_INFO_V1(vf_embedding_negative_inner_product);
Datum
vf_embedding_negative_inner_product(PG_FUNCTION_ARGS)
{
	Embedding  *a = PG_GETARG_EMBEDDING_P(0);
	Embedding  *b = PG_GETARG_EMBEDDING_P(1);

	check_same_dims(a, b);
	PG_RETURN_FLOAT8(-vf_emb_dot(a->x, b->x, a->dim));
}

PG_FUNCTION_INFO_V1(vf_embedding_cosine_distance);
Datum
vf_embedding_cosine_distance(PG_FUNCTION_ARGS)
{
	Embedding  *a = PG_GETARG_EMBEDDING_P(0);
	Embedding  *b = PG_GETARG_EMBEDDING_P(1);

	check_same_dims(a, b);
	PG_RETURN_FLOAT8(vf_emb_cosine_distance(a->x, b->x, a->dim));
}

PG_FUNCTION_INFO_V1(vf_embedding_cosine_similarity);
Datum
vf_embedding_cosine_similarity(PG_FUNCTION_ARGS)
{
	Embedding  *a = PG_GETARG_EMBEDDING_P(0);
	Embedding  *b = PG_GETARG_EMBEDDING_P(1);

	check_same_dims(a, b);
	PG_RETURN_FLOAT8(1.0 - vf_emb_cosine_distance(a->x, b->x, a->dim));
}

PG_FUNCTION_INFO_V1(vf_embedding_l1_distance);
Datum
vf_embedding_l1_distance(PG_FUNCTION_ARGS)
{
	Embedding  *a = PG_GETARG_EMBEDDING_P(0);
	Embedding  *b = PG_GETARG_EMBEDDING_P(1);

	check_same_dims(a, b);
	PG_RETURN_FLOAT8(vf_emb_l1(a->x, b->x, a->dim));
}

PG_FUNCTION_INFO_V1(vf_embedding_dims);
Datum
vf_embedding_dims(PG_FUNCTION_ARGS)
{
	Embedding  *a = PG_GETARG_EMBEDDING_P(0);

	PG_RETURN_INT32(a->dim);
}

PG_FUNCTION_INFO_V1(vf_embedding_l2_norm);
Datum
vf_embedding_l2_norm(PG_FUNCTION_ARGS)
{
	Embedding  *a = PG_GETARG_EMBEDDING_P(0);

	PG_RETURN_FLOAT8(sqrt(vf_emb_normsq(a->x, a->dim)));
}

/* The zero vector has no direction; it normalizes to itself (as in pgvector). */
PG_FUNCTION_INFO_V1(vf_embedding_l2_normalize);
Datum
vf_embedding_l2_normalize(PG_FUNCTION_ARGS)
{
	Embedding  *a = PG_GETARG_EMBEDDING_P(0);
	Embedding  *r = vf_embedding_new(a->dim);
	double		norm = sqrt(vf_emb_normsq(a->x, a->dim));

	if (norm > 0)
	{
		/* Divide in double: a norm near FLT_MAX or FLT_MIN must not overflow 1/norm. */
		for (int i = 0; i < a->dim; i++)
			r->x[i] = (float) (a->x[i] / norm);
	}
	PG_RETURN_EMBEDDING_P(r);
}

/* Elements start .. start+count-1 (1-based), clipped to the embedding like substring(). */
PG_FUNCTION_INFO_V1(vf_embedding_subembedding);
Datum
vf_embedding_subembedding(PG_FUNCTION_ARGS)
{
	Embedding  *a = PG_GETARG_EMBEDDING_P(0);
	int32		start = PG_GETARG_INT32(1);
	int32		count = PG_GETARG_INT32(2);
	int64		from,
				to;
	Embedding  *r;

	if (count < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("subembedding count must be at least 1, got %d", count)));
	from = Max((int64) start, 1);
	to = Min((int64) start + count - 1, (int64) a->dim);
	if (from > to)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("subembedding(start => %d, count => %d) selects no element of a %d-dimensional embedding",
						start, count, a->dim)));
	r = vf_embedding_new((int) (to - from + 1));
	memcpy(r->x, a->x + (from - 1), sizeof(float) * r->dim);
	PG_RETURN_EMBEDDING_P(r);
}

/*
 * Planner support: a distance's cost grows with the dimension, and a fixed COST cannot say
 * so. When an argument's dimension is known (a typmod such as embedding(768), or a
 * constant), charge one cpu_operator_cost per 16 elements, which matches what
 * test/bench/10_embedding_nn.sh measures against the cost of reading a heap page. Without
 * it the planner believes a 768-d distance is nearly free and seldom parallelizes the scans
 * nearest-neighbour queries need.
 */
static int
known_dim(Node *arg)
{
	int32		typmod = exprTypmod(arg);

	if (typmod > 0)
		return typmod;
	if (IsA(arg, Const) && !((Const *) arg)->constisnull)
		return DatumGetEmbedding(((Const *) arg)->constvalue)->dim;
	return -1;
}

PG_FUNCTION_INFO_V1(vf_embedding_distance_support);
Datum
vf_embedding_distance_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestCost *req;
	List	   *args = NIL;
	ListCell   *lc;
	int			dim = -1;

	if (!IsA(rawreq, SupportRequestCost))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestCost *) rawreq;
	if (req->node == NULL)
		PG_RETURN_POINTER(NULL);
	if (IsA(req->node, FuncExpr))
		args = ((FuncExpr *) req->node)->args;
	else if (IsA(req->node, OpExpr))
		args = ((OpExpr *) req->node)->args;
	foreach(lc, args)
	{
		int			d = known_dim((Node *) lfirst(lc));

		if (d > dim)
			dim = d;
	}
	if (dim < 1)
		PG_RETURN_POINTER(NULL);
	req->startup = 0;
	req->per_tuple = cpu_operator_cost * (1.0 + Min(dim, VF_EMBEDDING_MAX_DIM) / 16.0);
	PG_RETURN_POINTER(req);
}

/* ---------------- element-wise arithmetic ---------------- */

typedef void (*elementwise_fn) (float *out, const float *a, const float *b, int n);

static Datum
elementwise(FunctionCallInfo fcinfo, elementwise_fn fn, const char *op)
{
	Embedding  *a = PG_GETARG_EMBEDDING_P(0);
	Embedding  *b = PG_GETARG_EMBEDDING_P(1);
	Embedding  *r;

	check_same_dims(a, b);
	r = vf_embedding_new(a->dim);
	fn(r->x, a->x, b->x, a->dim);
	check_overflow(r, op);
	PG_RETURN_EMBEDDING_P(r);
}

PG_FUNCTION_INFO_V1(vf_embedding_add);
Datum
vf_embedding_add(PG_FUNCTION_ARGS)
{
	return elementwise(fcinfo, vf_emb_add, "addition");
}

PG_FUNCTION_INFO_V1(vf_embedding_sub);
Datum
vf_embedding_sub(PG_FUNCTION_ARGS)
{
	return elementwise(fcinfo, vf_emb_sub, "subtraction");
}

PG_FUNCTION_INFO_V1(vf_embedding_mul);
Datum
vf_embedding_mul(PG_FUNCTION_ARGS)
{
	return elementwise(fcinfo, vf_emb_mul, "multiplication");
}

/* ---------------- total order, equality, hashing ---------------- */

/*
 * Lexicographic on elements, then shorter first. Values never hold NaN (every input path
 * refuses it), so float comparison is a total order; -0.0 and 0.0 compare equal, and the
 * hash below maps both to the same bits so hash and btree agree on equality.
 */
static int
embedding_cmp_internal(const Embedding *a, const Embedding *b)
{
	int			n = Min(a->dim, b->dim);

	for (int i = 0; i < n; i++)
	{
		if (a->x[i] < b->x[i])
			return -1;
		if (a->x[i] > b->x[i])
			return 1;
	}
	return (a->dim > b->dim) - (a->dim < b->dim);
}

#define CMP_FUNCTION(name, expr) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	Embedding  *a = PG_GETARG_EMBEDDING_P(0); \
	Embedding  *b = PG_GETARG_EMBEDDING_P(1); \
	int			c = embedding_cmp_internal(a, b); \
	PG_FREE_IF_COPY(a, 0); \
	PG_FREE_IF_COPY(b, 1); \
	return (expr); \
}

CMP_FUNCTION(vf_embedding_cmp, Int32GetDatum(c))
CMP_FUNCTION(vf_embedding_lt, BoolGetDatum(c < 0))
CMP_FUNCTION(vf_embedding_le, BoolGetDatum(c <= 0))
CMP_FUNCTION(vf_embedding_eq, BoolGetDatum(c == 0))
CMP_FUNCTION(vf_embedding_ne, BoolGetDatum(c != 0))
CMP_FUNCTION(vf_embedding_ge, BoolGetDatum(c >= 0))
CMP_FUNCTION(vf_embedding_gt, BoolGetDatum(c > 0))

static inline uint32
element_bits(float v)
{
	union
	{
		float		f;
		uint32		u;
	}			bits;

	bits.f = (v == 0.0f) ? 0.0f : v;	/* -0.0 == 0.0, so they must hash alike */
	return bits.u;
}

PG_FUNCTION_INFO_V1(vf_embedding_hash);
Datum
vf_embedding_hash(PG_FUNCTION_ARGS)
{
	Embedding  *a = PG_GETARG_EMBEDDING_P(0);
	uint32		h = hash_uint32((uint32) a->dim);

	for (int i = 0; i < a->dim; i++)
		h = hash_combine(h, hash_uint32(element_bits(a->x[i])));
	PG_FREE_IF_COPY(a, 0);
	PG_RETURN_UINT32(h);
}

PG_FUNCTION_INFO_V1(vf_embedding_hash_extended);
Datum
vf_embedding_hash_extended(PG_FUNCTION_ARGS)
{
	Embedding  *a = PG_GETARG_EMBEDDING_P(0);
	uint64		seed = PG_GETARG_INT64(1);
	uint64		h = hash_uint32_extended((uint32) a->dim, seed);

	for (int i = 0; i < a->dim; i++)
		h = hash_combine64(h, hash_uint32_extended(element_bits(a->x[i]), seed));
	PG_FREE_IF_COPY(a, 0);
	PG_RETURN_UINT64(h);
}

/* ---------------- aggregates: sum and avg ---------------- */

/*
 * Transition state: row count and per-element sums in double (so avg over millions of
 * rows does not drift). Allocated in the aggregate's context on the first row; the
 * dimension is fixed by that row. serialize/deserialize let parallel workers ship it.
 */
typedef struct EmbeddingAggState
{
	int64		n;
	int32		dim;
	double		sum[FLEXIBLE_ARRAY_MEMBER];
} EmbeddingAggState;

static EmbeddingAggState *
agg_state_new(MemoryContext cxt, int dim)
{
	EmbeddingAggState *s;

	s = MemoryContextAllocZero(cxt, offsetof(EmbeddingAggState, sum) + sizeof(double) * dim);
	s->dim = dim;
	return s;
}

static MemoryContext
agg_context(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext cxt;

	if (!AggCheckCallContext(fcinfo, &cxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", fn)));
	return cxt;
}

static void
agg_check_dims(const EmbeddingAggState *s, int dim)
{
	if (s->dim != dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different embedding dimensions %d and %d in one aggregate", s->dim, dim)));
}

PG_FUNCTION_INFO_V1(vf_embedding_agg_accum);
Datum
vf_embedding_agg_accum(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = agg_context(fcinfo, "embedding_agg_accum");
	EmbeddingAggState *s = PG_ARGISNULL(0) ? NULL : (EmbeddingAggState *) PG_GETARG_POINTER(0);
	Embedding  *e;

	if (PG_ARGISNULL(1))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	e = PG_GETARG_EMBEDDING_P(1);
	if (s == NULL)
		s = agg_state_new(cxt, e->dim);
	agg_check_dims(s, e->dim);
	vf_emb_accum(s->sum, e->x, e->dim);
	s->n++;
	PG_FREE_IF_COPY(e, 1);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(vf_embedding_agg_combine);
Datum
vf_embedding_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = agg_context(fcinfo, "embedding_agg_combine");
	EmbeddingAggState *a = PG_ARGISNULL(0) ? NULL : (EmbeddingAggState *) PG_GETARG_POINTER(0);
	EmbeddingAggState *b = PG_ARGISNULL(1) ? NULL : (EmbeddingAggState *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		/* The state must live in the aggregate context, not wherever b came from. */
		a = agg_state_new(cxt, b->dim);
	}
	agg_check_dims(a, b->dim);
	vf_emb_accum_double(a->sum, b->sum, a->dim);
	a->n += b->n;
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(vf_embedding_agg_serialize);
Datum
vf_embedding_agg_serialize(PG_FUNCTION_ARGS)
{
	EmbeddingAggState *s;
	StringInfoData buf;

	agg_context(fcinfo, "embedding_agg_serialize");
	s = (EmbeddingAggState *) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendint64(&buf, s->n);
	pq_sendint32(&buf, s->dim);
	for (int i = 0; i < s->dim; i++)
		pq_sendfloat8(&buf, s->sum[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(vf_embedding_agg_deserialize);
Datum
vf_embedding_agg_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = agg_context(fcinfo, "embedding_agg_deserialize");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	EmbeddingAggState *s;
	int64		n;
	int32		dim;

	/* The bytes come from our own serialize in a parallel worker; still, check sizes. */
	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	n = pq_getmsgint64(&buf);
	dim = pq_getmsgint(&buf, 4);
	if (n < 0 || dim < 1 || dim > VF_EMBEDDING_MAX_DIM || buf.len - buf.cursor != (int) sizeof(double) * dim)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid serialized embedding aggregate state")));
	s = agg_state_new(cxt, dim);
	s->n = n;
	for (int i = 0; i < dim; i++)
		s->sum[i] = pq_getmsgfloat8(&buf);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(s);
}

static Datum
agg_final(FunctionCallInfo fcinfo, bool average)
{
	EmbeddingAggState *s;
	Embedding  *r;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (EmbeddingAggState *) PG_GETARG_POINTER(0);
	if (s->n == 0)
		PG_RETURN_NULL();
	r = vf_embedding_new(s->dim);
	for (int i = 0; i < s->dim; i++)
	{
		double		v = average ? s->sum[i] / (double) s->n : s->sum[i];

		if (fabs(v) > FLT_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("embedding %s overflows at element %d (%g)",
							average ? "average" : "sum", i + 1, v)));
		r->x[i] = (float) v;
	}
	PG_RETURN_EMBEDDING_P(r);
}

PG_FUNCTION_INFO_V1(vf_embedding_sum_final);
Datum
vf_embedding_sum_final(PG_FUNCTION_ARGS)
{
	return agg_final(fcinfo, false);
}

PG_FUNCTION_INFO_V1(vf_embedding_avg_final);
Datum
vf_embedding_avg_final(PG_FUNCTION_ARGS)
{
	return agg_final(fcinfo, true);
}
