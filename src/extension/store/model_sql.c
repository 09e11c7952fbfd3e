/*
 * model_sql.c: SQL entry points of the model store: load_model, unload_model,
 * model_store_status (behind the models view) and model_checksum.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "varformer/checkpoint/checkpoint.h"
#include "common/error_report.h"
#include "common/file_access.h"
#include "varformer/common/json.h"
#include "store/model_options.h"
#include "store/model_registry.h"

PG_FUNCTION_INFO_V1(vf_load_model);
PG_FUNCTION_INFO_V1(vf_unload_model);
PG_FUNCTION_INFO_V1(vf_model_store_status);
PG_FUNCTION_INFO_V1(vf_model_checksum);

static bool
options_replace(const char *options_json)
{
	VfError		err;
	VfJsonDoc  *doc = vf_json_parse(options_json, strlen(options_json), &err);
	const VfJson *root;
	bool		replace;

	if (doc == NULL)
		vf_ereport(&err);
	root = vf_json_root(doc);
	if (root->type != VF_JSON_OBJECT)
	{
		vf_json_free(doc);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("load_model options must be a JSON object, not %s", options_json)));
	}
	replace = vf_json_get_bool(root, "replace", false);
	vf_json_free(doc);
	return replace;
}

static bool
same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * What differs between a model as recorded (was: its sha256; cat: the catalog row, NULL when
 * there is none) and a new load of it (now, bind), for the error's detail; "" when nothing.
 */
static char *
content_diff(const char *was, const char *now, const VfCatalogEntry *cat, const VfModelBinding *bind)
{
	StringInfoData diff;

	initStringInfo(&diff);
	if (strcmp(was, now) != 0)
		appendStringInfo(&diff, "Loaded sha256 %s, new sha256 %s.", was, now);
	if (cat && strcmp(cat->options, bind->options) != 0)
		appendStringInfo(&diff, "%sLoaded with options %s, now %s.", diff.len ? " " : "",
						 cat->options, bind->options);
	if (cat && !same_text(cat->reference_sha256, bind->reference_sha256))
		appendStringInfo(&diff, "%sThe reference genome it reads had sha256 %s, now %s.", diff.len ? " " : "",
						 cat->reference_sha256 ? cat->reference_sha256 : "(none)",
						 bind->reference_sha256 ? bind->reference_sha256 : "(none)");
	if (cat && !same_text(cat->annotation_sha256, bind->annotation_sha256))
		appendStringInfo(&diff, "%sThe gene table has changed since it was bound (annotation sha256 %s, now %s).",
						 diff.len ? " " : "",
						 cat->annotation_sha256 ? cat->annotation_sha256 : "(none)",
						 bind->annotation_sha256 ? bind->annotation_sha256 : "(none)");
	return diff.data;
}

static void
refuse_different_content(const char *name, const char *diff)
{
	ereport(ERROR,
			(errcode(ERRCODE_DUPLICATE_OBJECT),
			 errmsg("model \"%s\" is already loaded with different content", name),
			 errdetail("%s", diff),
			 errhint("A model name denotes fixed content. Pass '{\"replace\": true}' to replace it, or use another name.")));
}

/*
 * Every load hashes the content once. Content is the bytes, the options as stored and, for a
 * model reading haplotypes, the reference and annotation bound to it; a name that is known
 * (in shared memory, or only in the catalog after a restart) must keep its content unless
 * replace is asked.
 *
 * A name in shared memory loaded again without replace is hashed without being read into
 * memory: the answer is `unchanged` (no copy) or a refusal, never a new image. Any other load
 * reads the model into its new image and hashes it on the way (model_load.c), then compares.
 */
static VfRegisterResult
load_locked(const char *name, const char *path, const char *options, bool replace)
{
	VfModelStatus cur;
	VfCatalogEntry cat;
	VfModelBinding bind;
	bool		exists,
				in_catalog,
				copy_annotation;
	VfModelBuild b;
	volatile VfRegisterResult res = VF_REGISTER_LOADED;

	vf_model_binding_resolve(name, options, &bind);
	exists = vf_model_store_lookup(name, &cur);
	in_catalog = vf_model_catalog_get(name, &cat);
	/* the catalog's gene copy is written with its sha256: equal sha256, nothing to copy */
	copy_annotation = !(in_catalog && same_text(cat.annotation_sha256, bind.annotation_sha256));

	if (exists && !replace)
	{
		uint8		sha[VF_SHA256_LEN];
		char	   *diff;

		vf_model_content_sha256(path, bind.options, sha);
		diff = content_diff(vf_sha256_hex(cur.sha256), vf_sha256_hex(sha), in_catalog ? &cat : NULL, &bind);
		if (diff[0] != '\0')
			refuse_different_content(name, diff);
		/* the image in shared memory is these bytes already: only the record changes (a new path) */
		memset(&b, 0, sizeof(b));
		b.kind = cur.kind;
		strlcpy(b.arch, cur.arch, VF_ARCH_LEN);
		b.parameters = cur.parameters;
		b.size = (size_t) cur.bytes;
		memcpy(b.sha256, cur.sha256, VF_SHA256_LEN);
		vf_model_catalog_store(name, path, &bind, copy_annotation, &b);
		return VF_REGISTER_UNCHANGED;
	}

	vf_model_build(name, path, bind.options, vf_model_store_available(replace ? name : NULL), &b);
	PG_TRY();
	{
		bool		same_image = exists && vf_model_store_holds_image(name, &b);

		vf_model_options_check_kind(name, options, b.kind, b.image, b.size);
		if (b.kind == VF_KIND_ENSEMBLE)
			vf_model_options_check_members(name, options);
		if (exists || in_catalog)
		{
			char	   *diff = content_diff(exists ? vf_sha256_hex(cur.sha256) : cat.sha256,
											vf_sha256_hex(b.sha256), in_catalog ? &cat : NULL, &bind);

			if (diff[0] != '\0' && !replace)
				refuse_different_content(name, diff);
			if (same_image)
				res = diff[0] == '\0' ? VF_REGISTER_UNCHANGED : VF_REGISTER_REPLACED;
		}
		/* catalog first: if registering fails, the transaction takes the row back */
		vf_model_catalog_store(name, path, &bind, copy_annotation, &b);
		/* the same bytes already in shared memory: the record changes, the new image goes */
		if (!same_image)
			res = vf_model_store_register(name, &b, replace, true);
	}
	PG_FINALLY();
	{
		vf_model_build_free(&b);
	}
	PG_END_TRY();
	return res;
}

/*
 * A fused or embedding-head model reads haplotypes by its nature: its "window" (what binds
 * the reference and gene annotation to it, model_catalog.c) comes from its config.json (the
 * trunk's window; an embedding head's encoder_window), added to the options when not given
 * and refused when given otherwise.
 */
static char *
fused_window_option(const char *name, const char *path, char *options)
{
	int			window = 0;
	VfModelKind kind = VF_KIND_FUSED;
	VfError		err;
	VfJsonDoc  *doc;
	const VfJson *w;
	char	   *result = options;

	if (!vf_model_path_has_encoder_dir(path, &window, &kind) || window <= 0)
		return options;
	if ((doc = vf_json_parse(options, strlen(options), &err)) == NULL)
		vf_ereport(&err);
	w = vf_json_get(vf_json_root(doc), "window");
	if (w == NULL)
		result = psprintf("{\"window\": %d%s%s", window, strcmp(options, "{}") == 0 ? "}" : ", ",
						  strcmp(options, "{}") == 0 ? "" : options + 1);
	else if (w->type != VF_JSON_NUMBER || !w->is_integer || w->integer != window)
	{
		vf_json_free(doc);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"window\" of %s model \"%s\" must be its config.json %s %d",
						kind == VF_KIND_FUSED ? "fused" : "embedding_mlp", name,
						kind == VF_KIND_FUSED ? "window" : "encoder_window", window),
				 errhint("Leave \"window\" out: %s model's windows come from its config.json.", kind == VF_KIND_FUSED ? "a fused" : "an embedding_mlp")));
	}
	vf_json_free(doc);
	return result;
}

/*
 * load_model(name, path, options): NULL path only for ensembles. Returns what happened:
 * 'loaded', 'replaced' or 'unchanged' (same name, same bytes).
 */
Datum
vf_load_model(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *volatile path = NULL;
	char	   *options;
	bool		replace;
	volatile VfRegisterResult res = VF_REGISTER_LOADED;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("load_model needs a model name")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	options = PG_ARGISNULL(2) ? pstrdup("{}") :
		JsonbToCString(NULL, &PG_GETARG_JSONB_P(2)->root, VARSIZE(PG_GETARG_JSONB_P(2)));
	vf_model_store_require();
	replace = options_replace(options);
	vf_model_options_check_keys(name, options);
	if (!PG_ARGISNULL(1))
	{
		vf_require_read_server_files("load_model");
		path = text_to_cstring(PG_GETARG_TEXT_PP(1));
		(void) vf_check_readable_file(path, true);
		/*
		 * What the catalog keeps for reloads after a restart, which may happen in a session
		 * with another varformer.file_root: resolved here, absolute when the root applied.
		 */
		path = vf_server_path(path);
	}

	if (path != NULL)
		options = fused_window_option(name, path, options);
	{
		/* before binding reads the reference and the gene table: a misplaced option says so */
		int			kind = vf_model_kind_early(path, vf_model_options_has(options, "ensemble"));

		if (kind != 0)
			vf_model_options_check_kind(name, options, (VfModelKind) kind, NULL, 0);
		if (kind == VF_KIND_ENSEMBLE)
			vf_model_options_check_members(name, options);
	}
	vf_model_name_lock(name, true);
	PG_TRY();
	{
		res = load_locked(name, path, options, replace);
	}
	PG_FINALLY();
	{
		vf_model_name_lock(name, false);
	}
	PG_END_TRY();
	PG_RETURN_TEXT_P(cstring_to_text(res == VF_REGISTER_LOADED ? "loaded" :
									 res == VF_REGISTER_REPLACED ? "replaced" : "unchanged"));
}

Datum
vf_unload_model(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	volatile bool in_catalog = false,
				in_memory = false;

	vf_model_store_require();
	/* under the name lock: a reload either finishes before, or sees the unload noted */
	vf_model_name_lock(name, true);
	PG_TRY();
	{
		TransactionId row_xmin;
		char	   *users = vf_model_catalog_ensembles_using(name);

		if (users != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("cannot unload model \"%s\": %s %s %s it", name,
							strchr(users, ',') ? "ensembles" : "ensemble", users,
							strchr(users, ',') ? "use" : "uses"),
					 errhint("Unload the ensembles that use it first, or load them again without it ({\"replace\": true}).")));
		in_catalog = vf_model_catalog_delete(name, &row_xmin);
		if (in_catalog)
			vf_model_store_note_unload(name, row_xmin);
		in_memory = vf_model_store_unregister(name);
	}
	PG_FINALLY();
	{
		vf_model_name_lock(name, false);
	}
	PG_END_TRY();
	if (!in_catalog && !in_memory)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" is not loaded", name)));
	PG_RETURN_VOID();
}

/* The live registry of this database: name, generation, bytes, backends, transactions. */
Datum
vf_model_store_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	VfModelStatus *st;
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	n = vf_model_store_list(&st);
	for (int i = 0; i < n; i++)
	{
		Datum		values[8];
		bool		nulls[8] = {0};

		values[0] = CStringGetTextDatum(st[i].name);
		values[1] = CStringGetTextDatum(vf_model_kind_name(st[i].kind));
		values[2] = Int64GetDatum((int64) st[i].generation);
		values[3] = Int64GetDatum(st[i].bytes);
		values[4] = Int32GetDatum(st[i].backends);
		values[5] = Int64GetDatum(st[i].calls);
		values[6] = CStringGetTextDatum(vf_sha256_hex(st[i].sha256));
		values[7] = Int64GetDatum(st[i].image);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * model_checksum(name): the sum of every weight, in double precision. Reads the whole
 * image in this backend (an integrity check, and what the sharing test measures).
 */
Datum
vf_model_checksum(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const VfModelRef *m = vf_model_acquire(name);
	VfCheckpoint c;
	VfError		err;
	double		sum = 0;

	if (m->kind != VF_KIND_ENCODER && m->kind != VF_KIND_SEQ2FUNC)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is a %s model; model_checksum reads neural checkpoints",
						name, vf_model_kind_name(m->kind))));
	vf_error_clear(&err);
	if (vf_checkpoint_open(m->image, m->size, &c, &err) != 0)
		vf_ereport(&err);
	PG_TRY();
	{
		for (int t = 0; t < c.n_tensor; t++)
		{
			const float *x = c.tensor[t].data;
			int64		n = c.tensor[t].numel;

			/* blocks of 1M elements between interrupt checks, 8 independent partial sums */
			for (int64 start = 0; start < n; start += 1 << 20)
			{
				int64		end = Min(n, start + (1 << 20));
				double		p[8] = {0};
				int64		i = start;

				for (; i + 8 <= end; i += 8)
					for (int k = 0; k < 8; k++)
						p[k] += x[i + k];
				for (; i < end; i++)
					p[0] += x[i];
				sum += ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
				CHECK_FOR_INTERRUPTS();
			}
		}
	}
	PG_FINALLY();
	{
		vf_checkpoint_close(&c);
	}
	PG_END_TRY();
	PG_RETURN_FLOAT8(sum);
}
