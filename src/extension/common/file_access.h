/*
 * file_access.h: the checks every function that reads a server file makes first
 * (read_vcf, read_genotypes, register_reference, import_gtf, load_model), like COPY FROM.
 */
#ifndef VARFORMER_FILE_ACCESS_H
#define VARFORMER_FILE_ACCESS_H

#include <stdbool.h>

/*
 * ERROR unless the current user is superuser or a member of pg_read_server_files
 * (`what` names the function in the message).
 */
extern void vf_require_read_server_files(const char *what);

/*
 * ERROR with a clear message when path does not exist, is a directory (unless allow_dir),
 * or cannot be read. Relative paths are relative to the data directory, as for COPY.
 * Returns the absolute path (palloc'd).
 */
extern char *vf_check_readable_file(const char *path, bool allow_dir);

#endif
