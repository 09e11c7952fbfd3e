/* genotype_funcs.c: SQL accessors of the genotype type. */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "common/error_report.h"
#include "types/genotype.h"
#include "varformer/types/genotype_codec.h"
#include "varformer/types/genotype_text.h"

PG_FUNCTION_INFO_V1(vf_genotype_region);
PG_FUNCTION_INFO_V1(vf_genotype_n_variants);
PG_FUNCTION_INFO_V1(vf_genotype_n_calls);
PG_FUNCTION_INFO_V1(vf_genotype_chrom);
PG_FUNCTION_INFO_V1(vf_genotype_start);
PG_FUNCTION_INFO_V1(vf_genotype_end);
PG_FUNCTION_INFO_V1(vf_genotype_variants);
PG_FUNCTION_INFO_V1(vf_genotype_dosage);
PG_FUNCTION_INFO_V1(vf_genotype_eq);
PG_FUNCTION_INFO_V1(vf_genotype_ne);

static void
header_of(struct varlena *gt, VfGenotypeHeader *h)
{
	VfError		err;

	if (vf_genotype_decode_header((const uint8_t *) VARDATA_ANY(gt), VARSIZE_ANY_EXHDR(gt), h, &err) != 0)
		vf_ereport(&err);
}

Datum
vf_genotype_region(PG_FUNCTION_ARGS)
{
	struct varlena *gt = PG_GETARG_GENOTYPE_PP(0);
	VfGenotypeHeader h;

	header_of(gt, &h);
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%.*s:" INT64_FORMAT "-" INT64_FORMAT,
											  (int) h.chrom_len, h.chrom, h.start, h.end)));
}

Datum
vf_genotype_chrom(PG_FUNCTION_ARGS)
{
	struct varlena *gt = PG_GETARG_GENOTYPE_PP(0);
	VfGenotypeHeader h;

	header_of(gt, &h);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(h.chrom, (int) h.chrom_len));
}

Datum
vf_genotype_start(PG_FUNCTION_ARGS)
{
	struct varlena *gt = PG_GETARG_GENOTYPE_PP(0);
	VfGenotypeHeader h;

	header_of(gt, &h);
	PG_RETURN_INT64(h.start);
}

Datum
vf_genotype_end(PG_FUNCTION_ARGS)
{
	struct varlena *gt = PG_GETARG_GENOTYPE_PP(0);
	VfGenotypeHeader h;

	header_of(gt, &h);
	PG_RETURN_INT64(h.end);
}

/* Calls other than homozygous reference: read_genotypes keeps a 0|0 call for its DS alone. */
Datum
vf_genotype_n_variants(PG_FUNCTION_ARGS)
{
	VfCalls    *c = vf_genotype_to_calls_no_ids(PG_GETARG_GENOTYPE_PP(0));
	int32		n = 0;

	for (int i = 0; i < c->n_call; i++)
		if (c->call[i].gt[0] != 0 || (c->call[i].gt[1] != 0 && c->call[i].gt[1] != VF_ALLELE_NONE))
			n++;
	PG_RETURN_INT32(n);
}

Datum
vf_genotype_n_calls(PG_FUNCTION_ARGS)
{
	struct varlena *gt = PG_GETARG_GENOTYPE_PP(0);
	VfGenotypeHeader h;

	header_of(gt, &h);
	PG_RETURN_INT32(h.n_call);
}

/* Encodings are canonical, so equal bytes mean equal calls. */
static bool
genotype_bytes_equal(FunctionCallInfo fcinfo)
{
	struct varlena *a = PG_GETARG_GENOTYPE_PP(0);
	struct varlena *b = PG_GETARG_GENOTYPE_PP(1);

	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

Datum
vf_genotype_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(genotype_bytes_equal(fcinfo));
}

Datum
vf_genotype_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!genotype_bytes_equal(fcinfo));
}

/* DS as SQL values: `dosage` when there is exactly one ALT, `dosages` always. */
static void
ds_values(const VfCall *c, Datum *dosage, bool *dosage_null, Datum *dosages, bool *dosages_null)
{
	int			n = c->n_allele - 1;
	Datum	   *elems;
	bool	   *nulls;
	int			dims[1];
	int			lbs[1] = {1};

	*dosage_null = true;
	*dosages_null = true;
	if (c->ds == NULL || n < 1)
		return;
	if (n == 1 && !isnan(c->ds[0]))
	{
		*dosage = Float4GetDatum(c->ds[0]);
		*dosage_null = false;
	}
	elems = palloc(sizeof(Datum) * n);
	nulls = palloc(sizeof(bool) * n);
	for (int i = 0; i < n; i++)
	{
		nulls[i] = isnan(c->ds[i]);
		elems[i] = Float4GetDatum(nulls[i] ? 0 : c->ds[i]);
	}
	dims[0] = n;
	*dosages = PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
												  FLOAT4OID, sizeof(float4), true, TYPALIGN_INT));
	*dosages_null = false;
}

static Datum
alt_array(const VfCall *c)
{
	int			n = c->n_allele - 1;
	Datum	   *elems = palloc(sizeof(Datum) * (n > 0 ? n : 1));

	for (int i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(c->allele[i + 1]);
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * genotype_variants(gt) -> (pos, id, ref, alt text[], gt text, dosage real, dosages real[]):
 * the calls as rows, materialized (a genotype is small and decoded once).
 */
Datum
vf_genotype_variants(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	struct varlena *gt;
	VfCalls    *calls;

	InitMaterializedSRF(fcinfo, 0);
	gt = PG_GETARG_GENOTYPE_PP(0);
	calls = vf_genotype_to_calls(gt);
	for (int i = 0; i < calls->n_call; i++)
	{
		const VfCall *c = &calls->call[i];
		Datum		values[7];
		bool		nulls[7] = {0};
		char		gtbuf[32];

		values[0] = Int64GetDatum(c->pos);
		if (c->id)
			values[1] = CStringGetTextDatum(c->id);
		else
			nulls[1] = true;
		values[2] = CStringGetTextDatum(c->allele[0]);
		values[3] = alt_array(c);
		vf_gt_to_text(c->gt[0], c->gt[1], c->phased, gtbuf);
		values[4] = CStringGetTextDatum(gtbuf);
		ds_values(c, &values[5], &nulls[5], &values[6], &nulls[6]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pfree(calls);
	return (Datum) 0;
}

/*
 * dosage(gt, pos, ref, alt): copies of `alt` this person carries at pos (0..2, or 0..1 on
 * a haploid call). FORMAT/DS wins when the call has it; otherwise the GT is counted.
 * Inside the region a site without a call is homozygous reference (0); outside it, or on
 * a call with a missing allele, the dosage is unknown (NULL).
 */
Datum
vf_genotype_dosage(PG_FUNCTION_ARGS)
{
	struct varlena *gt = PG_GETARG_GENOTYPE_PP(0);
	int64		pos = PG_GETARG_INT64(1);
	char	   *ref = text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *alt = text_to_cstring(PG_GETARG_TEXT_PP(3));
	VfCalls    *calls = vf_genotype_to_calls(gt);

	if (pos < calls->start || pos > calls->end)
		PG_RETURN_NULL();
	for (int i = 0; i < calls->n_call; i++)
	{
		const VfCall *c = &calls->call[i];
		int			k = -1;
		double		d = 0;

		if (c->pos != pos || strcmp(c->allele[0], ref) != 0)
			continue;
		for (int a = 1; a < c->n_allele; a++)
			if (strcmp(c->allele[a], alt) == 0)
				k = a;
		if (k < 0)
			continue;
		if (c->ds && !isnan(c->ds[k - 1]))
		{
			/* via the float's shortest decimal, so DS=0.98 gives 0.98, not 0.98000001907 */
			char		buf[32];

			vf_float_to_text(c->ds[k - 1], buf);
			PG_RETURN_FLOAT8(strtod(buf, NULL));
		}
		for (int h = 0; h < 2; h++)
		{
			if (c->gt[h] == VF_ALLELE_MISSING)
				PG_RETURN_NULL();
			if (c->gt[h] == k)
				d += 1;
		}
		PG_RETURN_FLOAT8(d);
	}
	PG_RETURN_FLOAT8(0.0);
}
