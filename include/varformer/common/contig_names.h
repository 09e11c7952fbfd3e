/*
 * contig_names.h: finding a requested contig among a file's contigs, and saying exactly
 * what went wrong when the file uses the other naming convention ("chr22" vs "22",
 * "chrM" vs "MT"). Shared by the VCF, FASTA and GTF readers (plain C).
 */
#ifndef VARFORMER_CONTIG_NAMES_H
#define VARFORMER_CONTIG_NAMES_H

#include "varformer/common/error.h"

/*
 * The name under which names[0..n) holds `want` in the other convention, or NULL:
 * "22" -> "chr22", "chr22" -> "22", "MT"/"M"/"chrM"/"chrMT" -> whichever the file has.
 */
const char *vf_contig_alias(const char *want, const char *const *names, int n);

/*
 * Index of `want` in names[0..n) (exact match), or -1 with err = VF_ERR_NOT_FOUND:
 *   contig "22" is not in the VCF
 *   DETAIL: The VCF names contigs like "chr22"; you asked for "22".
 *   HINT:   Ask for "chr22" instead.
 * `what` names the file kind in the message ("VCF", "FASTA", "GTF").
 */
int			vf_contig_find(const char *what, const char *want,
						   const char *const *names, int n, VfError *err);

/* Fills err (VF_ERR_NOT_FOUND) as vf_contig_find does for a missing contig; returns -1. */
int			vf_contig_not_found(const char *what, const char *want,
								const char *const *names, int n, VfError *err);

#endif
