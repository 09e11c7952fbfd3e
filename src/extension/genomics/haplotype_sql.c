/*
 * haplotype_sql.c: haplotype_sequence() and haplotype_position(), the SQL side of
 * haplotype construction: genotype -> calls, window checks, reference window, build.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "varformer/common/contig_names.h"
#include "common/error_report.h"
#include "types/genotype.h"
#include "varformer/genomics/haplotype.h"
#include "genomics/reference_registry.h"

PG_FUNCTION_INFO_V1(vf_haplotype_sequence);
PG_FUNCTION_INFO_V1(vf_haplotype_position);
PG_FUNCTION_INFO_V1(vf_haplotype_window);

/*
 * The reference bases of the window (malloc'd). The genotype's contig name is fixed by the
 * VCF, so when the reference uses the other naming convention the message says that,
 * rather than suggesting to ask for another name.
 */
static char *
fetch_window(FunctionCallInfo fcinfo, const char *name, const char *chrom, int64 start, int64 end,
			 size_t *len)
{
	char	   *rname;
	VfReference *ref = vf_reference_resolve_cached(fcinfo->flinfo, name, &rname);
	VfError		err;
	char	   *s;

	if (vf_reference_find_contig(ref, chrom, &err) < 0)
	{
		int			n = vf_reference_n_contigs(ref);
		const char **names = palloc(sizeof(char *) * (n + 1));
		const char *alias;

		for (int i = 0; i < n; i++)
			names[i] = vf_reference_contig_name(ref, i);
		alias = vf_contig_alias(chrom, names, n);
		if (alias != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("contig \"%s\" of the genotype is not in reference genome \"%s\"", chrom, rname),
					 errdetail("The VCF names it \"%s\"; the reference FASTA names it \"%s\".", chrom, alias),
					 errhint("Register a reference FASTA that names contigs as the VCF does, or rename the VCF's contigs (bcftools annotate --rename-chrs).")));
		vf_ereport(&err);
	}
	s = vf_reference_fetch(ref, chrom, start, end, len, &err);
	if (s == NULL)
		vf_ereport(&err);
	return s;
}

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

	ref = fetch_window(fcinfo, name, chrom, start, end, &len);
	if (vf_haplotype_build(calls, hap, ref, start, end, h, &err) != 0)
	{
		free(ref);
		vf_ereport(&err);
	}
	free(ref);
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

/*
 * haplotype_window(gt, hap, chrom, centre, width, reference): `width` haplotype bases with
 * reference position `centre` at offset width / 2, however the indels before it moved it.
 * The haplotype is built over the window plus a margin for deletions (a quarter of the
 * width + 1 kb each side), clipped to the genotype's region and the contig: beyond the
 * region nothing is known about the sample.
 */
Datum
vf_haplotype_window(PG_FUNCTION_ARGS)
{
	VfCalls    *calls;
	int			hap;
	char	   *chrom,
			   *name;
	int64		centre,
				width,
				margin,
				lo,
				hi;
	char	   *ref,
			   *seq;
	size_t		len;
	VfHaplotype h;
	VfError		err;
	text	   *result;

	for (int i = 0; i < 5; i++)
		if (PG_ARGISNULL(i))
			PG_RETURN_NULL();
	hap = PG_GETARG_INT32(1);
	chrom = text_to_cstring(PG_GETARG_TEXT_PP(2));
	centre = PG_GETARG_INT64(3);
	width = PG_GETARG_INT32(4);
	name = PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5));
	if (hap != 1 && hap != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("haplotype must be 1 or 2, not %d", hap)));
	if (width < 1 || width > VF_REFERENCE_MAX_WINDOW / 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window width %lld is out of range (1 to %lld)", (long long) width,
						(long long) (VF_REFERENCE_MAX_WINDOW / 2))));

	calls = vf_genotype_to_calls((struct varlena *) PG_GETARG_POINTER(0));
	if (strcmp(calls->chrom, chrom) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the genotype is on contig \"%s\", not \"%s\"", calls->chrom, chrom)));
	/* the model window itself must lie inside the region; the margin may be clipped */
	if (centre - width / 2 < calls->start || centre - width / 2 + width - 1 > calls->end)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window %s:%lld-%lld reaches outside the genotype's region %s:%lld-%lld",
						chrom, (long long) (centre - width / 2), (long long) (centre - width / 2 + width - 1),
						calls->chrom, (long long) calls->start, (long long) calls->end),
				 errhint("Read the genotype over a region that covers the window (read_genotypes(path, region)).")));
	margin = width / 4 + 1000;
	lo = Max(calls->start, centre - width / 2 - margin);
	hi = Min(calls->end, centre - width / 2 + width - 1 + margin);
	{
		VfReference *r = vf_reference_resolve_cached(fcinfo->flinfo, name, NULL);
		int			ci = vf_reference_find_contig(r, chrom, &err);

		if (ci < 0)
			vf_ereport(&err);
		lo = Max(lo, 1);
		hi = Min(hi, vf_reference_contig_length(r, ci));
	}
	ref = fetch_window(fcinfo, name, chrom, lo, hi, &len);
	if (vf_haplotype_build(calls, hap, ref, lo, hi, &h, &err) != 0)
	{
		free(ref);
		vf_ereport(&err);
	}
	free(ref);
	seq = vf_haplotype_centred(&h, centre, width, &err);
	vf_haplotype_free(&h);
	if (seq == NULL)
	{
		vf_error_hint(&err, "Read the genotype over a wider region (the window plus the length of the deletions near it).");
		vf_ereport(&err);
	}
	result = cstring_to_text_with_len(seq, (int) width);
	free(seq);
	pfree(calls);
	PG_RETURN_TEXT_P(result);
}
