/*
 * file_access.h: the checks every function that reads a server file makes first
 * (read_vcf, read_genotypes, register_reference, import_gtf, load_model), like COPY FROM,
 * and where a relative path leads (varformer.file_root).
 */
#ifndef VARFORMER_FILE_ACCESS_H
#define VARFORMER_FILE_ACCESS_H

#include <stdbool.h>

/* varformer.file_root: empty, or the directory relative server-file paths resolve against. */
extern char *vf_file_root;

/* Registers varformer.file_root (from _PG_init). */
extern void vf_file_access_init(void);

/*
 * ERROR unless the current user is superuser or a member of pg_read_server_files
 * (`what` names the function in the message).
 */
extern void vf_require_read_server_files(const char *what);

/*
 * The path to open for a path given to a server-file-reading function: unchanged when it is
 * absolute or varformer.file_root is empty (a relative path then resolves against the
 * backend's working directory, the data directory, as for COPY); else file_root/path.
 * palloc'd. Error messages keep naming the file as it was given (vf_file_name_as_given).
 */
extern char *vf_server_path(const char *path);

/*
 * ERROR with a clear message when path (as vf_server_path resolves it) does not exist, is a
 * directory (unless allow_dir), is not a regular file (a FIFO, socket or device, or, for a
 * directory, has such an entry: open() of a FIFO blocks uncancellably), or cannot be read. Messages name path as given.
 * Returns the absolute path (palloc'd).
 */
extern char *vf_check_readable_file(const char *path, bool allow_dir);

/*
 * ERROR when abs (shown as path), or abs with one of the NULL-terminated suffixes (the
 * indexes htslib opens next to a file: ".fai", ".tbi", ...), exists and is not a regular
 * file. For files opened again after vf_check_readable_file (a registered FASTA at each
 * read) and for the index files htslib finds by name.
 */
extern void vf_refuse_special_sidecars(const char *abs, const char *path, const char *const *suffixes);

/*
 * Rewrites, in place, every occurrence of a path that vf_server_path recently resolved
 * against varformer.file_root back to the path as the user gave it, so that messages from
 * the plain-C library (which only sees the resolved path) read as the user's own words.
 */
extern void vf_file_name_as_given(char *buf);

#endif
