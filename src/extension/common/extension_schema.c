/*
 * extension_schema.c: the schema the extension was created in. The extension is
 * relocatable at CREATE time, so its tables are not always in public and must not be
 * found through the caller's search_path (which the caller controls).
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"

#include "common/extension_schema.h"

char *
vf_extension_relation(const char *relname)
{
	int			rc;
	char	   *schema;

	rc = SPI_execute("SELECT n.nspname FROM pg_catalog.pg_extension e "
					 "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
					 "WHERE e.extname = 'varformer'", true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"varformer\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION varformer.")));
	schema = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return psprintf("%s.%s", quote_identifier(schema), quote_identifier(relname));
}
