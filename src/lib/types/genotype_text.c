/* genotype_text.c: parsing and printing the genotype text form (grammar in genotype_text.h). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/types/genotype_text.h"
#include "varformer/common/region.h"

#define TEXT_HINT "A call is POS[:ID]:REF:ALT[,ALT...]:GT[:END=n][:DS=x[,y...]], e.g. 150:rs123:A:G:0|1:DS=0.98."

int
vf_gt_to_text(int g0, int g1, bool phased, char *buf)
{
	int			n = 0;

	if (g0 == VF_ALLELE_MISSING)
		buf[n++] = '.';
	else
		n += snprintf(buf + n, 8, "%d", g0);
	if (g1 == VF_ALLELE_NONE)
	{
		buf[n] = '\0';
		return n;
	}
	buf[n++] = phased ? '|' : '/';
	if (g1 == VF_ALLELE_MISSING)
		buf[n++] = '.';
	else
		n += snprintf(buf + n, 8, "%d", g1);
	buf[n] = '\0';
	return n;
}

int
vf_float_to_text(float v, char *buf)
{
	if (isnan(v))
		return snprintf(buf, 32, ".");
	for (int prec = 1; prec < 9; prec++)
	{
		int			n = snprintf(buf, 32, "%.*g", prec, (double) v);

		if (strtof(buf, NULL) == v)
			return n;
	}
	return snprintf(buf, 32, "%.9g", (double) v);
}

/* ---------- parsing ---------- */

typedef struct Scratch
{
	VfBuf		chars;			/* the token, split in place */
	VfBuf		ptrs;			/* field and allele pointers */
	VfBuf		floats;
} Scratch;

static int
bad_call(VfError *err, const char *tok, size_t toklen, const char *why)
{
	vf_error(err, VF_ERR_SYNTAX, "invalid genotype call \"%.*s\": %s",
			 (int) (toklen > 120 ? 120 : toklen), tok, why);
	vf_error_hint(err, TEXT_HINT);
	return -1;
}

/* A non-negative decimal without sign or leading zeros, at most max. */
static int
parse_uint(const char *s, int64_t max, int64_t *out)
{
	int64_t		v = 0;

	if (!isdigit((unsigned char) *s) || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (; *s; s++)
	{
		if (!isdigit((unsigned char) *s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

static int
parse_allele_index(const char *s, size_t n, int *out)
{
	char		tmp[8];
	int64_t		v;

	if (n == 1 && s[0] == '.')
	{
		*out = VF_ALLELE_MISSING;
		return 0;
	}
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (parse_uint(tmp, VF_MAX_ALLELES, &v) != 0)
		return -1;
	*out = (int) v;
	return 0;
}

static int
parse_gt(const char *s, VfCall *c)
{
	const char *sep = strpbrk(s, "|/");

	if (sep == NULL)
	{
		c->phased = true;
		c->gt[1] = VF_ALLELE_NONE;
		return parse_allele_index(s, strlen(s), &c->gt[0]);
	}
	c->phased = (*sep == '|');
	if (parse_allele_index(s, (size_t) (sep - s), &c->gt[0]) != 0)
		return -1;
	return parse_allele_index(sep + 1, strlen(sep + 1), &c->gt[1]);
}

static int
parse_call(const char *tok, size_t toklen, VfCallsEncoder *enc, Scratch *sc, VfError *err)
{
	char	   *s;
	char	  **f;
	int			nf = 1;
	int			n_alt = 1;
	const char **alleles;
	float	   *ds = NULL;
	int64_t		pos,
				endpos = -1;
	char	   *ds_text = NULL;
	VfCall		c;

	/* copy the token and split it at ':' */
	sc->chars.len = 0;
	if (vf_buf_append(&sc->chars, tok, toklen, err) != 0 || vf_buf_append(&sc->chars, "", 1, err) != 0)
		return -1;
	s = (char *) sc->chars.data;
	for (size_t i = 0; i < toklen; i++)
	{
		if (s[i] == ':')
			nf++;
		else if (s[i] == ',')
			n_alt++;
	}
	sc->ptrs.len = 0;
	if (vf_buf_reserve(&sc->ptrs, sizeof(char *) * ((size_t) nf + (size_t) n_alt + 1), err) != 0)
		return -1;
	f = (char **) sc->ptrs.data;
	nf = 0;
	f[nf++] = s;
	for (size_t i = 0; i < toklen; i++)
		if (s[i] == ':')
		{
			s[i] = '\0';
			f[nf++] = s + i + 1;
		}

	/* options after GT, from the right */
	while (nf > 4 && (strncmp(f[nf - 1], "DS=", 3) == 0 || strncmp(f[nf - 1], "END=", 4) == 0))
	{
		char	   *o = f[--nf];

		if (o[0] == 'D')
		{
			if (ds_text)
				return bad_call(err, tok, toklen, "DS given twice");
			ds_text = o + 3;
		}
		else
		{
			if (endpos >= 0)
				return bad_call(err, tok, toklen, "END given twice");
			if (parse_uint(o + 4, VF_POS_MAX, &endpos) != 0)
				return bad_call(err, tok, toklen, "END is not a position");
		}
	}
	if (nf < 4)
		return bad_call(err, tok, toklen, "expected at least POS:REF:ALT:GT");

	memset(&c, 0, sizeof(c));
	if (parse_uint(f[0], VF_POS_MAX, &pos) != 0)
		return bad_call(err, tok, toklen, "POS is not a position");
	c.pos = pos;
	if (nf > 4)
	{
		/* the ID may contain ':': undo the split between f[1] and f[nf-4] */
		for (int i = 2; i <= nf - 4; i++)
			f[i][-1] = ':';
		c.id = f[1];
	}

	/* alleles: REF then the ALTs, pointers placed after the fields */
	alleles = (const char **) (f + nf);
	alleles[0] = f[nf - 3];
	c.n_allele = 1;
	if (strcmp(f[nf - 2], ".") != 0)
	{
		char	   *a = f[nf - 2];

		for (;;)
		{
			char	   *comma = strchr(a, ',');

			if (comma)
				*comma = '\0';
			alleles[c.n_allele++] = a;
			if (!comma)
				break;
			a = comma + 1;
		}
	}
	c.allele = alleles;
	if (parse_gt(f[nf - 1], &c) != 0)
		return bad_call(err, tok, toklen, "GT must be like 0|1, 1/2, ./., .|1 or 1");

	if (ds_text)
	{
		char	   *p = ds_text;

		if (c.n_allele < 2)
			return bad_call(err, tok, toklen, "DS given for a call without ALT alleles");
		sc->floats.len = 0;
		if (vf_buf_reserve(&sc->floats, sizeof(float) * (size_t) (c.n_allele - 1), err) != 0)
			return -1;
		ds = (float *) sc->floats.data;
		for (int i = 0; i < c.n_allele - 1; i++)
		{
			char	   *e;

			if (p[0] == '.' && (p[1] == ',' || p[1] == '\0'))
			{
				ds[i] = NAN;
				e = p + 1;
			}
			else
			{
				if (!(isdigit((unsigned char) *p) || *p == '-' || *p == '.'))
					return bad_call(err, tok, toklen, "DS values must be numbers or \".\"");
				errno = 0;
				ds[i] = strtof(p, &e);
				/*
				 * ERANGE for a denormal or a value rounding to 0 is not an error: the
				 * result is the nearest float, which is what the text of a stored
				 * denormal reads back to. Overflow gives HUGE_VALF, refused as infinite.
				 */
				if (e == p || !isfinite(ds[i]))
					return bad_call(err, tok, toklen, "DS values must be finite numbers or \".\"");
			}
			if (i < c.n_allele - 2)
			{
				if (*e != ',')
					return bad_call(err, tok, toklen, "DS needs one value per ALT allele");
				p = e + 1;
			}
			else if (*e != '\0')
				return bad_call(err, tok, toklen, "DS needs one value per ALT allele");
		}
		c.ds = ds;
	}
	if (endpos >= 0)
	{
		if (endpos < pos)
			return bad_call(err, tok, toklen, "END lies before POS");
		c.rlen = endpos - pos + 1;
	}
	else
		c.rlen = (int64_t) strlen(alleles[0]);
	return vf_calls_encoder_add(enc, &c, err);
}

int
vf_genotype_parse(const char *text, VfBuf *out, VfError *err)
{
	const char *p = text;
	const char *tok;
	char		region_text[VF_CHROM_MAX + 64];
	VfRegion	region;
	VfCallsEncoder enc;
	Scratch		sc;
	int			rc = -1;
	VfReallocFn fn = out->realloc_fn;
	bool		listed = false;

	while (isspace((unsigned char) *p))
		p++;
	tok = p;
	while (*p && !isspace((unsigned char) *p))
		p++;
	if (p == tok)
	{
		vf_error(err, VF_ERR_SYNTAX, "invalid genotype: empty value");
		vf_error_hint(err, "A genotype is a region followed by calls, e.g. \"22:100-200 150:A:G:0|1\".");
		return -1;
	}
	if ((size_t) (p - tok) >= sizeof(region_text))
		return vf_error(err, VF_ERR_SYNTAX, "invalid genotype: region \"%.40s...\" is too long", tok);
	memcpy(region_text, tok, (size_t) (p - tok));
	region_text[p - tok] = '\0';
	{
		size_t		rl = (size_t) (p - tok),
					sl = strlen(VF_GT_LISTED_SUFFIX);

		if (rl > sl && strcmp(region_text + rl - sl, VF_GT_LISTED_SUFFIX) == 0)
		{
			listed = true;
			region_text[rl - sl] = '\0';
		}
	}
	if (vf_region_parse(region_text, &region, err) != 0)
		return -1;
	/*
	 * No thousands separators in the range, so the text form has one spelling; a ',' in the
	 * contig name is the name's own (binary input and VCF files accept it, and the value's
	 * text must read back).
	 */
	if (!vf_region_bounded(&region) || strchr(region_text, ':') == NULL ||
		strchr(strrchr(region_text, ':'), ',') != NULL)
	{
		vf_error(err, VF_ERR_SYNTAX, "invalid genotype: region \"%s\" must be written chrom:start-end", region_text);
		vf_error_hint(err, "A genotype covers an explicit range, e.g. \"22:100-200 150:A:G:0|1\".");
		return -1;
	}

	vf_calls_encoder_init(&enc, region.start, region.end, fn);
	enc.listed = listed;
	vf_buf_init(&sc.chars, fn);
	vf_buf_init(&sc.ptrs, fn);
	vf_buf_init(&sc.floats, fn);
	for (;;)
	{
		while (isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
		{
			rc = vf_calls_encoder_finish(&enc, region.chrom, out, err);
			break;
		}
		tok = p;
		while (*p && !isspace((unsigned char) *p))
			p++;
		if (parse_call(tok, (size_t) (p - tok), &enc, &sc, err) != 0)
			break;
	}
	if (fn == NULL)
	{
		vf_buf_free(&enc.body);
		vf_buf_free(&sc.chars);
		vf_buf_free(&sc.ptrs);
		vf_buf_free(&sc.floats);
	}
	return rc;
}

VfCalls *
vf_calls_from_text(const char *text, VfError *err)
{
	VfBuf		b;
	VfCalls    *calls = NULL;

	vf_buf_init(&b, NULL);
	if (vf_genotype_parse(text, &b, err) == 0)
		calls = vf_calls_decode(b.data, b.len, NULL, err);
	vf_buf_free(&b);
	return calls;
}

/* ---------- printing ---------- */

static int
append_str(VfBuf *b, const char *s, VfError *err)
{
	return vf_buf_append(b, s, strlen(s), err);
}

int
vf_genotype_format(const VfCalls *calls, VfBuf *out, VfError *err)
{
	char		tmp[64];

	snprintf(tmp, sizeof(tmp), ":%" PRId64 "-%" PRId64, calls->start, calls->end);
	if (append_str(out, calls->chrom, err) != 0 || append_str(out, tmp, err) != 0 ||
		(calls->listed && append_str(out, VF_GT_LISTED_SUFFIX, err) != 0))
		return -1;
	for (int i = 0; i < calls->n_call; i++)
	{
		const VfCall *c = &calls->call[i];
		int64_t		reflen = (int64_t) strlen(c->allele[0]);

		snprintf(tmp, sizeof(tmp), " %" PRId64 ":", c->pos);
		if (append_str(out, tmp, err) != 0)
			return -1;
		if (c->id && (append_str(out, c->id, err) != 0 || append_str(out, ":", err) != 0))
			return -1;
		if (append_str(out, c->allele[0], err) != 0 || append_str(out, ":", err) != 0)
			return -1;
		if (c->n_allele == 1 && append_str(out, ".", err) != 0)
			return -1;
		for (int a = 1; a < c->n_allele; a++)
			if ((a > 1 && append_str(out, ",", err) != 0) || append_str(out, c->allele[a], err) != 0)
				return -1;
		tmp[0] = ':';
		vf_gt_to_text(c->gt[0], c->gt[1], c->phased, tmp + 1);
		if (append_str(out, tmp, err) != 0)
			return -1;
		if (c->rlen > 0 && c->rlen != reflen)
		{
			snprintf(tmp, sizeof(tmp), ":END=%" PRId64, c->pos + c->rlen - 1);
			if (append_str(out, tmp, err) != 0)
				return -1;
		}
		if (c->ds)
		{
			if (append_str(out, ":DS=", err) != 0)
				return -1;
			for (int a = 0; a < c->n_allele - 1; a++)
			{
				if (a > 0 && append_str(out, ",", err) != 0)
					return -1;
				vf_float_to_text(c->ds[a], tmp);
				if (append_str(out, tmp, err) != 0)
					return -1;
			}
		}
	}
	return vf_buf_append(out, "", 1, err);
}
