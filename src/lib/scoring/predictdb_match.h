/*
 * predictdb_match.h: how a PredictDB model's variants and genes are matched to genotypes
 * and queries, shared by the reader (which precomputes what it can into the image) and the
 * scorer (private to predictdb_*.c; vf_pdb_match_alleles and vf_pdb_chrom_norm are public
 * in predictdb.h).
 */
#ifndef VARFORMER_PREDICTDB_MATCH_H
#define VARFORMER_PREDICTDB_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "varformer/scoring/predictdb.h"

/*
 * Per-variant statuses beyond VfPdbMatch (scoring tallies by status): listed but its call
 * is missing (./. and no DS); skipped as palindromic ({"palindromic": "skip"}), which is
 * counted as skipped but is no sign of an allele mismatch.
 */
#define VF_PDB_STATUS_MISSING_CALL 5
#define VF_PDB_STATUS_PALINDROMIC  6
#define VF_PDB_N_STATUS			   7

/* Complement of a base, 0 for anything that is not A, C, G or T. */
static const char vf_pdb_comp_base[256] = {['A'] = 'T',['C'] = 'G',['G'] = 'C',['T'] = 'A'};

/*
 * vf_pdb_match_alleles's rules for four single bases (the common case), without string calls.
 * Exact or swapped is told apart without a branch: which one holds is random from variant to
 * variant (a model's effect allele is REF or ALT as it comes), and mispredicting it, once per
 * call of every genotype, cost more than the rules themselves.
 */
static inline VfPdbMatch
vf_pdb_match_snv(char r, char a, char m0, char m1)
{
	/* both bases at once: compared base by base, the compiler branches on each */
	unsigned	pair = (unsigned) (unsigned char) r << 8 | (unsigned char) a;
	unsigned	exact = pair == ((unsigned) (unsigned char) m0 << 8 | (unsigned char) m1),
				swap = pair == ((unsigned) (unsigned char) m1 << 8 | (unsigned char) m0);
	char		c0,
				c1;

	/* exact first, as the rules say; one branch, on "either", which nearly always holds */
	unsigned	m = (VF_PDB_MATCH_SWAP - exact) & (0u - (exact | swap));

	if (m != 0)
		return (VfPdbMatch) m;
	c0 = vf_pdb_comp_base[(unsigned char) m0];
	c1 = vf_pdb_comp_base[(unsigned char) m1];
	if (c0 && c1 && r == c0 && a == c1)
		return VF_PDB_MATCH_COMP;
	if (c0 && c1 && r == c1 && a == c0)
		return VF_PDB_MATCH_COMP_SWAP;
	return VF_PDB_MATCH_NONE;
}

/* MetaXcan's test: the reverse complement of REF is ALT (A/T, C/G, and e.g. AT/AT). */
bool		vf_pdb_is_palindromic(const char *ref, const char *alt);

/* Gene id without a trailing ".<digits>" version (ENSG00000100030.14 -> ENSG00000100030). */
size_t		vf_pdb_gene_base_len(const char *id);

#endif
