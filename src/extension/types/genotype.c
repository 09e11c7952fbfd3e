/*
 * genotype.c: the genotype type's text and binary I/O, and the conversions other SQL entry
 * files use. The encoding lives in genotype_codec.c, the text grammar in genotype_text.c.
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"

#include "common/error_report.h"
#include "types/genotype.h"
#include "varformer/types/genotype_codec.h"
#include "varformer/types/genotype_text.h"

PG_FUNCTION_INFO_V1(vf_genotype_in);
PG_FUNCTION_INFO_V1(vf_genotype_out);
PG_FUNCTION_INFO_V1(vf_genotype_recv);
PG_FUNCTION_INFO_V1(vf_genotype_send);

void *
vf_palloc_realloc(void *ptr, size_t size)
{
	return ptr ? repalloc(ptr, size) : palloc(size);
}

void *
vf_palloc_alloc(size_t size)
{
	return palloc(size);
}

/* A VfBuf that starts with room for the varlena header. */
static void
varlena_buf_init(VfBuf *b)
{
	VfError		err;
	static const char hdr[VARHDRSZ] = {0};

	vf_buf_init(b, vf_palloc_realloc);
	if (vf_buf_append(b, hdr, VARHDRSZ, &err) != 0)
		vf_ereport(&err);
}

static void *
genotype_decode(const struct varlena *gt, VfCallsForm form)
{
	struct varlena *v = pg_detoast_datum_packed((struct varlena *) gt);
	VfError		err;
	void	   *calls;

	calls = vf_calls_decode_form((const uint8_t *) VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v),
								 vf_palloc_alloc, form, &err);
	if (calls == NULL)
		vf_ereport(&err);
	if ((Pointer) v != (Pointer) gt)
		pfree(v);
	return calls;
}

VfCalls *
vf_genotype_to_calls(const struct varlena *gt)
{
	return genotype_decode(gt, VF_CALLS_FULL);
}

VfCalls *
vf_genotype_to_calls_no_ids(const struct varlena *gt)
{
	return genotype_decode(gt, VF_CALLS_NO_IDS);
}

VfPosCalls *
vf_genotype_to_pos_calls(const struct varlena *gt)
{
	return genotype_decode(gt, VF_CALLS_POS);
}

struct varlena *
vf_genotype_from_calls(const VfCalls *calls)
{
	VfBuf		b;
	VfError		err;

	varlena_buf_init(&b);
	if (vf_calls_encode(calls, &b, &err) != 0)
		vf_ereport(&err);
	SET_VARSIZE(b.data, b.len);
	return (struct varlena *) b.data;
}

Datum
vf_genotype_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	VfBuf		b;
	VfError		err;

	varlena_buf_init(&b);
	if (vf_genotype_parse(text, &b, &err) != 0)
		vf_ereport(&err);
	SET_VARSIZE(b.data, b.len);
	PG_RETURN_POINTER(b.data);
}

Datum
vf_genotype_out(PG_FUNCTION_ARGS)
{
	struct varlena *gt = PG_GETARG_GENOTYPE_PP(0);
	VfCalls    *calls = vf_genotype_to_calls(gt);
	VfBuf		b;
	VfError		err;

	vf_buf_init(&b, vf_palloc_realloc);
	if (vf_genotype_format(calls, &b, &err) != 0)
		vf_ereport(&err);
	pfree(calls);
	PG_RETURN_CSTRING((char *) b.data);
}

/*
 * The binary form is the encoding itself. Received bytes are decoded with every check
 * and re-encoded, so what is stored is always canonical and valid.
 */
Datum
vf_genotype_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const uint8_t *p = (const uint8_t *) buf->data + buf->cursor;
	size_t		len = (size_t) (buf->len - buf->cursor);
	VfError		err;
	VfCalls    *calls;
	struct varlena *result;

	calls = vf_calls_decode(p, len, vf_palloc_alloc, &err);
	if (calls == NULL)
		vf_ereport(&err);
	result = vf_genotype_from_calls(calls);
	buf->cursor = buf->len;
	pfree(calls);
	PG_RETURN_POINTER(result);
}

Datum
vf_genotype_send(PG_FUNCTION_ARGS)
{
	struct varlena *gt = PG_GETARG_GENOTYPE_PP(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA_ANY(gt), VARSIZE_ANY_EXHDR(gt));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
