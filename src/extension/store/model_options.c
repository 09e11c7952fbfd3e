/*
 * model_options.c: what load_model accepts in its options, checked at load.
 *
 * A misspelt key ("windows"), a wrong type ("reverse_complement": "yes"), a value the model
 * cannot read (a window beyond its input) or an option of another kind of model ("window" on
 * a PredictDB model) used to be ignored or to fail at the first prediction, far from its
 * cause. Every key is checked here, in two steps: before the file is read (keys and types,
 * so a typo costs nothing) and once the model's kind and shape are known (what applies to
 * the kind, ranges that depend on the model, ensemble members).
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/varlena.h"

#include "common/error_report.h"
#include "store/model_options.h"
#include "store/model_registry.h"
#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/json.h"
#include "varformer/models/model.h"

/* the longest window any model reads (deep_predict.c's bound, 16 Mb) */
#define MAX_WINDOW (1 << 24)

typedef enum OptType
{
	OPT_BOOL,
	OPT_INT,
	OPT_STRING,
	OPT_NUMBER_OR_NULL,
	OPT_MEMBERS
} OptType;

#define K_ENC (1u << VF_KIND_ENCODER)
#define K_S2F (1u << VF_KIND_SEQ2FUNC)
#define K_PDB (1u << VF_KIND_PREDICTDB)
#define K_ENS (1u << VF_KIND_ENSEMBLE)
#define K_FUSED (1u << VF_KIND_FUSED)
#define K_EMB (1u << VF_KIND_EMBED_HEAD)
#define K_ALL (K_ENC | K_S2F | K_PDB | K_ENS | K_FUSED | K_EMB)
#define K_HAP (K_ENC | K_S2F | K_FUSED | K_EMB)

typedef struct OptSpec
{
	const char *key;
	OptType		type;
	unsigned	kinds;			/* the kinds of model it applies to */
	bool		needs_window;	/* only meaningful for a model that reads haplotypes */
	const char *values;			/* OPT_STRING: the allowed values, '|'-separated; NULL any */
} OptSpec;

static const OptSpec specs[] = {
	{"replace", OPT_BOOL, K_ALL, false, NULL},
	{"window", OPT_INT, K_HAP, false, NULL},
	{"reference", OPT_STRING, K_HAP, true, NULL},
	{"annotation", OPT_STRING, K_HAP, true, NULL},
	{"reverse_complement", OPT_BOOL, K_HAP, true, NULL},
	{"allow_unphased", OPT_BOOL, K_HAP, true, NULL},
	{"track", OPT_INT, K_S2F, true, NULL},
	{"tss_bins", OPT_INT, K_S2F, true, NULL},
	{"diploid_onehot", OPT_BOOL, K_S2F, true, NULL},
	{"architecture", OPT_STRING, K_ENC | K_S2F, false, NULL},
	{"variant_key", OPT_STRING, K_PDB, false, "varID|rsid|auto"},
	{"palindromic", OPT_STRING, K_PDB, false, "keep|skip"},
	{"min_variant_fraction", OPT_NUMBER_OR_NULL, K_PDB, false, NULL},
	{"low_coverage", OPT_STRING, K_PDB, false, "null|error"},
	{"ensemble", OPT_MEMBERS, K_ENS, false, NULL},
	{"intercept", OPT_NUMBER_OR_NULL, K_ENS, false, NULL},
};

static const OptSpec *
find_spec(const char *key)
{
	for (size_t i = 0; i < lengthof(specs); i++)
		if (strcmp(specs[i].key, key) == 0)
			return &specs[i];
	return NULL;
}

static char *
kinds_text(unsigned kinds)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int k = VF_KIND_ENCODER; k <= VF_KIND_EMBED_HEAD; k++)
		if (kinds & (1u << k))
			appendStringInfo(&s, "%s%s", s.len ? ", " : "", vf_model_kind_name((VfModelKind) k));
	return s.data;
}

static char *
keys_of_kinds(unsigned kinds)
{
	StringInfoData s;

	initStringInfo(&s);
	for (size_t i = 0; i < lengthof(specs); i++)
		if (specs[i].kinds & kinds)
			appendStringInfo(&s, "%s%s", s.len ? ", " : "", specs[i].key);
	return s.data;
}

/* Keeps in *best the candidate closest to key, for "Did you mean": start with *best_d = 4. */
static void
closer_key(const char *key, const char *candidate, const char **best, int *best_d)
{
	int			d = varstr_levenshtein_less_equal(key, strlen(key), candidate, strlen(candidate),
												  1, 1, 1, *best_d, true);

	if (d < *best_d)			/* suggest only close spellings */
	{
		*best_d = d;
		*best = candidate;
	}
}

static void
unknown_key(const char *name, const char *key)
{
	const char *best = NULL;
	int			best_d = 4;

	for (size_t i = 0; i < lengthof(specs); i++)
		closer_key(key, specs[i].key, &best, &best_d);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown option \"%s\" for model \"%s\"", key, name),
			 best ? errhint("Did you mean \"%s\"? load_model knows: %s.", best, keys_of_kinds(K_ALL))
			 : errhint("load_model knows: %s.", keys_of_kinds(K_ALL))));
}

static const char *
json_type_name(const VfJson *v)
{
	switch (v->type)
	{
		case VF_JSON_NULL: return "null";
		case VF_JSON_BOOL: return v->boolean ? "true" : "false";
		case VF_JSON_NUMBER: return "a number";
		case VF_JSON_STRING: return "a string";
		case VF_JSON_ARRAY: return "an array";
		case VF_JSON_OBJECT: return "an object";
	}
	return "?";
}

static bool
allowed_value(const char *values, const char *v)
{
	const char *p = values;

	while (*p)
	{
		const char *bar = strchr(p, '|');
		size_t		n = bar ? (size_t) (bar - p) : strlen(p);

		if (strlen(v) == n && pg_strncasecmp(p, v, n) == 0)
			return true;
		p += n + (bar ? 1 : 0);
	}
	return false;
}

static void
check_type(const char *name, const OptSpec *s, const VfJson *v)
{
	switch (s->type)
	{
		case OPT_BOOL:
			if (v->type != VF_JSON_BOOL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" of model \"%s\" must be true or false, not %s",
								s->key, name, json_type_name(v)),
						 errhint("Write it as a JSON boolean: {\"%s\": true}.", s->key)));
			break;
		case OPT_INT:
			if (v->type != VF_JSON_NUMBER || !v->is_integer)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" of model \"%s\" must be an integer, not %s",
								s->key, name, json_type_name(v))));
			if (strcmp(s->key, "window") == 0 && (v->integer < 1 || v->integer > MAX_WINDOW))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"window\" of model \"%s\" is %lld bases; it must be from 1 to %d",
								name, (long long) v->integer, MAX_WINDOW)));
			if (v->integer < 0 || v->integer > INT32_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" of model \"%s\" is out of range: %lld", s->key, name,
								(long long) v->integer)));
			break;
		case OPT_STRING:
			if (v->type != VF_JSON_STRING)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" of model \"%s\" must be a string, not %s",
								s->key, name, json_type_name(v))));
			if (s->values && !allowed_value(s->values, v->str))
			{
				char	   *list = pstrdup(s->values);

				for (char *c = list; *c; c++)
					if (*c == '|')
						*c = ',';
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" of model \"%s\" is \"%s\"; allowed values: %s",
								s->key, name, v->str, list)));
			}
			break;
		case OPT_NUMBER_OR_NULL:
			if (v->type != VF_JSON_NUMBER && v->type != VF_JSON_NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" of model \"%s\" must be a number, not %s",
								s->key, name, json_type_name(v))));
			break;
		case OPT_MEMBERS:
			/* the ensemble builder checks the list's shape, naming the member */
			break;
	}
}

static VfJsonDoc *
parse(const char *options_json)
{
	VfError		err;
	VfJsonDoc  *doc = vf_json_parse(options_json, strlen(options_json), &err);

	if (doc == NULL)
		vf_ereport(&err);
	if (vf_json_root(doc)->type != VF_JSON_OBJECT)
	{
		vf_json_free(doc);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("load_model options must be a JSON object, not %s", options_json)));
	}
	return doc;
}

void
vf_model_options_check_keys(const char *name, const char *options_json)
{
	VfJsonDoc  *doc = parse(options_json);
	const VfJson *o = vf_json_root(doc);

	PG_TRY();
	{
		for (size_t i = 0; i < o->len; i++)
		{
			const OptSpec *s = find_spec(o->keys[i]);

			if (s == NULL)
				unknown_key(name, o->keys[i]);
			check_type(name, s, &o->items[i]);
		}
	}
	PG_FINALLY();
	{
		vf_json_free(doc);
	}
	PG_END_TRY();
}

/* track, tss_bins and window against a sequence-to-function model's shape */
static void
check_seq2func(const char *name, const VfJson *o, const void *image, size_t size)
{
	VfCheckpoint ck;
	VfJsonDoc  *cfg = NULL;
	VfModel    *m = NULL;
	VfError		err = {0};
	const VfJson *w = vf_json_get(o, "window"),
			   *t = vf_json_get(o, "track"),
			   *b = vf_json_get(o, "tss_bins");

	if (w == NULL)
		return;
	if (vf_checkpoint_open(image, size, &ck, &err) < 0)
		vf_ereport(&err);
	if (ck.config_json == NULL || (cfg = vf_json_parse(ck.config_json, ck.config_len, &err)) == NULL ||
		(m = vf_model_create(&ck, vf_json_root(cfg), &err)) == NULL)
	{
		if (cfg)
			vf_json_free(cfg);
		vf_checkpoint_close(&ck);
		/* the kind was detected from a config.json, so this is a broken checkpoint */
		if (err.msg[0] == '\0')
			vf_error(&err, VF_ERR_DATA, "model \"%s\" has no config.json", name);
		vf_ereport(&err);
	}
	{
		const VfModelInfo *mi = vf_model_info(m);
		int			window = (int) w->integer,
					bins = window <= mi->max_input ? vf_model_output_rows(m, window) : 0,
					tracks = mi->out_cols,
					max_input = mi->max_input;
		char	   *label = pstrdup(mi->label);
		int64		track = t ? t->integer : 0,
					tss_bins = b ? b->integer : 3;

		vf_model_free(m);
		vf_json_free(cfg);
		vf_checkpoint_close(&ck);
		if (bins < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"window\" of model \"%s\" is %d bases, not an input length the model reads",
							name, window),
					 errhint("%s reads up to %d bases.", label, max_input)));
		if (track < 0 || track >= tracks)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"track\" of model \"%s\" is %lld; the model has tracks 0 to %d",
							name, (long long) track, tracks - 1)));
		if (tss_bins < 1 || tss_bins > bins)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"tss_bins\" of model \"%s\" is %lld; with a window of %d bases it must be from 1 to %d",
							name, (long long) tss_bins, window, bins)));
	}
}

void
vf_model_options_check_kind(const char *name, const char *options_json, VfModelKind kind,
							const void *image, size_t size)
{
	VfJsonDoc  *doc = parse(options_json);
	const VfJson *o = vf_json_root(doc);

	PG_TRY();
	{
		bool		window = vf_json_get(o, "window") != NULL;

		for (size_t i = 0; i < o->len; i++)
		{
			const OptSpec *s = find_spec(o->keys[i]);

			if (s == NULL)
				unknown_key(name, o->keys[i]);
			if (!(s->kinds & (1u << kind)))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" does not apply to model \"%s\" of kind %s", s->key, name,
								vf_model_kind_name(kind)),
						 errdetail("\"%s\" applies to models of kind %s.", s->key, kinds_text(s->kinds)),
						 errhint("Options of a %s model: %s.", vf_model_kind_name(kind),
								 keys_of_kinds(1u << kind))));
			if (s->needs_window && !window)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" of model \"%s\" needs a \"window\"", s->key, name),
						 errdetail("It says how haplotype windows around genes' TSSs are read, and only a model with a \"window\" reads them."),
						 errhint("Add the number of bases the model reads around the TSS, e.g. {\"window\": 5994}.")));
		}
		if (kind == VF_KIND_SEQ2FUNC)
			check_seq2func(name, o, image, size);
	}
	PG_FINALLY();
	{
		vf_json_free(doc);
	}
	PG_END_TRY();
}

static void
check_member(const char *name, const char *member)
{
	char	   *kind;

	if (strcmp(member, name) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ensemble \"%s\" lists itself as a member", name),
				 errdetail("Its prediction would never end.")));
	kind = vf_model_catalog_kind(member);
	if (kind == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("member \"%s\" of ensemble \"%s\" is not loaded", member, name),
				 errhint("Load the members first; the models view lists loaded models.")));
	if (strcmp(kind, "encoder") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("member \"%s\" of ensemble \"%s\" is of kind %s, which does not predict expression",
						member, name, kind),
				 errhint("Members are PredictDB, seq2func, fused models or other ensembles.")));
}

void
vf_model_options_check_members(const char *name, const char *options_json)
{
	VfJsonDoc  *doc = parse(options_json);
	const VfJson *m = vf_json_get(vf_json_root(doc), "ensemble");
	List	   *members = NIL;
	ListCell   *lc;

	/* the names first: the catalog reads below may ERROR, and doc must be freed */
	if (m != NULL && m->type == VF_JSON_OBJECT)
		for (size_t i = 0; i < m->len; i++)
			members = lappend(members, pstrdup(m->keys[i]));
	else if (m != NULL && m->type == VF_JSON_ARRAY)
		for (size_t i = 0; i < m->len; i++)
		{
			const VfJson *n = vf_json_get(&m->items[i], "model");

			if (n != NULL && n->type == VF_JSON_STRING)
				members = lappend(members, pstrdup(n->str));
		}
	vf_json_free(doc);
	foreach(lc, members)
		check_member(name, (const char *) lfirst(lc));
}

bool
vf_model_options_has(const char *options_json, const char *key)
{
	VfJsonDoc  *doc = parse(options_json);
	bool		has = vf_json_get(vf_json_root(doc), key) != NULL;

	vf_json_free(doc);
	return has;
}

/*
 * Per-call options (encode_haplotype(gt, hap, gene, model, options)): the keys a call may
 * override, checked as load_model checks its own. A call may change how it reads the
 * haplotype (allowed: its comma-separated keys), never what the model is bound to (its
 * reference and annotation, which make its name denote fixed content). The result depends on
 * the call's arguments only, so the function stays IMMUTABLE.
 */
PG_FUNCTION_INFO_V1(vf_call_options_check);

Datum
vf_call_options_check(PG_FUNCTION_ARGS)
{
	char	   *function = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *options_json = text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *allowed = text_to_cstring(PG_GETARG_TEXT_PP(3));
	List	   *keys = NIL;		/* allowed, split at its commas */
	StringInfoData shown;		/* allowed, for messages: "a, b, c" */
	VfJsonDoc  *doc;
	const VfJson *o;
	ListCell   *lc;

	initStringInfo(&shown);
	for (char *k = strtok(pstrdup(allowed), ","); k != NULL; k = strtok(NULL, ","))
	{
		appendStringInfo(&shown, "%s%s", keys == NIL ? "" : ", ", k);
		keys = lappend(keys, k);
	}

	doc = vf_json_parse(options_json, strlen(options_json), &(VfError) {0});
	if (doc == NULL || vf_json_root(doc)->type != VF_JSON_OBJECT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options of %s must be a JSON object, not %s", function, options_json)));
	o = vf_json_root(doc);
	PG_TRY();
	{
		for (size_t i = 0; i < o->len; i++)
		{
			const char *key = o->keys[i];
			const OptSpec *s = find_spec(key);
			bool		ok = false;

			foreach(lc, keys)
				ok |= strcmp(lfirst(lc), key) == 0;
			if (s == NULL || !ok)
			{
				const char *best = NULL;
				int			best_d = 4;

				foreach(lc, keys)
					closer_key(key, lfirst(lc), &best, &best_d);
				if (s != NULL)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("option \"%s\" of model \"%s\" cannot be changed per call of %s", key, name, function),
							 errdetail("It is part of what the model name denotes (fixed at load_model, which is what lets %s be IMMUTABLE).", function),
							 errhint("A call may set: %s. Load the model under another name for another \"%s\".", shown.data, key)));
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown option \"%s\" in a call of %s", key, function),
						 best ? errhint("Did you mean \"%s\"? A call may set: %s.", best, shown.data)
						 : errhint("A call may set: %s.", shown.data)));
			}
			check_type(name, s, &o->items[i]);
		}
	}
	PG_FINALLY();
	{
		vf_json_free(doc);
	}
	PG_END_TRY();
	PG_RETURN_VOID();
}
