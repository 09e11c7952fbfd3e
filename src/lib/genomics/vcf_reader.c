/*
 * vcf_reader.c: VCF/BCF records through htslib (bcf_*, tbx_*), as plain C for the SQL
 * entry points in vcf_sql.c. No VCF text is parsed here: htslib does all of it.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <htslib/bgzf.h>
#include <htslib/hts.h>
#include <htslib/kstring.h>
#include <htslib/tbx.h>
#include <htslib/vcf.h>

#include "varformer/types/calls.h"
#include "varformer/common/contig_names.h"
#include "varformer/types/genotype_codec.h"
#include "varformer/genomics/vcf_reader.h"

struct VfVcfReader
{
	char	   *path;
	htsFile    *fp;
	bcf_hdr_t  *hdr;
	bcf1_t	   *rec;
	bool		is_bcf;
	bool		subset;			/* bcf_hdr_set_samples was applied */

	bool		has_region;
	bool		no_records;		/* the contig is declared but has no records in the index */
	VfRegion	region;
	tbx_t	   *tbx;
	hts_idx_t  *idx;
	hts_itr_t  *itr;
	kstring_t	line;

	int		   *gt_arr;			/* htslib's buffers */
	int			n_gt_arr;
	float	   *ds_arr;
	int			n_ds_arr;
	bool		ds_declared;

	int		   *gt_out;			/* ours, sized for n_sample (and n_alt for ds) */
	bool	   *phased;
	bool	   *has_ds;
	float	   *ds_out;
	size_t		ds_cap;
	int			gt_key;			/* header ids of FORMAT/GT and FORMAT/DS, -1 when undeclared */
	int			ds_key;
	int			n_sample;		/* samples returned */
	int			n_cols;			/* samples in each record as htslib unpacks it */
	int		   *order;			/* output sample o is the record's column order[o] */

	uint64_t	max_record;		/* BCF record size cap (vf_vcf_set_max_record_bytes) */
	bool		too_big;		/* the next record's head, refused by the cap: */
	uint8_t		big_head[16];	/* its lengths, CHROM and POS as in the file */
	int64_t		big_at;			/* its BGZF virtual offset */
};

static const char *
fmt_name(const htsFormat *f)
{
	static char buf[128];
	char	   *d = hts_format_description(f);

	snprintf(buf, sizeof(buf), "%s", d ? d : "unknown");
	free(d);
	return buf;
}

/* The contig names the file knows: header ##contig lines plus the index's names. */
static const char **
known_contigs(VfVcfReader *r, int *n)
{
	int			nh = 0,
				ni = 0;
	const char **h = bcf_hdr_seqnames(r->hdr, &nh);
	const char **ix = NULL;
	const char **all;

	if (r->tbx)
		ix = tbx_seqnames(r->tbx, &ni);
	all = malloc(sizeof(char *) * (size_t) (nh + ni + 1));
	if (all == NULL)
	{
		free(h);
		free(ix);
		*n = 0;
		return NULL;
	}
	for (int i = 0; i < nh; i++)
		all[i] = h[i];
	*n = nh;
	for (int i = 0; i < ni; i++)
	{
		bool		dup = false;

		for (int k = 0; k < nh && !dup; k++)
			dup = strcmp(all[k], ix[i]) == 0;
		if (!dup)
			all[(*n)++] = ix[i];
	}
	free(h);
	free(ix);
	return all;
}

/*
 * BCF record size cap. A BCF record starts with two uint32 lengths (its shared and its
 * per-sample bytes), then CHROM and POS. htslib's bcf_read allocates both lengths before it
 * reads a byte of the record and then fills them: a damaged or hostile file can claim up to
 * 8 GB per record, and a few MB of bgzip-compressed zeros can really hold that much. So the
 * lengths are read first, without consuming them, and a record larger than the cap
 * (VF_VCF_MAX_BCF_RECORD_BYTES unless vf_vcf_set_max_record_bytes says otherwise) is refused
 * before htslib allocates anything for it.
 */

/*
 * The next record's first 16 bytes, left unread: 1; 0 when fewer than 16 remain (the end of
 * the file, or a truncation that bcf_read then reports); -1 when the stream cannot be put
 * back. Usually they are in BGZF's current block; htslib never splits a record's head across
 * blocks when it writes, but bgzip, other writers and uncompressed BCF (read in 64 KB pieces)
 * can, and then the bytes are read and the stream is sought back to them.
 */
static int
peek_bcf_head(BGZF *fp, uint8_t head[16])
{
	int64_t		at;
	ssize_t		n;

	if (fp->block_offset >= fp->block_length && bgzf_peek(fp) < 0)
		return 0;
	if (fp->block_length - fp->block_offset >= 16)
	{
		memcpy(head, (const uint8_t *) fp->uncompressed_block + fp->block_offset, 16);
		return 1;
	}
	at = bgzf_tell(fp);
	n = bgzf_read(fp, head, 16);
	if (bgzf_seek(fp, at, SEEK_SET) < 0)
		return -1;
	return n == 16 ? 1 : 0;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* 0 when the next record may be read, -1 when it is too large (r->too_big) or unreadable. */
static int
check_record_size(VfVcfReader *r, BGZF *fp)
{
	uint8_t		head[16];
	int			rc = peek_bcf_head(fp, head);
	int64_t		at = bgzf_tell(fp);	/* after the peek, which may have loaded the next block */

	if (rc < 0)
		return -1;
	if (rc == 0 || (uint64_t) le32(head) + le32(head + 4) <= r->max_record)
		return 0;
	r->too_big = true;
	memcpy(r->big_head, head, sizeof(head));
	r->big_at = at;
	return -1;
}

static int
record_too_big(VfVcfReader *r, VfError *err)
{
	uint64_t	bytes = (uint64_t) le32(r->big_head) + le32(r->big_head + 4);
	int32_t		rid = (int32_t) le32(r->big_head + 8);
	int64_t		pos = (int64_t) (int32_t) le32(r->big_head + 12) + 1;
	const char *chrom = rid >= 0 && rid < r->hdr->n[BCF_DT_CTG] ? r->hdr->id[BCF_DT_CTG][rid].key : "?";

	r->too_big = false;
	vf_error(err, VF_ERR_LIMIT, "\"%s\" has a BCF record of %" PRIu64 " bytes at %s:%" PRId64 ", more than the %" PRIu64 " bytes a record may have",
			 r->path, bytes, chrom, pos, r->max_record);
	vf_error_detail(err, "The record starts %d bytes into the block at byte %" PRId64 " of the file; its length fields say %u shared and %u per-sample bytes.",
					(int) (r->big_at & 0xffff), r->big_at >> 16, le32(r->big_head), le32(r->big_head + 4));
	vf_error_hint(err, "A record this large is damaged or hostile (one with a million samples takes tens of MB). Check the file with: bcftools view \"%s\" > /dev/null",
				  r->path);
	return -1;
}

/* bcf_readrec (what bcf_itr_next calls) behind the cap; data is the reader (read_raw). */
static int
capped_bcf_readrec(BGZF *fp, void *data, void *rec, int *tid, hts_pos_t *beg, hts_pos_t *end)
{
	if (check_record_size((VfVcfReader *) data, fp) != 0)
		return -2;
	return bcf_readrec(fp, NULL, rec, tid, beg, end);
}

void
vf_vcf_set_max_record_bytes(VfVcfReader *r, uint64_t bytes)
{
	r->max_record = bytes;
}

static int
open_region(VfVcfReader *r, const char *region, const htsFormat *fmt, VfError *err)
{
	int			tid;
	hts_pos_t	beg,
				end;

	if (vf_region_parse(region, &r->region, err) != 0)
		return -1;
	r->has_region = true;

	if (fmt->compression != bgzf)
	{
		vf_error(err, VF_ERR_UNSUPPORTED, "cannot query region \"%s\" in \"%s\": the file is not bgzip-compressed",
				 region, r->path);
		vf_error_detail(err, "htslib sees %s; region queries need a bgzip-compressed file with a .tbi or .csi index.",
						fmt_name(fmt));
		if (r->is_bcf)
			vf_error_hint(err, "Write a compressed BCF and index it: bcftools view -Ob -o file.bcf input && bcftools index file.bcf. Or pass region NULL to read the whole file.");
		else
			vf_error_hint(err, "Compress and index it: bgzip file.vcf && tabix -p vcf file.vcf.gz. Or pass region NULL to read the whole file.");
		return -1;
	}
	if (r->is_bcf)
		r->idx = bcf_index_load3(r->path, NULL, HTS_IDX_SILENT_FAIL);
	else
		r->tbx = tbx_index_load3(r->path, NULL, HTS_IDX_SILENT_FAIL);
	if (r->idx == NULL && r->tbx == NULL)
	{
		vf_error(err, VF_ERR_NOFILE, "cannot query region \"%s\": \"%s\" has no index", region, r->path);
		vf_error_detail(err, "Region queries read the file's .tbi or .csi index, which was not found next to it.");
		if (r->is_bcf)
			vf_error_hint(err, "Create it with: bcftools index \"%s\" (or pass region NULL to read the whole file).", r->path);
		else
			vf_error_hint(err, "Create it with: tabix -p vcf \"%s\" (or bcftools index -t), or pass region NULL to read the whole file.", r->path);
		return -1;
	}

	tid = r->is_bcf ? bcf_hdr_name2id(r->hdr, r->region.chrom) : tbx_name2id(r->tbx, r->region.chrom);
	if (tid < 0)
	{
		int			n;
		const char **names;
		int			rc = 0;

		/* declared in the header but never used: no records, not an error */
		if (bcf_hdr_name2id(r->hdr, r->region.chrom) >= 0)
		{
			r->no_records = true;
			return 0;
		}
		names = known_contigs(r, &n);
		rc = vf_contig_not_found("VCF", r->region.chrom, names, n, err);
		free(names);
		return rc;
	}
	beg = (hts_pos_t) (r->region.start - 1);
	end = vf_region_bounded(&r->region) ? (hts_pos_t) r->region.end : HTS_POS_MAX;
	/* bcf_itr_queryi with the record size cap in front of htslib's record reader */
	r->itr = r->is_bcf ? hts_itr_query(r->idx, tid, beg, end, capped_bcf_readrec)
		: tbx_itr_queryi(r->tbx, tid, beg, end);
	if (r->itr == NULL)
		return vf_error(err, VF_ERR_CORRUPT, "could not query region \"%s\" in the index of \"%s\"", region, r->path);
	return 0;
}

/*
 * A name htslib's sample list would read as syntax rather than as a name: a leading '^'
 * (exclude the list), "-" (every sample) or a comma (separator). Such a name is valid in a
 * VCF header, so it must still be selectable, just not through the list.
 */
static bool
is_list_syntax(const char *s)
{
	return s[0] == '^' || strcmp(s, "-") == 0 || strchr(s, ',') != NULL;
}

/*
 * Checks every requested name against the header (an unknown one is an error naming it),
 * then lets htslib unpack only those samples' columns when their names can be written as its
 * comma-separated list. Otherwise every column is unpacked and the reader picks the requested
 * ones itself (vf_vcf_open's order[]): slower on wide files, never wrong.
 */
static int
select_samples(VfVcfReader *r, const char *const *samples, int n_samples, VfError *err)
{
	kstring_t	list = {0, 0, NULL};
	int			n_file = bcf_hdr_nsamples(r->hdr);
	bool		as_list = true;
	int			rc;

	for (int i = 0; i < n_samples; i++)
	{
		const char *s = samples[i];
		int			id;

		if (s == NULL)
			return vf_error(err, VF_ERR_INVALID, "samples must not contain NULL");
		id = bcf_hdr_id2int(r->hdr, BCF_DT_SAMPLE, s);
		if (id < 0 || id >= n_file)
		{
			kstring_t	some = {0, 0, NULL};

			for (int k = 0; k < n_file && k < 5; k++)
				ksprintf(&some, "%s\"%s\"", k ? ", " : "", r->hdr->samples[k]);
			vf_error(err, VF_ERR_NOT_FOUND, "sample \"%s\" is not in \"%s\"", s, r->path);
			if (n_file == 0)
				vf_error_detail(err, "The file has no samples (a sites-only VCF).");
			else
				vf_error_detail(err, "The file has %d sample%s: %s%s.", n_file, n_file == 1 ? "" : "s",
								some.s, n_file > 5 ? ", ..." : "");
			free(some.s);
			free(list.s);
			return -1;
		}
		if (is_list_syntax(s))
			as_list = false;
		/* duplicates are harmless to htslib but would be to the caller's row count */
		for (int k = 0; k < i; k++)
			if (strcmp(samples[k], s) == 0)
				goto next;
		if (list.l)
			kputc(',', &list);
		kputs(s, &list);
next:	;
	}
	if (n_samples > 0 && !as_list)
	{
		free(list.s);
		return 0;
	}
	rc = bcf_hdr_set_samples(r->hdr, n_samples == 0 ? NULL : list.s, 0);
	free(list.s);
	if (rc != 0)
		return vf_error(err, VF_ERR_INVALID, "could not select the requested samples in \"%s\"", r->path);
	r->subset = true;
	return 0;
}

VfVcfReader *
vf_vcf_open(const char *path, const char *region,
			const char *const *samples, int n_samples, VfError *err)
{
	VfVcfReader *r = calloc(1, sizeof(VfVcfReader));
	const htsFormat *fmt;
	int			id;

	if (r == NULL || (r->path = strdup(path)) == NULL)
	{
		free(r);
		vf_error(err, VF_ERR_NOMEM, "out of memory opening \"%s\"", path);
		return NULL;
	}
	errno = 0;
	r->fp = hts_open(path, "r");
	if (r->fp == NULL)
	{
		vf_error(err, VF_ERR_IO, "could not open \"%s\" with htslib: %s", path,
				 errno ? strerror(errno) : "unrecognised format");
		goto fail;
	}
	fmt = hts_get_format(r->fp);
	if (fmt->category != variant_data || (fmt->format != vcf && fmt->format != bcf))
	{
		vf_error(err, VF_ERR_CORRUPT, "\"%s\" is not a VCF or BCF file", path);
		vf_error_detail(err, "htslib sees %s.", fmt_name(fmt));
		goto fail;
	}
	r->is_bcf = (fmt->format == bcf);
	r->max_record = VF_VCF_MAX_BCF_RECORD_BYTES;
	if (r->is_bcf && fmt->compression == gzip)
	{
		/* plain gzip cannot be repositioned, so a record's head split across two of its
		 * buffers could not be checked against the record size cap (check_record_size) */
		vf_error(err, VF_ERR_UNSUPPORTED, "\"%s\" is a BCF compressed with gzip, not bgzip", path);
		vf_error_detail(err, "BCF files are read block by block; bcftools and htslib always write them bgzip-compressed (or uncompressed).");
		vf_error_hint(err, "Rewrite it: bcftools view -Ob -o file.bcf \"%s\"", path);
		goto fail;
	}
	if (fmt->compression == bgzf && bgzf_check_EOF(hts_get_bgzfp(r->fp)) == 0)
	{
		/* htslib only warns and then reads what is there; a silent partial read is worse */
		vf_error(err, VF_ERR_CORRUPT, "\"%s\" is truncated: its BGZF end-of-file marker is missing", path);
		vf_error_detail(err, "Every file written by bgzip, bcftools or htslib ends with that marker; this one was cut short (an interrupted copy or download?).");
		vf_error_hint(err, "Copy or re-create the file, then check it with: bcftools view \"%s\" > /dev/null", path);
		goto fail;
	}
	r->hdr = bcf_hdr_read(r->fp);
	if (r->hdr == NULL)
	{
		vf_error(err, VF_ERR_CORRUPT, "could not read the VCF header of \"%s\"", path);
		vf_error_hint(err, "The file may be truncated or not a VCF; check it with: bcftools view -h \"%s\"", path);
		goto fail;
	}
	r->gt_key = bcf_hdr_id2int(r->hdr, BCF_DT_ID, "GT");
	r->ds_key = bcf_hdr_id2int(r->hdr, BCF_DT_ID, "DS");
	id = bcf_hdr_id2int(r->hdr, BCF_DT_ID, "DS");
	if (id >= 0 && bcf_hdr_idinfo_exists(r->hdr, BCF_HL_FMT, id))
	{
		if (bcf_hdr_id2type(r->hdr, BCF_HL_FMT, id) != BCF_HT_REAL)
		{
			vf_error(err, VF_ERR_CORRUPT, "FORMAT/DS in \"%s\" is not declared Type=Float", path);
			goto fail;
		}
		r->ds_declared = true;
	}
	if (n_samples >= 0 && select_samples(r, samples, n_samples, err) != 0)
		goto fail;
	r->n_cols = bcf_hdr_nsamples(r->hdr);
	r->order = malloc(sizeof(int) * (size_t) ((n_samples > 0 ? n_samples : r->n_cols) + 1));
	if (r->order == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory opening \"%s\"", path);
		goto fail;
	}
	/* samples come back in the order asked for, as bcftools query -s prints them */
	r->n_sample = 0;
	if (n_samples > 0)
	{
		for (int i = 0; i < n_samples; i++)
		{
			int			idx = bcf_hdr_id2int(r->hdr, BCF_DT_SAMPLE, samples[i]);
			bool		seen = false;

			/* select_samples checked every name: each maps to one of the record's columns */
			if (idx < 0 || idx >= r->n_cols)
			{
				vf_error(err, VF_ERR_DATA, "sample \"%s\" lost its column in \"%s\"", samples[i], path);
				goto fail;
			}
			for (int k = 0; k < r->n_sample && !seen; k++)
				seen = r->order[k] == idx;
			if (!seen)
				r->order[r->n_sample++] = idx;
		}
	}
	else
		for (int i = 0; i < r->n_cols; i++)
			r->order[r->n_sample++] = i;
	if (region != NULL && open_region(r, region, fmt, err) != 0)
		goto fail;

	r->rec = bcf_init();
	r->gt_out = malloc(sizeof(int) * 2 * (size_t) (r->n_sample + 1));
	r->phased = malloc(sizeof(bool) * (size_t) (r->n_sample + 1));
	r->has_ds = malloc(sizeof(bool) * (size_t) (r->n_sample + 1));
	if (r->rec == NULL || r->gt_out == NULL || r->phased == NULL || r->has_ds == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory opening \"%s\"", path);
		goto fail;
	}
	return r;

fail:
	vf_vcf_close(r);
	return NULL;
}

int
vf_vcf_n_samples(const VfVcfReader *r)
{
	return r->n_sample;
}

const char *
vf_vcf_sample(const VfVcfReader *r, int i)
{
	return r->hdr->samples[r->order[i]];
}

const VfRegion *
vf_vcf_region(const VfVcfReader *r)
{
	return r->has_region ? &r->region : NULL;
}

int64_t
vf_vcf_contig_length(const VfVcfReader *r, const char *chrom)
{
	int			tid = bcf_hdr_name2id(r->hdr, chrom);
	const bcf_idpair_t *p;

	if (tid < 0)
		return -1;
	p = &r->hdr->id[BCF_DT_CTG][tid];
	if (p->val == NULL || p->val->info[0] <= 0)
		return -1;
	return (int64_t) p->val->info[0];
}

static int
record_error(VfVcfReader *r, VfError *err)
{
	const char *what = "malformed record";
	int			ec = r->rec->errcode;

	if ((ec & BCF_ERR_NCOLS) || r->rec->n_allele < 1)
		what = "a record with fewer columns than the header declares";
	else if (ec & BCF_ERR_LIMITS)
		what = "a record beyond htslib's limits";
	else if (ec & BCF_ERR_CHAR)
		what = "a record with an invalid character";
	else if (ec & (BCF_ERR_CTG_INVALID | BCF_ERR_TAG_INVALID))
		what = "a record with an invalid contig or tag";
	vf_error(err, VF_ERR_CORRUPT, "\"%s\" has %s near %s:%" PRId64, r->path, what,
			 r->rec->rid >= 0 && r->rec->rid < r->hdr->n[BCF_DT_CTG] ? bcf_seqname(r->hdr, r->rec) : "?",
			 (int64_t) r->rec->pos + 1);
	vf_error_hint(err, "Check the file with: bcftools view \"%s\" > /dev/null", r->path);
	return -1;
}

static int
read_error(VfVcfReader *r, int ret, VfError *err)
{
	vf_error(err, VF_ERR_CORRUPT, "could not read a record from \"%s\" (htslib error %d): the file is truncated or corrupt",
			 r->path, ret);
	vf_error_hint(err, "Check the file with: bcftools view \"%s\" > /dev/null", r->path);
	return -1;
}

/*
 * BCF type descriptors, checked before htslib decodes a record: htslib 1.16 calls exit(1)
 * from bcf_get_format_values (so bcf_get_genotypes and bcf_get_format_float) on a FORMAT
 * value of a type it has no branch for (NULL = 0, CHAR for a number, the reserved 4, 6, 8..15),
 * and bcf_read's own record check lets them through. So every FORMAT and INFO descriptor of a
 * BCF record is read here from the raw bytes, with every length bounded by the record.
 */
static const int bcf_type_size[16] = {0, 1, 2, 4, -1, 4, -1, 1, -1, -1, -1, -1, -1, -1, -1, -1};

/* A typed integer (key or vector length): its value, or -1 when malformed. */
static int64_t
raw_typed_int(const uint8_t **p, const uint8_t *end)
{
	int			type,
				n;
	const uint8_t *q = *p;
	int64_t		v;

	if (q >= end)
		return -1;
	type = *q & 0xf;
	n = *q >> 4;
	q++;
	if (n != 1 || (type != BCF_BT_INT8 && type != BCF_BT_INT16 && type != BCF_BT_INT32) ||
		end - q < bcf_type_size[type])
		return -1;
	if (type == BCF_BT_INT8)
		v = (int8_t) q[0];
	else if (type == BCF_BT_INT16)
		v = (int16_t) (q[0] | q[1] << 8);
	else
		v = (int32_t) ((uint32_t) q[0] | (uint32_t) q[1] << 8 | (uint32_t) q[2] << 16 | (uint32_t) q[3] << 24);
	*p = q + bcf_type_size[type];
	return v;
}

/* A vector's descriptor: type (-1 when malformed) and element count. */
static int
raw_descriptor(const uint8_t **p, const uint8_t *end, int64_t *n)
{
	int			type;

	if (*p >= end)
		return -1;
	type = **p & 0xf;
	*n = **p >> 4;
	(*p)++;
	if (*n == 15 && (*n = raw_typed_int(p, end)) < 0)
		return -1;
	return bcf_type_size[type] < 0 ? -1 : type;
}

/* Skips a vector of n elements of type, repeated times; -1 when it overruns the record. */
static int
raw_skip(const uint8_t **p, const uint8_t *end, int type, int64_t n, int64_t times)
{
	uint64_t	bytes = (uint64_t) n * (uint64_t) bcf_type_size[type] * (uint64_t) times;

	if (bytes > (uint64_t) (end - *p))
		return -1;
	*p += bytes;
	return 0;
}

static int
bad_types(VfVcfReader *r, const char *what, int64_t key, VfError *err)
{
	const char *name = key >= 0 && key < r->hdr->n[BCF_DT_ID] ? r->hdr->id[BCF_DT_ID][key].key : "?";

	vf_error(err, VF_ERR_CORRUPT, "\"%s\" has a BCF record with a malformed %s field \"%s\" near %s:%" PRId64,
			 r->path, what, name,
			 r->rec->rid >= 0 && r->rec->rid < r->hdr->n[BCF_DT_CTG] ? bcf_seqname(r->hdr, r->rec) : "?",
			 (int64_t) r->rec->pos + 1);
	vf_error_hint(err, "The value's type descriptor or length is invalid. Check the file with: bcftools view \"%s\" > /dev/null",
				  r->path);
	return -1;
}

static int
check_bcf_types(VfVcfReader *r, VfError *err)
{
	bcf1_t	   *v = r->rec;
	const uint8_t *p = (const uint8_t *) v->shared.s,
			   *end = p + v->shared.l;
	int64_t		n;
	int			type;

	/* ID, then the alleles: character vectors */
	for (int i = 0; i < 1 + v->n_allele; i++)
		if ((type = raw_descriptor(&p, end, &n)) < 0 || raw_skip(&p, end, type, n, 1) != 0)
			return bad_types(r, i == 0 ? "ID" : "REF/ALT", -1, err);
	if ((type = raw_descriptor(&p, end, &n)) < 0 || raw_skip(&p, end, type, n, 1) != 0)
		return bad_types(r, "FILTER", -1, err);
	for (int i = 0; i < v->n_info; i++)
	{
		int64_t		key = raw_typed_int(&p, end);

		if (key < 0 || key >= r->hdr->n[BCF_DT_ID] ||
			(type = raw_descriptor(&p, end, &n)) < 0 || (type == BCF_BT_NULL && n != 0) ||
			raw_skip(&p, end, type, n, 1) != 0)
			return bad_types(r, "INFO", key, err);
	}

	p = (const uint8_t *) v->indiv.s;
	end = p + v->indiv.l;
	for (int i = 0; i < v->n_fmt; i++)
	{
		int64_t		key = raw_typed_int(&p, end);
		bool		numeric = key >= 0 && (key == r->gt_key || key == r->ds_key);

		if (key < 0 || key >= r->hdr->n[BCF_DT_ID] ||
			(type = raw_descriptor(&p, end, &n)) < 0 || type == BCF_BT_NULL ||
			(numeric && type == BCF_BT_CHAR) ||
			raw_skip(&p, end, type, n, v->n_sample) != 0)
			return bad_types(r, "FORMAT", key, err);
	}
	return 0;
}

/* Reads the next raw record into r->rec: 1, 0 at end, -1 error. */
static int
read_raw(VfVcfReader *r, VfError *err)
{
	int			ret;

	if (r->no_records)
		return 0;
	if (r->itr && r->tbx)
	{
		ret = tbx_itr_next(r->fp, r->tbx, r->itr, &r->line);
		if (ret == -1)
			return 0;
		if (ret < -1)
			return read_error(r, ret, err);
		ret = vcf_parse1(&r->line, r->hdr, r->rec);
		if (ret < 0)
		{
			if (r->rec->errcode)
				return record_error(r, err);
			vf_error(err, VF_ERR_CORRUPT, "\"%s\" has a VCF line htslib cannot parse: \"%.60s%s\"",
					 r->path, r->line.s, r->line.l > 60 ? "..." : "");
			return -1;
		}
	}
	else if (r->itr)
	{
		/* bcf_itr_next, with the reader handed to capped_bcf_readrec */
		ret = hts_itr_next(hts_get_bgzfp(r->fp), r->itr, r->rec, r);
		if (r->too_big)
			return record_too_big(r, err);
		if (ret == -1)
			return 0;
		if (ret < -1)
			return read_error(r, ret, err);
		if (check_bcf_types(r, err) != 0)
			return -1;
		if (r->subset && r->hdr->nsamples_ori != bcf_hdr_nsamples(r->hdr) &&
			bcf_subset_format(r->hdr, r->rec) != 0)
			return read_error(r, -3, err);
	}
	else
	{
		if (r->is_bcf && check_record_size(r, hts_get_bgzfp(r->fp)) != 0)
			return r->too_big ? record_too_big(r, err) : read_error(r, -2, err);
		ret = bcf_read(r->fp, r->hdr, r->rec);
		if (ret == -1)
			return 0;
		if (ret < -1)
		{
			if (r->rec->errcode & ~(BCF_ERR_CTG_UNDEF | BCF_ERR_TAG_UNDEF))
				return record_error(r, err);
			return read_error(r, ret, err);
		}
		if (r->is_bcf && check_bcf_types(r, err) != 0)
			return -1;
	}
	/* an undeclared contig or tag is defined on the fly by htslib (and bcftools reads on) */
	if ((r->rec->errcode & ~(BCF_ERR_CTG_UNDEF | BCF_ERR_TAG_UNDEF)) || r->rec->n_allele < 1)
		return record_error(r, err);
	return 1;
}

static int
decode_gt(VfVcfReader *r, VfVcfRecord *out, VfError *err)
{
	int			n = bcf_get_genotypes(r->hdr, r->rec, &r->gt_arr, &r->n_gt_arr);
	int			ploidy;

	out->has_gt = n > 0 && r->n_sample > 0 && r->n_cols > 0;
	if (!out->has_gt)
	{
		for (int s = 0; s < r->n_sample; s++)
		{
			r->gt_out[2 * s] = VF_ALLELE_MISSING;
			r->gt_out[2 * s + 1] = VF_ALLELE_MISSING;
			r->phased[s] = false;
		}
		return 0;
	}
	ploidy = n / r->n_cols;
	for (int s = 0; s < r->n_sample; s++)
	{
		const int  *p = r->gt_arr + (size_t) r->order[s] * ploidy;
		int			a[2];

		if (ploidy > 2 && p[2] != bcf_int32_vector_end)
		{
			vf_error(err, VF_ERR_UNSUPPORTED, "sample \"%s\" has a GT of ploidy %d at %s:%" PRId64,
					 vf_vcf_sample(r, s), ploidy, bcf_seqname(r->hdr, r->rec), (int64_t) r->rec->pos + 1);
			vf_error_detail(err, "Only haploid and diploid calls are supported.");
			return -1;
		}
		for (int h = 0; h < 2; h++)
		{
			int			v = h < ploidy ? p[h] : bcf_int32_vector_end;

			if (v == bcf_int32_vector_end)
				a[h] = VF_ALLELE_NONE;
			else if (bcf_gt_is_missing(v))
				a[h] = VF_ALLELE_MISSING;
			else
			{
				a[h] = bcf_gt_allele(v);
				/* a BCF may hold any integer: negative ones (not missing) are no allele either */
				if (a[h] < 0 || a[h] >= r->rec->n_allele)
				{
					vf_error(err, VF_ERR_CORRUPT, "sample \"%s\" has GT allele %d at %s:%" PRId64 ", but the record has %d ALT allele%s",
							 vf_vcf_sample(r, s), a[h], bcf_seqname(r->hdr, r->rec), (int64_t) r->rec->pos + 1,
							 r->rec->n_allele - 1, r->rec->n_allele == 2 ? "" : "s");
					return -1;
				}
			}
		}
		if (a[0] == VF_ALLELE_NONE)		/* an empty GT: treat as one missing allele */
			a[0] = VF_ALLELE_MISSING;
		r->gt_out[2 * s] = a[0];
		r->gt_out[2 * s + 1] = a[1];
		r->phased[s] = a[1] == VF_ALLELE_NONE || bcf_gt_is_phased(p[1]);
	}
	return 0;
}

static int
decode_ds(VfVcfReader *r, VfVcfRecord *out, VfError *err)
{
	int			n_alt = r->rec->n_allele - 1;
	int			n,
				per;
	size_t		need;

	out->ds = NULL;
	if (!r->ds_declared || n_alt < 1 || r->n_sample == 0)
		return 0;
	n = bcf_get_format_float(r->hdr, r->rec, "DS", &r->ds_arr, &r->n_ds_arr);
	if (n <= 0)
		return 0;
	per = n / r->n_cols;
	need = (size_t) n_alt * (size_t) r->n_sample;
	if (need > r->ds_cap)
	{
		float	   *p = realloc(r->ds_out, need * sizeof(float));

		if (p == NULL)
			return vf_error(err, VF_ERR_NOMEM, "out of memory reading FORMAT/DS");
		r->ds_out = p;
		r->ds_cap = need;
	}
	for (int s = 0; s < r->n_sample; s++)
	{
		bool		any = false;

		for (int a = 0; a < n_alt; a++)
		{
			float		v = NAN;

			if (a < per)
			{
				float		x = r->ds_arr[(size_t) r->order[s] * per + a];

				if (!bcf_float_is_missing(x) && !bcf_float_is_vector_end(x) && isfinite(x))
				{
					v = x;
					any = true;
				}
			}
			r->ds_out[(size_t) s * n_alt + a] = v;
		}
		r->has_ds[s] = any;
	}
	out->ds = r->ds_out;
	return 0;
}

int
vf_vcf_next(VfVcfReader *r, VfVcfRecord *out, VfError *err)
{
	int			rc = read_raw(r, err);

	if (rc <= 0)
		return rc;
	if (bcf_unpack(r->rec, BCF_UN_STR) != 0)
		return vf_error(err, VF_ERR_CORRUPT, "could not decode a record of \"%s\"", r->path);
	out->chrom = bcf_seqname_safe(r->hdr, r->rec);
	out->pos = (int64_t) r->rec->pos + 1;
	out->rlen = (int64_t) r->rec->rlen;
	out->id = strcmp(r->rec->d.id, ".") == 0 ? NULL : r->rec->d.id;
	out->n_allele = r->rec->n_allele;
	out->allele = r->rec->d.allele;
	out->n_sample = r->n_sample;
	out->gt = r->gt_out;
	out->phased = r->phased;
	out->has_ds = r->has_ds;
	if (decode_gt(r, out, err) != 0 || decode_ds(r, out, err) != 0)
		return -1;
	return 1;
}

VfVcfRecordKind
vf_vcf_record_kind(const VfVcfRecord *rec)
{
	VfVcfRecordKind kind = VF_VCF_STORABLE;

	for (int i = 0; i < rec->n_allele; i++)
	{
		const char *a = rec->allele[i];

		if (i > 0 && (a[0] == '<' || strchr(a, '[') || strchr(a, ']')))
		{
			if (strcasecmp(a, "<DEL>") && strcasecmp(a, "<*>") && strcasecmp(a, "<NON_REF>"))
				return VF_VCF_SYMBOLIC;
			continue;
		}
		if (i > 0 && strcmp(a, "*") == 0)
			continue;
		for (const char *p = a; *p; p++)
			if (!strchr("ACGTNacgtn", *p))
				kind = VF_VCF_BAD_ALLELE;
	}
	return kind;
}

void
vf_vcf_upper_alleles(VfVcfRecord *rec)
{
	for (int i = 0; i < rec->n_allele; i++)
		for (char *p = rec->allele[i]; *p; p++)
			*p = (char) toupper((unsigned char) *p);
}

void
vf_vcf_close(VfVcfReader *r)
{
	if (r == NULL)
		return;
	if (r->itr)
		hts_itr_destroy(r->itr);
	if (r->tbx)
		tbx_destroy(r->tbx);
	if (r->idx)
		hts_idx_destroy(r->idx);
	if (r->rec)
		bcf_destroy(r->rec);
	if (r->hdr)
		bcf_hdr_destroy(r->hdr);
	if (r->fp)
		hts_close(r->fp);
	free(r->line.s);
	free(r->gt_arr);
	free(r->ds_arr);
	free(r->gt_out);
	free(r->phased);
	free(r->has_ds);
	free(r->ds_out);
	free(r->order);
	free(r->path);
	free(r);
}
