/*
 * file_text.c: strings from server files checked against the database encoding where they
 * become text (see file_text.h). Refused, not replaced: a gene or sample name silently
 * changed would no longer match the file it came from.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "genomics/file_text.h"

void
vf_file_text_check(const char *s, const char *file, const char *where, const char *column)
{
	int			len = (int) strlen(s);

	if (!pg_verify_mbstr(GetDatabaseEncoding(), s, len, true))
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("%s in \"%s\" %s is not valid %s", column, file, where, GetDatabaseEncodingName()),
				 errhint("Convert the file to the database encoding (e.g. iconv -f LATIN1 -t UTF-8), or correct the bytes.")));
}

Datum
vf_file_text_datum(const char *s, const char *file, const char *where, const char *column)
{
	vf_file_text_check(s, file, where, column);
	return CStringGetTextDatum(s);
}
