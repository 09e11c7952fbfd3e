/*
 * file_text.h: strings read from a server file becoming SQL text. A file's bytes are not
 * checked by anything else: text that is not valid in the server encoding fails later in
 * queries, and pg_dump output holding it cannot be restored. So each string is checked where
 * it becomes text, and the error names the file, the line or record, and the column.
 */
#ifndef VARFORMER_FILE_TEXT_H
#define VARFORMER_FILE_TEXT_H

#include "postgres.h"

/*
 * s as a text Datum; ERROR (SQLSTATE 22021, character_not_in_repertoire) when s is not valid
 * in the database encoding. file is the path as the user gave it, where says "line 12" or
 * "record chr1:100", column names the field.
 */
extern Datum vf_file_text_datum(const char *s, const char *file, const char *where, const char *column);

/* The same check without the conversion. */
extern void vf_file_text_check(const char *s, const char *file, const char *where, const char *column);

#endif
