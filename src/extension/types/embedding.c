/*
 * embedding.c: the `embedding` type's I/O: text in/out, typmod, binary send/recv, casts.
 *
 * Every path that makes a value (text, binary, arrays, typmod coercion) checks the
 * dimension against 1..VF_EMBEDDING_MAX_DIM and the typmod, and refuses NaN and
 * infinities, so operators and kernels never see them.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "common/error_report.h"
#include "types/embedding.h"
#include "types/genotype.h"		/* vf_palloc_realloc */
#include "varformer/types/embedding_text.h"

Embedding *
vf_embedding_new(int dim)
{
	Size		size = EMBEDDING_SIZE(dim);
	Embedding  *e = (Embedding *) palloc0(size);

	SET_VARSIZE(e, size);
	e->dim = dim;
	return e;
}

void
vf_embedding_check_dim(int dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("embedding must have at least 1 dimension")));
	if (dim > VF_EMBEDDING_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("embedding cannot have more than %d dimensions, got %d",
						VF_EMBEDDING_MAX_DIM, dim)));
}

void
vf_embedding_check_typmod(int dim, int32 typmod)
{
	if (typmod != -1 && typmod != dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", typmod, dim),
				 errhint("The column or cast is declared embedding(%d).", typmod)));
}

static void report_nonfinite(float v, int index, const char *what) pg_attribute_noreturn();

static void
report_nonfinite(float v, int index, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s not allowed in embedding (element %d of %s)",
					isnan(v) ? "NaN" : "infinity", index + 1, what)));
}

void
vf_embedding_check_finite(const Embedding *e, const char *what)
{
	int			i = vf_emb_first_nonfinite(e->x, e->dim);

	if (i >= 0)
		report_nonfinite(e->x[i], i, what);
}

/* A value from floats the library parsed; the typmod is checked first. */
static Embedding *
embedding_from_floats(const VfBuf *floats, int dim, int32 typmod)
{
	Embedding  *result;

	vf_embedding_check_typmod(dim, typmod);
	result = vf_embedding_new(dim);
	memcpy(result->x, floats->data, sizeof(float) * dim);
	return result;
}

PG_FUNCTION_INFO_V1(vf_embedding_in);
Datum
vf_embedding_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	VfBuf		floats;
	VfError		err;
	int			dim;
	Embedding  *result;

	vf_buf_init(&floats, vf_palloc_realloc);
	dim = vf_embedding_parse_text(input, &floats, &err);
	if (dim < 0)
		vf_ereport(&err);
	result = embedding_from_floats(&floats, dim, typmod);
	pfree(floats.data);
	PG_RETURN_EMBEDDING_P(result);
}

PG_FUNCTION_INFO_V1(vf_embedding_out);
Datum
vf_embedding_out(PG_FUNCTION_ARGS)
{
	Embedding  *e = PG_GETARG_EMBEDDING_P(0);
	/* Shortest round-trip form: at most FLOAT_SHORTEST_DECIMAL_LEN - 1 chars per element. */
	char	   *buf = palloc((FLOAT_SHORTEST_DECIMAL_LEN) * e->dim + 2);
	char	   *p = buf;

	*p++ = '[';
	for (int i = 0; i < e->dim; i++)
	{
		if (i > 0)
			*p++ = ',';
		p += float_to_shortest_decimal_bufn(e->x[i], p);
	}
	*p++ = ']';
	*p = '\0';
	PG_FREE_IF_COPY(e, 0);
	PG_RETURN_CSTRING(buf);
}

PG_FUNCTION_INFO_V1(vf_embedding_typmod_in);
Datum
vf_embedding_typmod_in(PG_FUNCTION_ARGS)
{
	ArrayType  *ta = PG_GETARG_ARRAYTYPE_P(0);
	int32	   *tl;
	int			n;

	tl = ArrayGetIntegerTypmods(ta, &n);
	if (n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid type modifier for embedding: expected one dimension count, got %d modifiers", n)));
	if (tl[0] < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type embedding must be at least 1, got %d", tl[0])));
	if (tl[0] > VF_EMBEDDING_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type embedding cannot exceed %d, got %d",
						VF_EMBEDDING_MAX_DIM, tl[0])));
	PG_RETURN_INT32(tl[0]);
}

PG_FUNCTION_INFO_V1(vf_embedding_typmod_out);
Datum
vf_embedding_typmod_out(PG_FUNCTION_ARGS)
{
	int32		typmod = PG_GETARG_INT32(0);

	PG_RETURN_CSTRING(typmod < 0 ? pstrdup("") : psprintf("(%d)", typmod));
}

/* Binary form: int16 dim, int16 unused (must be 0), dim big-endian float4s. */
PG_FUNCTION_INFO_V1(vf_embedding_recv);
Datum
vf_embedding_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	VfBuf		floats;
	VfError		err;
	int			dim;
	Embedding  *result;

	vf_buf_init(&floats, vf_palloc_realloc);
	dim = vf_embedding_parse_binary((const uint8_t *) buf->data + buf->cursor,
									buf->len - buf->cursor, &floats, &err);
	if (dim < 0)
		vf_ereport(&err);
	buf->cursor = buf->len;
	result = embedding_from_floats(&floats, dim, typmod);
	pfree(floats.data);
	PG_RETURN_EMBEDDING_P(result);
}

PG_FUNCTION_INFO_V1(vf_embedding_send);
Datum
vf_embedding_send(PG_FUNCTION_ARGS)
{
	Embedding  *e = PG_GETARG_EMBEDDING_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, e->dim);
	pq_sendint16(&buf, e->unused);
	for (int i = 0; i < e->dim; i++)
		pq_sendfloat4(&buf, e->x[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* embedding(embedding, typmod, explicit): the length coercion behind embedding(n) casts. */
PG_FUNCTION_INFO_V1(vf_embedding_coerce);
Datum
vf_embedding_coerce(PG_FUNCTION_ARGS)
{
	Embedding  *e = PG_GETARG_EMBEDDING_P(0);

	vf_embedding_check_typmod(e->dim, PG_GETARG_INT32(1));
	PG_RETURN_EMBEDDING_P(e);
}

/* One-dimensional, NULL-free array of elemtype, or an error naming what is wrong. */
static void
check_array(ArrayType *a, Oid elemtype)
{
	if (ARR_ELEMTYPE(a) != elemtype)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot make an embedding from an array of %s", format_type_be(ARR_ELEMTYPE(a)))));
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("array must be one-dimensional to become an embedding, got %d dimensions",
						ARR_NDIM(a))));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("array must not contain nulls to become an embedding")));
}

/* ARR_DATA_PTR, spelled so -Wsign-compare stays quiet (array.h mixes int32 and size_t). */
static const void *
array_data(ArrayType *a)
{
	size_t		off = ARR_HASNULL(a) ? (size_t) a->dataoffset : ARR_OVERHEAD_NONULLS(ARR_NDIM(a));

	return (const char *) a + off;
}

static int
array_dim(ArrayType *a)
{
	int			n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];

	vf_embedding_check_dim(n);
	return n;
}

PG_FUNCTION_INFO_V1(vf_float4_array_to_embedding);
Datum
vf_float4_array_to_embedding(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Embedding  *result;
	int			dim;

	check_array(a, FLOAT4OID);
	dim = array_dim(a);
	vf_embedding_check_typmod(dim, typmod);
	result = vf_embedding_new(dim);
	memcpy(result->x, array_data(a), sizeof(float) * dim);
	vf_embedding_check_finite(result, "the array");
	PG_RETURN_EMBEDDING_P(result);
}

PG_FUNCTION_INFO_V1(vf_float8_array_to_embedding);
Datum
vf_float8_array_to_embedding(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	const double *src;
	Embedding  *result;
	int			dim;

	check_array(a, FLOAT8OID);
	dim = array_dim(a);
	vf_embedding_check_typmod(dim, typmod);
	src = (const double *) array_data(a);
	result = vf_embedding_new(dim);
	for (int i = 0; i < dim; i++)
	{
		if (isnan(src[i]) || isinf(src[i]))
			report_nonfinite((float) src[i], i, "the array");
		if (fabs(src[i]) > FLT_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("element %d of the array (%g) is out of range for an embedding element",
							i + 1, src[i]),
					 errdetail("Elements are real (float4): magnitude at most %g.", (double) FLT_MAX)));
		result->x[i] = (float) src[i];
	}
	PG_RETURN_EMBEDDING_P(result);
}

PG_FUNCTION_INFO_V1(vf_int4_array_to_embedding);
Datum
vf_int4_array_to_embedding(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	const int32 *src;
	Embedding  *result;
	int			dim;

	check_array(a, INT4OID);
	dim = array_dim(a);
	vf_embedding_check_typmod(dim, typmod);
	src = (const int32 *) array_data(a);
	result = vf_embedding_new(dim);
	/* Integers above 2^24 round to the nearest float, as int4::real does. */
	for (int i = 0; i < dim; i++)
		result->x[i] = (float) src[i];
	PG_RETURN_EMBEDDING_P(result);
}

PG_FUNCTION_INFO_V1(vf_embedding_to_float4_array);
Datum
vf_embedding_to_float4_array(PG_FUNCTION_ARGS)
{
	Embedding  *e = PG_GETARG_EMBEDDING_P(0);
	Datum	   *d = palloc(sizeof(Datum) * e->dim);
	ArrayType  *result;

	for (int i = 0; i < e->dim; i++)
		d[i] = Float4GetDatum(e->x[i]);
	result = construct_array(d, e->dim, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT);
	pfree(d);
	PG_RETURN_POINTER(result);
}
