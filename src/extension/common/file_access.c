/*
 * file_access.c: the gate in front of every server-file read (as COPY FROM a file does it):
 * who may read, where a relative path leads, and a clear message when the path is not a
 * readable file.
 */
#include "postgres.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "common/file_access.h"

char	   *vf_file_root = NULL;

/*
 * Paths resolved against file_root lately, with the words they were given in: a few, so
 * that two files read by one query (a join of two read_vcf calls) both keep their names.
 */
#define VF_ALIASES 8
typedef struct VfPathAlias
{
	char	   *resolved;
	char	   *given;
} VfPathAlias;
static VfPathAlias aliases[VF_ALIASES];
static int	next_alias;

static bool
check_file_root(char **newval, void **extra, GucSource source)
{
	if (*newval != NULL && (*newval)[0] != '\0' && !is_absolute_path(*newval))
	{
		GUC_check_errdetail("varformer.file_root must be an absolute path or empty.");
		return false;
	}
	return true;
}

void
vf_file_access_init(void)
{
	/*
	 * USERSET on purpose: the setting grants nothing. Every function that reads through it
	 * still requires superuser or pg_read_server_files, and such a user may name any
	 * absolute path anyway; file_root only saves writing the prefix (and keeps test outputs
	 * free of the checkout's location).
	 */
	DefineCustomStringVariable("varformer.file_root",
							   "Directory that relative paths given to varformer's server-file functions resolve against.",
							   "Empty (the default): the data directory, as for COPY. Applies to load_model, "
							   "read_vcf, read_genotypes, register_reference and import_gtf.",
							   &vf_file_root,
							   "",
							   PGC_USERSET,
							   0,
							   check_file_root, NULL, NULL);
}

void
vf_require_read_server_files(const char *what)
{
	if (!superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read server files with %s", what),
				 errhint("Only superusers and members of pg_read_server_files may read files on the server.")));
}

static void
remember_alias(const char *resolved, const char *given)
{
	VfPathAlias *a = &aliases[next_alias];

	for (int i = 0; i < VF_ALIASES; i++)
		if (aliases[i].resolved != NULL && strcmp(aliases[i].resolved, resolved) == 0 &&
			strcmp(aliases[i].given, given) == 0)
			return;
	if (a->resolved != NULL)
	{
		pfree(a->resolved);
		pfree(a->given);
	}
	a->resolved = MemoryContextStrdup(TopMemoryContext, resolved);
	a->given = MemoryContextStrdup(TopMemoryContext, given);
	next_alias = (next_alias + 1) % VF_ALIASES;
}

char *
vf_server_path(const char *path)
{
	char	   *resolved;

	if (is_absolute_path(path) || vf_file_root == NULL || vf_file_root[0] == '\0')
		return pstrdup(path);
	resolved = psprintf("%s/%s", vf_file_root, path);
	canonicalize_path(resolved);
	remember_alias(resolved, path);
	return resolved;
}

static const char *
file_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "not a regular file";
}

/*
 * open() of a FIFO blocks until a writer appears, in a system call that neither
 * statement_timeout nor cancel nor terminate can interrupt (the backend holds its locks and
 * snapshot all the while); a device may never end. Only regular files are read, so anything
 * else is refused here, before any open(). member names the file inside a model directory.
 */
static void
refuse_special_file(const struct stat *st, const char *path, const char *member)
{
	if (S_ISREG(st->st_mode))
		return;
	if (member != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" in directory \"%s\" is %s", member, path, file_kind(st->st_mode)),
				 errhint("varformer reads only regular files; opening a FIFO or device could block without end.")));
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("\"%s\" is %s", path, file_kind(st->st_mode)),
			 errhint("varformer reads only regular files; opening a FIFO or device could block without end.")));
}

/*
 * A model directory's member files are opened by the checkpoint readers, which know which
 * names they need; none of those may be special, so no entry may be (subdirectories are left
 * alone: no reader descends into one).
 */
static void
refuse_special_members(const char *abs, const char *path)
{
	DIR		   *dir = opendir(abs);
	struct dirent *de;

	if (dir == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open directory \"%s\": %m", path)));
	while ((de = readdir(dir)) != NULL)
	{
		struct stat st;
		char	   *member;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		member = psprintf("%s/%s", abs, de->d_name);
		/* stat follows symlinks: a link to a FIFO is a FIFO to open() */
		if (stat(member, &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		{
			char	   *name = pstrdup(de->d_name);

			closedir(dir);
			refuse_special_file(&st, path, name);
		}
		pfree(member);
	}
	closedir(dir);
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
	abs = make_absolute_path(vf_server_path(path));
	if (stat(abs, &st) != 0)
	{
		bool		rooted = vf_file_root != NULL && vf_file_root[0] != '\0';

		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path),
				 is_absolute_path(path) ? 0 :
				 rooted ? errhint("Relative paths are relative to varformer.file_root \"%s\".", vf_file_root) :
				 errhint("Relative paths are relative to the data directory \"%s\" (or to varformer.file_root when set).", DataDir)));
	}
	if (S_ISDIR(st.st_mode) && !allow_dir)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a directory, not a file", path)));
	if (S_ISDIR(st.st_mode))
		refuse_special_members(abs, path);
	else
		refuse_special_file(&st, path, NULL);
	if (access(abs, R_OK) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", path)));
	return abs;
}

void
vf_refuse_special_sidecars(const char *abs, const char *path, const char *const *suffixes)
{
	struct stat st;

	if (stat(abs, &st) == 0)
		refuse_special_file(&st, path, NULL);
	for (int i = 0; suffixes != NULL && suffixes[i] != NULL; i++)
	{
		char	   *side = psprintf("%s%s", abs, suffixes[i]);

		if (stat(side, &st) == 0 && !S_ISREG(st.st_mode))
			refuse_special_file(&st, psprintf("%s%s", path, suffixes[i]), NULL);
		pfree(side);
	}
}

void
vf_file_name_as_given(char *buf)
{
	for (int k = 1; k <= VF_ALIASES; k++)
	{
		VfPathAlias *a = &aliases[(next_alias - k + VF_ALIASES) % VF_ALIASES];
		size_t		rlen,
					glen;
		char	   *from = buf,
				   *hit;

		if (a->resolved == NULL)
			continue;
		rlen = strlen(a->resolved);
		glen = strlen(a->given);
		/* given is never longer than resolved (root/given), so the text only shrinks */
		if (glen > rlen)
			continue;
		while ((hit = strstr(from, a->resolved)) != NULL)
		{
			memcpy(hit, a->given, glen);
			memmove(hit + glen, hit + rlen, strlen(hit + rlen) + 1);
			from = hit + glen;
		}
	}
}
