/*
 * model_catalog.c: the persisted catalog of loaded models, and reloading from it.
 *
 * Shared memory does not survive a restart or a crash reset; the table model_catalog in
 * the extension's schema does (and pg_dump carries it: pg_extension_config_dump). When a
 * name is not in shared memory, the first vf_model_acquire() rebuilds it from the path and
 * options recorded here and insists on the recorded sha256, so a name keeps denoting the
 * same bytes across restarts.
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

#include "varformer/model_registry.h"

typedef struct CatalogAccess
{
	Oid			save_userid;
	int			save_sec;
	int			guc_level;
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
	ca->table = psprintf("%s.model_catalog", quote_identifier(schema));
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

void
vf_model_catalog_store(const char *name, const char *path, const char *options_json,
					   const VfModelBuild *b)
{
	CatalogAccess ca;
	Oid			types[8] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, INT8OID};
	Datum		values[8];
	char		nulls[8] = "        ";
	char	   *sql;

	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(vf_model_kind_name(b->kind));
	values[2] = CStringGetTextDatum(b->arch);
	if (path)
		values[3] = CStringGetTextDatum(path);
	else
		nulls[3] = 'n';
	values[4] = CStringGetTextDatum(options_json);
	values[5] = CStringGetTextDatum(vf_sha256_hex(b->sha256));
	values[6] = Int64GetDatum(b->parameters);
	values[7] = Int64GetDatum((int64) b->size);

	catalog_begin(&ca);
	sql = psprintf("INSERT INTO %s AS c (name, kind, architecture, path, options, sha256, parameters, bytes, loaded_at) "
				   "VALUES ($1, $2, $3, $4, $5::pg_catalog.jsonb, $6, $7, $8, pg_catalog.now()) "
				   "ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, architecture = EXCLUDED.architecture, "
				   "path = EXCLUDED.path, options = EXCLUDED.options, sha256 = EXCLUDED.sha256, "
				   "parameters = EXCLUDED.parameters, bytes = EXCLUDED.bytes, loaded_at = EXCLUDED.loaded_at",
				   ca.table);
	if (SPI_execute_with_args(sql, 8, types, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record model \"%s\" in the catalog", name);
	catalog_end(&ca);
}

bool
vf_model_catalog_delete(const char *name)
{
	CatalogAccess ca;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	bool		found;

	catalog_begin(&ca);
	if (SPI_execute_with_args(psprintf("DELETE FROM %s WHERE name OPERATOR(pg_catalog.=) $1", ca.table),
							  1, types, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not remove model \"%s\" from the catalog", name);
	found = SPI_processed > 0;
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
	if (SPI_execute_with_args(psprintf("SELECT path, options::pg_catalog.text, sha256 FROM %s WHERE name OPERATOR(pg_catalog.=) $1",
									   ca.table), 1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the model catalog");
	if (SPI_processed == 1)
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
	{
		uint8		h[VF_SHA256_LEN];
		uint64		fp;
		char	   *now;

		vf_model_content_sha256(path, options, h, &fp);
		now = vf_sha256_hex(h);
		if (strcmp(now, sha) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("model \"%s\" changed on disk since it was loaded", name),
					 errdetail("\"%s\" now has sha256 %s; the catalog recorded %s.",
							   path ? path : "(options)", now, sha),
					 errhint("Load it again with load_model('%s', path, '{\"replace\": true}') to accept the new content.",
							 name)));
		vf_model_build(name, path, options, vf_model_store_available(name), h, fp, &b);
	}
	PG_TRY();
	{
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
