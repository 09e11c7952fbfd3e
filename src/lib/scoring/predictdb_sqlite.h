/*
 * predictdb_sqlite.h: reading a PredictDB SQLite file as hostile input (private to
 * src/lib/scoring).
 */
#ifndef VARFORMER_PREDICTDB_SQLITE_H
#define VARFORMER_PREDICTDB_SQLITE_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#include "varformer/common/error.h"

#define VF_PDB_MAX_FIELD_LEN 10000	/* alleles of long indels are the longest fields */

typedef struct VfPdbDb
{
	sqlite3    *db;
	const char *path;
} VfPdbDb;

/* Opens path read-only (immutable, defensive, untrusted schema); -1 with err. */
int			vf_pdb_db_open(VfPdbDb *d, const char *path, VfError *err);
void		vf_pdb_db_close(VfPdbDb *d);

/* Sets err from SQLite's last error on d ("could not <what> ..."); returns -1. */
int			vf_pdb_db_fail(const VfPdbDb *d, VfError *err, const char *what);

/* True when `table` exists as a real table (never a view); an error when it is not a table. */
int			vf_pdb_db_table_exists(const VfPdbDb *d, const char *table, bool *exists, VfError *err);

/* Column names of a table, in order; index of each wanted name or -1; found lists them all. */
int			vf_pdb_db_columns(const VfPdbDb *d, const char *table, const char *const *want,
							  int n_want, int *idx, char *found, size_t found_size, VfError *err);

/* Text of a column, NULL when SQL NULL; refuses over-long fields (*fail set, with err). */
const char *vf_pdb_db_text(const VfPdbDb *d, sqlite3_stmt *st, int col, size_t *len,
						   VfError *err, bool *fail);

/*
 * Steps st to its end, calling fn on each row (stopping at fn's -1), and finalizes st; a
 * failed step is "could not <what>". 0, or -1 with err.
 */
typedef int (*VfPdbRowFn) (void *arg, sqlite3_stmt *st, VfError *err);
int			vf_pdb_db_each_row(const VfPdbDb *d, sqlite3_stmt *st, const char *what,
							   VfPdbRowFn fn, void *arg, VfError *err);

/* A numeric column; NaN when NULL or text (e.g. 'NA'): absent. */
double		vf_pdb_db_double(sqlite3_stmt *st, int col);

#endif
