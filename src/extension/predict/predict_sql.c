/*
 * predict_sql.c: predict_expression's dispatch on the model's kind, and the PredictDB
 * functions around it (detail per gene, the genes of a model, a model's load summary).
 *
 * PredictDB scoring matches a whole genotype against the model once and then reads any gene
 * of it in a few multiply-adds. The usual query, a cohort crossed with genes, passes the same
 * genotype many times in a row, so the backend-local state remembers which genotype it last
 * matched (by the datum's stored bytes: for a toasted value that is its toast pointer, so no
 * detoasting either) and only re-matches when it changes.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "common/error_report.h"
#include "predict/deep_predict.h"
#include "types/genotype.h"
#include "predict/progress.h"
#include "predict/row_errors.h"
#include "store/model_store.h"
#include "varformer/scoring/ensemble.h"
#include "varformer/scoring/predictdb.h"

PG_FUNCTION_INFO_V1(vf_predict_expression);
PG_FUNCTION_INFO_V1(vf_predict_expression_detail);
PG_FUNCTION_INFO_V1(vf_predict_expression_track);
PG_FUNCTION_INFO_V1(vf_predictdb_genes);
PG_FUNCTION_INFO_V1(vf_predictdb_model_info);
PG_FUNCTION_INFO_V1(vf_covers_gene);

/* Raw datums larger than this are not remembered (inline values are far smaller). */
#define GT_KEY_MAX (256 * 1024)

/* Backend-local state of one PredictDB model generation (kept by vf_model_cache). */
typedef struct PdbState
{
	VfPdbScratch *scratch;
	MemoryContext decode_cxt;	/* the genotype's decoded calls, reset per new genotype */
	bool		have_key;
	LocalTransactionId lxid;	/* the key is trusted within one transaction only */
	size_t		key_len;
	char	   *key;			/* malloc'd copy of the last genotype datum's stored bytes */
	size_t		key_cap;
} PdbState;

/* A model as needed here, copied out of the store's reference (acquiring another may reuse it). */
typedef struct ModelView
{
	char		name[NAMEDATALEN];
	VfModelKind kind;
	const void *image;
	size_t		size;
	const VfModelRef *ref;
} ModelView;

static void
acquire(const char *name, ModelView *mv)
{
	const VfModelRef *m = vf_model_acquire(name);

	strlcpy(mv->name, name, sizeof(mv->name));
	mv->kind = m->kind;
	mv->image = m->image;
	mv->size = m->size;
	mv->ref = m;
}

static void
pdb_state_free(void *p)
{
	PdbState   *st = p;

	if (st == NULL)
		return;
	vf_pdb_scratch_free(st->scratch);
	if (st->decode_cxt)
		MemoryContextDelete(st->decode_cxt);
	free(st->key);
	free(st);
}

static PdbState *
pdb_state(const ModelView *mv)
{
	PdbState   *st = vf_model_cache_get(mv->ref);
	VfError		err;
	MemoryContext cxt;

	if (st != NULL)
		return st;
	if (vf_pdb_image_check(mv->image, mv->size, &err) < 0)
		vf_ereport(&err);
	/* the context first: it is the one allocation here that may ERROR */
	cxt = AllocSetContextCreate(TopMemoryContext, "varformer predictdb genotype",
								ALLOCSET_DEFAULT_SIZES);
	st = calloc(1, sizeof(PdbState));
	if (st == NULL || (st->scratch = vf_pdb_scratch_new(mv->image, &err)) == NULL)
	{
		free(st);
		MemoryContextDelete(cxt);
		if (st == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
							errmsg("out of memory preparing PredictDB model \"%s\"", mv->name)));
		vf_ereport(&err);
	}
	st->decode_cxt = cxt;
	vf_model_cache_set(mv->ref, st, pdb_state_free);
	return st;
}

/* Makes the scratch hold this genotype's matches (unless it already does). */
static void
pdb_set_genotype(PdbState *st, const ModelView *mv, Datum gtd)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(gtd);
	size_t		len = VARSIZE_ANY(raw);
	LocalTransactionId lxid = MyProc->lxid;
	VfCalls    *calls;
	VfPdbInfo	info;
	VfError		err;
	MemoryContext old;

	if (st->have_key && st->lxid == lxid && st->key_len == len && memcmp(st->key, raw, len) == 0)
		return;
	st->have_key = false;
	MemoryContextReset(st->decode_cxt);
	old = MemoryContextSwitchTo(st->decode_cxt);
	/* varID keys match by position: the calls' rsIDs need not be spelled out */
	vf_pdb_image_info(mv->image, &info);
	calls = info.key == VF_PDB_KEY_VARID ? vf_genotype_to_calls_no_ids(raw)
		: vf_genotype_to_calls(raw);
	MemoryContextSwitchTo(old);
	if (vf_pdb_scratch_set_calls(st->scratch, mv->image, calls, &err) < 0)
		vf_ereport(&err);
	MemoryContextReset(st->decode_cxt);

	/*
	 * Remember inline values (compressed or not) and on-disk toast pointers; never an
	 * in-memory (indirect/expanded) pointer, whose bytes could later mean other content.
	 */
	if (len <= GT_KEY_MAX && (!VARATT_IS_EXTERNAL(raw) || VARATT_IS_EXTERNAL_ONDISK(raw)))
	{
		if (len > st->key_cap)
		{
			char	   *k = realloc(st->key, len);

			if (k == NULL)
				return;			/* no memory to remember it: match again next time */
			st->key = k;
			st->key_cap = len;
		}
		memcpy(st->key, raw, len);
		st->key_len = len;
		st->lxid = lxid;
		st->have_key = true;
	}
}

/*
 * Scores one gene with a PredictDB model; false when the model has no such gene. With res
 * NULL only the prediction is wanted (*grex), which skips the per-variant tallies.
 */
static bool
pdb_predict(const ModelView *mv, Datum gtd, const char *gene, VfPdbResult *res, double *grex)
{
	PdbState   *st = pdb_state(mv);
	VfError		err;
	int64_t		g = vf_pdb_find_gene(mv->image, gene, &err);

	if (g == -2)
		vf_ereport(&err);
	if (g < 0)
		return false;
	pdb_set_genotype(st, mv, gtd);
	if (res == NULL ? vf_pdb_score_grex(mv->image, st->scratch, (uint32_t) g, grex, &err) < 0
		: vf_pdb_score_gene(mv->image, st->scratch, (uint32_t) g, res, &err) < 0)
		vf_ereport(&err);
	if (res != NULL)
		*grex = res->grex;
	return true;
}

static bool predict_any(const char *model, Datum gtd, const char *gene, int depth, double *out);

/* weight-sum of the members' predictions; NULL (false) when any member has no prediction */
static bool
ensemble_predict(const ModelView *mv, Datum gtd, const char *gene, int depth, double *out)
{
	VfError		err;
	const void *image = mv->image;
	double		sum;
	uint32_t	n;

	if (vf_ensemble_image_check(image, mv->size, &err) < 0)
		vf_ereport(&err);
	if (depth >= VF_ENSEMBLE_MAX_DEPTH)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("ensemble \"%s\" nests ensembles more than %d deep", mv->name,
							   VF_ENSEMBLE_MAX_DEPTH),
						errhint("An ensemble that contains itself, directly or not, never ends.")));
	sum = vf_ensemble_intercept(image);
	n = vf_ensemble_n_members(image);
	for (uint32_t i = 0; i < n; i++)
	{
		double		w,
					v;
		char		member[NAMEDATALEN];

		strlcpy(member, vf_ensemble_member(image, i, &w), sizeof(member));
		if (!predict_any(member, gtd, gene, depth + 1, &v))
			return false;
		sum += w * v;
	}
	*out = sum;
	return true;
}

static bool
predict_any(const char *model, Datum gtd, const char *gene, int depth, double *out)
{
	ModelView	mv;

	CHECK_FOR_INTERRUPTS();
	acquire(model, &mv);
	switch (mv.kind)
	{
		case VF_KIND_PREDICTDB:
			return pdb_predict(&mv, gtd, gene, NULL, out);
		case VF_KIND_ENSEMBLE:
			return ensemble_predict(&mv, gtd, gene, depth, out);
		case VF_KIND_SEQ2FUNC:
		case VF_KIND_FUSED:
			*out = vf_deep_predict(mv.ref, model, gtd, gene, -1);
			return true;
		default:
			ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
							errmsg("predict_expression cannot use model \"%s\" of kind %s",
								   model, vf_model_kind_name(mv.kind)),
							errhint("predict_expression scores PredictDB (elastic net), seq2func, fused and ensemble models.")));
	}
	return false;
}

/* One predict_expression call, run through vf_row_run (varformer.on_error). */
typedef struct PredictCall
{
	const char *model;
	Datum		gt;
	const char *gene;
	int			track;			/* < 0: the model's default output */
	const VfModelRef *deep;		/* track given: the deep model */
	double		value;
	bool		have;
} PredictCall;

static void
predict_call(void *arg)
{
	PredictCall *c = arg;

	if (c->deep != NULL)
	{
		c->value = vf_deep_predict(c->deep, c->model, c->gt, c->gene, c->track);
		c->have = true;
	}
	else
		c->have = predict_any(c->model, c->gt, c->gene, 0, &c->value);
}

/*
 * 1 when the genotype covers what the model reads for the gene, 0 when not, -1 when that is
 * not a question of the region (a PredictDB model: its coverage is per variant, shown by
 * predict_expression_detail). An ensemble covers when every member does (SQL's AND).
 */
static int
covers_any(const char *model, Datum gtd, const char *gene, int depth)
{
	ModelView	mv;
	int			all = 1;

	CHECK_FOR_INTERRUPTS();
	acquire(model, &mv);
	switch (mv.kind)
	{
		case VF_KIND_PREDICTDB:
			return -1;
		case VF_KIND_SEQ2FUNC:
		case VF_KIND_FUSED:
			return vf_deep_covers(mv.ref, model, gtd, gene) ? 1 : 0;
		case VF_KIND_ENSEMBLE:
			{
				VfError		err;
				uint32_t	n;

				if (vf_ensemble_image_check(mv.image, mv.size, &err) < 0)
					vf_ereport(&err);
				if (depth >= VF_ENSEMBLE_MAX_DEPTH)
					ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
									errmsg("ensemble \"%s\" nests ensembles more than %d deep", model,
										   VF_ENSEMBLE_MAX_DEPTH)));
				n = vf_ensemble_n_members(mv.image);
				for (uint32_t i = 0; i < n; i++)
				{
					double		w;
					char		member[NAMEDATALEN];
					int			r;

					strlcpy(member, vf_ensemble_member(mv.image, i, &w), sizeof(member));
					r = covers_any(member, gtd, gene, depth + 1);
					if (r == 0)
						return 0;
					if (r < 0)
						all = -1;
				}
				return all;
			}
		default:
			ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
							errmsg("covers_gene cannot use model \"%s\" of kind %s", model,
								   vf_model_kind_name(mv.kind)),
							errhint("covers_gene answers for the models predict_expression scores.")));
	}
	return -1;
}

/* predict_expression(gt genotype, gene text, model text [, on_error text]) float8 */
Datum
vf_predict_expression(PG_FUNCTION_ARGS)
{
	PredictCall c = {0};

	c.gene = text_to_cstring(PG_GETARG_TEXT_PP(1));
	c.model = text_to_cstring(PG_GETARG_TEXT_PP(2));
	c.gt = PG_GETARG_DATUM(0);
	c.track = -1;
	vf_progress_call("predict_expression", c.model, false);
	if (!vf_row_run(vf_on_error_arg(fcinfo, 3), "predict_expression", c.gene, c.model, predict_call, &c) ||
		!c.have)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(c.value);
}

static const ModelView *
require_predictdb(const char *model, ModelView *mv, const char *what)
{
	acquire(model, mv);
	if (mv->kind != VF_KIND_PREDICTDB)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("%s needs a PredictDB model, but \"%s\" is of kind %s", what, model,
							   vf_model_kind_name(mv->kind))));
	return mv;
}

typedef struct DetailCall
{
	const ModelView *mv;
	Datum		gt;
	const char *gene;
	VfPdbResult *res;
	double	   *grex;
	bool		have;
} DetailCall;

static void
detail_call(void *arg)
{
	DetailCall *d = arg;

	d->have = pdb_predict(d->mv, d->gt, d->gene, d->res, d->grex);
}

/* predict_expression_detail(gt, gene, model [, on_error]): grex and the matching counts of one gene */
Datum
vf_predict_expression_detail(PG_FUNCTION_ARGS)
{
	char	   *gene = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(2));
	ModelView	mv;
	VfPdbResult res;
	double		grex;
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("predict_expression_detail must be called where a record is expected")));
	require_predictdb(model, &mv, "predict_expression_detail");
	{
		DetailCall	d = {&mv, PG_GETARG_DATUM(0), gene, &res, &grex, false};

		if (!vf_row_run(vf_on_error_arg(fcinfo, 3), "predict_expression_detail", gene, model, detail_call, &d) ||
			!d.have)
			PG_RETURN_NULL();
	}
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Float8GetDatum(res.grex);
	values[1] = Int32GetDatum((int32) res.n_snps_in_model);
	values[2] = Int32GetDatum((int32) res.n_used);
	values[3] = Int32GetDatum((int32) res.n_flipped);
	values[4] = Int32GetDatum((int32) res.n_complemented);
	values[5] = Int32GetDatum((int32) res.n_skipped);
	values[6] = Int32GetDatum((int32) res.n_missing);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

static Datum
float_or_null(double v, bool *isnull)
{
	*isnull = isnan(v);
	return Float8GetDatum(v);
}

/* predictdb_genes(model): one row per gene of the model */
Datum
vf_predictdb_genes(PG_FUNCTION_ARGS)
{
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ModelView	mv;
	VfPdbInfo	info;
	VfError		err;

	InitMaterializedSRF(fcinfo, 0);
	require_predictdb(model, &mv, "predictdb_genes");
	if (vf_pdb_image_check(mv.image, mv.size, &err) < 0)
		vf_ereport(&err);
	vf_pdb_image_info(mv.image, &info);
	for (uint32_t g = 0; g < info.n_gene; g++)
	{
		VfPdbGeneInfo gi;
		Datum		values[7];
		bool		nulls[7] = {0};

		CHECK_FOR_INTERRUPTS();
		vf_pdb_gene_info(mv.image, g, &gi);
		values[0] = CStringGetTextDatum(gi.gene);
		values[1] = CStringGetTextDatum(gi.genename);
		nulls[1] = gi.genename[0] == '\0';
		values[2] = Int32GetDatum((int32) gi.n_weight);
		values[3] = Int32GetDatum(gi.n_snps_in_model);
		nulls[3] = gi.n_snps_in_model < 0;
		values[4] = float_or_null(gi.pred_perf_r2, &nulls[4]);
		values[5] = float_or_null(gi.pred_perf_pval, &nulls[5]);
		values[6] = float_or_null(gi.pred_perf_qval, &nulls[6]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* predictdb_model_info(model): how the model was read (keys, counts, documented skips) */
Datum
vf_predictdb_model_info(PG_FUNCTION_ARGS)
{
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ModelView	mv;
	VfPdbInfo	info;
	VfError		err;
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("predictdb_model_info must be called where a record is expected")));
	require_predictdb(model, &mv, "predictdb_model_info");
	if (vf_pdb_image_check(mv.image, mv.size, &err) < 0)
		vf_ereport(&err);
	vf_pdb_image_info(mv.image, &info);
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = CStringGetTextDatum(info.key == VF_PDB_KEY_VARID ? "varID" : "rsid");
	values[1] = CStringGetTextDatum(info.skip_palindromic ? "skip" : "keep");
	values[2] = Int32GetDatum((int32) info.n_gene);
	values[3] = Int32GetDatum((int32) info.n_variant);
	values[4] = Int32GetDatum((int32) info.n_weight);
	values[5] = Int32GetDatum((int32) info.n_null_weight);
	values[6] = Int32GetDatum((int32) info.n_bad_allele);
	values[7] = Int32GetDatum((int32) info.n_duplicate);
	values[8] = Int32GetDatum((int32) info.n_no_extra);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* predict_expression(gt, gene, model, track): one output of a multi-task model */
Datum
vf_predict_expression_track(PG_FUNCTION_ARGS)
{
	char	   *gene = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(2));
	int			track = PG_GETARG_INT32(3);
	const VfModelRef *m;
	PredictCall c = {0};

	if (track < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("track %d is out of range: tracks count from 0", track)));
	m = vf_model_acquire(model);
	if (m->kind != VF_KIND_FUSED && m->kind != VF_KIND_SEQ2FUNC)
	{
		/* single-output kinds: only their one output exists */
		if (track != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("track %d is out of range: model \"%s\" of kind %s has one output (track 0)", track,
							model, vf_model_kind_name(m->kind))));
		track = -1;
	}
	else
		c.deep = m;
	c.gene = gene;
	c.model = model;
	c.gt = PG_GETARG_DATUM(0);
	c.track = track;
	vf_progress_call("predict_expression", model, false);
	if (!vf_row_run(vf_on_error_arg(fcinfo, 4), "predict_expression", gene, model, predict_call, &c) || !c.have)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(c.value);
}

/* covers_gene(gt, gene, model): whether the genotype's region holds the model's windows */
Datum
vf_covers_gene(PG_FUNCTION_ARGS)
{
	char	   *gene = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(2));
	int			r = covers_any(model, PG_GETARG_DATUM(0), gene, 0);

	if (r < 0)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(r == 1);
}
