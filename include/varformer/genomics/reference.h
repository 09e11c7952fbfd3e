/*
 * reference.h: a reference genome FASTA (plain or bgzipped, with .fai/.gzi) read through
 * htslib faidx (plain C). The SQL layer (src/reference_sql.c) keeps the registry of named
 * references and one open VfReference per name and backend.
 */
#ifndef VARFORMER_REFERENCE_H
#define VARFORMER_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "varformer/common/error.h"

/* Longest window reference_sequence returns (the text must stay under 1 GB). */
#define VF_REFERENCE_MAX_WINDOW INT64_C(268435456)

typedef struct VfReference VfReference;

/*
 * Opens path (absolute) and its index; messages name the file as `shown` (the path the user
 * gave). A missing .fai (and .gzi for bgzip) is built next to
 * the FASTA; when that fails (read-only directory, gzip that is not BGZF, not a FASTA) the
 * error says which index is missing and how to make it. NULL with err on failure.
 */
VfReference *vf_reference_open(const char *path, const char *shown, VfError *err);
void		vf_reference_close(VfReference *ref);

int			vf_reference_n_contigs(const VfReference *ref);
const char *vf_reference_contig_name(const VfReference *ref, int i);
int64_t		vf_reference_contig_length(const VfReference *ref, int i);

/*
 * Index of chrom, or -1 with err (VF_ERR_NOT_FOUND) saying what the FASTA calls it when
 * the other naming convention ("chr22" vs "22") would have matched.
 */
int			vf_reference_find_contig(const VfReference *ref, const char *chrom, VfError *err);

/*
 * Bases chrom:start-end (1-based, inclusive), case as in the FASTA, malloc'd and
 * NUL-terminated; *len gets end - start + 1. The window must lie inside the contig.
 */
char	   *vf_reference_fetch(const VfReference *ref, const char *chrom, int64_t start,
							   int64_t end, size_t *len, VfError *err);

#endif
