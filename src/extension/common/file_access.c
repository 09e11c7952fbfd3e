/*
 * file_access.c: the gate in front of every server-file read (as COPY FROM a file does it):
 * who may read, and a clear message when the path is not a readable file.
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/acl.h"

#include "common/file_access.h"

void
vf_require_read_server_files(const char *what)
{
	if (!superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read server files with %s", what),
				 errhint("Only superusers and members of pg_read_server_files may read files on the server.")));
}

char *
vf_check_readable_file(const char *path, bool allow_dir)
{
	struct stat st;
	char	   *abs;

	if (path[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("file path must not be empty")));
	abs = make_absolute_path(path);
	if (stat(abs, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path),
				 !is_absolute_path(path) ?
				 errhint("Relative paths are relative to the data directory \"%s\".", DataDir) : 0));
	if (S_ISDIR(st.st_mode) && !allow_dir)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a directory, not a file", path)));
	if (access(abs, R_OK) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", path)));
	return abs;
}
