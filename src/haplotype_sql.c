/*
 * haplotype_sql.c: haplotype_sequence() and haplotype_position(), the SQL side of
 * haplotype construction: genotype -> calls, window checks, reference window, build.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "varformer/contig_names.h"
#include "varformer/error_report.h"
#include "varformer/genotype.h"
#include "varformer/haplotype.h"
#include "varformer/reference_registry.h"

PG_FUNCTION_INFO_V1(vf_haplotype_sequence);
PG_FUNCTION_INFO_V1(vf_haplotype_position);

/*
 * Builds the haplotype for the arguments (gt, hap, chrom, start, end, reference at
 * ref_arg). The caller frees h with vf_haplotype_free. Returns false when an argument
 * that makes the result NULL is NULL.
 */
static bool
build_from_args(FunctionCallInfo fcinfo, int ref_arg, VfHaplotype *h)
{
	VfCalls    *calls;
	int			hap;
	char	   *chrom,
			   *name;
	int64		start,
				end;
	char	   *ref;
	size_t		len;
	VfError		err;

	for (int i = 0; i < 5; i++)
		if (PG_ARGISNULL(i))
			return false;
	hap = PG_GETARG_INT32(1);
	chrom = text_to_cstring(PG_GETARG_TEXT_PP(2));
	start = PG_GETARG_INT64(3);
	end = PG_GETARG_INT64(4);
	name = PG_ARGISNULL(ref_arg) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(ref_arg));

	if (hap != 1 && hap != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("haplotype must be 1 or 2, not %d", hap)));
	if (end < start)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window %s:%lld-%lld ends before it starts", chrom,
						(long long) start, (long long) end)));

	calls = vf_genotype_to_calls((struct varlena *) PG_GETARG_POINTER(0));
	if (strcmp(calls->chrom, chrom) != 0)
	{
		const char *names[1] = {calls->chrom};

		if (vf_contig_alias(chrom, names, 1) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the genotype is on contig \"%s\", not \"%s\"", calls->chrom, chrom),
					 errdetail("The VCF names contigs like \"%s\"; you asked for \"%s\".", calls->chrom, chrom),
					 errhint("Ask for \"%s\" (the reference FASTA must use the same naming).", calls->chrom)));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the genotype is on contig \"%s\", not \"%s\"", calls->chrom, chrom)));
	}
	if (start < calls->start || end > calls->end)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window %s:%lld-%lld reaches outside the genotype's region %s:%lld-%lld",
						chrom, (long long) start, (long long) end,
						calls->chrom, (long long) calls->start, (long long) calls->end),
				 errdetail("Outside its region a genotype says nothing about the sample's alleles."),
				 errhint("Read the genotype over a region that covers the window (read_genotypes(path, region)).")));

	ref = vf_reference_window(name, chrom, start, end, &len);
	if (vf_haplotype_build(calls, hap, ref, start, end, h, &err) != 0)
		vf_ereport(&err);
	pfree(ref);
	pfree(calls);
	return true;
}

Datum
vf_haplotype_sequence(PG_FUNCTION_ARGS)
{
	VfHaplotype h;
	text	   *result;

	if (!build_from_args(fcinfo, 5, &h))
		PG_RETURN_NULL();
	if (h.len > MaxAllocSize - VARHDRSZ)
	{
		vf_haplotype_free(&h);
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("haplotype sequence is too long")));
	}
	result = (text *) palloc(VARHDRSZ + h.len);
	SET_VARSIZE(result, VARHDRSZ + h.len);
	memcpy(VARDATA(result), h.seq, h.len);
	vf_haplotype_free(&h);
	PG_RETURN_TEXT_P(result);
}

Datum
vf_haplotype_position(PG_FUNCTION_ARGS)
{
	VfHaplotype h;
	int64		pos,
				off;

	if (PG_ARGISNULL(5))
		PG_RETURN_NULL();
	pos = PG_GETARG_INT64(5);
	if (!PG_ARGISNULL(3) && !PG_ARGISNULL(4) &&
		(pos < PG_GETARG_INT64(3) || pos > PG_GETARG_INT64(4)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("position %lld is outside the window %lld-%lld", (long long) pos,
						(long long) PG_GETARG_INT64(3), (long long) PG_GETARG_INT64(4))));
	if (!build_from_args(fcinfo, 6, &h))
		PG_RETURN_NULL();
	off = vf_haplotype_map(&h, pos);
	vf_haplotype_free(&h);
	PG_RETURN_INT64(off + 1);
}
