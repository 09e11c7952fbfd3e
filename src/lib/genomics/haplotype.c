/*
 * haplotype.c: one haplotype of one sample over a reference window, as bcftools consensus
 * builds it (plain C).
 *
 * bcftools consensus streams the FASTA and keeps a small edited buffer; the order and
 * state of its decisions are what make its output, so this file keeps the same state
 * (last frozen reference position, accumulated length change, the reference base a
 * deletion or SNV overwrote, whether the last applied record was an insertion) and takes
 * the same decisions in the same order, over the whole window at once. Streaming does not
 * change the result: bcftools only applies a record once its whole REF span is buffered,
 * and only the window's end can cut a record short.
 *
 * The rules, derived from bcftools 1.16 consensus.c/htslib vcf.c and confirmed by running
 * bcftools (test/checks/30_haplotype_bcftools.sh):
 *  - -H N takes allele N of the GT whatever the phasing; a missing allele ('.'), or no N-th
 *    allele (haploid call), leaves the site as reference; allele 0 changes nothing and
 *    freezes nothing.
 *  - Records starting before the window are ignored, records starting after it too. A
 *    record running past the window's end is cut there: its REF is compared only over the
 *    window, and an ALT longer than the cut REF is cut to the same length.
 *  - A record starting at or before the last reference base taken by an applied record is
 *    skipped, except an indel starting exactly there (its first REF and ALT bases equal)
 *    that does not follow an insertion.
 *  - REF is compared case-insensitively with the (already edited) buffer; where a previous
 *    SNV or deletion overwrote the first base, the overwritten base is compared instead.
 *    A mismatch is an error.
 *  - The ALT is written all upper or all lower case, as the buffer's base at the record's
 *    first position is. Indels whose first REF and ALT bases agree keep that base as it is.
 *  - <DEL> deletes POS+1..POS+rlen-1; <*> and <NON_REF> only freeze their span; other
 *    symbolic alleles are an error, as in bcftools. A '*' ALT that is not skipped as
 *    overlapping is written literally, as bcftools does.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "varformer/genomics/haplotype.h"

/*
 * The edited window as a gap buffer: s[0..len) is the edited head, ref[tail..) the untouched
 * rest. bcftools edits in place and memmoves the whole buffer behind each indel, which is
 * cheap on its 60-base lines but quadratic over a long window; records only ever edit near
 * the head's end, so moving untouched bases into the head on demand keeps it linear.
 */
typedef struct Buf
{
	char	   *s;
	size_t		len;
	size_t		cap;
	size_t		tail;
} Buf;

typedef struct MapBuilder
{
	int			n_shift,
				cap_shift;
	int64_t    *shift_ref,
			   *shift_delta;
	int			n_del,
				cap_del;
	int64_t    *del_from,
			   *del_to;
} MapBuilder;

static bool
buf_reserve(Buf *b, size_t need)
{
	char	   *s;
	size_t		cap;

	if (need + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < need + 1)
		cap *= 2;
	s = realloc(b->s, cap);
	if (s == NULL)
		return false;
	b->s = s;
	b->cap = cap;
	return true;
}

/* Makes the head hold the first `upto` bases of the edited window. */
static bool
buf_pull(Buf *b, const char *ref, size_t upto)
{
	size_t		n;

	if (b->len >= upto)
		return true;
	n = upto - b->len;
	if (!buf_reserve(b, upto))
		return false;
	memcpy(b->s + b->len, ref + b->tail, n);
	b->len += n;
	b->tail += n;
	return true;
}

static bool
grow_pair(int64_t **a, int64_t **b, int *cap, int n)
{
	int			ncap;
	int64_t    *na,
			   *nb;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 16;
	na = realloc(*a, sizeof(int64_t) * ncap);
	if (na == NULL)
		return false;
	*a = na;
	nb = realloc(*b, sizeof(int64_t) * ncap);
	if (nb == NULL)
		return false;
	*b = nb;
	*cap = ncap;
	return true;
}

/* From reference position `from` on, the haplotype is `delta` bases longer. */
static bool
map_shift(MapBuilder *m, int64_t from, int64_t delta)
{
	if (m->n_shift > 0 && m->shift_ref[m->n_shift - 1] == from)
	{
		m->shift_delta[m->n_shift - 1] = delta;
		return true;
	}
	if (!grow_pair(&m->shift_ref, &m->shift_delta, &m->cap_shift, m->n_shift))
		return false;
	m->shift_ref[m->n_shift] = from;
	m->shift_delta[m->n_shift] = delta;
	m->n_shift++;
	return true;
}

static bool
map_deleted(MapBuilder *m, int64_t from, int64_t to)
{
	if (from > to)
		return true;
	if (!grow_pair(&m->del_from, &m->del_to, &m->cap_del, m->n_del))
		return false;
	m->del_from[m->n_del] = from;
	m->del_to[m->n_del] = to;
	m->n_del++;
	return true;
}

/*
 * Whether htslib classifies ref -> alt as an indel (VCF_INDEL), for plain-base alleles:
 * strip the common prefix; if one side is used up it is a pure insertion/deletion;
 * otherwise strip the common suffix of what is left (keeping one base on each side) and
 * it is an indel when one side is down to one base that equals the other side's last.
 */
static bool
is_indel(const char *ref, const char *alt)
{
	const char *r = ref,
			   *a = alt,
			   *re,
			   *ae;

	if (ref[0] && !ref[1] && alt[0] && !alt[1])
		return false;
	while (*r && *a && toupper((unsigned char) *r) == toupper((unsigned char) *a))
	{
		r++;
		a++;
	}
	if (!*r && !*a)
		return false;
	if (!*r || !*a)
		return true;
	re = r + strlen(r) - 1;
	ae = a + strlen(a) - 1;
	while (re > r && ae > a && toupper((unsigned char) *re) == toupper((unsigned char) *ae))
	{
		re--;
		ae--;
	}
	if (ae == a && re == r)
		return false;			/* SNV */
	if (ae == a || re == r)
		return toupper((unsigned char) *re) == toupper((unsigned char) *ae);
	return false;				/* MNP or complex */
}

void
vf_haplotype_free(VfHaplotype *h)
{
	if (h == NULL)
		return;
	free(h->seq);
	free(h->shift_ref);
	free(h->shift_delta);
	free(h->del_from);
	free(h->del_to);
	memset(h, 0, sizeof(*h));
}

/*
 * bcftools consensus's state while it applies one haplotype's records to the window, in
 * 0-based reference coordinates.
 */
typedef struct Apply
{
	const VfCalls *calls;
	const char *ref;			/* the window's reference bases */
	size_t		wlen;
	int64_t		ori;			/* the window's first base */
	int64_t		end0;			/* and its last */
	int64_t		frz_pos;		/* last base a record took */
	int64_t		mod_off;		/* bases inserted minus bases deleted so far */
	char		prev_base;
	int64_t		prev_base_pos;
	bool		prev_is_insert;
	Buf			b;				/* the edited window, pulled from ref as records need it */
	MapBuilder	m;
	size_t		total;			/* length of the edited window: head + untouched rest */
	char	   *alt;			/* a private, writable copy: bcftools cuts and re-cases it */
	size_t		alt_cap;
	int			n_applied;
	VfError    *err;
} Apply;

/* What one record does: */
enum
{
	STEP_NEXT = 0,				/* applied or skipped: the next record */
	STEP_STOP = 1,				/* past the window: no further record applies */
	STEP_FAIL = -1,				/* err set */
	STEP_NOMEM = -2
};

static bool
copy_alt(Apply *a, const char *allele)
{
	size_t		n = strlen(allele);

	if (n + 1 > a->alt_cap)
	{
		char	   *na = realloc(a->alt, n + 1);

		if (na == NULL)
			return false;
		a->alt = na;
		a->alt_cap = n + 1;
	}
	memcpy(a->alt, allele, n + 1);
	return true;
}

/* Whether the ALT keeps REF's first base (trim_beg) and is a one-base <DEL> (zero_len). */
static void
classify_alt(const char *alt, const char *refal, int64_t rlen, bool *trim_beg, bool *zero_len)
{
	*trim_beg = *zero_len = false;
	if (alt[0] == '<')
	{
		if (strcasecmp(alt, "<DEL>") == 0)
		{
			*trim_beg = true;
			*zero_len = (rlen == 1);
		}
		else if (strncasecmp(alt, "<INS", 4) == 0)
			*trim_beg = true;
	}
	else if (!(alt[0] == '*' && alt[1] == '\0') && is_indel(refal, alt))
		*trim_beg = (refal[0] == alt[0]);
}

/* A symbolic ALT: <DEL> applies, a gVCF reference block only takes its span, others fail. */
static int
symbolic_alt(Apply *a, const VfCall *c, int64_t pos0, int64_t rlen, int64_t *alen,
			 int64_t *len_diff)
{
	char	   *alt = a->alt;

	if (strcasecmp(alt, "<DEL>") == 0)
	{
		/* the REF's first base stays; POS+1 .. POS+rlen-1 go */
		*len_diff = 1 - rlen;
		alt[0] = c->allele[0][0];
		alt[1] = '\0';
		*alen = 1;
		return 0;
	}
	if (strcasecmp(alt, "<*>") == 0 || strcasecmp(alt, "<NON_REF>") == 0)
	{
		/* gVCF reference block: nothing changes, but its span is taken */
		if (a->frz_pos < pos0 + rlen - 1)
			a->frz_pos = pos0 + rlen - 1;
		return 1;
	}
	vf_error(a->err, VF_ERR_UNSUPPORTED, "symbolic allele %s at %s:%lld is not supported",
			 alt, a->calls->chrom, (long long) c->pos);
	vf_error_hint(a->err, "Only <DEL>, <*> and <NON_REF> can be applied, as in bcftools consensus; exclude other symbolic alleles from the VCF.");
	return -1;
}

/* REF must be what the edited window holds there; its first base may be the last record's. */
static int
check_ref(Apply *a, const VfCall *c, int ia, int64_t pos0, int64_t idx, int64_t rlen)
{
	const char *refal = c->allele[0];
	int64_t		off,
				n;

	if (strncasecmp(refal, a->b.s + idx, (size_t) rlen) == 0)
		return 0;
	if (a->prev_base_pos == pos0 &&
		toupper((unsigned char) refal[0]) == toupper((unsigned char) a->prev_base) &&
		(rlen == 1 || strncasecmp(refal + 1, a->b.s + idx + 1, (size_t) (rlen - 1)) == 0))
		return 0;
	off = pos0 - a->ori;
	n = rlen;
	if (n > (int64_t) a->wlen - off)
		n = (int64_t) a->wlen - off;
	vf_error(a->err, VF_ERR_DATA, "REF allele does not match the reference at %s:%lld",
			 a->calls->chrom, (long long) c->pos);
	vf_error_detail(a->err, "The genotype has REF %s (ALT %s); the reference has %.*s there.",
					refal, c->allele[ia], (int) (n > 200 ? 200 : n), a->ref + off);
	vf_error_hint(a->err, "The VCF was probably called against another reference build or contig naming.");
	return -1;
}

/* Writes the ALT (alen bases, cased as the base it replaces) over REF's rlen at idx. */
static bool
write_alt(Apply *a, const char *refal, int64_t pos0, int64_t idx, int64_t rlen, int64_t alen,
		  int64_t len_diff, bool trim_beg)
{
	Buf		   *b = &a->b;
	char	   *alt = a->alt;
	bool		upper = toupper((unsigned char) b->s[idx]) == (unsigned char) b->s[idx];

	for (int64_t i = 0; i < alen; i++)
		alt[i] = upper ? toupper((unsigned char) alt[i]) : tolower((unsigned char) alt[i]);
	if (len_diff <= 0)
	{
		a->prev_base = b->s[idx + rlen - 1];
		a->prev_base_pos = pos0 + rlen - 1;
		a->prev_is_insert = false;
		for (int64_t i = trim_beg ? 1 : 0; i < alen; i++)
			b->s[idx + i] = alt[i];
		if (len_diff)
			memmove(b->s + idx + alen, b->s + idx + rlen, b->len - idx - rlen);
	}
	else
	{
		int64_t		ibeg = 0;

		a->prev_is_insert = true;
		a->prev_base_pos = pos0;
		if (!buf_reserve(b, b->len + len_diff))
			return false;
		memmove(b->s + idx + rlen + len_diff, b->s + idx + rlen, b->len - idx - rlen);
		/* keep bases a previous record at the same position already wrote */
		while (ibeg < alen && refal[ibeg] == alt[ibeg] && pos0 + ibeg <= a->prev_base_pos)
			ibeg++;
		for (int64_t i = ibeg; i < alen; i++)
			b->s[idx + i] = alt[i];
	}
	return true;
}

/* Applies one record (bcftools consensus's apply_variant for this haplotype). */
static int
apply_call(Apply *a, const VfCall *c, int hap)
{
	int64_t		pos0 = c->pos - 1;
	const char *refal = c->allele[0];
	int64_t		rlen = vf_call_rlen(c);
	int			ia = c->gt[hap - 1];
	bool		trim_beg,
				zero_len;
	int64_t		idx,
				alen,
				len_diff;

	if (pos0 > a->end0)
		return STEP_STOP;
	if (c->n_allele <= 1 || ia < 0 || ia == 0)
		return STEP_NEXT;		/* no ALT, missing, no such haplotype, or REF */
	if (ia >= c->n_allele)
		return vf_error(a->err, VF_ERR_CORRUPT,
						"genotype allele %d at %s:%lld but the site has only %d alleles",
						ia, a->calls->chrom, (long long) c->pos, c->n_allele);
	if (rlen <= 0)
		return vf_error(a->err, VF_ERR_CORRUPT, "empty REF allele at %s:%lld",
						a->calls->chrom, (long long) c->pos);
	if (!copy_alt(a, c->allele[ia]))
		return STEP_NOMEM;
	classify_alt(a->alt, refal, rlen, &trim_beg, &zero_len);

	/* overlapping a previously applied record? */
	if (pos0 <= a->frz_pos &&
		(pos0 < a->frz_pos || !trim_beg || zero_len || a->prev_is_insert))
		return STEP_NEXT;
	idx = pos0 - a->ori + a->mod_off;
	if (idx < 0)
		return STEP_NEXT;		/* starts before the window */
	if (idx >= (int64_t) a->total)
		return STEP_STOP;

	/* cut at the window's end */
	if (rlen > (int64_t) a->total - idx)
	{
		rlen = (int64_t) a->total - idx;
		if (a->alt[0] != '<' && (int64_t) strlen(a->alt) > rlen)
			a->alt[rlen] = '\0';
	}
	if (!buf_pull(&a->b, a->ref, (size_t) (idx + rlen)))
		return STEP_NOMEM;
	if (a->alt[0] == '<')
	{
		int			rc = symbolic_alt(a, c, pos0, rlen, &alen, &len_diff);

		if (rc != 0)
			return rc < 0 ? STEP_FAIL : STEP_NEXT;
	}
	else
	{
		if (check_ref(a, c, ia, pos0, idx, rlen) < 0)
			return STEP_FAIL;
		alen = (int64_t) strlen(a->alt);
		len_diff = alen - rlen;
	}
	if (!write_alt(a, refal, pos0, idx, rlen, alen, len_diff, trim_beg))
		return STEP_NOMEM;
	if (len_diff != 0)
	{
		/* 1-based: bases after the record move by the new total; deleted ones collapse */
		if (len_diff < 0 && !map_deleted(&a->m, c->pos + alen, c->pos + rlen - 1))
			return STEP_NOMEM;
		if (!map_shift(&a->m, c->pos + rlen, a->mod_off + len_diff))
			return STEP_NOMEM;
	}
	a->b.len += len_diff;
	a->total += len_diff;
	a->mod_off += len_diff;
	a->frz_pos = pos0 + rlen - 1;
	a->n_applied++;
	return STEP_NEXT;
}

int
vf_haplotype_build(const VfCalls *calls, int hap, const char *ref,
				   int64_t win_start, int64_t win_end,
				   VfHaplotype *out, VfError *err)
{
	Apply		a = {.calls = calls, .ref = ref, .ori = win_start - 1, .end0 = win_end - 1,
	.frz_pos = -1, .prev_base_pos = -1, .err = err};
	int			rc = STEP_NEXT;

	memset(out, 0, sizeof(*out));
	if (hap != 1 && hap != 2)
		return vf_error(err, VF_ERR_INVALID, "haplotype must be 1 or 2, not %d", hap);
	if (win_end < win_start)
		return vf_error(err, VF_ERR_INVALID, "window end %lld is before its start %lld",
						(long long) win_end, (long long) win_start);
	a.wlen = (size_t) (win_end - win_start + 1);
	if (strlen(ref) != a.wlen)
		return vf_error(err, VF_ERR_INVALID,
						"reference window %lld-%lld should have %zu bases, got %zu",
						(long long) win_start, (long long) win_end, a.wlen, strlen(ref));
	a.total = a.wlen;
	if (!buf_reserve(&a.b, a.wlen))
		rc = STEP_NOMEM;
	for (int ci = 0; ci < calls->n_call && rc == STEP_NEXT; ci++)
		rc = apply_call(&a, &calls->call[ci], hap);
	free(a.alt);
	if (rc >= 0 && !buf_pull(&a.b, ref, a.total))
		rc = STEP_NOMEM;
	if (rc < 0)
	{
		if (rc == STEP_NOMEM)
			vf_error(err, VF_ERR_NOMEM, "out of memory building a haplotype of %s:%lld-%lld",
					 calls->chrom, (long long) win_start, (long long) win_end);
		free(a.b.s);
		free(a.m.shift_ref);
		free(a.m.shift_delta);
		free(a.m.del_from);
		free(a.m.del_to);
		return -1;
	}
	a.b.s[a.b.len] = '\0';
	out->seq = a.b.s;
	out->len = a.b.len;
	out->ref_start = win_start;
	out->ref_end = win_end;
	out->n_applied = a.n_applied;
	out->n_shift = a.m.n_shift;
	out->shift_ref = a.m.shift_ref;
	out->shift_delta = a.m.shift_delta;
	out->n_del = a.m.n_del;
	out->del_from = a.m.del_from;
	out->del_to = a.m.del_to;
	return 0;
}

int64_t
vf_haplotype_map(const VfHaplotype *h, int64_t ref_pos)
{
	int64_t		p = ref_pos;
	int64_t		delta = 0;
	int			lo,
				hi;

	if (ref_pos < h->ref_start || ref_pos > h->ref_end)
		return -1;

	/* deleted: move to the next reference base (deleted spans are sorted, may chain) */
	for (int i = 0; i < h->n_del; i++)
	{
		if (h->del_from[i] > p)
			break;
		if (p <= h->del_to[i])
			p = h->del_to[i] + 1;
	}
	if (p > h->ref_end)
		return (int64_t) h->len;

	/* the last shift that starts at or before p */
	lo = 0;
	hi = h->n_shift;
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (h->shift_ref[mid] <= p)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0)
		delta = h->shift_delta[lo - 1];
	return (p - h->ref_start) + delta;
}

char *
vf_haplotype_centred(const VfHaplotype *h, int64_t centre, int64_t width, VfError *err)
{
	int64_t		at = vf_haplotype_map(h, centre);
	int64_t		from,
				to;
	char	   *s;

	if (width < 1)
	{
		vf_error(err, VF_ERR_INVALID, "window width must be positive, not %lld", (long long) width);
		return NULL;
	}
	if (at < 0)
	{
		vf_error(err, VF_ERR_INVALID, "centre %lld is outside the haplotype's reference window %lld-%lld",
				 (long long) centre, (long long) h->ref_start, (long long) h->ref_end);
		return NULL;
	}
	from = at - width / 2;
	to = from + width;			/* exclusive */
	if (from < 0 || to > (int64_t) h->len)
	{
		vf_error(err, VF_ERR_INVALID,
				 "a %lld-base window centred on %lld needs %lld more haplotype bases on the %s",
				 (long long) width, (long long) centre,
				 (long long) (from < 0 ? -from : to - (int64_t) h->len), from < 0 ? "left" : "right");
		vf_error_detail(err, "The haplotype was built from reference %lld-%lld (%zu bases after its indels).",
						(long long) h->ref_start, (long long) h->ref_end, h->len);
		return NULL;
	}
	s = malloc((size_t) width + 1);
	if (s == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	memcpy(s, h->seq + from, (size_t) width);
	s[width] = '\0';
	return s;
}
