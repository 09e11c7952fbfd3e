/*
 * gtf.h: parsing gene records of a GENCODE/Ensembl GTF line (plain C).
 *
 * GTF: 9 tab-separated columns; column 9 holds attributes `key "value";`. Only lines
 * whose feature (column 3) is "gene" are genes.
 */
#ifndef VARFORMER_GTF_H
#define VARFORMER_GTF_H

#include <stdint.h>

#include "varformer/common/error.h"

#define VF_GTF_MAX_LINE (1 << 20)	/* longer lines are rejected as malformed */

typedef struct VfGtfGene
{
	const char *chrom;			/* all point into the parsed line (which is modified) */
	int64_t		start;			/* 1-based inclusive */
	int64_t		end;
	char		strand;			/* '+' or '-' */
	int64_t		tss;			/* start on +, end on - */
	const char *gene_id;
	const char *gene_name;		/* NULL when absent */
	const char *gene_type;		/* gene_type (GENCODE) or gene_biotype (Ensembl), or NULL */
} VfGtfGene;

/*
 * Parses one line (without its newline) in place. Returns 1 for a gene (out filled),
 * 0 for a line that is not a gene (comment, other feature, blank), -1 with err
 * (VF_ERR_CORRUPT naming the problem) for a malformed line.
 */
int			vf_gtf_parse_line(char *line, VfGtfGene *out, VfError *err);

#endif
