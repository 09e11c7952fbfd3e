/*
 * model_catalog.c: the persisted catalog of loaded models, and reloading from it.
 *
 * Shared memory does not survive a restart or a crash reset; the table model_catalog in
 * the extension's schema does (and pg_dump carries it: pg_extension_config_dump). When a
 * name is not in shared memory, the first vf_model_acquire() rebuilds it from the path and
 * options recorded here and insists on the recorded sha256, so a name keeps denoting the
 * same bytes across restarts.
 *
 * A model that reads haplotypes (a "window" option) is bound here at load time to what it
 * reads besides its weights: the reference genome (name and registered sha256) and a copy of
 * the genes of one gene annotation (model_gene; the "annotation" option, else the default
 * annotation). Its name then denotes all of that, as IMMUTABLE needs.
 *
 * The catalog is read and written as the extension's owner: the right to load or use a
 * model is granted on the functions, not on the table (which users cannot modify).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "common/error_report.h"
#include "varformer/common/json.h"
#include "store/model_registry.h"
#include "genomics/reference_registry.h"

typedef struct CatalogAccess
{
	Oid			save_userid;
	int			save_sec;
	int			guc_level;
	char	   *schema;			/* quoted schema of the extension */
	char	   *table;			/* quoted schema.model_catalog */
} CatalogAccess;

static void
catalog_begin(CatalogAccess *ca)
{
	bool		isnull;
	Oid			owner;
	char	   *schema;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* our queries run as the owner: the caller's search_path must not resolve their names */
	ca->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_execute("SELECT e.extowner, n.nspname::text FROM pg_catalog.pg_extension e "
					"JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace "
					"WHERE e.extname OPERATOR(pg_catalog.=) 'varformer'", true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"varformer\" is not installed in this database")));
	owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	schema = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	ca->schema = pstrdup(quote_identifier(schema));
	ca->table = psprintf("%s.model_catalog", ca->schema);
	GetUserIdAndSecContext(&ca->save_userid, &ca->save_sec);
	SetUserIdAndSecContext(owner, ca->save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
}

static void
catalog_end(CatalogAccess *ca)
{
	SetUserIdAndSecContext(ca->save_userid, ca->save_sec);
	AtEOXact_GUC(true, ca->guc_level);
	SPI_finish();
}

/* SPI's first row, column col, as text copied into cxt; NULL stays NULL */
static char *
spi_text(MemoryContext cxt, int col)
{
	char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);

	return v ? MemoryContextStrdup(cxt, v) : NULL;
}

static void
binding_context(void *arg)
{
	errcontext("binding model \"%s\" to the reference genome and gene annotation it reads",
			   (const char *) arg);
}

void
vf_model_binding_resolve(const char *name, const char *options_json, VfModelBinding *out)
{
	MemoryContext caller = CurrentMemoryContext;
	VfError		err;
	VfJsonDoc  *doc;
	const VfJson *window;
	const VfJson *ref;
	const VfJson *ann;
	char	   *asked = NULL;
	char	   *asked_annotation = NULL;
	CatalogAccess ca;
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];
	char		nulls[3] = "   ";
	ErrorContextCallback cb = {.previous = error_context_stack, .callback = binding_context, .arg = (void *) name};

	memset(out, 0, sizeof(*out));
	vf_error_clear(&err);
	doc = vf_json_parse(options_json, strlen(options_json), &err);
	if (doc == NULL)
		vf_ereport(&err);
	window = vf_json_get(vf_json_root(doc), "window");
	ref = vf_json_get(vf_json_root(doc), "reference");
	if (window != NULL && (window->type != VF_JSON_NUMBER || !window->is_integer ||
						   window->integer < 1 || window->integer > INT32_MAX))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"window\" of model \"%s\" must be a positive integer number of bases", name)));
	if (ref != NULL && ref->type != VF_JSON_STRING)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"reference\" of model \"%s\" must name a registered reference genome", name)));
	ann = vf_json_get(vf_json_root(doc), "annotation");
	if (ann != NULL && ann->type != VF_JSON_STRING)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"annotation\" of model \"%s\" must name an imported gene annotation", name)));
	if (ref != NULL)
		asked = pstrdup(ref->str);
	if (ann != NULL)
		asked_annotation = pstrdup(ann->str);
	vf_json_free(doc);

	error_context_stack = &cb;
	if (window != NULL)
		/* opens the FASTA: a missing or changed file fails the load, not a later query */
		(void) vf_reference_resolve_identity(asked, &out->reference, &out->reference_sha256);

	values[0] = CStringGetTextDatum(options_json);
	nulls[1] = nulls[2] = 'n';
	catalog_begin(&ca);
	if (out->reference)
	{
		Oid			atypes[1] = {TEXTOID};
		Datum		avalues[1] = {asked_annotation ? CStringGetTextDatum(asked_annotation) : (Datum) 0};
		char		anulls[1] = {asked_annotation ? ' ' : 'n'};

		/* no import_gtf may commit between this hash and the copy load_model stores */
		if (SPI_execute(psprintf("LOCK TABLE %s.gene IN SHARE MODE", ca.schema), false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not lock the gene table for model \"%s\"", name);
		/* the named annotation, else the default one; errors name those there are */
		if (SPI_execute_with_args(psprintf("SELECT %s.annotation_resolve($1)", ca.schema),
								  1, atypes, avalues, anulls, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not resolve the gene annotation of model \"%s\"", name);
		out->annotation = spi_text(caller, 1);
		avalues[0] = CStringGetTextDatum(out->annotation);
		anulls[0] = ' ';
		if (SPI_execute_with_args(psprintf("SELECT pg_catalog.count(*), pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to("
										   "COALESCE(pg_catalog.string_agg(g::pg_catalog.text, E'\\n' ORDER BY g.gene_id), ''), "
										   "'UTF8')), 'hex') FROM %s.gene g WHERE g.annotation OPERATOR(pg_catalog.=) $1",
										   ca.schema),
								  1, atypes, avalues, anulls, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read the gene table for model \"%s\"", name);
		out->genes = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &(bool){false}));
		out->annotation_sha256 = spi_text(caller, 2);
		if (out->genes == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("model \"%s\" reads haplotypes around genes (option \"window\") but gene annotation \"%s\" has no genes",
							name, out->annotation),
					 errhint("Import the annotation first with import_gtf(path): the model keeps its genes as they are when loaded.")));
		values[1] = CStringGetTextDatum(out->reference);
		values[2] = CStringGetTextDatum(out->annotation);
		nulls[1] = nulls[2] = ' ';
	}
	/* "replace" is how to load, not what is loaded; the resolved reference and annotation are */
	if (SPI_execute_with_args("SELECT (($1::pg_catalog.jsonb OPERATOR(pg_catalog.-) 'replace') "
							  "OPERATOR(pg_catalog.||) CASE WHEN $2 IS NULL THEN '{}'::pg_catalog.jsonb "
							  "ELSE pg_catalog.jsonb_build_object('reference', $2, 'annotation', $3) END)::pg_catalog.text",
							  3, types, values, nulls, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not normalise the options of model \"%s\"", name);
	out->options = spi_text(caller, 1);
	catalog_end(&ca);
	error_context_stack = cb.previous;
	if (asked)
		pfree(asked);
	if (asked_annotation)
		pfree(asked_annotation);
}

bool
vf_model_catalog_get(const char *name, VfCatalogEntry *out)
{
	MemoryContext caller = CurrentMemoryContext;
	CatalogAccess ca;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	bool		found;

	memset(out, 0, sizeof(*out));
	catalog_begin(&ca);
	if (SPI_execute_with_args(psprintf("SELECT sha256, options::pg_catalog.text, reference_sha256, annotation_sha256 "
									   "FROM %s WHERE name OPERATOR(pg_catalog.=) $1", ca.table),
							  1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the model catalog");
	found = SPI_processed == 1;
	if (found)
	{
		out->sha256 = spi_text(caller, 1);
		out->options = spi_text(caller, 2);
		out->reference_sha256 = spi_text(caller, 3);
		out->annotation_sha256 = spi_text(caller, 4);
	}
	catalog_end(&ca);
	return found;
}

void
vf_model_catalog_store(const char *name, const char *path, const VfModelBinding *bind,
					   bool copy_annotation, const VfModelBuild *b)
{
	CatalogAccess ca;
	Oid			types[13] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, INT8OID,
							 TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID};
	Datum		values[13];
	char		nulls[13] = "             ";
	char	   *sql;

	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(vf_model_kind_name(b->kind));
	values[2] = CStringGetTextDatum(b->arch);
	if (path)
		values[3] = CStringGetTextDatum(path);
	else
		nulls[3] = 'n';
	values[4] = CStringGetTextDatum(bind->options);
	values[5] = CStringGetTextDatum(vf_sha256_hex(b->sha256));
	values[6] = Int64GetDatum(b->parameters);
	values[7] = Int64GetDatum((int64) b->size);
	if (bind->reference)
	{
		values[8] = CStringGetTextDatum(bind->reference);
		values[9] = CStringGetTextDatum(bind->reference_sha256);
		values[10] = CStringGetTextDatum(bind->annotation_sha256);
		values[11] = Int32GetDatum((int32) bind->genes);
		values[12] = CStringGetTextDatum(bind->annotation);
	}
	else
		memset(nulls + 8, 'n', 5);

	catalog_begin(&ca);
	sql = psprintf("INSERT INTO %s AS c (name, kind, architecture, path, options, sha256, parameters, bytes, loaded_at, "
				   "reference, reference_sha256, annotation_sha256, genes, annotation) "
				   "VALUES ($1, $2, $3, $4, $5::pg_catalog.jsonb, $6, $7, $8, pg_catalog.now(), $9, $10, $11, $12, $13) "
				   "ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, architecture = EXCLUDED.architecture, "
				   "path = EXCLUDED.path, options = EXCLUDED.options, sha256 = EXCLUDED.sha256, "
				   "parameters = EXCLUDED.parameters, bytes = EXCLUDED.bytes, loaded_at = EXCLUDED.loaded_at, "
				   "reference = EXCLUDED.reference, reference_sha256 = EXCLUDED.reference_sha256, "
				   "annotation_sha256 = EXCLUDED.annotation_sha256, genes = EXCLUDED.genes, "
				   "annotation = EXCLUDED.annotation",
				   ca.table);
	if (SPI_execute_with_args(sql, 13, types, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record model \"%s\" in the catalog", name);
	/*
	 * The annotation copy follows the catalog row (the gene table is locked since binding);
	 * when the catalog already holds this very annotation, its copy stays as it is.
	 */
	if (copy_annotation &&
		(SPI_execute_with_args(psprintf("DELETE FROM %s.model_gene WHERE model OPERATOR(pg_catalog.=) $1", ca.schema),
							   1, types, values, NULL, false, 0) != SPI_OK_DELETE ||
		 (bind->reference &&
		 SPI_execute_with_args(psprintf("INSERT INTO %s.model_gene (model, gene_id, gene_name, chrom, start, \"end\", "
										"strand, tss, gene_type, gene_id_unversioned) "
										"SELECT $1, gene_id, gene_name, chrom, start, \"end\", strand, tss, gene_type, "
										"gene_id_unversioned FROM %s.gene WHERE annotation OPERATOR(pg_catalog.=) $2",
										ca.schema, ca.schema),
							   2, (Oid[]) {TEXTOID, TEXTOID}, (Datum[]) {values[0], values[12]}, NULL, false, 0) != SPI_OK_INSERT)))
		elog(ERROR, "could not record the gene annotation of model \"%s\"", name);
	catalog_end(&ca);
}

/* The kind the catalog records for name; NULL when it has no such model. */
char *
vf_model_catalog_kind(const char *name)
{
	MemoryContext caller = CurrentMemoryContext;
	CatalogAccess ca;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	char	   *kind = NULL;

	catalog_begin(&ca);
	if (SPI_execute_with_args(psprintf("SELECT kind FROM %s WHERE name OPERATOR(pg_catalog.=) $1", ca.table),
							  1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the model catalog");
	if (SPI_processed == 1)
		kind = spi_text(caller, 1);
	catalog_end(&ca);
	return kind;
}

/* The ensembles (other than name itself) that list name as a member, ", "-separated; NULL: none. */
char *
vf_model_catalog_ensembles_using(const char *name)
{
	MemoryContext caller = CurrentMemoryContext;
	CatalogAccess ca;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	char	   *users = NULL;

	catalog_begin(&ca);
	/* members are {name: weight} or [{"model": name, ...}] (ensemble.c) */
	if (SPI_execute_with_args(psprintf("SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c.name), ', ' ORDER BY c.name) "
									   "FROM %s c WHERE c.kind OPERATOR(pg_catalog.=) 'ensemble' "
									   "AND c.name OPERATOR(pg_catalog.<>) $1 "
									   "AND (c.options OPERATOR(pg_catalog.->) 'ensemble' OPERATOR(pg_catalog.?) $1 "
									   "OR c.options OPERATOR(pg_catalog.->) 'ensemble' OPERATOR(pg_catalog.@>) "
									   "pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('model', $1)))",
									   ca.table),
							  /* not read-only: an unload earlier in this statement counts */
							  1, types, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the model catalog");
	users = spi_text(caller, 1);
	catalog_end(&ca);
	return users;
}

/* xmin of SPI's first row, column col (as text: xid has no binary C accessor here) */
static TransactionId
spi_xid(int col)
{
	char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);

	return (TransactionId) strtoul(v, NULL, 10);
}

bool
vf_model_catalog_delete(const char *name, TransactionId *row_xmin)
{
	CatalogAccess ca;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	bool		found;

	catalog_begin(&ca);
	if (SPI_execute_with_args(psprintf("DELETE FROM %s WHERE name OPERATOR(pg_catalog.=) $1 "
									   "RETURNING xmin::pg_catalog.text", ca.table),
							  1, types, values, NULL, false, 0) != SPI_OK_DELETE_RETURNING)
		elog(ERROR, "could not remove model \"%s\" from the catalog", name);
	found = SPI_processed > 0;
	*row_xmin = found ? spi_xid(1) : InvalidTransactionId;
	if (SPI_execute_with_args(psprintf("DELETE FROM %s.model_gene WHERE model OPERATOR(pg_catalog.=) $1", ca.schema),
							  1, types, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not remove the gene annotation of model \"%s\"", name);
	catalog_end(&ca);
	return found;
}

/* Caller holds the name lock. */
static bool
reload_locked(const char *name)
{
	CatalogAccess ca;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	MemoryContext caller = CurrentMemoryContext;
	char	   *path = NULL,
			   *options = NULL,
			   *sha = NULL;
	bool		found = false;
	VfModelBuild b;
	VfModelStatus st;

	/* another backend may have reloaded it while we waited for the lock */
	if (vf_model_store_lookup(name, &st))
		return true;

	catalog_begin(&ca);
	if (SPI_execute_with_args(psprintf("SELECT path, options::pg_catalog.text, sha256, xmin::pg_catalog.text "
									   "FROM %s WHERE name OPERATOR(pg_catalog.=) $1",
									   ca.table), 1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the model catalog");
	/*
	 * A row our snapshot still shows may be one an unload has deleted (committed after our
	 * snapshot, or not yet): reloading it would put back, for everyone, a model that has no
	 * catalog row. unload_model notes what it deleted under the name lock we hold.
	 */
	if (SPI_processed == 1 && !vf_model_store_unloaded(name, spi_xid(4)))
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);
		char	   *p = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		char	   *o = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		char	   *s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);

		path = p ? pstrdup(p) : NULL;
		options = pstrdup(o);
		sha = pstrdup(s);
		found = true;
		MemoryContextSwitchTo(spi);
	}
	catalog_end(&ca);
	if (!found)
		return false;

	ereport(LOG,
			(errmsg("varformer: reloading model \"%s\" from \"%s\" into shared memory",
					name, path ? path : "(options)")));
	/* hashed once, while it is read: refused afterwards if it is not what was recorded */
	vf_model_build(name, path, options, vf_model_store_available(name), &b);
	PG_TRY();
	{
		char	   *now = vf_sha256_hex(b.sha256);

		if (strcmp(now, sha) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("model \"%s\" changed on disk since it was loaded", name),
					 errdetail("\"%s\" now has sha256 %s; the catalog recorded %s.",
							   path ? path : "(options)", now, sha),
					 errhint("Load it again with load_model('%s', path, '{\"replace\": true}') to accept the new content.",
							 name)));
		/* consistent with the catalog whatever this transaction does: never undone */
		(void) vf_model_store_register(name, &b, false, false);
	}
	PG_FINALLY();
	{
		vf_model_build_free(&b);
	}
	PG_END_TRY();
	return true;
}

bool
vf_model_catalog_reload(const char *name)
{
	volatile bool found = false;

	vf_model_name_lock(name, true);
	PG_TRY();
	{
		found = reload_locked(name);
	}
	PG_FINALLY();
	{
		vf_model_name_lock(name, false);
	}
	PG_END_TRY();
	return found;
}
