/*
 * genotype_codec.c: VfCalls <-> the compact genotype encoding (layout in genotype_codec.h).
 * Plain C. The decoder treats its input as hostile: it arrives through binary recv.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/types/genotype_codec.h"
#include "varformer/common/region.h"

#define F_GENERAL	0x01
#define F_PHASED	0x02
#define F_ID		0x04
#define F_ID_RS		0x08
#define F_DS_SHIFT	4
#define F_DS_MASK	0x30
#define DS_NONE		0
#define DS_MILLI	1
#define DS_FLOAT	2
#define F_RLEN		0x40		/* general only */
#define F_WIDE_GT	0x80		/* general only */

const char *const vf_snv_alleles[25][2] = {
	{"A", "A"}, {"A", "C"}, {"A", "G"}, {"A", "T"}, {"A", "N"},
	{"C", "A"}, {"C", "C"}, {"C", "G"}, {"C", "T"}, {"C", "N"},
	{"G", "A"}, {"G", "C"}, {"G", "G"}, {"G", "T"}, {"G", "N"},
	{"T", "A"}, {"T", "C"}, {"T", "G"}, {"T", "T"}, {"T", "N"},
	{"N", "A"}, {"N", "C"}, {"N", "G"}, {"N", "T"}, {"N", "N"},
};

/* ---------- buffer ---------- */

void
vf_buf_init(VfBuf *b, VfReallocFn fn)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->realloc_fn = fn;
}

int
vf_buf_reserve(VfBuf *b, size_t extra, VfError *err)
{
	size_t		need = b->len + extra;
	size_t		ncap;
	void	   *p;

	if (need <= b->cap)
		return 0;
	if (need > VF_GENOTYPE_MAX_BYTES + 1024)
		return vf_error(err, VF_ERR_LIMIT, "genotype value would exceed %zu MB",
						VF_GENOTYPE_MAX_BYTES >> 20);
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap *= 2;
	if (ncap > VF_GENOTYPE_MAX_BYTES + 1024)
		ncap = VF_GENOTYPE_MAX_BYTES + 1024;	/* stays under palloc's 1 GB */
	p = b->realloc_fn ? b->realloc_fn(b->data, ncap) : realloc(b->data, ncap);
	if (p == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory encoding a genotype");
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
vf_buf_append(VfBuf *b, const void *p, size_t n, VfError *err)
{
	if (vf_buf_reserve(b, n, err) != 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void
vf_buf_free(VfBuf *b)
{
	free(b->data);
	vf_buf_init(b, b->realloc_fn);
}

static inline void
put_u8(VfBuf *b, uint8_t v)
{
	b->data[b->len++] = v;
}

static inline void
put_varint(VfBuf *b, uint64_t v)
{
	while (v >= 0x80)
	{
		b->data[b->len++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	b->data[b->len++] = (uint8_t) v;
}

/* ---------- validation ---------- */

static int
is_base(char c)
{
	return c == 'A' || c == 'C' || c == 'G' || c == 'T' || c == 'N';
}

int
vf_allele_valid(const char *a, int is_ref)
{
	size_t		n = 0;

	if (!is_ref && (strcmp(a, "*") == 0 || strcmp(a, "<DEL>") == 0 ||
					strcmp(a, "<*>") == 0 || strcmp(a, "<NON_REF>") == 0))
		return 1;
	for (; a[n]; n++)
		if (!is_base(a[n]) || n >= VF_MAX_ALLELE_LEN)
			return 0;
	return n > 0;
}

static int
id_bytes_valid(const uint8_t *s, size_t n)
{
	if (n == 0 || n > VF_MAX_ID_LEN || (n == 1 && s[0] == '.'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isgraph(s[i]))
			return 0;
	return 1;
}

static int
id_valid(const char *id)
{
	size_t		n = strnlen(id, VF_MAX_ID_LEN + 1);	/* MAX + 1: too long */

	return id_bytes_valid((const uint8_t *) id, n);
}

/* Per-call checks: position, allele indices, dosages. */
static int
validate_calls_part(const VfCall *c, int64_t start, int64_t end, int64_t prev_pos, VfError *err)
{
	if (c->pos < start || c->pos > end)
	{
		vf_error(err, VF_ERR_DATA, "call at position %" PRId64 " is outside the genotype's region %" PRId64 "-%" PRId64,
				 c->pos, start, end);
		vf_error_hint(err, "Every call's position must lie inside the region the genotype covers.");
		return -1;
	}
	if (c->pos < prev_pos)
	{
		vf_error(err, VF_ERR_DATA, "call at position %" PRId64 " comes after position %" PRId64 ": calls must be sorted by position",
				 c->pos, prev_pos);
		return -1;
	}
	for (int h = 0; h < 2; h++)
	{
		int			g = c->gt[h];

		if (g == VF_ALLELE_NONE && h == 0)
			return vf_error(err, VF_ERR_DATA, "call at position %" PRId64 " has no first allele", c->pos);
		if (g < VF_ALLELE_NONE || g >= c->n_allele)
		{
			vf_error(err, VF_ERR_DATA, "call at position %" PRId64 " has allele index %d, but only %d allele%s",
					 c->pos, g, c->n_allele, c->n_allele == 1 ? "" : "s");
			vf_error_hint(err, "Allele indices count REF as 0 and ALTs from 1.");
			return -1;
		}
	}
	if (c->ds != NULL)
		for (int i = 0; i < c->n_allele - 1; i++)
			if (isinf(c->ds[i]))
				return vf_error(err, VF_ERR_DATA, "call at position %" PRId64 " has an infinite dosage", c->pos);
	/* the text form prints END=pos+rlen-1, which must parse back (END <= VF_POS_MAX) */
	if (c->rlen > VF_POS_MAX - c->pos + 1)
	{
		vf_error(err, VF_ERR_DATA, "call at position %" PRId64 " has reference length %" PRId64 ", so its END lies beyond %" PRId64,
				 c->pos, c->rlen, VF_POS_MAX);
		return -1;
	}
	return 0;
}

static int	rs_number(const char *id, uint64_t *out);

int
vf_site_prepare(const VfCall *c, VfSite *site, VfError *err)
{
	size_t		ref_len;

	if (c->n_allele < 1 || c->n_allele > VF_MAX_ALLELES)
		return vf_error(err, VF_ERR_DATA, "call at position %" PRId64 " has %d alleles (1 to %d allowed)",
						c->pos, c->n_allele, VF_MAX_ALLELES);
	site->need = 10 + 2 + 20 + 20 + (size_t) c->n_allele * 10;
	for (int i = 0; i < c->n_allele; i++)
	{
		if (c->allele[i] == NULL || !vf_allele_valid(c->allele[i], i == 0))
		{
			vf_error(err, VF_ERR_DATA, "call at position %" PRId64 " has an invalid %s allele \"%.40s\"",
					 c->pos, i == 0 ? "REF" : "ALT", c->allele[i] ? c->allele[i] : "(null)");
			vf_error_hint(err, i == 0 ? "REF must be A, C, G, T or N bases (upper case)."
						  : "An ALT must be A, C, G, T or N bases (upper case), or one of *, <DEL>, <*>, <NON_REF>.");
			return -1;
		}
		site->need += strlen(c->allele[i]);
	}
	if (c->id != NULL && !id_valid(c->id))
	{
		vf_error(err, VF_ERR_DATA, "call at position %" PRId64 " has an invalid ID \"%.40s\"", c->pos, c->id);
		vf_error_hint(err, "An ID is 1 to %d bytes without whitespace, and not \".\" (omit it when there is none).",
					  VF_MAX_ID_LEN);
		return -1;
	}
	if (c->rlen < 0 || c->rlen > VF_POS_MAX)
		return vf_error(err, VF_ERR_DATA, "call at position %" PRId64 " has an invalid reference length %" PRId64,
						c->pos, c->rlen);

	ref_len = strlen(c->allele[0]);
	site->rlen = c->rlen == (int64_t) ref_len ? 0 : c->rlen;
	site->snv = -1;
	if (c->n_allele == 2 && site->rlen == 0)
	{
		int			rc = vf_snv_base(c->allele[0]),
					ac = vf_snv_base(c->allele[1]);

		if (rc >= 0 && ac >= 0)
			site->snv = rc * 5 + ac;
	}
	site->is_rs = 0;
	site->rs = 0;
	site->id_len = 0;
	if (c->id != NULL)
	{
		site->is_rs = rs_number(c->id, &site->rs);
		site->id_len = strlen(c->id);
		site->need += site->id_len;
	}
	site->need += (size_t) (c->n_allele - 1) * 10;	/* DS */
	return 0;
}

int
vf_call_validate(const VfCall *c, int64_t start, int64_t end, int64_t prev_pos, VfError *err)
{
	VfSite		site;

	if (vf_site_prepare(c, &site, err) != 0)
		return -1;
	return validate_calls_part(c, start, end, prev_pos, err);
}

/* ---------- encoder ---------- */

int
vf_snv_base(const char *a)
{
	if (a[0] == '\0' || a[1] != '\0')
		return -1;
	switch (a[0])
	{
		case 'A': return 0;
		case 'C': return 1;
		case 'G': return 2;
		case 'T': return 3;
		case 'N': return 4;
	}
	return -1;
}

static inline unsigned
gt_code(int g)
{
	return g == VF_ALLELE_NONE ? 0 : g == VF_ALLELE_MISSING ? 1 : (unsigned) g + 2;
}

/* "rs" followed by a decimal number without leading zeros that fits 62 bits. */
static int
rs_number(const char *id, uint64_t *out)
{
	uint64_t	v = 0;
	const char *p = id + 2;

	if (id[0] != 'r' || id[1] != 's' || *p < '1' || *p > '9')
		return 0;
	for (; *p; p++)
	{
		if (*p < '0' || *p > '9' || v > (UINT64_C(1) << 58))
			return 0;
		v = v * 10 + (uint64_t) (*p - '0');
	}
	*out = v;
	return 1;
}

/* DS values that are exact thousandths round-trip through a varint. */
static int
ds_kind(const VfCall *c)
{
	if (c->ds == NULL || c->n_allele < 2)
		return DS_NONE;
	for (int i = 0; i < c->n_allele - 1; i++)
	{
		float		v = c->ds[i];
		double		m;

		if (isnan(v) || v < 0 || v > 1e6)
			return DS_FLOAT;
		m = nearbyint((double) v * 1000.0);
		if ((float) (m / 1000.0) != v)
			return DS_FLOAT;
	}
	return DS_MILLI;
}

void
vf_calls_encoder_init(VfCallsEncoder *e, int64_t start, int64_t end, VfReallocFn fn)
{
	vf_buf_init(&e->body, fn);
	e->start = start;
	e->end = end;
	e->prev_pos = start;
	e->n_call = 0;
	e->listed = false;
}

int
vf_calls_encoder_add(VfCallsEncoder *e, const VfCall *c, VfError *err)
{
	VfSite		site;

	if (vf_site_prepare(c, &site, err) != 0)
		return -1;
	return vf_calls_encoder_add_site(e, c, &site, err);
}

int
vf_calls_encoder_add_site(VfCallsEncoder *e, const VfCall *c, const VfSite *site, VfError *err)
{
	VfBuf	   *b = &e->body;
	int			dsk;
	unsigned	g0 = gt_code(c->gt[0]);
	unsigned	g1 = gt_code(c->gt[1]);
	uint8_t		flags = 0;

	if (validate_calls_part(c, e->start, e->end, e->prev_pos, err) != 0)
		return -1;
	if (e->n_call >= VF_MAX_CALLS)
		return vf_error(err, VF_ERR_LIMIT, "a genotype holds at most %d calls", VF_MAX_CALLS);
	if (vf_buf_reserve(b, site->need, err) != 0)
		return -1;

	dsk = ds_kind(c);
	put_varint(b, (uint64_t) (c->pos - e->prev_pos));
	if (c->phased || c->gt[1] == VF_ALLELE_NONE)
		flags |= F_PHASED;
	if (c->id != NULL)
		flags |= F_ID | (site->is_rs ? F_ID_RS : 0);
	flags |= (uint8_t) (dsk << F_DS_SHIFT);

	if (site->snv >= 0)
	{
		put_u8(b, flags | (uint8_t) (g0 << 6));
		put_u8(b, (uint8_t) (site->snv | (g1 << 5)));
	}
	else
	{
		int			wide = g0 > 15 || g1 > 15;

		flags |= F_GENERAL | (site->rlen ? F_RLEN : 0) | (wide ? F_WIDE_GT : 0);
		put_u8(b, flags);
		put_varint(b, (uint64_t) c->n_allele);
		for (int i = 0; i < c->n_allele; i++)
		{
			size_t		n = strlen(c->allele[i]);

			put_varint(b, n);
			memcpy(b->data + b->len, c->allele[i], n);
			b->len += n;
		}
		if (wide)
		{
			put_varint(b, g0);
			put_varint(b, g1);
		}
		else
			put_u8(b, (uint8_t) (g0 | (g1 << 4)));
		if (site->rlen)
			put_varint(b, (uint64_t) site->rlen);
	}
	if (site->is_rs)
		put_varint(b, site->rs);
	else if (c->id != NULL)
	{
		put_varint(b, site->id_len);
		memcpy(b->data + b->len, c->id, site->id_len);
		b->len += site->id_len;
	}
	if (dsk != DS_NONE)
	{
		for (int i = 0; i < c->n_allele - 1; i++)
		{
			if (dsk == DS_MILLI)
				put_varint(b, (uint64_t) nearbyint((double) c->ds[i] * 1000.0));
			else
			{
				uint32_t	u;
				float		v = isnan(c->ds[i]) ? NAN : c->ds[i];

				/* stored NaNs are all the one NaN (equal values, equal bytes) */
				memcpy(&u, &v, 4);
				for (int k = 0; k < 4; k++)
					put_u8(b, (uint8_t) (u >> (8 * k)));
			}
		}
	}
	e->prev_pos = c->pos;
	e->n_call++;
	return 0;
}

int
vf_calls_encoder_finish(VfCallsEncoder *e, const char *chrom, VfBuf *out, VfError *err)
{
	size_t		n = strlen(chrom);

	if (n == 0 || n > VF_CHROM_MAX)
		return vf_error(err, VF_ERR_DATA, "contig name must be 1 to %d bytes", VF_CHROM_MAX);
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char) chrom[i]))
			return vf_error(err, VF_ERR_DATA, "contig name \"%.40s\" contains whitespace or a control character", chrom);
	if (e->start < 1 || e->end < e->start || e->end > VF_POS_MAX)
		return vf_error(err, VF_ERR_DATA, "invalid genotype region %" PRId64 "-%" PRId64, e->start, e->end);
	if (vf_buf_reserve(out, 2 + 10 + n + 30 + e->body.len, err) != 0)
		return -1;
	if (e->listed)
	{
		put_u8(out, VF_GENOTYPE_VERSION_FLAGS);
		put_u8(out, VF_GT_FLAG_LISTED);
	}
	else
		put_u8(out, VF_GENOTYPE_VERSION);
	put_varint(out, n);
	memcpy(out->data + out->len, chrom, n);
	out->len += n;
	put_varint(out, (uint64_t) e->start);
	put_varint(out, (uint64_t) (e->end - e->start));
	put_varint(out, (uint64_t) e->n_call);
	if (e->body.len)
		memcpy(out->data + out->len, e->body.data, e->body.len);
	out->len += e->body.len;
	return 0;
}

int
vf_calls_encode(const VfCalls *calls, VfBuf *out, VfError *err)
{
	VfCallsEncoder e;
	int			rc = 0;

	vf_calls_encoder_init(&e, calls->start, calls->end, out->realloc_fn);
	e.listed = calls->listed;
	for (int i = 0; i < calls->n_call && rc == 0; i++)
		rc = vf_calls_encoder_add(&e, &calls->call[i], err);
	if (rc == 0)
		rc = vf_calls_encoder_finish(&e, calls->chrom, out, err);
	if (out->realloc_fn == NULL)
		vf_buf_free(&e.body);
	return rc;
}

/* ---------- decoder ---------- */

typedef struct Cursor
{
	const uint8_t *p;
	const uint8_t *end;
	int			bad;
} Cursor;

static inline uint64_t
get_varint(Cursor *c)
{
	uint64_t	v = 0;

	/*
	 * One or two bytes (position gaps, dosages in thousandths, small lengths) without a
	 * branch on which: the length of each is random from call to call, and mispredicting
	 * it was the largest cost of decoding.
	 */
	if (c->end - c->p >= 2 && !(c->p[0] & c->p[1] & 0x80))
	{
		unsigned	b0 = c->p[0],
					b1 = c->p[1],
					two = b0 >> 7;

		v = (b0 & 0x7f) | ((uint64_t) (b1 & ((0u - two) & 0x7f)) << 7);
		c->p += 1 + two;
		return v;
	}
	for (int shift = 0; shift < 64; shift += 7)
	{
		uint8_t		b;

		if (c->p >= c->end)
			break;
		b = *c->p++;
		v |= (uint64_t) (b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	c->bad = 1;
	return 0;
}

static inline uint8_t
get_u8(Cursor *c)
{
	if (c->p >= c->end)
	{
		c->bad = 1;
		return 0;
	}
	return *c->p++;
}

static inline const uint8_t *
get_bytes(Cursor *c, uint64_t n)
{
	const uint8_t *s = c->p;

	if (n > (uint64_t) (c->end - c->p))
	{
		c->bad = 1;
		return NULL;
	}
	c->p += n;
	return s;
}

static int
corrupt(VfError *err, const char *what)
{
	vf_error(err, VF_ERR_CORRUPT, "invalid genotype bytes: %s", what);
	return -1;
}

int
vf_genotype_decode_header(const uint8_t *p, size_t len, VfGenotypeHeader *h, VfError *err)
{
	Cursor		c = {p, p + len, 0};
	uint64_t	v,
				span,
				n;

	if (len < 1 || (p[0] != VF_GENOTYPE_VERSION && p[0] != VF_GENOTYPE_VERSION_FLAGS))
		return corrupt(err, "unknown format version");
	c.p++;
	h->listed = false;
	if (p[0] == VF_GENOTYPE_VERSION_FLAGS)
	{
		uint8_t		flags = get_u8(&c);

		/* region coverage is written as version 1: one encoding per value */
		if (c.bad || flags != VF_GT_FLAG_LISTED)
			return corrupt(err, "unknown coverage flags");
		h->listed = true;
	}
	n = get_varint(&c);
	if (c.bad || n == 0 || n > VF_CHROM_MAX)
		return corrupt(err, "bad contig name length");
	h->chrom = (const char *) get_bytes(&c, n);
	h->chrom_len = (size_t) n;
	v = get_varint(&c);
	span = get_varint(&c);
	n = get_varint(&c);
	if (c.bad)
		return corrupt(err, "truncated header");
	if (v < 1 || v > (uint64_t) VF_POS_MAX || span > (uint64_t) VF_POS_MAX - v)
		return corrupt(err, "region out of range");
	if (n > VF_MAX_CALLS)
		return corrupt(err, "too many calls");
	for (size_t i = 0; i < h->chrom_len; i++)
		if (!isgraph((unsigned char) h->chrom[i]))
			return corrupt(err, "contig name has a control character");
	h->start = (int64_t) v;
	h->end = (int64_t) (v + span);
	h->n_call = (int) n;
	h->body_off = (size_t) (c.p - p);
	return 0;
}

/* Sizes pass 1 gathers so pass 2 can fill one block. */
typedef struct DecodeSizes
{
	size_t		n_allele_ptr;
	size_t		n_float;
	size_t		n_char;
} DecodeSizes;

/*
 * The walk over the calls: with out == NULL it only checks and measures; otherwise it fills
 * out->call[], taking pointer arrays, floats and characters from the three arenas. Each
 * step below reads one part of a call (the hot loop of every decode: they inline).
 */
typedef struct Walk
{
	Cursor		c;
	DecodeSizes *sz;
	VfCall	   *out;
	const char **ptr_arena;
	float	   *float_arena;
	char	   *char_arena;
	bool		with_ids;
	VfError    *err;
	VfPosCall  *pos_out;		/* VfPosCalls form: every call here, general ones in out[] */
	int			n_general;
} Walk;

/* A call's alleles and genotype as read (gt codes: 0 none, else allele index + 2). */
typedef struct CallShape
{
	int			n_allele;
	unsigned	g0,
				g1;
	int64_t		rlen;			/* 0: strlen of REF */
	unsigned	snv_code;		/* compact SNV: REF*5+ALT */
	const char **alleles;		/* NULL when only measuring */
} CallShape;

/* A biallelic SNV packed in the flags and one byte. */
static inline int
walk_snv(Walk *w, uint8_t flags, CallShape *cs)
{
	uint8_t		b = get_u8(&w->c);
	unsigned	code = b & 0x1f;

	if (w->c.bad || code >= 25 || (b & 0x80))
		return corrupt(w->err, "bad SNV alleles");
	cs->n_allele = 2;
	cs->snv_code = code;
	cs->rlen = 1;				/* strlen of the one-base REF, without calling strlen */
	cs->g0 = flags >> 6;
	cs->g1 = (b >> 5) & 0x3;
	if (cs->alleles)
	{
		cs->alleles[0] = vf_snv_alleles[code][0];
		cs->alleles[1] = vf_snv_alleles[code][1];
	}
	return 0;
}

/* Any other call: its alleles spelled out, then GT and, when it differs, REF's length. */
static inline int
walk_general(Walk *w, uint8_t flags, CallShape *cs)
{
	uint64_t	na = get_varint(&w->c);

	if (w->c.bad || na < 1 || na > VF_MAX_ALLELES)
		return corrupt(w->err, "bad allele count");
	cs->n_allele = (int) na;
	for (int a = 0; a < cs->n_allele; a++)
	{
		uint64_t	n = get_varint(&w->c);
		const uint8_t *s = w->c.bad ? NULL : get_bytes(&w->c, n);

		if (s == NULL || n == 0 || n > VF_MAX_ALLELE_LEN)
			return corrupt(w->err, "bad allele length");
		if (cs->alleles)
		{
			char	   *d = w->char_arena + w->sz->n_char;

			memcpy(d, s, n);
			d[n] = '\0';
			cs->alleles[a] = d;
			if (!vf_allele_valid(d, a == 0))
				return corrupt(w->err, "invalid allele");
		}
		w->sz->n_char += n + 1;
	}
	if (flags & F_WIDE_GT)
	{
		uint64_t	a = get_varint(&w->c),
					b = get_varint(&w->c);

		if (a > VF_MAX_ALLELES + 2 || b > VF_MAX_ALLELES + 2)
			return corrupt(w->err, "bad GT");
		cs->g0 = (unsigned) a;
		cs->g1 = (unsigned) b;
	}
	else
	{
		uint8_t		b = get_u8(&w->c);

		cs->g0 = b & 0xf;
		cs->g1 = b >> 4;
	}
	if (flags & F_RLEN)
	{
		uint64_t	r = get_varint(&w->c);

		if (r < 1 || r > (uint64_t) VF_POS_MAX)
			return corrupt(w->err, "bad reference length");
		cs->rlen = (int64_t) r;
	}
	if (w->c.bad)
		return corrupt(w->err, "truncated call");
	return 0;
}

/* "rs" and the decimal digits of rs into d (at most 23 bytes with the NUL). */
static inline void
format_rsid(char *d, uint64_t rs)
{
	/* by hand: snprintf was a quarter of predict_expression's time */
	char		digits[24];
	int			nd = 0;

	do
		digits[nd++] = (char) ('0' + rs % 10);
	while ((rs /= 10) != 0);
	d[0] = 'r';
	d[1] = 's';
	for (int k = 0; k < nd; k++)
		d[2 + k] = digits[nd - 1 - k];
	d[2 + nd] = '\0';
}

/* The call's ID, an rsID as its number or any other spelled out (o NULL: measuring). */
static inline int
walk_id(Walk *w, uint8_t flags, VfCall *o)
{
	if (!(flags & F_ID))
		return (flags & F_ID_RS) ? corrupt(w->err, "rsID flag without ID") : 0;
	if (flags & F_ID_RS)
	{
		uint64_t	rs = get_varint(&w->c);

		if (w->c.bad || rs == 0)
			return corrupt(w->err, "bad rsID");
		if (o && w->with_ids)
		{
			char	   *d = w->char_arena + w->sz->n_char;

			format_rsid(d, rs);
			o->id = d;
		}
		w->sz->n_char += 24;
	}
	else
	{
		uint64_t	n = get_varint(&w->c);
		const uint8_t *s = w->c.bad ? NULL : get_bytes(&w->c, n);

		if (s == NULL || n == 0 || n > VF_MAX_ID_LEN)
			return corrupt(w->err, "bad ID");
		if (!id_bytes_valid(s, (size_t) n))
			return corrupt(w->err, "invalid ID");
		if (o)
		{
			char	   *d = w->char_arena + w->sz->n_char;

			memcpy(d, s, n);
			d[n] = '\0';
			o->id = w->with_ids ? d : NULL;
		}
		w->sz->n_char += n + 1;
	}
	return 0;
}

/* One dosage value, in thousandths or as a float. */
static inline int
get_dosage(Walk *w, int dsk, float *out)
{
	float		v;

	if (dsk == DS_MILLI)
	{
		uint64_t	m = get_varint(&w->c);

		if (m > 1000000000)
			return corrupt(w->err, "bad dosage");
		/*
		 * The value the encoder checked, (float) (m / 1000.0), by a multiplication: the
		 * division was a sixth of decoding a genotype, and the two give the same float for
		 * every m accepted here (0 to 10^9, checked one by one in genotype_test).
		 */
		v = (float) ((double) m * 0.001);
	}
	else
	{
		const uint8_t *s = get_bytes(&w->c, 4);
		uint32_t	u;

		if (s == NULL)
			return corrupt(w->err, "truncated dosage");
		u = (uint32_t) s[0] | (uint32_t) s[1] << 8 | (uint32_t) s[2] << 16 | (uint32_t) s[3] << 24;
		memcpy(&v, &u, 4);
		if (isinf(v))
			return corrupt(w->err, "infinite dosage");
		/*
		 * One NaN: another payload or sign would survive re-encoding, and two values whose
		 * texts are equal would then compare unequal.
		 */
		if (isnan(v))
			v = NAN;
	}
	*out = v;
	return 0;
}

/* One dosage per ALT (o NULL: measuring). */
static inline int
walk_dosages(Walk *w, int dsk, int n_allele, VfCall *o)
{
	float	   *d = o ? w->float_arena + w->sz->n_float : NULL;

	for (int a = 0; a < n_allele - 1; a++)
	{
		float		v;

		if (get_dosage(w, dsk, &v) < 0)
			return -1;
		if (d)
			d[a] = v;
	}
	if (o)
		o->ds = d;
	w->sz->n_float += (size_t) (n_allele - 1);
	return 0;
}

/* A call's position: *pos advanced by delta, which must stay inside the region. */
static inline int
step_pos(Walk *w, const VfGenotypeHeader *h, int64_t *pos, uint64_t delta)
{
	if (w->c.bad || delta > (uint64_t) (h->end - *pos))
		return corrupt(w->err, "call position outside the region");
	*pos += (int64_t) delta;
	return 0;
}

/* What every call's alleles, GT and DS kind must satisfy, whichever form reads it. */
static inline int
check_shape(Walk *w, const CallShape *cs, int dsk, int64_t pos)
{
	if (cs->g0 == 0 || (int64_t) cs->g0 - 2 >= cs->n_allele || (int64_t) cs->g1 - 2 >= cs->n_allele)
		return corrupt(w->err, "allele index out of range");
	/* END (pos + rlen - 1) is printed and must read back; rlen 0 means REF's length */
	if (cs->rlen > VF_POS_MAX - pos + 1)
		return corrupt(w->err, "END beyond the largest position");
	if (dsk == 3 || (dsk != DS_NONE && cs->n_allele < 2))
		return corrupt(w->err, "bad dosage kind");
	return 0;
}

/* One call at *pos (advanced by its delta); o NULL when only measuring. */
static inline int
walk_call(Walk *w, const VfGenotypeHeader *h, int64_t *pos, VfCall *o)
{
	uint64_t	delta = get_varint(&w->c);
	uint8_t		flags = get_u8(&w->c);
	int			dsk = (flags & F_DS_MASK) >> F_DS_SHIFT;
	CallShape	cs = {0};

	if (step_pos(w, h, pos, delta) < 0)
		return -1;
	if (o)
		cs.alleles = w->ptr_arena + w->sz->n_allele_ptr;
	if ((!(flags & F_GENERAL) ? walk_snv(w, flags, &cs) : walk_general(w, flags, &cs)) < 0)
		return -1;
	if (check_shape(w, &cs, dsk, *pos) < 0)
		return -1;
	if (o)
	{
		o->pos = *pos;
		o->n_allele = cs.n_allele;
		o->allele = cs.alleles;
		o->gt[0] = (int) cs.g0 - 2;
		o->gt[1] = cs.g1 == 0 ? VF_ALLELE_NONE : (int) cs.g1 - 2;
		o->phased = (flags & F_PHASED) != 0;
		o->rlen = cs.rlen ? cs.rlen : (int64_t) strlen(cs.alleles[0]);
		o->id = NULL;
		o->ds = NULL;
	}
	w->sz->n_allele_ptr += (size_t) cs.n_allele;
	if (walk_id(w, flags, o) < 0)
		return -1;
	if (dsk != DS_NONE && walk_dosages(w, dsk, cs.n_allele, o) < 0)
		return -1;
	if (w->c.bad)
		return corrupt(w->err, "truncated call");
	return 0;
}

/*
 * One call in the VfPosCalls form: a compact SNV straight into its record, with walk_call's
 * checks; any other call by walk_call into the next general slot.
 */
static inline int
walk_pos_call(Walk *w, const VfGenotypeHeader *h, int64_t *pos, VfPosCall *pc)
{
	Cursor		at = w->c;
	uint64_t	delta = get_varint(&w->c);
	uint8_t		flags = get_u8(&w->c);
	int			dsk = (flags & F_DS_MASK) >> F_DS_SHIFT;
	CallShape	cs = {0};
	float		ds = NAN;

	if (flags & F_GENERAL)
	{
		w->c = at;
		if (walk_call(w, h, pos, &w->out[w->n_general]) < 0)
			return -1;
		w->n_general++;
		pc->pos = *pos;
		pc->snv = 0;
		return 0;
	}
	if (step_pos(w, h, pos, delta) < 0 || walk_snv(w, flags, &cs) < 0 ||
		check_shape(w, &cs, dsk, *pos) < 0 || walk_id(w, flags, NULL) < 0)
		return -1;
	if (dsk != DS_NONE && get_dosage(w, dsk, &ds) < 0)
		return -1;
	if (w->c.bad)
		return corrupt(w->err, "truncated call");
	pc->pos = *pos;
	pc->ds = ds;
	pc->snv = (uint8_t) (1 + cs.snv_code);
	pc->gt[0] = (int8_t) ((int) cs.g0 - 2);
	pc->gt[1] = (int8_t) (cs.g1 == 0 ? VF_ALLELE_NONE : (int) cs.g1 - 2);
	return 0;
}

/* Walks every call (see Walk). */
static int
walk_calls(Walk *w, const VfGenotypeHeader *h)
{
	int64_t		pos = h->start;

	if (w->pos_out)
	{
		for (int i = 0; i < h->n_call; i++)
			if (walk_pos_call(w, h, &pos, &w->pos_out[i]) < 0)
				return -1;
	}
	else
	{
		for (int i = 0; i < h->n_call; i++)
			if (walk_call(w, h, &pos, w->out ? &w->out[i] : NULL) < 0)
				return -1;
	}
	if (w->c.p != w->c.end)
		return corrupt(w->err, "trailing bytes");
	return 0;
}

/*
 * Lays out one block for sz and fills it by walking the calls; NULL (err set) on failure.
 * The block starts with a VfCalls, or a VfPosCalls and its records for VF_CALLS_POS.
 */
static void *
decode_into(const uint8_t *p, size_t len, const VfGenotypeHeader *h, const DecodeSizes *bound,
			void *(*alloc_fn) (size_t), VfCallsForm form, VfError *err)
{
	DecodeSizes sz = {0, 0, h->chrom_len + 1};
	size_t		head = form == VF_CALLS_POS
		? sizeof(VfPosCalls) + (size_t) h->n_call * sizeof(VfPosCall) : sizeof(VfCalls);
	size_t		total;
	char	   *block;
	VfCalls    *calls;
	VfPosCall  *pos = NULL;
	VfCall	   *call;
	const char **ptrs;
	float	   *floats;
	char	   *chars;
	Walk		w;

	total = head + (size_t) h->n_call * sizeof(VfCall) +
		bound->n_allele_ptr * sizeof(char *) + bound->n_float * sizeof(float) +
		bound->n_char + h->chrom_len + 1;
	if (total >= ((size_t) 1 << 30))	/* PostgreSQL's palloc limit, and plenty for one sample */
	{
		vf_error(err, VF_ERR_LIMIT, "genotype with %d calls is too large to decode (%zu MB)", h->n_call, total >> 20);
		return NULL;
	}
	block = alloc_fn ? alloc_fn(total) : malloc(total);
	if (block == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory decoding a genotype");
		return NULL;
	}
	if (form == VF_CALLS_POS)
	{
		VfPosCalls *pc = (VfPosCalls *) block;

		pos = (VfPosCall *) (pc + 1);
		pc->n_call = h->n_call;
		pc->call = pos;
		calls = &pc->general;
	}
	else
		calls = (VfCalls *) block;
	call = (VfCall *) (block + head);
	ptrs = (const char **) (call + h->n_call);
	floats = (float *) (ptrs + bound->n_allele_ptr);
	chars = (char *) (floats + bound->n_float);

	memcpy(chars, h->chrom, h->chrom_len);
	chars[h->chrom_len] = '\0';
	calls->chrom = chars;
	calls->start = h->start;
	calls->end = h->end;
	calls->n_call = h->n_call;
	calls->call = call;
	calls->listed = h->listed;

	w = (Walk) {{p + h->body_off, p + len, 0}, &sz, call, ptrs, floats, chars,
	form == VF_CALLS_FULL, err, pos, 0};
	if (walk_calls(&w, h) != 0)
	{
		if (!alloc_fn)
			free(block);
		return NULL;
	}
	if (pos)
		calls->n_call = w.n_general;
	return block;
}

void *
vf_calls_decode_form(const uint8_t *p, size_t len, void *(*alloc_fn) (size_t), VfCallsForm form,
					 VfError *err)
{
	VfGenotypeHeader h;
	DecodeSizes sz = {0, 0, 0};
	Walk		measure;

	if (vf_genotype_decode_header(p, len, &h, err) != 0)
		return NULL;

	/*
	 * One pass where the bytes bound the sizes: every call takes at least 2 bytes (position
	 * delta, flags), a general allele at least 2 (length, a base) and so at most one pointer,
	 * one float and its bytes in characters; an rsID expands to at most 24 characters. The
	 * measuring pass below cost as much as the filling one (predict_expression decodes each
	 * genotype of a cohort once), and the block is at most about twice the exact size.
	 */
	if ((uint64_t) h.n_call * 2 <= len - h.body_off)
	{
		size_t		body = len - h.body_off;
		DecodeSizes bound;

		bound.n_allele_ptr = (size_t) h.n_call * 2 + body / 2;
		bound.n_float = bound.n_allele_ptr;
		bound.n_char = (size_t) h.n_call * 24 + body;
		if (bound.n_char < ((size_t) 1 << 28))
			return decode_into(p, len, &h, &bound, alloc_fn, form, err);
	}
	measure = (Walk) {{p + h.body_off, p + len, 0}, &sz, NULL, NULL, NULL, NULL, false, err, NULL, 0};
	if (walk_calls(&measure, &h) != 0)
		return NULL;
	return decode_into(p, len, &h, &sz, alloc_fn, form, err);
}

VfCalls *
vf_calls_decode(const uint8_t *p, size_t len, void *(*alloc_fn) (size_t), VfError *err)
{
	return vf_calls_decode_form(p, len, alloc_fn, VF_CALLS_FULL, err);
}

VfCalls *
vf_calls_decode_no_ids(const uint8_t *p, size_t len, void *(*alloc_fn) (size_t), VfError *err)
{
	return vf_calls_decode_form(p, len, alloc_fn, VF_CALLS_NO_IDS, err);
}

VfPosCalls *
vf_calls_decode_pos(const uint8_t *p, size_t len, void *(*alloc_fn) (size_t), VfError *err)
{
	return vf_calls_decode_form(p, len, alloc_fn, VF_CALLS_POS, err);
}
