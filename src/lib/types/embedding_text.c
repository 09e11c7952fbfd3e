/*
 * embedding_text.c: the embedding type's text and binary input, in plain C so that the
 * fuzzers reach the code the server runs. Messages quote the offending input, cut at a
 * UTF-8 character boundary so an error never carries half a character.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/kernels/embedding_kernels.h"
#include "varformer/types/embedding_text.h"

/* How much of an offending token, and of the whole input, an error message quotes. */
#define TOKEN_QUOTE_MAX 40
#define INPUT_QUOTE_MAX 60

/* PostgreSQL's scanner_isspace: what the server's own input functions skip. */
static inline bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static const char *
skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* The largest n <= max such that s[0..n) ends on a UTF-8 character boundary. */
static size_t
utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char) s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* The input, or its start followed by "..." when long (16,000 elements are ~200 kB). */
static void
quote_input(const char *input, char *buf, size_t bufsize)
{
	size_t		len = strlen(input);
	size_t		keep = len <= INPUT_QUOTE_MAX + 3 ? len : utf8_cut(input, len, INPUT_QUOTE_MAX);

	snprintf(buf, bufsize, "%.*s%s", (int) keep, input, keep < len ? "..." : "");
}

/* The token at s (up to the next ',' or ']'), quoted, or "end of input". */
static void
quote_token(const char *s, char *buf, size_t bufsize)
{
	size_t		len = strcspn(s, ",]");
	size_t		keep = utf8_cut(s, len, TOKEN_QUOTE_MAX);

	if (len == 0)
	{
		if (s[0])
			snprintf(buf, bufsize, "\"%c\"", s[0]);
		else
			snprintf(buf, bufsize, "end of input");
		return;
	}
	if (keep == 0)				/* a single character longer than the quote */
		keep = 1;
	snprintf(buf, bufsize, "\"%.*s%s\"", (int) keep, s, keep < len ? "..." : "");
}

/* invalid input syntax, with a detail "<what> <token>." */
static int
syntax_error(VfError *err, const char *input, const char *what, const char *at)
{
	char		in[INPUT_QUOTE_MAX * 4 + 8];
	char		tok[TOKEN_QUOTE_MAX * 4 + 8];

	quote_input(input, in, sizeof(in));
	if (at)
		quote_token(at, tok, sizeof(tok));
	else
		snprintf(tok, sizeof(tok), "end of input");
	vf_error(err, VF_ERR_SYNTAX, "invalid input syntax for type embedding: \"%s\"", in);
	vf_error_detail(err, "%s %s.", what, tok);
	vf_error_hint(err, "An embedding is written like [1,2.5,-3e-2].");
	return -1;
}

int
vf_embedding_parse_text(const char *input, VfBuf *out, VfError *err)
{
	const char *p = skip_space(input);
	int			dim = 0;

	vf_error_clear(err);
	if (*p != '[')
		return syntax_error(err, input, "Expected \"[\" at", p);
	p = skip_space(p + 1);
	if (*p == ']')
	{
		char		in[INPUT_QUOTE_MAX * 4 + 8];

		quote_input(input, in, sizeof(in));
		vf_error(err, VF_ERR_DATA, "embedding must have at least 1 dimension");
		vf_error_detail(err, "The input \"%s\" has no elements.", in);
		return -1;
	}
	for (;;)
	{
		char	   *end;
		float		v;

		if (dim == VF_EMBEDDING_MAX_DIM)
			return vf_error(err, VF_ERR_LIMIT, "embedding cannot have more than %d dimensions",
							VF_EMBEDDING_MAX_DIM);
		/* strtof would skip leading space itself; we already did, and "" must not parse. */
		if (*p == '\0' || *p == ',' || *p == ']')
			return syntax_error(err, input, "Expected a number at", p);
		errno = 0;
		v = strtof(p, &end);
		if (end == p)
			return syntax_error(err, input, "Expected a number at", p);
		if (isnan(v) || isinf(v))
		{
			/* strtof returns +-HUGE_VALF with ERANGE for literals like 1e39. */
			if (errno == ERANGE)
			{
				size_t		n = utf8_cut(p, (size_t) (end - p), TOKEN_QUOTE_MAX);

				vf_error(err, VF_ERR_RANGE, "\"%.*s\" is out of range for an embedding element",
						 (int) n, p);
				vf_error_detail(err, "Elements are real (float4): magnitude at most %g.",
								(double) FLT_MAX);
				return -1;
			}
			return vf_error(err, VF_ERR_DATA, "%s not allowed in embedding (element %d of the input)",
							isnan(v) ? "NaN" : "infinity", dim + 1);
		}
		/* Underflow (ERANGE with a tiny result) rounds to the nearest float, as pgvector does. */
		if (vf_buf_append(out, &v, sizeof(v), err) != 0)
			return -1;
		dim++;

		p = skip_space(end);
		if (*p == ',')
		{
			p = skip_space(p + 1);
			continue;
		}
		if (*p == ']')
			break;
		if (*p == '\0')
			return syntax_error(err, input, "Unterminated embedding: expected \",\" or \"]\" at", NULL);
		return syntax_error(err, input, "Expected \",\" or \"]\" at", p);
	}
	p = skip_space(p + 1);
	if (*p != '\0')
		return syntax_error(err, input, "Unexpected characters after \"]\":", p);
	return dim;
}

static uint32_t
read_be32(const uint8_t *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

int
vf_embedding_parse_binary(const uint8_t *p, size_t len, VfBuf *out, VfError *err)
{
	int			dim,
				reserved;

	vf_error_clear(err);
	if (len < 4)
		return vf_error(err, VF_ERR_BINARY,
						"invalid binary embedding: %zu bytes, need at least 4 for the header", len);
	dim = (int16_t) (p[0] << 8 | p[1]);
	reserved = (int16_t) (p[2] << 8 | p[3]);
	if (dim < 1 || dim > VF_EMBEDDING_MAX_DIM)
		return vf_error(err, VF_ERR_BINARY,
						"invalid binary embedding: dimension %d is outside 1..%d",
						dim, VF_EMBEDDING_MAX_DIM);
	if (reserved != 0)
		return vf_error(err, VF_ERR_BINARY,
						"invalid binary embedding: reserved header field is %d, must be 0", reserved);
	if (len - 4 != sizeof(float) * (size_t) dim)
		return vf_error(err, VF_ERR_BINARY,
						"invalid binary embedding: %d dimensions need %d data bytes, got %zu",
						dim, (int) sizeof(float) * dim, len - 4);
	if (vf_buf_reserve(out, sizeof(float) * (size_t) dim, err) != 0)
		return -1;
	for (int i = 0; i < dim; i++)
	{
		uint32_t	bits = read_be32(p + 4 + 4 * (size_t) i);
		float		v;

		memcpy(&v, &bits, sizeof(v));
		if (!isfinite(v))
			return vf_error(err, VF_ERR_DATA,
							"%s not allowed in embedding (element %d of the binary input)",
							isnan(v) ? "NaN" : "infinity", i + 1);
		memcpy(out->data + out->len, &v, sizeof(v));
		out->len += sizeof(v);
	}
	return dim;
}
