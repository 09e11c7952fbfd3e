/*
 * genotype_text.h: the genotype type's text form (plain C).
 *
 *   REGION CALL CALL ...          e.g.  22:100-200 150:rs123:A:G:0|1:DS=0.98 170:C:CT,CTT:1/2
 *
 * REGION is chrom:start-end (1-based, inclusive), followed by "/listed" for listed coverage
 * (only the calls' positions were assayed: calls.h); without it every position of the region
 * was assayed and one without a call is homozygous reference. Each CALL is, separated by ':'
 *   POS [ID] REF ALTS GT [END=n] [DS=x,...]
 * ALTS is comma-separated ("." when there is none); GT is "a|b" (phased), "a/b"
 * (unphased) or "a" (haploid), each allele an index or "." (missing). ID is optional and
 * may itself contain ':' (the fields are read from both ends). END (as VCF INFO/END) is
 * written only when the record spans other than len(REF) bases, i.e. symbolic <DEL>/<*>.
 * DS holds one value per ALT, "." for a missing one, printed in the shortest form that
 * reads back to the same float. Output is canonical: one space between calls.
 */
#ifndef VARFORMER_GENOTYPE_TEXT_H
#define VARFORMER_GENOTYPE_TEXT_H

#include <stdbool.h>

#include "varformer/types/calls.h"
#include "varformer/common/error.h"
#include "varformer/types/genotype_codec.h"

#define VF_GT_LISTED_SUFFIX "/listed"

/* Parses text and appends the encoded genotype to out. */
int			vf_genotype_parse(const char *text, VfBuf *out, VfError *err);

/*
 * Text straight to calls: one malloc'd block (free() it), or NULL with err. Handy for
 * plain-C tests of code that consumes VfCalls (haplotypes, scoring).
 */
VfCalls    *vf_calls_from_text(const char *text, VfError *err);

/* Appends the text form of calls to out, NUL-terminated. */
int			vf_genotype_format(const VfCalls *calls, VfBuf *out, VfError *err);

/* GT as VCF writes it ("0|1", "./.", "1", "."), into buf (>= 16 bytes); returns length. */
int			vf_gt_to_text(int g0, int g1, bool phased, char *buf);

/* The shortest decimal that reads back as v ("." for NaN), into buf (>= 32 bytes). */
int			vf_float_to_text(float v, char *buf);

#endif
