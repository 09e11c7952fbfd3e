/*
 * predictdb_score.c: PrediXcan allele matching and GReX over one sample's calls (plain C).
 *
 * A sample is matched against the whole model once (vf_pdb_scratch_set_calls: every call is
 * looked up in the image's variant hash), after which each gene is a short dot product of
 * its weights with the per-variant dosages. A query scoring many genes per genotype (the
 * usual cohort x genes join) therefore decodes and matches each genotype once.
 *
 * Models keyed by varID match by position, and predict_expression hands them the genotype
 * in the compact form (vf_pdb_scratch_set_pos_calls, VfPosCalls in calls.h): a compact SNV
 * call is matched by table lookup on its base codes (snv_rule), any other call by the same
 * rules on strings as in vf_pdb_scratch_set_calls. Decoding every call in full and matching
 * it on strings were 57% of a serial cohort x genes query's time (perf, README).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "varformer/scoring/predictdb.h"
#include "varformer/types/genotype_codec.h"
#include "predictdb_image.h"
#include "predictdb_match.h"

#define STATUS_MISSING_CALL VF_PDB_STATUS_MISSING_CALL

typedef struct PdbVarState
{
	uint32_t	stamp;			/* == gen: set for the current sample; else "not present" */
	uint8_t		status;			/* VfPdbMatch or VF_PDB_STATUS_* */
	double		dosage;			/* effect-allele dosage after matching */
} PdbVarState;

/* What the per-sample merge reads of each variant, packed (the image's variants are wider). */
typedef struct PdbVarLite
{
	int64_t		pos;
	float		homref_dosage;
	uint8_t		homref_match;
	char		ref1;			/* the model's alleles when both are single bases, else 0 */
	char		eff1;
	uint8_t		snv_pair;		/* both one of A C G T N: REF*5+EFF, else NO_SNV_PAIR */
} PdbVarLite;

#define NO_SNV_PAIR 255

struct VfPdbScratch
{
	uint32_t	n_variant;
	uint32_t	gen;			/* stamp of the current sample; stale stamps mean "not listed" */
	struct PdbVarState *var;	/* per model variant, interleaved: scoring reads all three */
	PdbVarLite *lite;
	double	   *dose;			/* varID keys: every variant of the sample's chromosome, its
								 * dosage as scored (hom-ref where the genotype says so, 0 when
								 * unused), so a gene's prediction is a plain dot product */
	uint8_t    *used;			/* varID keys, same variants: 1 when dose[] counts as used */
	double	   *homref_dose;	/* per variant: dose[] and used[] of an uncalled variant */
	uint8_t    *homref_used;	/* read as homozygous reference (copied, not recomputed) */
	uint8_t    *one_chrom;		/* per gene: all its variants on one chromosome */
	bool		have_calls;
	uint32_t	chrom_off;		/* the sample's chromosome in the string pool, or UINT32_MAX */
	uint32_t	var_lo,			/* variants on that chromosome: [var_lo, var_hi) */
				var_hi;
	char		chrom[64];		/* normalized */
	char		chrom_copy[64];
	int64_t		start,
				end;
	bool		listed;			/* the genotype's coverage (calls.h) */
	uint32_t	n_call;
	uint32_t	n_call_id;		/* calls carrying an ID (rsID keys need them) */
	/*
	 * What match_call decides for a compact SNV call (REF*5+ALT) at a variant whose alleles
	 * are single bases (snv_pair): the VfPdbMatch, or VF_PDB_STATUS_PALINDROMIC when the
	 * model skips palindromic calls. Looked up, not worked out, per call.
	 */
	uint8_t		snv_rule[25][25];
};

int
vf_pdb_image_check(const void *image, size_t size, VfError *err)
{
	const VfPdbHeader *h = image;

	if (image == NULL || size < sizeof(VfPdbHeader) || memcmp(h->magic, VF_PDB_MAGIC, 8) != 0)
		return vf_error(err, VF_ERR_CORRUPT, "model image is not a PredictDB image");
	if (h->total_size > size ||
		h->off_gene + (uint64_t) h->n_gene * sizeof(VfPdbGene) > size ||
		h->off_weight + (uint64_t) h->n_weight * sizeof(VfPdbWeight) > size ||
		h->off_variant + (uint64_t) h->n_variant * sizeof(VfPdbVariant) > size ||
		h->off_gene_hash + (uint64_t) h->gene_slots * 4 > size ||
		h->off_base_hash + (uint64_t) h->gene_slots * 4 > size ||
		h->off_var_hash + (uint64_t) h->var_slots * 4 > size ||
		h->off_strings + h->size_strings > size || h->size_strings == 0 ||
		((const char *) image)[h->off_strings + h->size_strings - 1] != '\0' ||
		(h->gene_slots & (h->gene_slots - 1)) || (h->var_slots & (h->var_slots - 1)))
		return vf_error(err, VF_ERR_CORRUPT, "PredictDB model image is truncated or corrupt");
	return 0;
}

void
vf_pdb_image_info(const void *image, VfPdbInfo *info)
{
	const VfPdbHeader *h = image;

	info->key = (VfPdbKey) h->key;
	info->skip_palindromic = h->skip_palindromic != 0;
	info->n_gene = h->n_gene;
	info->n_variant = h->n_variant;
	info->n_weight = h->n_weight;
	info->n_null_weight = h->n_null_weight;
	info->n_bad_allele = h->n_bad_allele;
	info->n_duplicate = h->n_duplicate;
	info->n_no_extra = h->n_no_extra;
	info->min_variant_fraction = h->min_variant_fraction;
	info->low_coverage_error = h->low_coverage_error != 0;
}

void
vf_pdb_gene_info(const void *image, uint32_t gene, VfPdbGeneInfo *info)
{
	const VfPdbGene *g = &VF_PDB_GENES(image)[gene];

	info->gene = VF_PDB_STR(image, g->id);
	info->genename = VF_PDB_STR(image, g->name);
	info->n_weight = g->n_weight;
	info->n_snps_in_model = g->n_snps_in_model;
	info->pred_perf_r2 = g->r2;
	info->pred_perf_pval = g->pval;
	info->pred_perf_qval = g->qval;
}

int64_t
vf_pdb_find_gene(const void *image, const char *gene, VfError *err)
{
	const VfPdbHeader *h = image;
	const VfPdbGene *genes = VF_PDB_GENES(image);
	const uint32_t *gtab = VF_PDB_TABLE(image, h->off_gene_hash);
	const uint32_t *btab = VF_PDB_TABLE(image, h->off_base_hash);
	uint32_t	mask = h->gene_slots - 1;
	size_t		bl = vf_pdb_gene_base_len(gene);

	for (uint32_t j = vf_pdb_hash(gene, 0) & mask; gtab[j]; j = (j + 1) & mask)
		if (strcmp(VF_PDB_STR(image, genes[gtab[j] - 1].id), gene) == 0)
			return gtab[j] - 1;

	/* ENSG00000100030 finds ENSG00000100030.14, and ENSG00000100030.15 does too */
	for (uint32_t j = vf_pdb_hash_n(gene, bl) & mask; btab[j]; j = (j + 1) & mask)
	{
		uint32_t	g = (btab[j] & ~VF_PDB_AMBIG_BIT) - 1;
		const char *id = VF_PDB_STR(image, genes[g].id);

		if (vf_pdb_gene_base_len(id) != bl || strncmp(id, gene, bl) != 0)
			continue;
		if (btab[j] & VF_PDB_AMBIG_BIT)
		{
			vf_error(err, VF_ERR_INVALID, "gene id \"%.*s\" matches several versioned genes of the model (e.g. \"%s\")",
					 (int) bl, gene, id);
			vf_error_hint(err, "Give the gene id with its version suffix.");
			return -2;
		}
		return g;
	}

	/* a gene name (extra.genename), case-insensitively, when one gene has it */
	{
		int64_t		found = -1;
		const char *second = NULL;

		for (uint32_t i = 0; i < h->n_gene; i++)
		{
			const char *name = VF_PDB_STR(image, genes[i].name);

			if (name[0] == '\0' || strcasecmp(name, gene) != 0)
				continue;
			if (found < 0)
				found = i;
			else if (second == NULL)
				second = VF_PDB_STR(image, genes[i].id);
		}
		if (second != NULL)
		{
			vf_error(err, VF_ERR_INVALID, "gene \"%s\" is ambiguous: several genes of the model have that name (%s, %s)",
					 gene, VF_PDB_STR(image, genes[found].id), second);
			vf_error_hint(err, "Use the gene id.");
			return -2;
		}
		return found;
	}
}

/* A call as matching reads it: VfCall, or a compact SNV of VfPosCalls, alike. */
typedef struct CallView
{
	int			n_allele;
	const char *const *allele;
	const float *ds;			/* one per ALT, or NULL */
	int			gt[2];
} CallView;

static inline CallView
call_view(const VfCall *c)
{
	return (CallView) {c->n_allele, c->allele, c->ds, {c->gt[0], c->gt[1]}};
}

VfPdbScratch *
vf_pdb_scratch_new(const void *image, VfError *err)
{
	const VfPdbHeader *h = image;
	VfPdbScratch *s = calloc(1, sizeof(VfPdbScratch));
	size_t		n = h->n_variant ? h->n_variant : 1;

	if (s)
	{
		s->n_variant = h->n_variant;
		s->var = calloc(n, sizeof(PdbVarState));
		s->lite = malloc(n * sizeof(PdbVarLite));
		s->dose = calloc(n, sizeof(double));
		s->used = calloc(n, 1);
		s->homref_dose = calloc(n, sizeof(double));
		s->homref_used = calloc(n, 1);
		s->one_chrom = calloc(h->n_gene ? h->n_gene : 1, 1);
	}
	if (!s || !s->var || !s->lite || !s->dose || !s->used || !s->one_chrom || !s->homref_dose ||
		!s->homref_used)
	{
		vf_pdb_scratch_free(s);
		vf_error(err, VF_ERR_NOMEM, "out of memory preparing a PredictDB model");
		return NULL;
	}
	for (uint32_t v = 0; v < h->n_variant; v++)
	{
		const VfPdbVariant *var = &VF_PDB_VARIANTS(image)[v];

		s->lite[v].pos = var->pos;
		s->lite[v].homref_dosage = var->homref_dosage;
		s->lite[v].homref_match = var->homref_match;
		s->homref_dose[v] = (double) var->homref_dosage;
		s->homref_used[v] = var->homref_match >= VF_PDB_MATCH_EXACT &&
			var->homref_match <= VF_PDB_MATCH_COMP_SWAP;
		{
			const char *r = VF_PDB_STR(image, var->ref),
					   *e = VF_PDB_STR(image, var->eff);
			bool		single = r[0] && !r[1] && e[0] && !e[1];
			int			ri = vf_snv_base(r),
						ei = vf_snv_base(e);

			s->lite[v].ref1 = single ? r[0] : 0;
			s->lite[v].eff1 = single ? e[0] : 0;
			s->lite[v].snv_pair = ri >= 0 && ei >= 0 ? (uint8_t) (ri * 5 + ei) : NO_SNV_PAIR;
		}
	}
	for (int pair = 0; pair < 25; pair++)
		for (int code = 0; code < 25; code++)
		{
			const char *const *call = vf_snv_alleles[code],
					   *const *model = vf_snv_alleles[pair];
			bool		pal = h->skip_palindromic && vf_pdb_is_palindromic(call[0], call[1]);

			s->snv_rule[pair][code] = pal ? VF_PDB_STATUS_PALINDROMIC
				: vf_pdb_match_snv(call[0][0], call[1][0], model[0][0], model[1][0]);
		}
	for (uint32_t g = 0; g < h->n_gene; g++)
	{
		const VfPdbGene *gene = &VF_PDB_GENES(image)[g];
		const VfPdbWeight *w = VF_PDB_WEIGHTS(image) + gene->first_weight;
		bool		one = true;

		for (uint32_t i = 1; i < gene->n_weight && one; i++)
			one = VF_PDB_VARIANTS(image)[w[i].variant].chrom == VF_PDB_VARIANTS(image)[w[0].variant].chrom;
		s->one_chrom[g] = one;
	}
	return s;
}

void
vf_pdb_scratch_free(VfPdbScratch *s)
{
	if (s == NULL)
		return;
	free(s->var);
	free(s->lite);
	free(s->dose);
	free(s->used);
	free(s->homref_dose);
	free(s->homref_used);
	free(s->one_chrom);
	free(s);
}

/* Dosage of ALT number a: its DS when not missing (NaN), else counted from GT. */
static inline double
dosage_of(float ds, int g0, int g1, int a)
{
	if (isfinite(ds))
		return ds;
	if (g0 == VF_ALLELE_MISSING || g1 == VF_ALLELE_MISSING)
		return NAN;
	return (double) ((g0 == a) + (g1 == a));	/* branch-free: GTs are random */
}

static inline double
call_dosage(const CallView *c, int a)
{
	return dosage_of(c->ds ? c->ds[a - 1] : NAN, c->gt[0], c->gt[1], a);
}

/* A compact SNV call as a CallView, for the rules on strings. */
static inline CallView
snv_view(const VfPosCall *pc)
{
	return (CallView) {2, vf_snv_alleles[pc->snv - 1], isnan(pc->ds) ? NULL : &pc->ds,
	{pc->gt[0], pc->gt[1]}};
}

/* Variant v matched by rule m with ALT dosage d (NaN: the call is missing). */
static inline void
set_matched(VfPdbScratch *s, uint32_t v, VfPdbMatch m, double d)
{
	s->var[v].stamp = s->gen;
	if (isnan(d))
	{
		s->var[v].status = STATUS_MISSING_CALL;
		s->var[v].dosage = 0;
		s->dose[v] = 0;
		s->used[v] = 0;
		return;
	}
	{
		/* picked by index, not by a branch: swapped or not is random (vf_pdb_match_snv) */
		const double both[2] = {d, 2.0 - d};

		s->var[v].status = (uint8_t) m;
		s->var[v].dosage = both[(m == VF_PDB_MATCH_SWAP) | (m == VF_PDB_MATCH_COMP_SWAP)];
	}
	s->dose[v] = s->var[v].dosage;
	s->used[v] = 1;
}

/* No ALT of the call matched variant v (pal: one was skipped as palindromic). */
static inline void
set_unmatched(VfPdbScratch *s, uint32_t v, bool pal)
{
	s->var[v].stamp = s->gen;
	s->var[v].status = pal ? VF_PDB_STATUS_PALINDROMIC : VF_PDB_MATCH_NONE;
	s->var[v].dosage = 0;
	s->dose[v] = 0;
	s->used[v] = 0;
}

/* An earlier call of this sample (e.g. another record at the same position) matched v. */
static inline bool
already_matched(const VfPdbScratch *s, uint32_t v)
{
	return s->var[v].stamp == s->gen && s->var[v].status != VF_PDB_MATCH_NONE &&
		s->var[v].status != VF_PDB_STATUS_PALINDROMIC;
}

static inline void
match_call(VfPdbScratch *s, const void *image, const CallView *c, uint32_t v)
{
	const PdbVarLite *lt = &s->lite[v];
	bool		skip_pal = VF_PDB_HDR(image)->skip_palindromic != 0;
	bool		pal = false;	/* an ALT was skipped as palindromic */

	if (already_matched(s, v))
		return;
	for (int a = 1; a < c->n_allele; a++)
	{
		VfPdbMatch	m;
		double		d;

		if (skip_pal && vf_pdb_is_palindromic(c->allele[0], c->allele[a]))
		{
			pal = true;
			continue;
		}
		if (lt->ref1 && c->allele[0][0] && !c->allele[0][1] && c->allele[a][0] && !c->allele[a][1])
			m = vf_pdb_match_snv(c->allele[0][0], c->allele[a][0], lt->ref1, lt->eff1);
		else
		{
			const VfPdbVariant *var = &VF_PDB_VARIANTS(image)[v];

			m = vf_pdb_match_alleles(c->allele[0], c->allele[a], VF_PDB_STR(image, var->ref),
									 VF_PDB_STR(image, var->eff));
		}
		if (m == VF_PDB_MATCH_NONE)
			continue;
		d = call_dosage(c, a);
		set_matched(s, v, m, d);
		return;
	}
	set_unmatched(s, v, pal);
}

/*
 * match_call for a compact SNV call, its decision looked up in snv_rule; the same outcome
 * (vf_pdb_scratch_set_pos_calls promises the scratch set_calls would leave).
 */
static inline void
match_snv(VfPdbScratch *s, const void *image, const VfPosCall *pc, uint32_t v)
{
	unsigned	pair = s->lite[v].snv_pair;
	unsigned	rule;

	if (pair == NO_SNV_PAIR)
	{
		CallView	cv = snv_view(pc);

		match_call(s, image, &cv, v);
		return;
	}
	if (already_matched(s, v))
		return;
	rule = s->snv_rule[pair][pc->snv - 1];
	if (rule == VF_PDB_MATCH_NONE || rule == VF_PDB_STATUS_PALINDROMIC)
		set_unmatched(s, v, rule == VF_PDB_STATUS_PALINDROMIC);
	else
		set_matched(s, v, (VfPdbMatch) rule, dosage_of(pc->ds, pc->gt[0], pc->gt[1], 1));
}

/* A model variant without a call at pos: homozygous reference (true) or not assayed. */
static inline bool
uncalled_is_ref(const VfPdbScratch *s, int64_t pos)
{
	return !s->listed && pos >= s->start && pos <= s->end;
}

static void
match_run(VfPdbScratch *s, const void *image, const VfCall *c, uint32_t first)
{
	const VfPdbVariant *vars = VF_PDB_VARIANTS(image);
	CallView	cv = call_view(c);

	for (uint32_t v = first; v < first + vars[first].run; v++)
		match_call(s, image, &cv, v);
}

/*
 * A new sample: its chromosome, region and coverage from `region` (its calls are not read),
 * n_call calls, and for varID keys the range of the model's variants on its chromosome, each
 * given what scoring reads where no call matches.
 */
static int
begin_sample(VfPdbScratch *s, const void *image, const VfCalls *region, int n_call, VfError *err)
{
	const VfPdbHeader *h = image;
	const VfPdbVariant *vars = VF_PDB_VARIANTS(image);

	if (s->n_variant != h->n_variant)
		return vf_error(err, VF_ERR_INVALID, "PredictDB scratch does not belong to this model");
	if (++s->gen == 0)
	{
		for (uint32_t v = 0; v < s->n_variant; v++)
			s->var[v].stamp = 0;
		s->gen = 1;
	}
	vf_pdb_chrom_norm(region->chrom ? region->chrom : "", s->chrom, sizeof(s->chrom));
	snprintf(s->chrom_copy, sizeof(s->chrom_copy), "%s", region->chrom ? region->chrom : "");
	s->start = region->start;
	s->end = region->end;
	s->listed = region->listed;
	s->n_call = (uint32_t) n_call;
	s->n_call_id = 0;
	s->have_calls = true;

	/* the variants on the sample's chromosome: sorted by (chromosome, position) */
	{
		uint32_t	lo = 0,
					hi = h->n_variant;

		while (lo < hi)
		{
			uint32_t	mid = lo + (hi - lo) / 2;

			if (strcmp(VF_PDB_STR(image, vars[mid].chrom), s->chrom) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		s->var_lo = s->var_hi = lo;
		s->chrom_off = UINT32_MAX;
		if (h->key == VF_PDB_KEY_VARID && lo < h->n_variant &&
			strcmp(VF_PDB_STR(image, vars[lo].chrom), s->chrom) == 0)
		{
			uint32_t	top = h->n_variant;

			s->chrom_off = vars[lo].chrom;	/* interned: one offset per chromosome */
			/* its end by search too: walking a chromosome's variants per sample added up */
			hi = lo + 1;
			while (hi < top)
			{
				uint32_t	mid = hi + (top - hi) / 2;

				if (vars[mid].chrom == s->chrom_off)
					hi = mid + 1;
				else
					top = mid;
			}
			s->var_hi = hi;
		}
	}

	/*
	 * varID keys: what scoring reads where no call matches. Variants with no call are left
	 * unstamped; scoring reads them as homozygous reference inside a region-coverage
	 * genotype's region, missing otherwise (outside it, or anywhere in a listed genotype:
	 * not assayed).
	 */
	if (h->key == VF_PDB_KEY_VARID && s->var_hi > s->var_lo)
	{
		uint32_t	lo = s->var_lo,
					n = s->var_hi - s->var_lo;

		/* whole blocks where the answer is one for all (every listed genotype) */
		if (s->listed || s->lite[lo + n - 1].pos < s->start || s->lite[lo].pos > s->end)
		{
			memset(s->dose + lo, 0, n * sizeof(double));
			memset(s->used + lo, 0, n);
		}
		else if (s->lite[lo].pos >= s->start && s->lite[lo + n - 1].pos <= s->end)
		{
			memcpy(s->dose + lo, s->homref_dose + lo, n * sizeof(double));
			memcpy(s->used + lo, s->homref_used + lo, n);
		}
		else
			for (uint32_t u = lo; u < s->var_hi; u++)
			{
				bool		ref = uncalled_is_ref(s, s->lite[u].pos);

				s->dose[u] = ref ? s->homref_dose[u] : 0.0;
				s->used[u] = ref && s->homref_used[u];
			}
	}
	return 0;
}

/*
 * The first variant at or after pos, from v on (below hi). Calls and variants are both
 * sorted by position: a sample's calls walk the chromosome's variants by galloping search,
 * so a sample costs about its calls, whatever the model's size.
 */
static inline uint32_t
seek_variant(const VfPdbScratch *s, uint32_t v, uint32_t hi, int64_t pos)
{
	/*
	 * a few steps first: in a dense cohort the next call is usually a handful of variants
	 * on, where a plain scan mispredicts less than a search
	 */
	for (int k = 0; k < 8 && v < hi && s->lite[v].pos < pos; k++)
		v++;
	if (v < hi && s->lite[v].pos < pos)
	{
		uint32_t	step = 1,
					lo = v,
					top;

		while (v + step < hi && s->lite[v + step].pos < pos)
		{
			lo = v + step;
			step *= 2;
		}
		/* lite[lo].pos < pos; the first pos >= pos is in (lo, top] */
		top = v + step < hi ? v + step : hi;
		v = lo + 1;
		while (v < top)
		{
			uint32_t	mid = v + (top - v) / 2;

			if (s->lite[mid].pos < pos)
				v = mid + 1;
			else
				top = mid;
		}
	}
	return v;
}

int
vf_pdb_scratch_set_calls(VfPdbScratch *s, const void *image, const VfCalls *calls, VfError *err)
{
	const VfPdbHeader *h = image;
	const VfPdbVariant *vars = VF_PDB_VARIANTS(image);
	const uint32_t *vtab = VF_PDB_TABLE(image, h->off_var_hash);
	uint32_t	mask = h->var_slots - 1;

	if (begin_sample(s, image, calls, calls->n_call, err) < 0)
		return -1;
	for (int i = 0; i < calls->n_call; i++)
		s->n_call_id += calls->call[i].id != NULL;

	if (h->key == VF_PDB_KEY_VARID)
	{
		uint32_t	v = s->var_lo,
					hi = s->var_hi;

		for (int i = 0; i < calls->n_call && v < hi; i++)
		{
			const VfCall *c = &calls->call[i];
			CallView	cv = call_view(c);

			v = seek_variant(s, v, hi, c->pos);
			for (uint32_t w = v; w < hi && s->lite[w].pos == c->pos; w++)
				match_call(s, image, &cv, w);
		}
		return 0;
	}

	for (int i = 0; i < calls->n_call; i++)
	{
		const VfCall *c = &calls->call[i];

		if (c->id != NULL && c->id[0] != '\0')
		{
			/* a VCF ID may list several names: rs1;rs2 */
			const char *p = c->id;

			while (*p)
			{
				const char *e = strchr(p, ';');
				size_t		n = e ? (size_t) (e - p) : strlen(p);

				for (uint32_t j = vf_pdb_hash_n(p, n) & mask; vtab[j]; j = (j + 1) & mask)
				{
					const char *rs = VF_PDB_STR(image, vars[vtab[j] - 1].rsid);

					if (strncmp(rs, p, n) == 0 && rs[n] == '\0')
					{
						match_run(s, image, c, vtab[j] - 1);
						break;
					}
				}
				if (!e)
					break;
				p = e + 1;
			}
		}
	}
	return 0;
}

int
vf_pdb_scratch_set_pos_calls(VfPdbScratch *s, const void *image, const VfPosCalls *calls,
							 VfError *err)
{
	const VfCall *general = calls->general.call;
	uint32_t	v,
				hi;

	if (VF_PDB_HDR(image)->key != VF_PDB_KEY_VARID)
		return vf_error(err, VF_ERR_INVALID, "a PredictDB model keyed by rsID needs the calls' IDs");
	if (begin_sample(s, image, &calls->general, calls->n_call, err) < 0)
		return -1;
	v = s->var_lo;
	hi = s->var_hi;
	for (int i = 0; i < calls->n_call && v < hi; i++)
	{
		const VfPosCall *pc = &calls->call[i];

		v = seek_variant(s, v, hi, pc->pos);
		if (pc->snv)
		{
			for (uint32_t w = v; w < hi && s->lite[w].pos == pc->pos; w++)
				match_snv(s, image, pc, w);
		}
		else
		{
			CallView	cv = call_view(general++);

			for (uint32_t w = v; w < hi && s->lite[w].pos == pc->pos; w++)
				match_call(s, image, &cv, w);
		}
	}
	return 0;
}

int
vf_pdb_score_gene(const void *image, const VfPdbScratch *s, uint32_t gene,
				  VfPdbResult *out, VfError *err)
{
	const VfPdbHeader *h = image;
	const VfPdbGene *g = &VF_PDB_GENES(image)[gene];
	const VfPdbWeight *w = VF_PDB_WEIGHTS(image) + g->first_weight;
	const VfPdbVariant *vars = VF_PDB_VARIANTS(image);
	double		sum = 0;
	bool		varid = h->key == VF_PDB_KEY_VARID;

	memset(out, 0, sizeof(*out));
	out->n_snps_in_model = g->n_weight;
	if (!s->have_calls)
		return vf_error(err, VF_ERR_INVALID, "no genotype given to the PredictDB scorer");
	/* a gene on another chromosome is not covered: all its variants missing */
	out->other_chrom = varid && g->n_weight > 0 && vars[w[0].variant].chrom != s->chrom_off;
	/*
	 * Statuses are tallied by index, and a variant that is not used carries dosage 0
	 * (match_call and the load-time hom-ref precomputation store it so).
	 */
	{
		uint32_t	tally[VF_PDB_N_STATUS] = {0};
		uint32_t	absent = 0;

		for (uint32_t i = 0; i < g->n_weight; i++)
		{
			uint32_t	v = w[i].variant;
			const PdbVarState *st = &s->var[v];

			if (st->stamp == s->gen)
			{
				tally[st->status]++;
				sum += w[i].weight * st->dosage;
			}
			else if (varid && !out->other_chrom && uncalled_is_ref(s, s->lite[v].pos))
			{
				/* no call here, inside a region-coverage genotype: hom-ref by the varID */
				tally[s->lite[v].homref_match]++;
				sum += w[i].weight * s->lite[v].homref_dosage;
			}
			else
				absent++;
		}
		out->n_used = tally[VF_PDB_MATCH_EXACT] + tally[VF_PDB_MATCH_SWAP] +
			tally[VF_PDB_MATCH_COMP] + tally[VF_PDB_MATCH_COMP_SWAP];
		out->n_flipped = tally[VF_PDB_MATCH_SWAP] + tally[VF_PDB_MATCH_COMP_SWAP];
		out->n_complemented = tally[VF_PDB_MATCH_COMP] + tally[VF_PDB_MATCH_COMP_SWAP];
		out->n_skipped = tally[VF_PDB_MATCH_NONE] + tally[VF_PDB_STATUS_PALINDROMIC];
		out->n_palindromic = tally[VF_PDB_STATUS_PALINDROMIC];
		out->n_missing = absent + tally[STATUS_MISSING_CALL];
	}
	out->grex = sum;
	return 0;
}

int
vf_pdb_score_grex(const void *image, const VfPdbScratch *s, uint32_t gene, double *grex,
				  uint32_t *n_used, VfError *err)
{
	uint32_t	used = 0;
	const VfPdbGene *g = &VF_PDB_GENES(image)[gene];
	const VfPdbWeight *w = VF_PDB_WEIGHTS(image) + g->first_weight;
	const VfPdbVariant *vars = VF_PDB_VARIANTS(image);
	double		sum = 0;

	/*
	 * rsID keys, an empty gene, one off the sample's chromosome or (odd, but a model may say
	 * so) spanning chromosomes: the general path decides
	 */
	if (VF_PDB_HDR(image)->key != VF_PDB_KEY_VARID || !s->have_calls || g->n_weight == 0 ||
		vars[w[0].variant].chrom != s->chrom_off || !s->one_chrom[gene])
	{
		VfPdbResult res;

		if (vf_pdb_score_gene(image, s, gene, &res, err) < 0)
			return -1;
		*grex = res.grex;
		*n_used = res.n_used;
		return 0;
	}

	/*
	 * Same terms in the same order as vf_pdb_score_gene (an unused variant adds w x 0), so
	 * both give the same double. A varID gene's variants all lie on its chromosome, which
	 * set_calls filled in dose[].
	 */
	for (uint32_t i = 0; i < g->n_weight; i++)
	{
		sum += w[i].weight * s->dose[w[i].variant];
		used += s->used[w[i].variant];
	}
	*grex = sum;
	*n_used = used;
	return 0;
}

bool
vf_pdb_enough_used(const void *image, uint32_t n_used, uint32_t n_in_model)
{
	return n_used > 0 && (double) n_used >= VF_PDB_HDR(image)->min_variant_fraction * (double) n_in_model;
}

const char *
vf_pdb_status_name(VfPdbStatus st)
{
	switch (st)
	{
		case VF_PDB_OK: return "ok";
		case VF_PDB_UNKNOWN_CONTIG: return "unknown_contig";
		case VF_PDB_OTHER_CHROM: return "other_chromosome";
		case VF_PDB_NO_IDS: return "no_ids";
		case VF_PDB_ALLELE_MISMATCH: return "allele_mismatch";
		case VF_PDB_NOT_COVERED: return "not_covered";
		case VF_PDB_LOW_COVERAGE: return "low_coverage";
	}
	return "?";
}

VfPdbStatus
vf_pdb_status(const void *image, const VfPdbScratch *s, uint32_t gene, const VfPdbResult *r,
			  char *note, size_t notesize)
{
	const VfPdbHeader *h = image;
	const VfPdbGene *g = &VF_PDB_GENES(image)[gene];
	const VfPdbWeight *w = VF_PDB_WEIGHTS(image) + g->first_weight;
	const VfPdbVariant *first = g->n_weight ? &VF_PDB_VARIANTS(image)[w[0].variant] : NULL;
	const char *gid = VF_PDB_STR(image, g->id);
	const char *cover = s->listed ? "listed" : "region";

	note[0] = '\0';
	if (vf_pdb_enough_used(image, r->n_used, r->n_snps_in_model))
		return VF_PDB_OK;
	if (h->key == VF_PDB_KEY_VARID && s->chrom_off == UINT32_MAX && first != NULL)
	{
		/* a naming mismatch ("NC_000022.11", "chrUn..."): "chr" prefixes and M/MT already agree */
		snprintf(note, notesize, "the genotype's contig \"%s\" is none of the model's chromosomes (gene %s is on \"%s\", variants like %s)",
				 s->chrom_copy, gid, VF_PDB_STR(image, first->chrom), VF_PDB_STR(image, first->varid));
		return VF_PDB_UNKNOWN_CONTIG;
	}
	if (r->other_chrom && first != NULL)
	{
		snprintf(note, notesize, "gene %s is on chromosome %s, the genotype covers %s:%lld-%lld",
				 gid, VF_PDB_STR(image, first->chrom), s->chrom_copy, (long long) s->start, (long long) s->end);
		return VF_PDB_OTHER_CHROM;
	}
	if (h->key == VF_PDB_KEY_RSID && s->n_call > 0 && s->n_call_id == 0)
	{
		snprintf(note, notesize, "the model matches variants by rsID, but none of the genotype's %u calls has an ID",
				 s->n_call);
		return VF_PDB_NO_IDS;
	}
	if (r->n_skipped > r->n_palindromic && r->n_skipped - r->n_palindromic >= r->n_used)
	{
		snprintf(note, notesize, "the alleles at %u of the %u variants of gene %s found in the genotype match neither the model's nor their strand complement (variants like %s): another genome build?",
				 r->n_skipped - r->n_palindromic, r->n_used + r->n_skipped, gid,
				 first ? VF_PDB_STR(image, h->key == VF_PDB_KEY_VARID ? first->varid : first->rsid) : "");
		return VF_PDB_ALLELE_MISMATCH;
	}
	if (r->n_used == 0)
	{
		snprintf(note, notesize, "the genotype (%s:%lld-%lld, %s coverage) assays none of the %u variants of gene %s",
				 s->chrom_copy, (long long) s->start, (long long) s->end, cover, r->n_snps_in_model, gid);
		return VF_PDB_NOT_COVERED;
	}
	snprintf(note, notesize, "%u of the %u variants of gene %s used (%.1f%%), fewer than min_variant_fraction %g",
			 r->n_used, r->n_snps_in_model, gid, 100.0 * r->n_used / r->n_snps_in_model,
			 h->min_variant_fraction);
	return VF_PDB_LOW_COVERAGE;
}
