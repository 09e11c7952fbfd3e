/*
 * deep_predict.c: predict_expression for sequence-to-function trunks and fused models,
 * variant_effect and explain_expression.
 *
 * Windows follow haplotype_window (haplotype_sql.c): each haplotype is built from the
 * person's calls over the model's window plus a margin (a quarter of the widest window
 * + 1 kb each side, clipped to the genotype's region and the contig), and the model reads
 * the bases centred on the gene's TSS in that haplotype's own coordinates; minus-strand
 * genes are reverse-complemented when the model was loaded with {"reverse_complement": true}.
 *
 * No SPI per row: per backend and model generation the model is built once (DeepModel,
 * one per name, see deep_model_get); once per transaction the catalog row is read again
 * (options and the reference bound at load: a name loaded again with the same bytes but
 * other options keeps its generation), and each gene is looked up once (model_find_gene,
 * the annotation bound at load) together with the reference bases around its TSS. A row
 * then costs its haplotype keys and, on a cache miss, the forward passes.
 *
 * What is computed once per distinct input (prediction_cache.c):
 *   fused     per haplotype: the encoder's pooled embedding;
 *             per unordered haplotype pair: the trunk's outputs on the averaged one-hot
 *   seq2func  per haplotype: each track summed over the central bins;
 *             with {"diploid_onehot": true}, per unordered pair on the averaged one-hot
 * A haplotype's key is the model generation, its options, the gene, the window built and
 * the alleles this haplotype carries inside it, which determine its bases exactly.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "common/error_report.h"
#include "common/extension_schema.h"
#include "genomics/reference_registry.h"
#include "predict/deep_predict.h"
#include "predict/engine.h"
#include "predict/prediction_cache.h"
#include "predict/progress.h"
#include "predict/row_errors.h"
#include "types/genotype.h"
#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/json.h"
#include "varformer/genomics/haplotype.h"
#include "varformer/kernels/blas.h"
#include "varformer/models/model.h"
#include "varformer/models/ukbioformer.h"

PG_FUNCTION_INFO_V1(vf_variant_effect);
PG_FUNCTION_INFO_V1(vf_explain_expression);

/* predict_sql.c: the 3-argument function, for the single-output kinds */

#define MAX_GENES_MEMO 4096

/* One gene as a model reads it: its TSS and the reference bases around it. */
typedef struct GeneWindow
{
	char	   *query;			/* the id the user passed */
	char	   *gene_id;
	char	   *chrom;
	int64		tss;
	bool		minus;
	int64		contig_len;
	int64		ref_lo,
				ref_hi;			/* reference bases fetched: window + margin, clipped to the contig */
	char	   *ref;			/* [ref_lo, ref_hi] */
} GeneWindow;

/* Backend-local state of one model generation (malloc'd: it outlives transactions). */
typedef struct DeepModel
{
	VfModelKind kind;
	const void *image;
	VfCheckpoint ckpt,
				enc_ckpt;
	bool		ckpt_open,
				enc_open;
	VfJsonDoc  *config;
	VfModel    *s2f;			/* seq2func */
	VfFused    *fused;
	int			tracks;			/* outputs per prediction */
	int			bins;			/* seq2func output bins for the window */
	float	   *out;			/* bins x tracks */
	float	   *onehot;			/* window x 4 */
	/* options as the catalog has them now (checked once per transaction) */
	LocalTransactionId checked_lxid;
	char	   *options_text;
	char	   *binding;		/* reference name and sha256, annotation sha256 */
	uint64		options_hash;
	char	   *reference;
	int			window;			/* the trunk's window */
	int			enc_window;		/* the encoder's (fused) */
	int			track;
	int			tss_bins;
	bool		diploid,
				rc,
				allow_unphased;
	int			n_genes;
	GeneWindow *genes[MAX_GENES_MEMO];
} DeepModel;

static void
check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

static void
genes_clear(DeepModel *dm)
{
	for (int i = 0; i < dm->n_genes; i++)
	{
		GeneWindow *g = dm->genes[i];

		free(g->query);
		free(g->gene_id);
		free(g->chrom);
		free(g->ref);
		free(g);
	}
	dm->n_genes = 0;
}

static void
deep_model_free(void *p)
{
	DeepModel  *dm = p;

	if (dm == NULL)
		return;
	genes_clear(dm);
	vf_fused_free(dm->fused);
	vf_model_free(dm->s2f);
	if (dm->config)
		vf_json_free(dm->config);
	if (dm->ckpt_open)
		vf_checkpoint_close(&dm->ckpt);
	if (dm->enc_open)
		vf_checkpoint_close(&dm->enc_ckpt);
	free(dm->out);
	free(dm->onehot);
	free(dm->options_text);
	free(dm->reference);
	free(dm->binding);
	free(dm);
}

static char *
xstrdup(const char *s)
{
	char	   *d = s ? strdup(s) : NULL;

	if (s && d == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return d;
}

/* The model itself, once per backend and generation. */
static DeepModel *
deep_model_build(const VfModelRef *m, const char *name)
{
	DeepModel  *dm = calloc(1, sizeof(DeepModel));
	VfError		err = {0};

	if (dm == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	dm->kind = m->kind;
	dm->image = m->image;
	if (m->kind == VF_KIND_FUSED)
	{
		if (vf_fused_image_open(m->image, m->size, &dm->ckpt, &dm->enc_ckpt, &err) < 0)
			goto fail;
		dm->ckpt_open = dm->enc_open = true;
		if ((dm->fused = vf_fused_create(&dm->ckpt, &dm->enc_ckpt, &err)) == NULL)
			goto fail;
		vf_fused_set_interrupt_hook(dm->fused, check_interrupts);
		dm->tracks = vf_fused_info(dm->fused)->n_tasks;
	}
	else
	{
		if (vf_checkpoint_open(m->image, m->size, &dm->ckpt, &err) < 0)
			goto fail;
		dm->ckpt_open = true;
		if (dm->ckpt.config_json == NULL)
		{
			vf_error(&err, VF_ERR_DATA, "model \"%s\" has no config.json", name);
			goto fail;
		}
		if ((dm->config = vf_json_parse(dm->ckpt.config_json, dm->ckpt.config_len, &err)) == NULL ||
			(dm->s2f = vf_model_create(&dm->ckpt, vf_json_root(dm->config), &err)) == NULL)
			goto fail;
		vf_model_set_interrupt_hook(dm->s2f, check_interrupts);
		dm->tracks = vf_model_info(dm->s2f)->out_cols;
	}
	return dm;
fail:
	deep_model_free(dm);
	vf_ereport(&err);
	return NULL;				/* not reached */
}

static int
option_int(const VfJson *o, const char *key, int dflt, int lo, int hi, const char *model)
{
	const VfJson *v = vf_json_get(o, key);

	if (v == NULL)
		return dflt;
	if (v->type != VF_JSON_NUMBER || !v->is_integer || v->integer < lo || v->integer > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" of model \"%s\" must be an integer from %d to %d", key, model, lo, hi)));
	return (int) v->integer;
}

/* Options, reference identity and (when they changed) the per-gene memo: once per transaction. */
static void
deep_model_refresh(DeepModel *dm, const char *name)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	char	   *opts = NULL,
			   *binding = NULL,
			   *ref = NULL,
			   *bound_sha = NULL,
			   *now_sha = NULL;
	bool		found;
	VfJsonDoc  *doc;
	VfError		err;
	const VfJson *o;

	if (dm->checked_lxid == MyProc->lxid && dm->options_text != NULL)
		return;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* an identical reload keeps its generation, not its options or binding: compare those */
	if (SPI_execute_with_args(psprintf("SELECT c.options::pg_catalog.text, c.reference, c.reference_sha256, "
									   "(SELECT r.sha256 FROM %s r WHERE r.name OPERATOR(pg_catalog.=) c.reference), "
									   "c.annotation_sha256 "
									   "FROM %s c WHERE c.name OPERATOR(pg_catalog.=) $1",
									   vf_extension_relation("reference_genome"),
									   vf_extension_relation("model_catalog")),
							  1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the model catalog");
	found = SPI_processed == 1;
	if (found)
	{
		MemoryContext spi = MemoryContextSwitchTo(TopTransactionContext);
		char	   *v;

		opts = pstrdup(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
		if ((v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2)) != NULL)
			ref = pstrdup(v);
		if ((v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3)) != NULL)
			bound_sha = pstrdup(v);
		if ((v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4)) != NULL)
			now_sha = pstrdup(v);
		v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5);
		binding = psprintf("%s %s %s", ref ? ref : "", bound_sha ? bound_sha : "", v ? v : "");
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	if (!found)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
						errmsg("model \"%s\" is not loaded", name)));
	if (ref == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model \"%s\" has no \"window\" option", name),
				 errhint("Load it with the number of bases it reads around the TSS, e.g. load_model(name, path, '{\"window\": 196608}').")));
	if (now_sha == NULL || strcmp(now_sha, bound_sha) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("reference genome \"%s\" that model \"%s\" was loaded with is %s", ref, name,
						now_sha == NULL ? "no longer registered" : "now registered with other content"),
				 errdetail("The model bound sha256 %s; the registry has %s.", bound_sha, now_sha ? now_sha : "none"),
				 errhint("Register the same FASTA again as \"%s\", or reload the model with {\"replace\": true} to bind the reference as it is now.", ref)));
	if (dm->options_text != NULL && strcmp(dm->options_text, opts) == 0 &&
		strcmp(dm->binding, binding) == 0)
	{
		dm->checked_lxid = MyProc->lxid;
		return;
	}

	/* new or changed options: parse them, forget the genes read under the old ones */
	if ((doc = vf_json_parse(opts, strlen(opts), &err)) == NULL)
		vf_ereport(&err);
	o = vf_json_root(doc);
	PG_TRY();
	{
		dm->window = option_int(o, "window", 0, 1, 1 << 24, name);
		dm->track = option_int(o, "track", 0, 0, dm->tracks - 1, name);
		dm->tss_bins = option_int(o, "tss_bins", 3, 1, 1 << 20, name);
		dm->diploid = vf_json_get_bool(o, "diploid_onehot", false);
		dm->rc = vf_json_get_bool(o, "reverse_complement", false);
		dm->allow_unphased = vf_json_get_bool(o, "allow_unphased", false);
	}
	PG_FINALLY();
	{
		vf_json_free(doc);
	}
	PG_END_TRY();
	if (dm->fused)
	{
		const VfFusedInfo *fi = vf_fused_info(dm->fused);

		if (dm->window != fi->window)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"window\" %d of fused model \"%s\" is not its config.json window %d",
							dm->window, name, fi->window)));
		dm->enc_window = fi->encoder_window;
	}
	else
	{
		const VfModelInfo *mi = vf_model_info(dm->s2f);

		if (dm->window > mi->max_input || vf_model_output_rows(dm->s2f, dm->window) < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"window\" %d of model \"%s\" is not an input length the model reads", dm->window, name),
					 errhint("%s reads up to %d bases.", mi->label, mi->max_input)));
		dm->enc_window = 0;
		dm->bins = vf_model_output_rows(dm->s2f, dm->window);
		if (dm->tss_bins > dm->bins)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"tss_bins\" %d of model \"%s\" exceeds the %d bins it predicts for %d bases",
							dm->tss_bins, name, dm->bins, dm->window)));
		free(dm->out);
		dm->out = malloc(sizeof(float) * (size_t) dm->bins * dm->tracks);
	}
	free(dm->onehot);
	dm->onehot = malloc(sizeof(float) * 4 * (size_t) dm->window);
	if (dm->onehot == NULL || (dm->s2f && dm->out == NULL))
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	genes_clear(dm);
	free(dm->options_text);
	free(dm->reference);
	free(dm->binding);
	dm->options_text = xstrdup(opts);
	dm->reference = xstrdup(ref);
	dm->binding = xstrdup(binding);
	dm->options_hash = hash_bytes_extended((const unsigned char *) opts, (int) strlen(opts),
										   hash_bytes_extended((const unsigned char *) binding, (int) strlen(binding), 0));
	dm->checked_lxid = MyProc->lxid;
}

/*
 * This backend's deep models, one per name: kept here rather than in the store's per-model
 * slot (vf_model_cache_set), which predict_tracks uses for the same seq2func models with a
 * state of its own. A new generation of a name replaces the old one's state.
 */
typedef struct DeepSlot
{
	struct DeepSlot *next;
	char		name[NAMEDATALEN];
	uint64		generation;
	DeepModel  *dm;
} DeepSlot;

static DeepSlot *deep_slots;

static DeepModel *
deep_model_get(const VfModelRef *m, const char *name)
{
	DeepSlot   *s;

	for (s = deep_slots; s != NULL; s = s->next)
		if (strcmp(s->name, name) == 0)
			break;
	if (s == NULL)
	{
		if ((s = calloc(1, sizeof(DeepSlot))) == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		strlcpy(s->name, name, NAMEDATALEN);
		s->next = deep_slots;
		deep_slots = s;
	}
	if (s->dm == NULL || s->generation != m->generation || s->dm->image != m->image)
	{
		deep_model_free(s->dm);
		s->dm = NULL;
		s->dm = deep_model_build(m, name);
		s->generation = m->generation;
	}
	deep_model_refresh(s->dm, name);
	return s->dm;
}

static int
widest(const DeepModel *dm)
{
	return Max(dm->window, dm->enc_window);
}

/* The gene as the model's annotation has it, with its reference bases: once per gene and options. */
static GeneWindow *
gene_window(DeepModel *dm, const char *model, const char *gene)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2] = {CStringGetTextDatum(model), CStringGetTextDatum(gene)};
	GeneWindow	tmp = {0},
			   *g;
	char	   *strand,
			   *bases;
	int64		margin,
				W = widest(dm);
	size_t		len;
	VfReference *ref;
	VfError		err;
	int			ci;
	MemoryContext cxt = CurrentMemoryContext;

	for (int i = 0; i < dm->n_genes; i++)
		if (strcmp(dm->genes[i]->query, gene) == 0)
			return dm->genes[i];
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* model_find_gene: the annotation bound at load, gene_choose's rule and its errors */
	if (SPI_execute_with_args(psprintf("SELECT (g).gene_id, (g).chrom, (g).tss, (g).strand FROM %s($1, $2) g",
									   vf_extension_relation("model_find_gene")),
							  2, types, values, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not look up gene \"%s\"", gene);
	{
		MemoryContext spi = MemoryContextSwitchTo(cxt);

		tmp.gene_id = pstrdup(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
		tmp.chrom = pstrdup(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
		tmp.tss = pg_strtoint64(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3));
		strand = pstrdup(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4));
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	tmp.minus = strcmp(strand, "-") == 0;

	/* as haplotype_window: a margin for deletions, clipped to the contig */
	ref = vf_reference_resolve(dm->reference, NULL);
	if ((ci = vf_reference_find_contig(ref, tmp.chrom, &err)) < 0)
		vf_ereport(&err);
	margin = W / 4 + 1000;
	tmp.contig_len = vf_reference_contig_length(ref, ci);
	tmp.ref_lo = Max(1, tmp.tss - W / 2 - margin);
	tmp.ref_hi = Min(tmp.contig_len, tmp.tss - W / 2 + W - 1 + margin);
	if (tmp.ref_lo > tmp.ref_hi)
	{
		/* a TSS beyond the contig's end (annotation and reference disagree): no bases */
		tmp.ref_hi = tmp.ref_lo - 1;
		bases = "";
		len = 0;
	}
	else
		bases = vf_reference_window(dm->reference, tmp.chrom, tmp.ref_lo, tmp.ref_hi, &len);

	if (dm->n_genes == MAX_GENES_MEMO)
		genes_clear(dm);
	g = calloc(1, sizeof(GeneWindow));
	if (g == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	*g = tmp;
	g->query = strdup(gene);
	g->gene_id = strdup(tmp.gene_id);
	g->chrom = strdup(tmp.chrom);
	g->ref = malloc(len + 1);
	if (!g->query || !g->gene_id || !g->chrom || !g->ref)
	{
		free(g->query);
		free(g->gene_id);
		free(g->chrom);
		free(g->ref);
		free(g);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	memcpy(g->ref, bases, len + 1);
	dm->genes[dm->n_genes++] = g;
	return g;
}

/* ---------------------------------------------------------------- one person's windows */

/* Everything about one prediction's input; haplotype windows are built only on a miss. */
typedef struct Person
{
	DeepModel  *dm;
	const char *model;
	GeneWindow *g;
	const VfCalls *calls;
	int64		lo,
				hi;				/* the haplotypes are built over [lo, hi] */
	StringInfoData key[2];		/* per haplotype (after a common prefix) */
	int			prefix_len;
	bool		built[2];
	char	   *trunk_seq[2];	/* dm->window bases, palloc'd */
	char	   *enc_seq[2];		/* dm->enc_window bases */
} Person;

static void
region_error(const Person *p, int64 from, int64 to)
{
	VF_ROW_ERROR(ERRCODE_INVALID_PARAMETER_VALUE,
			 errmsg("window %s:%lld-%lld of model \"%s\" around gene %s reaches outside the genotype's region %s:%lld-%lld",
					p->g->chrom, (long long) from, (long long) to, p->model, p->g->gene_id,
					p->calls->chrom, (long long) p->calls->start, (long long) p->calls->end),
			 errdetail("Outside its region a genotype says nothing about the sample's alleles."),
			 errhint("Read the genotype over a region that covers the window (read_genotypes(path, region))."));
}

/*
 * The model's windows around the gene's TSS must lie inside the contig: a TSS near or beyond
 * the contig's end means the annotation does not fit the reference (another build?).
 */
static void
contig_check(const DeepModel *dm, const char *model, const GeneWindow *g)
{
	int			widths[2] = {dm->window, dm->enc_window};

	for (int i = 0; i < 2; i++)
	{
		int64		w = widths[i],
					lo = g->tss - w / 2,
					hi = lo + w - 1;

		if (w > 0 && (lo < 1 || hi > g->contig_len))
			VF_ROW_ERROR(ERRCODE_INVALID_PARAMETER_VALUE,
						 errmsg("window %s:%lld-%lld of model \"%s\" around gene %s (TSS %s:%lld) runs off contig %s, which has %lld bases",
								g->chrom, (long long) lo, (long long) hi, model, g->gene_id, g->chrom,
								(long long) g->tss, g->chrom, (long long) g->contig_len),
						 errdetail("The model reads %lld bases centred on the TSS, as the gene annotation bound to the model places it in the reference genome bound to it.",
								   (long long) w),
						 errhint("A TSS near or past a contig's end usually means the gene annotation and the reference genome are of different builds."));
	}
}

static void
add_key_bytes(StringInfo s, const void *p, int n)
{
	appendBinaryStringInfo(s, (const char *) p, n);
}

/* The alleles haplotype h carries at calls inside [lo, hi]: what its bases depend on. */
static void
hap_key(Person *p, int h, StringInfo s, int skip_call)
{
	const VfCalls *c = p->calls;

	add_key_bytes(s, &p->lo, sizeof(int64));
	add_key_bytes(s, &p->hi, sizeof(int64));
	for (int i = 0; i < c->n_call; i++)
	{
		const VfCall *v = &c->call[i];
		int			a = v->gt[h];

		if (v->pos < p->lo || v->pos > p->hi || a == 0 || i == skip_call)
			continue;
		if (a == VF_ALLELE_NONE)
			a = v->gt[0];		/* what haplotype 2 of a haploid call reads */
		add_key_bytes(s, &v->pos, sizeof(int64));
		add_key_bytes(s, &v->rlen, sizeof(int64));
		appendStringInfoString(s, v->allele[0]);
		appendStringInfoChar(s, '>');
		if (a > 0 && a < v->n_allele)
			appendStringInfoString(s, v->allele[a]);
		else
			appendStringInfo(s, "#%d", a);
		appendStringInfoChar(s, ';');
	}
}

static void
person_init(Person *p, DeepModel *dm, const char *model, GeneWindow *g, const VfCalls *calls,
			int skip_call, int skip_hap)
{
	int64		W = widest(dm);
	int			widths[2] = {dm->window, dm->enc_window};

	memset(p, 0, sizeof(*p));
	p->dm = dm;
	p->model = model;
	p->g = g;
	p->calls = calls;
	contig_check(dm, model, g);
	if (strcmp(calls->chrom, g->chrom) != 0)
		VF_ROW_ERROR(ERRCODE_INVALID_PARAMETER_VALUE,
					 errmsg("the genotype's region %s:%lld-%lld is on contig \"%s\", but gene %s of model \"%s\" is on \"%s\"",
							calls->chrom, (long long) calls->start, (long long) calls->end, calls->chrom,
							g->gene_id, model, g->chrom));
	/* the model's windows must lie inside the region; the margin may be clipped */
	for (int i = 0; i < 2; i++)
	{
		int64		w = widths[i];

		if (w > 0 && (g->tss - w / 2 < calls->start || g->tss - w / 2 + w - 1 > calls->end))
			region_error(p, g->tss - w / 2, g->tss - w / 2 + w - 1);
	}
	p->lo = Max(g->ref_lo, calls->start);
	p->hi = Min(g->ref_hi, calls->end);
	if (!p->dm->allow_unphased)
		for (int i = 0; i < calls->n_call; i++)
		{
			const VfCall *v = &calls->call[i];

			if (!v->phased && v->gt[0] != v->gt[1] && v->gt[1] != VF_ALLELE_NONE &&
				v->pos >= g->tss - W && v->pos <= g->tss + W)
				VF_ROW_ERROR(ERRCODE_INVALID_PARAMETER_VALUE,
							 errmsg("unphased heterozygous call near the TSS of %s for model \"%s\": %s:%lld %d/%d",
									g->gene_id, model, calls->chrom, (long long) v->pos, v->gt[0], v->gt[1]),
							 errhint("Phase the genotypes, or load the model with {\"allow_unphased\": true} to take allele N for haplotype N as bcftools consensus -H does."));
		}
	for (int h = 0; h < 2; h++)
	{
		initStringInfo(&p->key[h]);
		add_key_bytes(&p->key[h], &dm->options_hash, sizeof(uint64));
		appendStringInfoString(&p->key[h], g->gene_id);
		appendStringInfoChar(&p->key[h], '\0');
		hap_key(p, h, &p->key[h], skip_hap == h ? skip_call : -1);
	}
}

static char *
take_window(const Person *p, const VfHaplotype *hap, int width, int h)
{
	VfError		err;
	char	   *s = vf_haplotype_centred(hap, p->g->tss, width, &err);
	char	   *out;

	if (s == NULL)
	{
		vf_error_hint(&err, "Read the genotype over a wider region (the window plus the length of the deletions near it).");
		vf_row_ereport(&err);
	}
	out = palloc(width + 1);
	memcpy(out, s, width + 1);
	free(s);
	if (p->g->minus && p->dm->rc)
	{
		for (int i = 0; i < width / 2 + (width & 1); i++)
		{
			char		a = out[i],
						b = out[width - 1 - i];

			out[i] = b;
			out[width - 1 - i] = a;
		}
		for (int i = 0; i < width; i++)
		{
			const char *from = "ACGTNacgtn",
					   *to = "TGCANtgcan",
					   *q = strchr(from, out[i]);

			if (q != NULL && *q)
				out[i] = to[q - from];
		}
	}
	(void) h;
	return out;
}

/* Builds haplotype h (0 or 1) and cuts the model's windows from it (once per call). */
static void
person_build(Person *p, int h, const VfCalls *calls)
{
	VfHaplotype hap;
	VfError		err;
	const char *ref = p->g->ref + (p->lo - p->g->ref_lo);
	char	   *win;
	size_t		n = (size_t) (p->hi - p->lo + 1);

	if (p->built[h])
		return;
	/* the reference bases of [lo, hi] as their own string (the builder reads to NUL) */
	win = palloc(n + 1);
	memcpy(win, ref, n);
	win[n] = '\0';
	if (vf_haplotype_build(calls, h + 1, win, p->lo, p->hi, &hap, &err) != 0)
		vf_row_ereport(&err);
	PG_TRY();
	{
		p->trunk_seq[h] = take_window(p, &hap, p->dm->window, h);
		if (p->dm->enc_window > 0)
			p->enc_seq[h] = take_window(p, &hap, p->dm->enc_window, h);
	}
	PG_FINALLY();
	{
		vf_haplotype_free(&hap);
	}
	PG_END_TRY();
	pfree(win);
	p->built[h] = true;
}

/* key prefix byte + the model generation + one or two haplotype keys (a pair: sorted) */
static void
make_key(StringInfo out, char what, uint64 generation, const Person *p, int h, bool pair)
{
	initStringInfo(out);
	appendStringInfoChar(out, what);
	add_key_bytes(out, &generation, sizeof(uint64));
	if (!pair)
		add_key_bytes(out, p->key[h].data, p->key[h].len);
	else
	{
		const StringInfoData *a = &p->key[0],
				   *b = &p->key[1];
		int			c = a->len != b->len ? (a->len < b->len ? -1 : 1) : memcmp(a->data, b->data, a->len);

		if (c > 0)
		{
			const StringInfoData *t = a;

			a = b;
			b = t;
		}
		add_key_bytes(out, &a->len, sizeof(int));
		add_key_bytes(out, a->data, a->len);
		add_key_bytes(out, b->data, b->len);
	}
}

static void
one_hot_avg(float *x, const char *s1, const char *s2, int n)
{
	memset(x, 0, sizeof(float) * 4 * (size_t) n);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 2; k++)
		{
			const char *s = k == 0 ? s1 : s2;
			int			ch;

			switch (s[i])
			{
				case 'A': case 'a': ch = 0; break;
				case 'C': case 'c': ch = 1; break;
				case 'G': case 'g': ch = 2; break;
				case 'T': case 't': ch = 3; break;
				default: ch = -1;
			}
			if (ch >= 0)
				x[(size_t) i * 4 + ch] += s1 == s2 ? 1.0f : 0.5f;
			if (s1 == s2)
				break;
		}
}

/* seq2func: each track summed over the central tss_bins bins of one pass (sums[tracks]). */
static void
s2f_central_sums(DeepModel *dm, const char *seq, const float *onehot, float *sums)
{
	VfModelInput in = {0};
	VfError		err = {0};
	int			T = dm->tracks,
				first = dm->bins / 2 - dm->tss_bins / 2;

	in.seq = seq;
	in.onehot = onehot;
	in.seq_len = (size_t) dm->window;
	if (vf_blas_init(vf_blas_threads, &err) < 0 || vf_model_forward(dm->s2f, &in, dm->out, &err) < 0)
		vf_ereport(&err);
	for (int k = 0; k < T; k++)
	{
		double		acc = 0;

		for (int b = first; b < first + dm->tss_bins; b++)
			acc += dm->out[(size_t) b * T + k];
		sums[k] = (float) acc;
	}
}

/*
 * The model's outputs (tracks values) for one person; calls may differ from p->calls only
 * by the call explain_expression reverts (p's keys already say which).
 */
static void
predict_person(Person *p, const VfCalls *calls, uint64 generation, float *result)
{
	DeepModel  *dm = p->dm;
	int			T = dm->tracks;
	StringInfoData key;
	VfError		err = {0};
	bool		hit = true;

	if (dm->fused)
	{
		int			H = vf_fused_info(dm->fused)->hidden;
		float	   *e[2],
				   *t = palloc(sizeof(float) * T);

		for (int h = 0; h < 2; h++)
		{
			e[h] = palloc(sizeof(float) * H);
			make_key(&key, 'E', generation, p, h, false);
			if (!vf_prediction_cache_get(key.data, key.len, e[h], H))
			{
				hit = false;
				person_build(p, h, calls);
				if (vf_blas_init(vf_blas_threads, &err) < 0 ||
					vf_fused_embed(dm->fused, p->enc_seq[h], dm->enc_window, e[h], NULL, &err) < 0)
					vf_ereport(&err);
				vf_prediction_cache_put(key.data, key.len, e[h], H);
			}
			pfree(key.data);
		}
		make_key(&key, 'T', generation, p, 0, true);
		if (!vf_prediction_cache_get(key.data, key.len, t, T))
		{
			hit = false;
			person_build(p, 0, calls);
			person_build(p, 1, calls);
			if (vf_blas_init(vf_blas_threads, &err) < 0 ||
				vf_fused_trunk(dm->fused, p->trunk_seq[0], p->trunk_seq[1], t, &err) < 0)
				vf_ereport(&err);
			vf_prediction_cache_put(key.data, key.len, t, T);
		}
		pfree(key.data);
		vf_fused_combine(dm->fused, t, e[0], e[1], result, NULL, NULL);
	}
	else if (dm->diploid)
	{
		make_key(&key, 'D', generation, p, 0, true);
		if (!vf_prediction_cache_get(key.data, key.len, result, T))
		{
			hit = false;
			person_build(p, 0, calls);
			person_build(p, 1, calls);
			one_hot_avg(dm->onehot, p->trunk_seq[0], p->trunk_seq[1], dm->window);
			s2f_central_sums(dm, NULL, dm->onehot, result);
			vf_prediction_cache_put(key.data, key.len, result, T);
		}
		pfree(key.data);
	}
	else
	{
		float	   *s = palloc(sizeof(float) * T * 2);

		for (int h = 0; h < 2; h++)
		{
			make_key(&key, 'S', generation, p, h, false);
			if (!vf_prediction_cache_get(key.data, key.len, s + h * T, T))
			{
				hit = false;
				person_build(p, h, calls);
				s2f_central_sums(dm, p->trunk_seq[h], NULL, s + h * T);
				vf_prediction_cache_put(key.data, key.len, s + h * T, T);
			}
			pfree(key.data);
		}
		for (int k = 0; k < T; k++)
			result[k] = (float) (((double) s[k] + s[T + k]) / 2);
	}
	/* the call itself was counted by the SQL entry point; here whether the cache answered it */
	if (hit)
		vf_progress_cache_hit();
}

/* ---------------------------------------------------------------- SQL entry points */

static DeepModel *
require_deep(const char *model, const VfModelRef **ref, const char *what)
{
	const VfModelRef *m = vf_model_acquire(model);

	if (m->kind != VF_KIND_FUSED && m->kind != VF_KIND_SEQ2FUNC)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s needs a seq2func or fused model, but \"%s\" is of kind %s", what, model,
						vf_model_kind_name(m->kind))));
	*ref = m;
	return deep_model_get(m, model);
}

static int
pick_track(const DeepModel *dm, const char *model, int track)
{
	if (track < 0)
		return dm->fused ? 0 : dm->track;
	if (track >= dm->tracks)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("track %d is out of range for model \"%s\" (tracks 0 to %d)", track, model,
						dm->tracks - 1)));
	return track;
}

double
vf_deep_predict(const VfModelRef *m, const char *model, Datum gt, const char *gene, int track)
{
	DeepModel  *dm = deep_model_get(m, model);
	uint64		generation = m->generation;
	GeneWindow *g = gene_window(dm, model, gene);
	int			k = pick_track(dm, model, track);
	VfCalls    *calls = vf_genotype_to_calls_no_ids((struct varlena *) DatumGetPointer(gt));
	Person		p;
	float	   *out = palloc(sizeof(float) * dm->tracks);

	person_init(&p, dm, model, g, calls, -1, -1);
	predict_person(&p, calls, generation, out);
	return out[k];
}

bool
vf_deep_covers(const VfModelRef *m, const char *model, Datum gt, const char *gene)
{
	DeepModel  *dm = deep_model_get(m, model);
	GeneWindow *g = gene_window(dm, model, gene);
	struct varlena *raw = (struct varlena *) DatumGetPointer(gt);
	VfCalls    *calls = vf_genotype_to_calls_no_ids(raw);
	int			widths[2] = {dm->window, dm->enc_window};

	if (strcmp(calls->chrom, g->chrom) != 0)
		return false;
	for (int i = 0; i < 2; i++)
	{
		int64		w = widths[i],
					lo = g->tss - w / 2,
					hi = lo + w - 1;

		if (w > 0 && (lo < Max(1, calls->start) || hi > Min(g->contig_len, calls->end)))
			return false;
	}
	return true;
}

/* alleles are bases whatever their case (lower case is soft-masking, not another base) */
static char *
upper_bases(char *s)
{
	for (char *c = s; *c; c++)
		*c = pg_ascii_toupper((unsigned char) *c);
	return s;
}

static bool
plain_allele(const char *a)
{
	if (*a == '\0')
		return false;
	for (; *a; a++)
		if (!strchr("ACGTN", *a))
			return false;
	return true;
}

/* variant_effect(chrom, pos, ref, alt, gene, model): alt minus ref, both haplotypes, reference background */
Datum
vf_variant_effect(PG_FUNCTION_ARGS)
{
	char	   *chrom = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int64		pos = PG_GETARG_INT32(1);
	char	   *refa = upper_bases(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	char	   *alta = upper_bases(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	char	   *gene = text_to_cstring(PG_GETARG_TEXT_PP(4));
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(5));
	const VfModelRef *m;
	DeepModel  *dm = require_deep(model, &m, "variant_effect");
	GeneWindow *g = gene_window(dm, model, gene);
	int			k = pick_track(dm, model, -1);
	const char *alleles[2] = {refa, alta};
	VfCall		call = {0};
	VfCalls		none = {0},
				one = {0};
	Person		p;
	float	   *a = palloc(sizeof(float) * dm->tracks),
			   *r = palloc(sizeof(float) * dm->tracks);

	if (!plain_allele(refa) || !plain_allele(alta))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alleles must be bases (A, C, G, T, N), not \"%s\" and \"%s\"", refa, alta)));
	if (strcmp(chrom, g->chrom) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("variant %s:%lld is not on the contig of gene %s (%s)", chrom, (long long) pos,
						g->gene_id, g->chrom)));
	/* the reference background: a genotype over exactly the bases fetched for the gene */
	none.chrom = one.chrom = g->chrom;
	none.start = one.start = g->ref_lo;
	none.end = one.end = g->ref_hi;
	if (pos < g->ref_lo || pos > g->ref_hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("variant %s:%lld is outside what model \"%s\" reads around gene %s (%s:%lld-%lld)",
						chrom, (long long) pos, model, g->gene_id, g->chrom, (long long) g->ref_lo,
						(long long) g->ref_hi)));
	call.pos = pos;
	call.n_allele = 2;
	call.allele = alleles;
	call.gt[0] = call.gt[1] = 1;
	call.phased = true;
	one.n_call = 1;
	one.call = &call;
	person_init(&p, dm, model, g, &none, -1, -1);
	predict_person(&p, &none, m->generation, r);
	person_init(&p, dm, model, g, &one, -1, -1);
	predict_person(&p, &one, m->generation, a);
	PG_RETURN_FLOAT8((double) a[k] - (double) r[k]);
}

/* explain_expression(gt, gene, model): each variant's contribution on its haplotype */
Datum
vf_explain_expression(PG_FUNCTION_ARGS)
{
	char	   *gene = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(2));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const VfModelRef *m;
	DeepModel  *dm;
	GeneWindow *g;
	VfCalls    *calls;
	Person		p;
	int			k;
	float	   *full,
			   *without;
	VfCall	   *copy;
	VfCalls		edited;

	InitMaterializedSRF(fcinfo, 0);
	dm = require_deep(model, &m, "explain_expression");
	g = gene_window(dm, model, gene);
	k = pick_track(dm, model, -1);
	calls = vf_genotype_to_calls_no_ids((struct varlena *) DatumGetPointer(PG_GETARG_DATUM(0)));
	full = palloc(sizeof(float) * dm->tracks);
	without = palloc(sizeof(float) * dm->tracks);
	person_init(&p, dm, model, g, calls, -1, -1);
	predict_person(&p, calls, m->generation, full);

	copy = palloc(sizeof(VfCall) * Max(calls->n_call, 1));
	memcpy(copy, calls->call, sizeof(VfCall) * calls->n_call);
	edited = *calls;
	edited.call = copy;
	for (int i = 0; i < calls->n_call; i++)
	{
		const VfCall *v = &calls->call[i];

		if (v->pos < p.lo || v->pos > p.hi)
			continue;
		for (int h = 0; h < 2; h++)
		{
			int			a = v->gt[h];
			Datum		values[5];
			bool		nulls[5] = {0};
			Person		q;

			if (a <= 0 || a >= v->n_allele)
				continue;
			CHECK_FOR_INTERRUPTS();
			copy[i].gt[h] = 0;
			person_init(&q, dm, model, g, &edited, -1, -1);
			predict_person(&q, &edited, m->generation, without);
			copy[i].gt[h] = v->gt[h];
			values[0] = Int64GetDatum(v->pos);
			values[1] = CStringGetTextDatum(v->allele[0]);
			values[2] = CStringGetTextDatum(v->allele[a]);
			values[3] = Int32GetDatum(h + 1);
			values[4] = Float8GetDatum((double) full[k] - (double) without[k]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
