/*
 * reference_registry.h: named reference genomes for SQL entry code (PostgreSQL side).
 *
 * References are registered in the extension's table reference_genome; each backend opens
 * a registered FASTA once and keeps its faidx handle until the row or the file changes.
 */
#ifndef VARFORMER_REFERENCE_REGISTRY_H
#define VARFORMER_REFERENCE_REGISTRY_H

#include "fmgr.h"

#include "varformer/genomics/reference.h"

/*
 * The open reference called `name`, or the default one when name is NULL (the one marked
 * is_default, else the only one registered). ERROR when there is none. The handle belongs
 * to the backend cache: use it before the next call, do not close it. *resolved_name (if
 * not NULL) gets the reference's name (palloc'd).
 */
extern VfReference *vf_reference_resolve(const char *name, char **resolved_name);

/*
 * vf_reference_resolve(), and the sha256 (hex) the reference was registered with: what a
 * model that reads haplotypes binds to at load time.
 */
extern VfReference *vf_reference_resolve_identity(const char *name, char **resolved_name,
												  char **sha256);

/*
 * vf_reference_resolve() remembered for the rest of the query in flinfo->fn_extra (the
 * registry is read once per call site and query, as a STABLE function may; the FASTA is
 * still checked for changes on every call). flinfo->fn_extra must be free for this use.
 */
extern VfReference *vf_reference_resolve_cached(FmgrInfo *flinfo, const char *name,
												char **resolved_name);

/*
 * The default reference (as vf_reference_resolve(NULL)), or NULL without error when there
 * is none or it is ambiguous; for advisory checks such as contig naming at GTF import.
 */
extern VfReference *vf_reference_default_if_any(char **resolved_name);

/* The bases of a window of that reference, palloc'd and NUL-terminated; ERROR on failure. */
extern char *vf_reference_window(const char *name, const char *chrom, int64_t start,
								 int64_t end, size_t *len);

#endif
