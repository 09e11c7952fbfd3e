/* extension_schema.h: naming the extension's own tables from C (SQL entry layer only). */
#ifndef VARFORMER_EXTENSION_SCHEMA_H
#define VARFORMER_EXTENSION_SCHEMA_H

/*
 * "schema".relname for the schema varformer is installed in (palloc'd in the current
 * context). Must be called between SPI_connect and SPI_finish; ERROR if not installed.
 */
extern char *vf_extension_relation(const char *relname);

/*
 * The schema of the extension's support functions (extension/sql/00_header.sql): fixed,
 * created by CREATE EXTENSION whatever schema the extension goes into.
 */
#define VF_INTERNAL_SCHEMA "varformer_internal"

#endif
