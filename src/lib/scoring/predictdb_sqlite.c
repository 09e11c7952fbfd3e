/*
 * predictdb_sqlite.c: a PredictDB SQLite file, opened and read as hostile input (plain C).
 *
 * It is opened read-only with immutable=1 (no locks, no journal or WAL read: what we load
 * is exactly the main file's bytes, the same bytes the model store hashes), with SQLite's
 * defensive mode on and untrusted schema, and only real tables (never views, which could
 * run arbitrary queries) are read.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "predictdb_sqlite.h"

int
vf_pdb_db_fail(const VfPdbDb *d, VfError *err, const char *what)
{
	int			rc = sqlite3_errcode(d->db);

	if (rc == SQLITE_NOTADB)
		return vf_error(err, VF_ERR_CORRUPT, "\"%s\" is not a SQLite database", d->path);
	if (rc == SQLITE_CORRUPT)
		return vf_error(err, VF_ERR_CORRUPT, "PredictDB file \"%s\" is corrupt: %s", d->path,
						sqlite3_errmsg(d->db));
	if (rc == SQLITE_NOMEM)
		return vf_error(err, VF_ERR_NOMEM, "out of memory reading PredictDB file \"%s\"", d->path);
	return vf_error(err, VF_ERR_IO, "could not %s in PredictDB file \"%s\": %s", what, d->path,
					sqlite3_errmsg(d->db));
}

/* file:<path>?immutable=1 with the path percent-encoded where URIs need it. */
static char *
make_uri(const char *path)
{
	size_t		n = strlen(path);
	char	   *u = malloc(n * 3 + 32);
	char	   *o = u;

	if (!u)
		return NULL;
	o += sprintf(o, "file:");
	for (const char *c = path; *c; c++)
	{
		unsigned char ch = (unsigned char) *c;

		if (ch == '%' || ch == '?' || ch == '#' || ch < 0x21 || ch >= 0x7f)
			o += sprintf(o, "%%%02X", ch);
		else
			*o++ = (char) ch;
	}
	strcpy(o, "?immutable=1");
	return u;
}

/* SQLite only says "not a database" at the first query; say it plainly up front. */
static int
check_magic(const char *path, VfError *err)
{
	char		magic[16];
	FILE	   *f = fopen(path, "rb");

	if (f == NULL)
		return vf_error(err, errno == ENOENT ? VF_ERR_NOFILE : VF_ERR_IO,
						"could not open PredictDB file \"%s\": %s", path, strerror(errno));
	if (fread(magic, 1, 16, f) != 16 || memcmp(magic, "SQLite format 3", 16) != 0)
	{
		fclose(f);
		vf_error(err, VF_ERR_CORRUPT, "\"%s\" is not a SQLite database", path);
		vf_error_hint(err, "load_model reads PredictDB models as SQLite .db files.");
		return -1;
	}
	fclose(f);
	return 0;
}

int
vf_pdb_db_open(VfPdbDb *d, const char *path, VfError *err)
{
	char	   *uri;
	int			rc;

	d->db = NULL;
	d->path = path;
	if (check_magic(path, err) < 0)
		return -1;
	uri = make_uri(path);
	if (!uri)
		return vf_error(err, VF_ERR_NOMEM, "out of memory");
	rc = sqlite3_open_v2(uri, &d->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	free(uri);
	if (rc != SQLITE_OK)
	{
		if (d->db)
			return vf_pdb_db_fail(d, err, "open the database");
		return vf_error(err, VF_ERR_NOMEM, "out of memory opening \"%s\"", path);
	}
	sqlite3_db_config(d->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
#ifdef SQLITE_DBCONFIG_TRUSTED_SCHEMA
	sqlite3_db_config(d->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
#endif
	sqlite3_limit(d->db, SQLITE_LIMIT_LENGTH, 1000000);
	return 0;
}

void
vf_pdb_db_close(VfPdbDb *d)
{
	if (d->db)
		sqlite3_close(d->db);
	d->db = NULL;
}

int
vf_pdb_db_table_exists(const VfPdbDb *d, const char *table, bool *exists, VfError *err)
{
	sqlite3_stmt *st;
	int			rc;

	*exists = false;
	if (sqlite3_prepare_v2(d->db, "SELECT type FROM sqlite_master WHERE lower(name) = lower(?1)",
						   -1, &st, NULL) != SQLITE_OK)
		return vf_pdb_db_fail(d, err, "read the schema");
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
	{
		const char *t = (const char *) sqlite3_column_text(st, 0);
		char		type[16];

		snprintf(type, sizeof(type), "%s", t ? t : "");
		if (strcmp(type, "table") != 0)
		{
			sqlite3_finalize(st);
			return vf_error(err, VF_ERR_DATA, "\"%s\" in PredictDB file \"%s\" is a %s, not a table",
							table, d->path, type);
		}
		*exists = true;
	}
	else if (rc != SQLITE_DONE)
	{
		sqlite3_finalize(st);
		return vf_pdb_db_fail(d, err, "read the schema");
	}
	sqlite3_finalize(st);
	return 0;
}

int
vf_pdb_db_columns(const VfPdbDb *d, const char *table, const char *const *want, int n_want,
				  int *idx, char *found, size_t found_size, VfError *err)
{
	char		q[128];
	sqlite3_stmt *st;
	int			col = 0,
				rc;
	size_t		flen = 0;

	for (int i = 0; i < n_want; i++)
		idx[i] = -1;
	found[0] = '\0';
	snprintf(q, sizeof(q), "PRAGMA table_info(\"%s\")", table);
	if (sqlite3_prepare_v2(d->db, q, -1, &st, NULL) != SQLITE_OK)
		return vf_pdb_db_fail(d, err, "read the table columns");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		const char *name = (const char *) sqlite3_column_text(st, 1);

		if (name == NULL)
			name = "";
		for (int i = 0; i < n_want; i++)
			if (idx[i] < 0 && strcasecmp(name, want[i]) == 0)
				idx[i] = col;
		if (flen + strlen(name) + 3 < found_size)
			flen += (size_t) snprintf(found + flen, found_size - flen, "%s%s", flen ? ", " : "", name);
		col++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return vf_pdb_db_fail(d, err, "read the table columns");
	return 0;
}

const char *
vf_pdb_db_text(const VfPdbDb *d, sqlite3_stmt *st, int col, size_t *len, VfError *err, bool *fail)
{
	const char *s;

	*fail = false;
	if (col < 0 || sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	s = (const char *) sqlite3_column_text(st, col);
	*len = (size_t) sqlite3_column_bytes(st, col);
	if (s == NULL)
	{
		*fail = true;
		vf_pdb_db_fail(d, err, "read a value");
		return NULL;
	}
	if (*len > VF_PDB_MAX_FIELD_LEN || strlen(s) != *len)
	{
		*fail = true;
		vf_error(err, VF_ERR_LIMIT, "a field in PredictDB file \"%s\" is longer than %d bytes or holds a NUL byte",
				 d->path, VF_PDB_MAX_FIELD_LEN);
		return NULL;
	}
	return s;
}

int
vf_pdb_db_each_row(const VfPdbDb *d, sqlite3_stmt *st, const char *what, VfPdbRowFn fn,
				   void *arg, VfError *err)
{
	int			rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, st, err) < 0)
			break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		vf_pdb_db_fail(d, err, what);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

double
vf_pdb_db_double(sqlite3_stmt *st, int col)
{
	int			t = sqlite3_column_type(st, col);

	if (t == SQLITE_INTEGER || t == SQLITE_FLOAT)
		return sqlite3_column_double(st, col);
	return NAN;
}
