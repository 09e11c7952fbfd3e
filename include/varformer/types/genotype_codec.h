/*
 * genotype_codec.h: the compact byte encoding of one sample's calls (plain C).
 *
 * This is the genotype type's on-disk payload (after the varlena header) and its binary
 * send/recv form. Layout (varint = unsigned LEB128):
 *
 *   version 1: u8 1 | varint chrom_len | chrom bytes | varint start | varint end-start
 *              | varint n_call | n_call calls
 *   version 2: u8 2 | u8 coverage flags | then as version 1
 *
 * Version 1 is "region" coverage (every position of the region assayed; no call = hom-ref),
 * the only meaning values stored before version 2 had, and still what the encoder writes for
 * it: old values load unchanged, and equal values keep equal bytes. Version 2 carries flags;
 * bit 0 (VF_GT_FLAG_LISTED) = "listed" coverage (only called positions assayed), the only
 * flag so far, so a version 2 header without it is not canonical and is refused.
 *
 * A call starts with varint (pos - previous pos; the first from start) and a flags byte:
 *   bit 0    0 = compact SNV, 1 = general
 *   bit 1    phased
 *   bit 2    has ID      bit 3   ID is "rs<number>", stored as a varint number
 *   bits 4-5 DS: 0 none, 1 every value a multiple of 0.001 (varint thousandths), 2 float32
 * Compact SNV (biallelic, REF and ALT one of A C G T N, rlen 1): bits 6-7 of the flags hold
 * haplotype 1's GT code, then one byte: bits 0-4 REF*5+ALT, bits 5-6 haplotype 2's GT code.
 * GT codes: 0 = none (haploid), 1 = missing, 2 + allele index.
 * General: flag bit 6 = explicit rlen, bit 7 = wide GT; varint n_allele, per allele
 * varint length + bytes; GT as one byte (two 4-bit codes) or, when wide, two varints;
 * varint rlen if flagged.
 * Then, for both: the ID (varint number, or varint length + bytes), then the DS values.
 *
 * So a biallelic SNV costs 2 bytes + its position gap (1 byte below 128 bp, 2 below 16 kb,
 * 3 below 2 Mb), + 2-5 bytes for an rsID, + 1-2 bytes for a DS with <= 3 decimals.
 */
#ifndef VARFORMER_GENOTYPE_CODEC_H
#define VARFORMER_GENOTYPE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "varformer/types/calls.h"
#include "varformer/common/error.h"

#define VF_GENOTYPE_VERSION	  1		/* region coverage */
#define VF_GENOTYPE_VERSION_FLAGS 2	/* with a flags byte */
#define VF_GT_FLAG_LISTED	  0x01
#define VF_MAX_ALLELES		  65535		/* as BCF */
#define VF_MAX_ALLELE_LEN	  (1 << 20)
#define VF_MAX_ID_LEN		  4096
#define VF_MAX_CALLS		  (1 << 26)
#define VF_GENOTYPE_MAX_BYTES ((size_t) 512 << 20)	/* well under the 1 GB varlena limit */

/* A growable byte buffer; realloc_fn lets the SQL layer allocate in a memory context. */
typedef void *(*VfReallocFn) (void *ptr, size_t size);

typedef struct VfBuf
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
	VfReallocFn realloc_fn;		/* NULL: realloc */
} VfBuf;

void		vf_buf_init(VfBuf *b, VfReallocFn fn);
int			vf_buf_reserve(VfBuf *b, size_t extra, VfError *err);
int			vf_buf_append(VfBuf *b, const void *p, size_t n, VfError *err);
void		vf_buf_free(VfBuf *b);	/* only for realloc-backed buffers */

/* Checks one call against its region and predecessor: everything the type promises. */
int			vf_call_validate(const VfCall *c, int64_t start, int64_t end, int64_t prev_pos,
							 VfError *err);

/*
 * Streaming encoder: add calls one by one (each validated), then finish, which writes
 * the header and the body to `out` (appending, so a caller may reserve a varlena header).
 */
typedef struct VfCallsEncoder
{
	VfBuf		body;
	int64_t		start;
	int64_t		end;
	int64_t		prev_pos;
	int			n_call;
	bool		listed;			/* listed coverage (VfCalls.listed); init sets false */
} VfCallsEncoder;

void		vf_calls_encoder_init(VfCallsEncoder *e, int64_t start, int64_t end, VfReallocFn fn);
int			vf_calls_encoder_add(VfCallsEncoder *e, const VfCall *c, VfError *err);

/*
 * The same in two steps, for a record that many samples share (the VCF reader): the site
 * (alleles, ID, rlen) is checked and measured once, then each sample's call (position, GT,
 * DS) is added. c must have the alleles, ID and rlen that site was prepared from.
 */
typedef struct VfSite
{
	int			snv;			/* REF*5+ALT for a compact SNV, else -1 */
	int			is_rs;			/* ID is rs<number> */
	uint64_t	rs;
	size_t		id_len;
	int64_t		rlen;			/* explicit reference span, 0 when strlen(REF) */
	size_t		need;			/* worst-case encoded size of one call */
} VfSite;

int			vf_site_prepare(const VfCall *c, VfSite *site, VfError *err);
int			vf_calls_encoder_add_site(VfCallsEncoder *e, const VfCall *c, const VfSite *site, VfError *err);
int			vf_calls_encoder_finish(VfCallsEncoder *e, const char *chrom, VfBuf *out, VfError *err);

/* Header + all calls of `calls` appended to out. */
int			vf_calls_encode(const VfCalls *calls, VfBuf *out, VfError *err);

typedef struct VfGenotypeHeader
{
	const char *chrom;			/* not NUL-terminated: chrom_len bytes */
	size_t		chrom_len;
	int64_t		start;
	int64_t		end;
	int			n_call;
	bool		listed;			/* listed coverage (VfCalls.listed) */
	size_t		body_off;		/* where the calls start */
} VfGenotypeHeader;

int			vf_genotype_decode_header(const uint8_t *p, size_t len, VfGenotypeHeader *h,
									  VfError *err);

/*
 * Decodes and checks every byte; the result is one block from alloc_fn (malloc when NULL),
 * freed with one free()/pfree(). Returns NULL with err (VF_ERR_CORRUPT) on bad bytes.
 */
VfCalls    *vf_calls_decode(const uint8_t *p, size_t len, void *(*alloc_fn) (size_t),
							VfError *err);

/*
 * The same checks and calls, but every id NULL: for readers that match by position (varID
 * keyed PredictDB models), since spelling out each rsID was half of decoding a genotype.
 */
VfCalls    *vf_calls_decode_no_ids(const uint8_t *p, size_t len, void *(*alloc_fn) (size_t),
								   VfError *err);

/*
 * The same checks as vf_calls_decode (it accepts exactly the same bytes), in this form; one
 * block from alloc_fn as there. IDs are not spelled out.
 */
VfPosCalls *vf_calls_decode_pos(const uint8_t *p, size_t len, void *(*alloc_fn) (size_t),
								VfError *err);

/* The three decodes by form: a VfCalls *, or for VF_CALLS_POS a VfPosCalls *. */
typedef enum VfCallsForm
{
	VF_CALLS_FULL,				/* vf_calls_decode */
	VF_CALLS_NO_IDS,			/* vf_calls_decode_no_ids */
	VF_CALLS_POS				/* vf_calls_decode_pos */
} VfCallsForm;

void	   *vf_calls_decode_form(const uint8_t *p, size_t len, void *(*alloc_fn) (size_t),
								 VfCallsForm form, VfError *err);

/*
 * A compact SNV's alleles as one code, REF*5+ALT over the bases A C G T N (VfPosCall.snv is
 * 1 + the code): the base of a one-letter allele (-1 for any other allele), and the two
 * alleles of a code as the strings a VfCall holds.
 */
int			vf_snv_base(const char *allele);
extern const char *const vf_snv_alleles[25][2];

/* True for the alleles the type stores: [ACGTN]+ for REF, plus the symbolic ALTs. */
int			vf_allele_valid(const char *a, int is_ref);

#endif
