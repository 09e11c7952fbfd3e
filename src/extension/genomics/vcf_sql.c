/*
 * vcf_sql.c: read_vcf() and read_genotypes(), the SQL face of vcf_reader.c.
 *
 * Both are materialized SRFs: the reader runs to the end inside one call, so the htslib
 * handles never outlive it. A reset callback on the work context closes the reader when an
 * ERROR (or a cancel) unwinds through the loop.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "common/error_report.h"
#include "common/file_access.h"
#include "genomics/file_text.h"
#include "genomics/reference_registry.h"
#include "lib/stringinfo.h"
#include "types/genotype.h"
#include "varformer/types/genotype_codec.h"
#include "varformer/types/genotype_text.h"
#include "varformer/genomics/vcf_reader.h"

PG_FUNCTION_INFO_V1(vf_read_vcf);
PG_FUNCTION_INFO_V1(vf_read_genotypes);
PG_FUNCTION_INFO_V1(vf_vcf_samples);

typedef struct ReaderHolder
{
	VfVcfReader *reader;
	MemoryContextCallback cb;
} ReaderHolder;

static void
reader_cleanup(void *arg)
{
	ReaderHolder *h = (ReaderHolder *) arg;

	if (h->reader)
		vf_vcf_close(h->reader);
	h->reader = NULL;
}

/*
 * Keeps in samples[] (in order) those the file has and returns how many; a NOTICE names the
 * others, as bcftools --force-samples warns. With none left the reader is opened for none.
 */
static int
present_samples(const char *path, const char **samples, int n, const char *given)
{
	VfError		err;
	VfVcfReader *all = vf_vcf_open(path, NULL, NULL, -1, &err);
	StringInfoData missing;
	int			kept = 0,
				n_missing = 0;

	if (all == NULL)
		vf_ereport(&err);
	initStringInfo(&missing);
	for (int i = 0; i < n; i++)
	{
		bool		found = false;

		for (int s = 0; s < vf_vcf_n_samples(all) && !found; s++)
			found = strcmp(vf_vcf_sample(all, s), samples[i]) == 0;
		if (found)
			samples[kept++] = samples[i];
		else if (n_missing++ < 10)
			appendStringInfo(&missing, "%s\"%s\"", n_missing > 1 ? ", " : "", samples[i]);
	}
	vf_vcf_close(all);
	samples[kept] = NULL;
	if (n_missing > 0)
		ereport(NOTICE,
				(errmsg("%d of the %d samples asked for %s not in \"%s\" and %s left out: %s%s",
						n_missing, n, n_missing == 1 ? "is" : "are", given, n_missing == 1 ? "is" : "are",
						missing.data, n_missing > 10 ? ", ..." : "")));
	return kept;
}

/*
 * Checks privilege and path, then opens the file in a new work context (child of the
 * current one) whose deletion closes the reader.
 */
static ReaderHolder *
open_reader(FunctionCallInfo fcinfo, const char *fname, bool region_required,
			MemoryContext *work)
{
	char	   *path;
	char	   *region = NULL;
	const char **samples = NULL;
	int			n_samples = -1;
	ReaderHolder *h;
	VfError		err;

	vf_require_read_server_files(fname);
	/*
	 * htslib resolves a relative path against the backend's working directory, the data
	 * directory, as vf_check_readable_file does; vf_server_path applies varformer.file_root
	 * first, and vf_ereport names the file as given again.
	 */
	path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	{
		static const char *const indexes[] = {".tbi", ".csi", NULL};
		char	   *abs = vf_check_readable_file(path, false);

		/* htslib opens the index by name for a region */
		vf_refuse_special_sidecars(abs, path, indexes);
	}
	path = vf_server_path(path);
	if (PG_NARGS() > 1 && !PG_ARGISNULL(1))
		region = text_to_cstring(PG_GETARG_TEXT_PP(1));
	else if (region_required)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s needs a region", fname),
				 errhint("A genotype covers one region, e.g. '22:16000000-17000000'.")));
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(2);
		Datum	   *elems;
		bool	   *nulls;

		if (ARR_NDIM(arr) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("samples must be a one-dimensional array")));
		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n_samples);
		samples = palloc(sizeof(char *) * (n_samples + 1));
		for (int i = 0; i < n_samples; i++)
		{
			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("samples must not contain NULL")));
			samples[i] = TextDatumGetCString(elems[i]);
		}
	}

	*work = AllocSetContextCreate(CurrentMemoryContext, "varformer VCF reader", ALLOCSET_DEFAULT_SIZES);
	h = MemoryContextAllocZero(*work, sizeof(ReaderHolder));
	h->cb.func = reader_cleanup;
	h->cb.arg = h;
	MemoryContextRegisterResetCallback(*work, &h->cb);
	/* force_samples: leave out, with a NOTICE, the samples the file does not have */
	if (samples != NULL && PG_NARGS() > 3 && !PG_ARGISNULL(3) && PG_GETARG_BOOL(3))
		n_samples = present_samples(path, samples, n_samples, text_to_cstring(PG_GETARG_TEXT_PP(0)));
	h->reader = vf_vcf_open(path, region, samples, n_samples, &err);
	if (h->reader == NULL)
		vf_ereport(&err);
	for (int s = 0; s < vf_vcf_n_samples(h->reader); s++)
		vf_file_text_check(vf_vcf_sample(h->reader, s), text_to_cstring(PG_GETARG_TEXT_PP(0)),
						   psprintf("sample %d", s + 1), "the sample name");
	return h;
}

static Datum
text_array(char **s, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * (n > 0 ? n : 1));

	for (int i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(s[i]);
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
float_array(const float *v, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * n);
	bool	   *nulls = palloc(sizeof(bool) * n);
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = isnan(v[i]);
		elems[i] = Float4GetDatum(nulls[i] ? 0 : v[i]);
	}
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, FLOAT4OID,
											  sizeof(float4), true, TYPALIGN_INT));
}

/*
 * read_vcf(path, region DEFAULT NULL, samples DEFAULT NULL): one row per record and
 * sample, records in file order and samples in file order within a record (as
 * bcftools query -f '[...]' prints them). Every record comes back, symbolic ones too.
 */
Datum
vf_read_vcf(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext work,
				row_cxt,
				old;
	ReaderHolder *h;
	VfVcfRecord rec;
	VfError		err;
	int			rc;
	char	   *shown,
			   *where;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	h = open_reader(fcinfo, "read_vcf", false, &work);
	shown = text_to_cstring(PG_GETARG_TEXT_PP(0));
	row_cxt = AllocSetContextCreate(work, "read_vcf record", ALLOCSET_DEFAULT_SIZES);

	while ((rc = vf_vcf_next(h->reader, &rec, &err)) > 0)
	{
		Datum		chrom,
					id,
					ref,
					alt;
		int			n_alt = rec.n_allele - 1;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(row_cxt);
		old = MemoryContextSwitchTo(row_cxt);
		where = psprintf("record %.60s:" INT64_FORMAT, rec.chrom, (int64) rec.pos);
		chrom = vf_file_text_datum(rec.chrom, shown, where, "CHROM");
		id = rec.id ? vf_file_text_datum(rec.id, shown, where, "ID") : (Datum) 0;
		ref = vf_file_text_datum(rec.allele[0], shown, where, "REF");
		for (int a = 1; a <= n_alt; a++)
			vf_file_text_check(rec.allele[a], shown, where, "ALT");
		alt = text_array(rec.allele + 1, n_alt);
		for (int s = 0; s < rec.n_sample; s++)
		{
			Datum		values[9];
			bool		nulls[9] = {0};
			char		gtbuf[32];
			const float *ds = rec.ds && rec.has_ds[s] ? rec.ds + (size_t) s * n_alt : NULL;

			values[0] = CStringGetTextDatum(vf_vcf_sample(h->reader, s));
			values[1] = chrom;
			values[2] = Int64GetDatum(rec.pos);
			values[3] = id;
			nulls[3] = rec.id == NULL;
			values[4] = ref;
			values[5] = alt;
			if (rec.has_gt)
			{
				vf_gt_to_text(rec.gt[2 * s], rec.gt[2 * s + 1], rec.phased[s], gtbuf);
				values[6] = CStringGetTextDatum(gtbuf);
			}
			else
				nulls[6] = true;
			nulls[7] = !(ds && n_alt == 1 && !isnan(ds[0]));
			values[7] = nulls[7] ? (Datum) 0 : Float4GetDatum(ds[0]);
			nulls[8] = ds == NULL;
			values[8] = ds ? float_array(ds, n_alt) : (Datum) 0;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		MemoryContextSwitchTo(old);
	}
	if (rc < 0)
		vf_ereport(&err);
	MemoryContextDelete(work);	/* closes the reader */
	return (Datum) 0;
}

/* A record kept back from genotypes, counted for one NOTICE per kind. */
typedef struct SkipCount
{
	int64		n;
	char		example[160];
} SkipCount;

static void
count_skip(SkipCount *sc, const VfVcfRecord *rec, bool name_alt)
{
	if (sc->n++ == 0)
	{
		const char *what = rec->allele[0];

		if (name_alt)
			for (int i = 1; i < rec->n_allele; i++)
				if (rec->allele[i][0] == '<' || strchr(rec->allele[i], '[') || strchr(rec->allele[i], ']'))
				{
					what = rec->allele[i];
					break;
				}
		snprintf(sc->example, sizeof(sc->example), "%.60s at %.60s:" INT64_FORMAT,
				 what, rec->chrom, (int64) rec->pos);
	}
}

/* Hom-ref calls without a non-zero dosage say nothing the region does not already say. */
static bool
is_plain_ref(const VfVcfRecord *rec, int s)
{
	int			g0 = rec->gt[2 * s],
				g1 = rec->gt[2 * s + 1];

	if (!rec->has_gt || g0 != 0 || (g1 != 0 && g1 != VF_ALLELE_NONE))
		return false;
	if (rec->ds && rec->has_ds[s])
		for (int a = 0; a < rec->n_allele - 1; a++)
			if (rec->ds[(size_t) s * (rec->n_allele - 1) + a] != 0)
				return false;
	return true;
}

/*
 * read_genotypes(path, region, samples DEFAULT NULL): one genotype per sample covering
 * region exactly. Records starting before the region, and records bcftools consensus
 * would refuse (symbolic ALTs other than <DEL>, <*>, <NON_REF>; alleles with characters
 * other than ACGTN) are left out, each kind reported in one NOTICE.
 */
Datum
vf_read_genotypes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext work,
				old;
	ReaderHolder *h;
	VfVcfRecord rec;
	VfError		err;
	int			rc;
	int			n_sample;
	const VfRegion *region;
	int64		start,
				end;
	VfCallsEncoder *enc;
	SkipCount	symbolic = {0},
				bad_allele = {0},
				before = {0};

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	h = open_reader(fcinfo, "read_genotypes", true, &work);
	region = vf_vcf_region(h->reader);
	start = region->start;
	end = region->end;
	if (!vf_region_bounded(region))
	{
		end = vf_vcf_contig_length(h->reader, region->chrom);
		if (end < 0)
		{
			/* the registered default reference knows the contig's length when the header does not */
			char	   *rname;
			VfReference *ref = vf_reference_default_if_any(&rname);
			VfError		rerr;
			int			ci = ref ? vf_reference_find_contig(ref, region->chrom, &rerr) : -1;

			if (ci >= 0)
			{
				end = vf_reference_contig_length(ref, ci);
				ereport(NOTICE,
						(errmsg("the VCF does not declare the length of contig \"%s\": region \"%s\" ends at " INT64_FORMAT ", its length in reference genome \"%s\"",
								region->chrom, text_to_cstring(PG_GETARG_TEXT_PP(1)), end, rname)));
			}
		}
		if (end < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("region \"%s\" has no end, and the VCF does not declare the length of contig \"%s\"",
							text_to_cstring(PG_GETARG_TEXT_PP(1)), region->chrom),
					 errhint("Give the region an end, e.g. %s:" INT64_FORMAT "-" INT64_FORMAT ", or register the reference genome (register_reference) whose length of the contig applies.",
							 region->chrom, start, start + 999999)));
		if (end < start)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("region \"%s\" starts after the end of contig \"%s\" (" INT64_FORMAT " bp)",
							text_to_cstring(PG_GETARG_TEXT_PP(1)), region->chrom, end)));
	}

	old = MemoryContextSwitchTo(work);
	n_sample = vf_vcf_n_samples(h->reader);
	enc = palloc(sizeof(VfCallsEncoder) * (n_sample + 1));
	for (int s = 0; s < n_sample; s++)
		vf_calls_encoder_init(&enc[s], start, end, vf_palloc_realloc);

	while ((rc = vf_vcf_next(h->reader, &rec, &err)) > 0)
	{
		int			n_alt = rec.n_allele - 1;
		VfCall		c;
		VfSite		site;

		CHECK_FOR_INTERRUPTS();
		if (rec.pos < start)
		{
			count_skip(&before, &rec, false);
			continue;
		}
		switch (vf_vcf_record_kind(&rec))
		{
			case VF_VCF_SYMBOLIC:
				count_skip(&symbolic, &rec, true);
				continue;
			case VF_VCF_BAD_ALLELE:
				count_skip(&bad_allele, &rec, false);
				continue;
			case VF_VCF_STORABLE:
				break;
		}
		vf_vcf_upper_alleles(&rec);
		memset(&c, 0, sizeof(c));
		c.pos = rec.pos;
		c.id = rec.id;
		c.n_allele = rec.n_allele;
		c.allele = (const char **) rec.allele;
		c.rlen = rec.rlen;
		if (vf_site_prepare(&c, &site, &err) != 0)
			vf_ereport(&err);
		for (int s = 0; s < n_sample; s++)
		{
			if (is_plain_ref(&rec, s))
				continue;
			c.gt[0] = rec.gt[2 * s];
			c.gt[1] = rec.gt[2 * s + 1];
			c.phased = rec.phased[s];
			c.ds = rec.ds && rec.has_ds[s] ? rec.ds + (size_t) s * n_alt : NULL;
			if (vf_calls_encoder_add_site(&enc[s], &c, &site, &err) != 0)
			{
				vf_error_detail(&err, "While reading sample \"%s\" of the VCF; records must be sorted by position.",
								vf_vcf_sample(h->reader, s));
				vf_ereport(&err);
			}
		}
	}
	if (rc < 0)
		vf_ereport(&err);

	for (int s = 0; s < n_sample; s++)
	{
		VfBuf		b;
		Datum		values[2];
		bool		nulls[2] = {0};
		static const char hdr[VARHDRSZ] = {0};

		CHECK_FOR_INTERRUPTS();
		vf_buf_init(&b, vf_palloc_realloc);
		if (vf_buf_append(&b, hdr, VARHDRSZ, &err) != 0 ||
			vf_calls_encoder_finish(&enc[s], region->chrom, &b, &err) != 0)
			vf_ereport(&err);
		SET_VARSIZE(b.data, b.len);
		values[0] = CStringGetTextDatum(vf_vcf_sample(h->reader, s));
		values[1] = PointerGetDatum(b.data);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		/* release as we go: all samples' bodies together can be large */
		pfree(b.data);
		pfree(DatumGetPointer(values[0]));
		if (enc[s].body.data)
			pfree(enc[s].body.data);
	}
	MemoryContextSwitchTo(old);

	if (symbolic.n)
		ereport(NOTICE,
				(errmsg("read_genotypes skipped " INT64_FORMAT " record%s with symbolic ALT alleles other than <DEL>, <*> and <NON_REF> (first: %s)",
						symbolic.n, symbolic.n == 1 ? "" : "s", symbolic.example),
				 errdetail("bcftools consensus cannot apply them either.")));
	if (bad_allele.n)
		ereport(NOTICE,
				(errmsg("read_genotypes skipped " INT64_FORMAT " record%s with alleles other than A, C, G, T, N (first: %s)",
						bad_allele.n, bad_allele.n == 1 ? "" : "s", bad_allele.example)));
	if (before.n)
		ereport(NOTICE,
				(errmsg("read_genotypes skipped " INT64_FORMAT " record%s that start before the region and overlap it (first: %s)",
						before.n, before.n == 1 ? "" : "s", before.example),
				 errdetail("A genotype holds only calls whose POS lies inside its region.")));
	MemoryContextDelete(work);
	return (Datum) 0;
}

/* vcf_samples(path): the file's sample names in file order */
Datum
vf_vcf_samples(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext work;
	ReaderHolder *h;

	/* one text column: the tuple descriptor comes from the call site */
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	h = open_reader(fcinfo, "vcf_samples", false, &work);
	for (int s = 0; s < vf_vcf_n_samples(h->reader); s++)
	{
		Datum		v = CStringGetTextDatum(vf_vcf_sample(h->reader, s));
		bool		isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &v, &isnull);
	}
	MemoryContextDelete(work);
	return (Datum) 0;
}
