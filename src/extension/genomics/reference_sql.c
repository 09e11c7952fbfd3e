/*
 * reference_sql.c: the registry of reference genomes (table reference_genome), the
 * per-backend cache of open FASTA handles, and the SQL functions over them.
 *
 * The registry is read through SPI at every call (one indexed lookup) rather than cached,
 * so a reference re-registered in another session is picked up at once; the expensive
 * part, opening the FASTA and loading its index, happens once per backend and reference.
 */
#include "postgres.h"

#include <sys/stat.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#include "common/error_report.h"
#include "common/extension_schema.h"
#include "common/file_access.h"
#include "genomics/file_text.h"
#include "genomics/reference_registry.h"
#include "store/sha256.h"

PG_FUNCTION_INFO_V1(vf_register_reference);
PG_FUNCTION_INFO_V1(vf_unregister_reference);
PG_FUNCTION_INFO_V1(vf_reference_contigs);
PG_FUNCTION_INFO_V1(vf_reference_sequence);

#define REF_CACHE_SIZE 8

typedef struct RefCacheEntry
{
	char	   *name;			/* malloc'd; NULL = free slot */
	char	   *path;
	VfReference *ref;
	struct timespec fa_mtime;
	off_t		fa_size;
	struct timespec fai_mtime;
	uint64		last_use;
} RefCacheEntry;

/* One row of the registry, as far as opening and binding need it. */
typedef struct RegistryRow
{
	char	   *name;
	char	   *path;
	char	   *sha256;
	int64		bytes;			/* size of the FASTA when it was registered */
} RegistryRow;

static RefCacheEntry ref_cache[REF_CACHE_SIZE];
static uint64 ref_cache_clock = 0;

static void
cache_drop(RefCacheEntry *e)
{
	vf_reference_close(e->ref);
	free(e->name);
	free(e->path);
	memset(e, 0, sizeof(*e));
}

static void
cache_forget(const char *name)
{
	for (int i = 0; i < REF_CACHE_SIZE; i++)
		if (ref_cache[i].name && strcmp(ref_cache[i].name, name) == 0)
			cache_drop(&ref_cache[i]);
}

/* Stat of the FASTA and its .fai, to notice a file replaced under the same path. */
static bool
file_stamp(const char *path, struct timespec *fa_mtime, off_t *fa_size, struct timespec *fai_mtime)
{
	struct stat st;
	char	   *fai = psprintf("%s.fai", path);
	bool		ok = stat(path, &st) == 0;

	if (ok)
	{
		*fa_mtime = st.st_mtim;
		*fa_size = st.st_size;
		memset(fai_mtime, 0, sizeof(*fai_mtime));
		if (stat(fai, &st) == 0)
			*fai_mtime = st.st_mtim;
	}
	pfree(fai);
	return ok;
}

/*
 * Opening a FASTA without its index builds the index next to it (htslib writes .fai, and
 * .gzi for bgzip). Creating server files is more than pg_read_server_files grants, and
 * htslib cannot build the index in memory only: only a superuser's call builds it; anyone
 * else is sent to samtools faidx.
 */
static void
require_index_unless_superuser(const char *path, const char *shown)
{
	char	   *fai = psprintf("%s.fai", path);
	char	   *gzi = psprintf("%s.gzi", path);
	struct stat st;
	bool		bgzip = false;
	FILE	   *f;

	if (superuser())
		return;
	f = AllocateFile(path, PG_BINARY_R);
	if (f != NULL)
	{
		unsigned char magic[2];

		bgzip = fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
		FreeFile(f);
	}
	if (stat(fai, &st) != 0 || (bgzip && stat(gzi, &st) != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("FASTA index \"%s.fai\"%s is missing", shown, bgzip ? " or its .gzi" : ""),
				 errdetail("Only a superuser's call builds the index next to the FASTA: reading server files does not allow creating them."),
				 errhint("Run \"samtools faidx %s\" as a user who can write there, or have a superuser register it.", shown)));
	pfree(fai);
	pfree(gzi);
}

/* Opens path, ERROR with the plain-C message when it fails. Caller owns the result. */
static VfReference *
open_or_error(const char *path, const char *shown)
{
	static const char *const sidecars[] = {".fai", ".gzi", NULL};
	VfError		err;
	VfReference *ref;

	/* the file may have been replaced since registration; htslib opens the indexes by name */
	vf_refuse_special_sidecars(path, shown, sidecars);
	require_index_unless_superuser(path, shown);
	ref = vf_reference_open(path, shown, &err);
	if (ref == NULL)
		vf_ereport(&err);
	return ref;
}

static VfReference *
cache_get(const RegistryRow *row)
{
	const char *name = row->name;
	const char *path = row->path;
	struct timespec fa_mtime,
				fai_mtime;
	off_t		fa_size;
	RefCacheEntry *slot = NULL;

	if (!file_stamp(path, &fa_mtime, &fa_size, &fai_mtime))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open FASTA \"%s\" of reference genome \"%s\": %m", path, name),
				 errhint("Register the reference again with register_reference() if the file moved.")));

	/*
	 * A registered name denotes the content registered (models bind to its sha256), so a file
	 * replaced under the same path is refused rather than read. Hashing gigabytes on every
	 * open is out of the question; the size catches a different assembly or build, not an
	 * in-place edit that keeps the size.
	 */
	if ((int64) fa_size != row->bytes)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("FASTA \"%s\" of reference genome \"%s\" has changed since it was registered", path, name),
				 errdetail("It had %lld bytes then and has %lld now.", (long long) row->bytes, (long long) fa_size),
				 errhint("If the new content is meant, register it again with register_reference('%s', '%s'); "
						 "models loaded with the old one then need load_model(..., '{\"replace\": true}').", name, path)));

	for (int i = 0; i < REF_CACHE_SIZE; i++)
	{
		RefCacheEntry *e = &ref_cache[i];

		if (e->name == NULL || strcmp(e->name, name) != 0)
			continue;
		if (strcmp(e->path, path) == 0 && e->fa_size == fa_size &&
			e->fa_mtime.tv_sec == fa_mtime.tv_sec && e->fa_mtime.tv_nsec == fa_mtime.tv_nsec &&
			e->fai_mtime.tv_sec == fai_mtime.tv_sec && e->fai_mtime.tv_nsec == fai_mtime.tv_nsec)
		{
			e->last_use = ++ref_cache_clock;
			return e->ref;
		}
		cache_drop(e);
	}

	/* a free slot, else the least recently used one */
	for (int i = 0; i < REF_CACHE_SIZE; i++)
		if (ref_cache[i].name == NULL)
		{
			slot = &ref_cache[i];
			break;
		}
	if (slot == NULL)
	{
		slot = &ref_cache[0];
		for (int i = 1; i < REF_CACHE_SIZE; i++)
			if (ref_cache[i].last_use < slot->last_use)
				slot = &ref_cache[i];
		cache_drop(slot);
	}

	{
		VfReference *ref = open_or_error(path, path);
		char	   *n = strdup(name),
				   *p = strdup(path);

		if (n == NULL || p == NULL)
		{
			free(n);
			free(p);
			vf_reference_close(ref);
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		}
		/* the index may just have been built: stamp after opening */
		(void) file_stamp(path, &fa_mtime, &fa_size, &fai_mtime);
		slot->name = n;
		slot->path = p;
		slot->ref = ref;
		slot->fa_mtime = fa_mtime;
		slot->fa_size = fa_size;
		slot->fai_mtime = fai_mtime;
		slot->last_use = ++ref_cache_clock;
		return ref;
	}
}

static char *
registry_table(void)
{
	return vf_extension_relation("reference_genome");
}

/* name, fasta_path, sha256, bytes of the first row SPI returned, copied into cxt */
static void
row_from_spi(MemoryContext cxt, RegistryRow *row)
{
	HeapTuple	tup = SPI_tuptable->vals[0];
	TupleDesc	desc = SPI_tuptable->tupdesc;
	bool		isnull;

	row->name = MemoryContextStrdup(cxt, SPI_getvalue(tup, desc, 1));
	row->path = MemoryContextStrdup(cxt, SPI_getvalue(tup, desc, 2));
	row->sha256 = MemoryContextStrdup(cxt, SPI_getvalue(tup, desc, 3));
	row->bytes = DatumGetInt64(SPI_getbinval(tup, desc, 4, &isnull));
}

/* The registry row for name (NULL: the default), copied into cxt; ERROR when there is none. */
static void
registry_lookup(const char *name, MemoryContext cxt, RegistryRow *row)
{
	char	   *table;
	int			rc;

	SPI_connect();
	table = registry_table();
	if (name != NULL)
	{
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1] = {CStringGetTextDatum(name)};

		rc = SPI_execute_with_args(psprintf("SELECT name, fasta_path, sha256, bytes FROM %s WHERE name OPERATOR(pg_catalog.=) $1", table),
								   1, argtypes, args, NULL, true, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "reference registry lookup failed: %s", SPI_result_code_string(rc));
		if (SPI_processed == 0)
		{
			char	   *names;

			rc = SPI_execute(psprintf("SELECT coalesce(pg_catalog.string_agg(pg_catalog.quote_literal(name), ', ' ORDER BY name), '') FROM %s", table),
							 true, 1);
			names = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("reference genome \"%s\" is not registered", name),
					 names && names[0] ? errdetail("Registered references: %s.", names)
					 : errdetail("No reference genome is registered."),
					 errhint("Register it with register_reference(name, fasta_path).")));
		}
	}
	else
	{
		bool		isnull;

		rc = SPI_execute(psprintf("SELECT name, fasta_path, sha256, bytes, is_default, "
								  "(SELECT pg_catalog.count(*) FROM %s) AS n, "
								  "(SELECT pg_catalog.string_agg(pg_catalog.quote_literal(name), ', ' ORDER BY name) FROM %s) AS names "
								  "FROM %s ORDER BY is_default DESC, name LIMIT 1",
								  table, table, table), true, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "reference registry lookup failed: %s", SPI_result_code_string(rc));
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("no reference genome is registered"),
					 errhint("Register one with register_reference(name, fasta_path), e.g. register_reference('GRCh38', '/data/GRCh38.fa').")));
		if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5, &isnull)) &&
			DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 6, &isnull)) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("no default reference genome: %s references are registered and none is the default",
							SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 6)),
					 errdetail("Registered references: %s.",
							   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 7)),
					 errhint("Pass the reference's name, or mark one with register_reference(name, fasta_path, is_default => true).")));
	}
	row_from_spi(cxt, row);
	SPI_finish();
}

VfReference *
vf_reference_resolve(const char *name, char **resolved_name)
{
	return vf_reference_resolve_identity(name, resolved_name, NULL);
}

VfReference *
vf_reference_resolve_identity(const char *name, char **resolved_name, char **sha256)
{
	RegistryRow row;
	VfReference *ref;

	registry_lookup(name, CurrentMemoryContext, &row);
	ref = cache_get(&row);
	if (resolved_name)
		*resolved_name = row.name;
	if (sha256)
		*sha256 = row.sha256;
	return ref;
}

typedef struct ResolvedRef
{
	char	   *asked;			/* the name asked for, NULL for the default */
	RegistryRow row;
} ResolvedRef;

VfReference *
vf_reference_resolve_cached(FmgrInfo *flinfo, const char *name, char **resolved_name)
{
	ResolvedRef *r = (ResolvedRef *) flinfo->fn_extra;

	if (r == NULL || (r->asked == NULL) != (name == NULL) ||
		(name != NULL && strcmp(r->asked, name) != 0))
	{
		if (r == NULL)
			r = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(ResolvedRef));
		else
		{
			if (r->asked)
				pfree(r->asked);
			pfree(r->row.name);
			pfree(r->row.path);
			pfree(r->row.sha256);
		}
		r->asked = NULL;
		flinfo->fn_extra = NULL;	/* stays unset if the lookup fails */
		registry_lookup(name, flinfo->fn_mcxt, &r->row);
		r->asked = name ? MemoryContextStrdup(flinfo->fn_mcxt, name) : NULL;
		flinfo->fn_extra = r;
	}
	if (resolved_name)
		*resolved_name = pstrdup(r->row.name);
	return cache_get(&r->row);
}

VfReference *
vf_reference_default_if_any(char **resolved_name)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *table;
	RegistryRow row = {0};
	int			rc;
	VfReference *ref;

	SPI_connect();
	table = registry_table();
	rc = SPI_execute(psprintf("SELECT name, fasta_path, sha256, bytes FROM %s "
							  "WHERE is_default OR (SELECT pg_catalog.count(*) FROM %s) OPERATOR(pg_catalog.=) 1 LIMIT 1",
							  table, table), true, 1);
	if (rc == SPI_OK_SELECT && SPI_processed == 1)
		row_from_spi(caller, &row);
	SPI_finish();
	if (row.name == NULL)
		return NULL;
	ref = cache_get(&row);
	*resolved_name = row.name;
	return ref;
}

char *
vf_reference_window(const char *name, const char *chrom, int64_t start, int64_t end, size_t *len)
{
	VfReference *ref = vf_reference_resolve(name, NULL);
	VfError		err;
	char	   *s = vf_reference_fetch(ref, chrom, start, end, len, &err);
	char	   *out;

	if (s == NULL)
		vf_ereport(&err);
	out = palloc(*len + 1);
	memcpy(out, s, *len + 1);
	free(s);
	return out;
}

Datum
vf_register_reference(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(1));
	bool		is_default = PG_GETARG_BOOL(2);
	char	   *abs;
	VfReference *ref;
	int			n;
	char	   *table;
	Oid			argtypes[6] = {TEXTOID, TEXTOID, BOOLOID, INT4OID, INT8OID, TEXTOID};
	Datum		args[6];
	int			rc;
	uint8		sha[VF_SHA256_LEN];
	int64		bytes;

	vf_require_read_server_files("register_reference");
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reference name must not be empty")));
	abs = vf_check_readable_file(path, false);

	/* open it now so a bad FASTA or an index that cannot be built fails here, not later */
	ref = open_or_error(abs, path);
	n = vf_reference_n_contigs(ref);
	PG_TRY();
	{
		/* names reference_contigs returns as text, and regions name */
		for (int i = 0; i < n; i++)
			vf_file_text_check(vf_reference_contig_name(ref, i), path, psprintf("sequence %d", i + 1),
							   "the sequence name");
	}
	PG_FINALLY();
	{
		vf_reference_close(ref);
	}
	PG_END_TRY();
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("FASTA \"%s\" holds no sequences", path)));
	cache_forget(name);
	/* what the name denotes from now on; for hg38 this reads ~3 GB once, at SHA-NI speed */
	if (!vf_sha256_file(abs, sha, &bytes))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open FASTA \"%s\": %m", path)));

	args[0] = CStringGetTextDatum(name);
	args[1] = CStringGetTextDatum(abs);
	args[2] = BoolGetDatum(is_default);
	args[3] = Int32GetDatum(n);
	args[4] = Int64GetDatum(bytes);
	args[5] = CStringGetTextDatum(vf_sha256_hex(sha));
	SPI_connect();
	table = registry_table();
	if (is_default)
	{
		rc = SPI_execute_with_args(psprintf("UPDATE %s SET is_default = false WHERE is_default AND name OPERATOR(pg_catalog.<>) $1", table),
								   1, argtypes, args, NULL, false, 0);
		if (rc != SPI_OK_UPDATE)
			elog(ERROR, "reference registry update failed: %s", SPI_result_code_string(rc));
	}
	rc = SPI_execute_with_args(psprintf("INSERT INTO %s (name, fasta_path, is_default, n_contigs, bytes, sha256) "
										"VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE "
										"SET fasta_path = EXCLUDED.fasta_path, is_default = EXCLUDED.is_default, "
										"n_contigs = EXCLUDED.n_contigs, bytes = EXCLUDED.bytes, "
										"sha256 = EXCLUDED.sha256, registered_at = pg_catalog.now()", table),
							   6, argtypes, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "reference registry insert failed: %s", SPI_result_code_string(rc));
	SPI_finish();
	PG_RETURN_INT32(n);
}

Datum
vf_unregister_reference(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	int			rc;
	bool		found;

	vf_require_read_server_files("unregister_reference");
	SPI_connect();
	rc = SPI_execute_with_args(psprintf("DELETE FROM %s WHERE name OPERATOR(pg_catalog.=) $1", registry_table()),
							   1, argtypes, args, NULL, false, 0);
	if (rc != SPI_OK_DELETE)
		elog(ERROR, "reference registry delete failed: %s", SPI_result_code_string(rc));
	found = SPI_processed > 0;
	SPI_finish();
	cache_forget(name);
	PG_RETURN_BOOL(found);
}

Datum
vf_reference_contigs(PG_FUNCTION_ARGS)
{
	char	   *name = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	VfReference *ref;

	InitMaterializedSRF(fcinfo, 0);
	ref = vf_reference_resolve(name, NULL);
	for (int i = 0; i < vf_reference_n_contigs(ref); i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(vf_reference_contig_name(ref, i));
		values[1] = Int64GetDatum(vf_reference_contig_length(ref, i));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

Datum
vf_reference_sequence(PG_FUNCTION_ARGS)
{
	char	   *chrom;
	char	   *name;
	char	   *s;
	size_t		len;
	text	   *result;
	VfReference *ref;
	VfError		err;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	chrom = text_to_cstring(PG_GETARG_TEXT_PP(0));
	name = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	ref = vf_reference_resolve_cached(fcinfo->flinfo, name, NULL);
	s = vf_reference_fetch(ref, chrom, PG_GETARG_INT64(1), PG_GETARG_INT64(2), &len, &err);
	if (s == NULL)
		vf_ereport(&err);
	result = cstring_to_text_with_len(s, (int) len);
	free(s);
	PG_RETURN_TEXT_P(result);
}
