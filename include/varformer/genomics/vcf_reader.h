/*
 * vcf_reader.h: reading VCF, VCF.gz and BCF records through htslib (plain C).
 *
 * Opens a file, optionally restricts it to a region through its .tbi/.csi index and to a
 * subset of samples, and hands out one record at a time with every sample's GT decoded to
 * allele indices and FORMAT/DS to floats. Errors come back as VfError with hints (missing
 * index, contig naming mismatch, unknown sample, malformed or truncated file).
 */
#ifndef VARFORMER_VCF_READER_H
#define VARFORMER_VCF_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "varformer/common/error.h"
#include "varformer/common/region.h"

typedef struct VfVcfReader VfVcfReader;

typedef struct VfVcfRecord
{
	const char *chrom;
	int64_t		pos;			/* 1-based */
	int64_t		rlen;			/* reference span (htslib rlen: INFO/END for symbolic alleles) */
	const char *id;				/* NULL for "." */
	int			n_allele;
	char	  **allele;			/* as in the file; mutable (vf_vcf_upper_alleles) */
	int			n_sample;
	bool		has_gt;			/* FORMAT/GT present in this record */
	const int  *gt;				/* 2 per sample: index, VF_ALLELE_MISSING or VF_ALLELE_NONE */
	const bool *phased;			/* per sample ('|', or haploid) */
	const float *ds;			/* n_allele-1 per sample, NaN when missing; NULL: no DS */
	const bool *has_ds;			/* per sample: some DS value present */
} VfVcfRecord;

/* Why a record cannot go into a genotype value. */
typedef enum VfVcfRecordKind
{
	VF_VCF_STORABLE = 0,
	VF_VCF_SYMBOLIC,			/* symbolic ALT other than <DEL>, <*>, <NON_REF> (bcftools consensus refuses them) */
	VF_VCF_BAD_ALLELE			/* REF/ALT with characters other than ACGTN (e.g. IUPAC codes) */
} VfVcfRecordKind;

/*
 * Opens path. region (may be NULL: the whole file, no index needed) is parsed with
 * vf_region_parse; samples (n_samples < 0: all) are names that must exist in the file.
 * Returns NULL with err on failure.
 */
VfVcfReader *vf_vcf_open(const char *path, const char *region,
						 const char *const *samples, int n_samples, VfError *err);

int			vf_vcf_n_samples(const VfVcfReader *r);
const char *vf_vcf_sample(const VfVcfReader *r, int i);	/* in the order asked for, else file order */

/* The parsed region (NULL when reading everything). */
const VfRegion *vf_vcf_region(const VfVcfReader *r);

/* Length of a contig from the header's ##contig line, or -1 when not declared. */
int64_t		vf_vcf_contig_length(const VfVcfReader *r, const char *chrom);

/*
 * The largest BCF record read (its shared plus per-sample bytes, as its length fields say):
 * a larger one is refused before htslib allocates memory for it, with VF_ERR_LIMIT naming
 * the file, the record's CHROM:POS and its offset. 256 MiB: a record of a million samples
 * with GT, DS and a few more FORMAT fields takes tens of MB.
 */
#define VF_VCF_MAX_BCF_RECORD_BYTES ((uint64_t) 256 << 20)

/* Another cap for this reader (tests use small ones to exercise the check on small files). */
void		vf_vcf_set_max_record_bytes(VfVcfReader *r, uint64_t bytes);

/* Next record: 1, 0 at the end, -1 with err. The record is valid until the next call. */
int			vf_vcf_next(VfVcfReader *r, VfVcfRecord *rec, VfError *err);

VfVcfRecordKind vf_vcf_record_kind(const VfVcfRecord *rec);
void		vf_vcf_upper_alleles(VfVcfRecord *rec);

void		vf_vcf_close(VfVcfReader *r);

#endif
