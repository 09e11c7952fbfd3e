/*
 * varid.h: PredictDB variant ids, chr1_1234_C_T_b38 (private to src/lib/scoring).
 */
#ifndef VARFORMER_VARID_H
#define VARFORMER_VARID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upper-cases an allele in place; false unless it is one or more of A, C, G, T. */
bool		vf_varid_allele_ok(char *a);

/*
 * Parses chr1_1234_C_T_b38 (the build suffix optional; chromosome with or without "chr").
 * ref and alt point into buf (a copy of s); the normalized chromosome goes to chrom[64].
 */
bool		vf_varid_parse(const char *s, char *buf, size_t bufsize, char *chrom, int64_t *pos,
						   char **ref, char **alt);

#endif
