/*
 * predictdb_match.c: PrediXcan's matching rules (plain C): genotype alleles against a
 * model's, chromosome names, gene ids with or without their version.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "predictdb_match.h"

/* a == complement of b, base by base (not reversed, as MetaXcan translates alleles) */
static bool
is_complement(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (vf_pdb_comp_base[(unsigned char) *b] == 0 || *a != vf_pdb_comp_base[(unsigned char) *b])
			return false;
	return *a == '\0' && *b == '\0';
}

VfPdbMatch
vf_pdb_match_alleles(const char *gt_ref, const char *gt_alt,
					 const char *model_ref, const char *model_eff)
{
	/* swaps are only trusted for single-base pairs: an indel's "swap" is another variant */
	bool		snv = gt_ref[0] && !gt_ref[1] && gt_alt[0] && !gt_alt[1];

	if (snv && model_ref[0] && !model_ref[1] && model_eff[0] && !model_eff[1])
		return vf_pdb_match_snv(gt_ref[0], gt_alt[0], model_ref[0], model_eff[0]);

	if (strcmp(gt_ref, model_ref) == 0 && strcmp(gt_alt, model_eff) == 0)
		return VF_PDB_MATCH_EXACT;
	if (snv && strcmp(gt_ref, model_eff) == 0 && strcmp(gt_alt, model_ref) == 0)
		return VF_PDB_MATCH_SWAP;
	if (is_complement(gt_ref, model_ref) && is_complement(gt_alt, model_eff))
		return VF_PDB_MATCH_COMP;
	if (snv && is_complement(gt_ref, model_eff) && is_complement(gt_alt, model_ref))
		return VF_PDB_MATCH_COMP_SWAP;
	return VF_PDB_MATCH_NONE;
}

bool
vf_pdb_is_palindromic(const char *ref, const char *alt)
{
	size_t		n = strlen(ref);

	if (strlen(alt) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (vf_pdb_comp_base[(unsigned char) ref[n - 1 - i]] != alt[i])
			return false;
	return true;
}

const char *
vf_pdb_chrom_norm(const char *chrom, char *buf, size_t bufsize)
{
	size_t		n;

	if (strncasecmp(chrom, "chr", 3) == 0)
		chrom += 3;
	if (strcasecmp(chrom, "M") == 0)
		chrom = "MT";
	n = strlen(chrom);
	if (n >= bufsize)
		n = bufsize - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char) toupper((unsigned char) chrom[i]);
	buf[n] = '\0';
	return buf;
}

size_t
vf_pdb_gene_base_len(const char *id)
{
	const char *dot = strrchr(id, '.');
	const char *c;

	if (dot == NULL || dot == id || dot[1] == '\0')
		return strlen(id);
	for (c = dot + 1; *c; c++)
		if (!isdigit((unsigned char) *c))
			return strlen(id);
	return (size_t) (dot - id);
}
