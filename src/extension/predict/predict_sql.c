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
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "common/error_report.h"
#include "common/extension_schema.h"
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
	VfPdbInfo	info;
	VfError		err;
	MemoryContext old;
	int			rc;

	if (st->have_key && st->lxid == lxid && st->key_len == len && memcmp(st->key, raw, len) == 0)
		return;
	st->have_key = false;
	MemoryContextReset(st->decode_cxt);
	old = MemoryContextSwitchTo(st->decode_cxt);
	/* varID keys match by position: the compact form, without the calls' rsIDs */
	vf_pdb_image_info(mv->image, &info);
	if (info.key == VF_PDB_KEY_VARID)
	{
		VfPosCalls *calls = vf_genotype_to_pos_calls(raw);

		MemoryContextSwitchTo(old);
		rc = vf_pdb_scratch_set_pos_calls(st->scratch, mv->image, calls, &err);
	}
	else
	{
		VfCalls    *calls = vf_genotype_to_calls(raw);

		MemoryContextSwitchTo(old);
		rc = vf_pdb_scratch_set_calls(st->scratch, mv->image, calls, &err);
	}
	if (rc < 0)
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
 * What the rest of varformer knows about `gene` when a PredictDB model does not find it by
 * itself (its ids, and its names from extra.genename): every gene annotation, by find_gene's rule
 * (gene_choose: so a name the annotation knows finds the model's gene by id), and the other
 * loaded PredictDB models. Only asked on a miss; a cohort x genes query asks about the same
 * genes again and again, so answers are remembered for the transaction.
 */
#define KNOWN_MEMO 64
typedef struct KnownMemo
{
	LocalTransactionId lxid;
	char		gene[NAMEDATALEN];
	char		gene_id[NAMEDATALEN];	/* the gene table's id for it, or "" */
	bool		known;
} KnownMemo;
static KnownMemo known_memo[KNOWN_MEMO];
static int	known_next;

static const KnownMemo *
gene_elsewhere(const char *gene, const char *model)
{
	LocalTransactionId lxid = MyProc->lxid;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	KnownMemo  *m;
	char	   *id = NULL;
	bool		known = false;

	for (int i = 0; i < KNOWN_MEMO; i++)
		if (known_memo[i].lxid == lxid && strcmp(known_memo[i].gene, gene) == 0)
			return &known_memo[i];
	values[0] = CStringGetTextDatum(gene);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/*
	 * gene_choose raises for an ambiguous name, naming the candidates; a gene id in several
	 * annotations (two releases of one GTF) is one candidate, any annotation knowing it will do
	 */
	if (SPI_execute_with_args(psprintf("SELECT (%s($1, ARRAY(SELECT DISTINCT ON (g.gene_id) g FROM %s g "
									   "WHERE g.gene_id = $1 OR lower(g.gene_name) = lower($1) "
									   "OR g.gene_id_unversioned = %s($1) ORDER BY g.gene_id, g.annotation))).gene_id",
									   VF_INTERNAL_SCHEMA ".gene_choose", vf_extension_relation("gene"),
									   vf_extension_relation("unversioned_gene_id")),
							  1, types, values, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not look up gene \"%s\"", gene);
	id = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	known = id != NULL;
	if (!known &&
		SPI_execute(psprintf("SELECT name FROM %s WHERE kind = 'predictdb' AND loaded",
							 vf_extension_relation("models")), true, 0) == SPI_OK_SELECT)
	{
		uint64		n = SPI_processed;
		SPITupleTable *tt = SPI_tuptable;

		for (uint64 i = 0; i < n && !known; i++)
		{
			char	   *other = SPI_getvalue(tt->vals[i], tt->tupdesc, 1);
			const VfModelRef *r;
			VfError		err;

			if (other == NULL || strcmp(other, model) == 0)
				continue;
			r = vf_model_acquire(other);
			known = r->kind == VF_KIND_PREDICTDB && vf_pdb_image_check(r->image, r->size, &err) == 0 &&
				vf_pdb_find_gene(r->image, gene, &err) != -1;
		}
	}
	m = &known_memo[known_next];
	known_next = (known_next + 1) % KNOWN_MEMO;
	m->lxid = lxid;
	strlcpy(m->gene, gene, sizeof(m->gene));
	strlcpy(m->gene_id, id ? id : "", sizeof(m->gene_id));
	m->known = known;
	SPI_finish();
	return m;
}

/*
 * One WARNING per statement, model and cause for the problems that hit every gene alike
 * (a contig naming mismatch, a genome build mismatch, a genotype without IDs), which a
 * NULL alone would hide; low coverage of one gene is expected and stays silent.
 */
static void
warn_once(const ModelView *mv, VfPdbStatus status, const char *note)
{
	static LocalTransactionId w_lxid;
	static CommandId w_cid;
	static char w_model[NAMEDATALEN];
	static uint32 w_mask;
	CommandId	cid = GetCurrentCommandId(false);

	if (status != VF_PDB_UNKNOWN_CONTIG && status != VF_PDB_ALLELE_MISMATCH && status != VF_PDB_NO_IDS)
		return;
	if (w_lxid != MyProc->lxid || w_cid != cid || strcmp(w_model, mv->name) != 0)
	{
		w_lxid = MyProc->lxid;
		w_cid = cid;
		strlcpy(w_model, mv->name, sizeof(w_model));
		w_mask = 0;
	}
	if (w_mask & (1u << status))
		return;
	w_mask |= 1u << status;
	ereport(WARNING,
			(errmsg("model \"%s\": %s", mv->name, note),
			 errdetail("predict_expression gives NULL for such genes (status \"%s\" in predict_expression_detail); this warning is given once per statement.",
					   vf_pdb_status_name(status)),
			 errhint(status == VF_PDB_NO_IDS ? "Load the model with {\"variant_key\": \"varID\"} when its file has varIDs, or read genotypes from a VCF with rsIDs."
					 : status == VF_PDB_UNKNOWN_CONTIG ? "Read the genotypes from a VCF whose contigs are named like the model's (22 or chr22)."
					 : "Check that the genotypes and the model use the same genome build (the model's varIDs end in _b37 or _b38).")));
}

/*
 * Scores one gene with a PredictDB model. Returns false when there is no prediction: the
 * model has no weights for a gene varformer knows, or (res NULL: predict_expression) the
 * genotype does not assay enough of the gene's variants; then with the model's
 * {"low_coverage": "error"} it raises instead. A gene nobody knows is an error naming it.
 * With res NULL only the prediction is wanted, which skips the tallies when coverage is
 * fine. With res, *status and note get the verdict.
 */
static bool
pdb_predict(const ModelView *mv, Datum gtd, const char *gene, VfPdbResult *res, double *grex,
			VfPdbStatus *status, char *note, size_t notesize)
{
	PdbState   *st = pdb_state(mv);
	VfError		err;
	int64_t		g = vf_pdb_find_gene(mv->image, gene, &err);
	VfPdbResult local;
	VfPdbStatus stat;
	char		buf[512];
	uint32_t	n_used;
	VfPdbInfo	info;

	if (g == -2)
		vf_ereport(&err);
	if (g < 0)
	{
		const KnownMemo *k = gene_elsewhere(gene, mv->name);

		/* a name (or other version) the gene table knows: the model's gene of that id */
		if (k->gene_id[0] != '\0' && (g = vf_pdb_find_gene(mv->image, k->gene_id, &err)) == -2)
			vf_ereport(&err);
	}
	if (g < 0)
	{
		if (gene_elsewhere(gene, mv->name)->known)
			return false;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("gene \"%s\" is not a gene of model \"%s\", of the gene table or of any other loaded PredictDB model",
						gene, mv->name),
				 errhint("Use a gene id (with or without version) or a gene name, as predictdb_genes('%s') lists them; a known gene the model has no weights for gives NULL.",
						 mv->name)));
	}
	pdb_set_genotype(st, mv, gtd);
	if (res == NULL)
	{
		VfPdbGeneInfo gi;

		if (vf_pdb_score_grex(mv->image, st->scratch, (uint32_t) g, grex, &n_used, &err) < 0)
			vf_ereport(&err);
		vf_pdb_gene_info(mv->image, (uint32_t) g, &gi);
		if (vf_pdb_enough_used(mv->image, n_used, gi.n_weight))
			return true;
		/* not enough: the tallies say why */
		res = &local;
		note = buf;
		notesize = sizeof(buf);
	}
	if (vf_pdb_score_gene(mv->image, st->scratch, (uint32_t) g, res, &err) < 0)
		vf_ereport(&err);
	*grex = res->grex;
	stat = vf_pdb_status(mv->image, st->scratch, (uint32_t) g, res, note, notesize);
	if (status)
		*status = stat;
	if (stat == VF_PDB_OK || res != &local)
		return stat == VF_PDB_OK;
	/* predict_expression without enough of the gene's variants */
	vf_pdb_image_info(mv->image, &info);
	if (info.low_coverage_error)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("model \"%s\" cannot predict gene \"%s\": %s", mv->name, gene, note),
				 errdetail("Status \"%s\": %u of %u variants used, %u skipped for their alleles, %u not assayed or missing.",
						   vf_pdb_status_name(stat), res->n_used, res->n_snps_in_model, res->n_skipped, res->n_missing),
				 errhint("The model was loaded with {\"low_coverage\": \"error\"}; with \"null\" such genes give NULL. "
						 "min_variant_fraction (now %g) sets how many of a gene's variants must be used.",
						 info.min_variant_fraction)));
	warn_once(mv, stat, note);
	return false;
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
			return pdb_predict(&mv, gtd, gene, NULL, out, NULL, NULL, 0);
		case VF_KIND_ENSEMBLE:
			return ensemble_predict(&mv, gtd, gene, depth, out);
		case VF_KIND_SEQ2FUNC:
		case VF_KIND_FUSED:
		case VF_KIND_EMBED_HEAD:
			*out = vf_deep_predict(mv.ref, model, gtd, gene, -1);
			return true;
		default:
			ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
							errmsg("predict_expression cannot use model \"%s\" of kind %s",
								   model, vf_model_kind_name(mv.kind)),
							errhint("predict_expression scores PredictDB (elastic net), seq2func, fused, embedding_head and ensemble models.")));
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
	VfPdbStatus *status;
	char	   *note;
	size_t		notesize;
	bool		have;
} DetailCall;

static void
detail_call(void *arg)
{
	DetailCall *d = arg;

	d->have = pdb_predict(d->mv, d->gt, d->gene, d->res, d->grex, d->status, d->note, d->notesize);
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
	Datum		values[11];
	bool		nulls[11] = {0};
	VfPdbStatus status;
	char		note[512];
	bool		ok;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("predict_expression_detail must be called where a record is expected")));
	require_predictdb(model, &mv, "predict_expression_detail");
	memset(&res, 0, sizeof(res));
	note[0] = '\0';
	{
		DetailCall	d = {&mv, PG_GETARG_DATUM(0), gene, &res, &grex, &status, note, sizeof(note), false};

		if (!vf_row_run(vf_on_error_arg(fcinfo, 3), "predict_expression_detail", gene, model, detail_call, &d))
			PG_RETURN_NULL();
		ok = d.have;
	}
	if (!ok && res.n_snps_in_model == 0)
		PG_RETURN_NULL();		/* a known gene without weights in this model */
	tupdesc = BlessTupleDesc(tupdesc);
	/* grex is what predict_expression gives; sum_used PrediXcan's sum whatever the coverage */
	values[0] = Float8GetDatum(res.grex);
	nulls[0] = !ok;
	values[1] = Int32GetDatum((int32) res.n_snps_in_model);
	values[2] = Int32GetDatum((int32) res.n_used);
	values[3] = Int32GetDatum((int32) res.n_flipped);
	values[4] = Int32GetDatum((int32) res.n_complemented);
	values[5] = Int32GetDatum((int32) res.n_skipped);
	values[6] = Int32GetDatum((int32) res.n_missing);
	values[7] = Float8GetDatum(res.n_snps_in_model ? (double) res.n_used / res.n_snps_in_model : 0.0);
	values[8] = Float8GetDatum(res.grex);
	values[9] = CStringGetTextDatum(vf_pdb_status_name(status));
	values[10] = CStringGetTextDatum(note);
	nulls[10] = note[0] == '\0';
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
	Datum		values[11];
	bool		nulls[11] = {0};

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
	values[9] = Float8GetDatum(info.min_variant_fraction);
	values[10] = CStringGetTextDatum(info.low_coverage_error ? "error" : "null");
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
	if (m->kind != VF_KIND_FUSED && m->kind != VF_KIND_SEQ2FUNC && m->kind != VF_KIND_EMBED_HEAD)
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
