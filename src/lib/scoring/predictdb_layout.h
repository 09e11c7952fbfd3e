/*
 * predictdb_layout.h: the weight rows the PredictDB reader collects, and laying them out as
 * an image (predictdb_image.h). Private to src/lib/scoring.
 *
 * The reader (predictdb_reader.c) reads `weights` into rows, has them laid out, then reads
 * `extra` for the genes the image holds (found through the image's gene hash) and has that
 * written in last; the layout never reads the file.
 */
#ifndef VARFORMER_PREDICTDB_LAYOUT_H
#define VARFORMER_PREDICTDB_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "varformer/scoring/predictdb.h"
#include "string_pool.h"

/* One row of `weights` as read; strings are pool offsets. */
typedef struct VfPdbRow
{
	uint32_t	gene;
	uint32_t	rsid;
	uint32_t	varid;
	uint32_t	ref;
	uint32_t	eff;
	uint32_t	chrom;			/* normalized, varID keys only */
	uint32_t	vref;			/* the varID's own REF/ALT */
	uint32_t	valt;
	int64_t		pos;
	double		weight;
	uint32_t	variant;		/* index after dedup; UINT32_MAX: a duplicate, dropped */
} VfPdbRow;

typedef struct VfPdbRows
{
	const char *path;			/* for messages */
	VfStringPool pool;
	VfPdbRow   *rows;
	size_t		n_row,
				cap_row;
	VfPdbKey	key;
	bool		skip_palindromic;
	bool		low_coverage_error;	/* load options, copied into the header */
	double		min_variant_fraction;
	uint32_t	n_null_weight,
				n_bad_allele,
				n_duplicate;
} VfPdbRows;

/* A gene's row of `extra`, when it has one. */
typedef struct VfPdbExtra
{
	bool		seen;
	uint32_t	name;			/* pool offset */
	int32_t		n_snps;
	double		r2,
				pval,
				qval;
} VfPdbExtra;

/* An image being built: everything but `extra`. */
typedef struct VfPdbLayout
{
	char	   *img;
	size_t		total;
	size_t		off_strings;
	uint32_t	n_gene;
} VfPdbLayout;

/* Lays the rows out (sorting them); -1 with err (no rows, a conflicting duplicate, limits). */
int			vf_pdb_layout_build(VfPdbRows *r, size_t max_bytes, VfPdbLayout *out, VfError *err);

/*
 * Writes in the genes' `extra` rows (extra[i] for gene i; have_extra: the file has the table)
 * and the pool as it is now (extra adds gene names), and hands the image over.
 */
int			vf_pdb_layout_finish(VfPdbRows *r, VfPdbLayout *l, const VfPdbExtra *extra,
								 bool have_extra, size_t max_bytes, void **image, size_t *size,
								 VfError *err);

#endif
