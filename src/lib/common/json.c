/*
 * json.c: a small JSON reader for untrusted input (plain C).
 *
 * Why our own: config.json, tokenizer.json, safetensors headers and load_model options are
 * read by plain-C code that must also build outside the server (unit tests, fuzzers), and
 * every one of them is hostile input. So: one arena per document (a failed parse frees
 * everything at once), explicit depth limit (no stack exhaustion), strict RFC 8259 syntax,
 * \u escapes decoded with surrogate pairs checked, and every length bounds-checked.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/common/json.h"

typedef struct ArenaBlock
{
	struct ArenaBlock *next;
	size_t		used;
	size_t		cap;
	/* 16-byte alignment for whatever is carved out of data */
	_Alignas(16) unsigned char data[];
} ArenaBlock;

struct VfJsonDoc
{
	ArenaBlock *blocks;
	VfJson		root;
};

typedef struct Parser
{
	const char *p;
	const char *end;
	const char *start;
	VfJsonDoc  *doc;
	VfError    *err;
	int			depth;
} Parser;

static void *
arena_alloc(Parser *ps, size_t size)
{
	ArenaBlock *b = ps->doc->blocks;

	size = (size + 15) & ~(size_t) 15;
	if (b == NULL || b->cap - b->used < size)
	{
		size_t		cap = size > 65536 ? size : 65536;

		b = malloc(sizeof(ArenaBlock) + cap);
		if (b == NULL)
		{
			vf_error(ps->err, VF_ERR_NOMEM, "out of memory parsing JSON (%zu bytes)", size);
			return NULL;
		}
		b->next = ps->doc->blocks;
		b->used = 0;
		b->cap = cap;
		ps->doc->blocks = b;
	}
	b->used += size;
	return b->data + b->used - size;
}

static int
fail(Parser *ps, const char *what)
{
	return vf_error(ps->err, VF_ERR_SYNTAX, "invalid JSON at offset %zu: %s",
					(size_t) (ps->p - ps->start), what);
}

static void
skip_ws(Parser *ps)
{
	while (ps->p < ps->end &&
		   (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int
hex4(const char *s, unsigned *out)
{
	unsigned	v = 0;

	for (int i = 0; i < 4; i++)
	{
		char		c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned) (c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned) (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned) (c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t
put_utf8(char *dst, unsigned cp)
{
	if (cp < 0x80)
	{
		dst[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		dst[0] = (char) (0xC0 | (cp >> 6));
		dst[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		dst[0] = (char) (0xE0 | (cp >> 12));
		dst[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		dst[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	dst[0] = (char) (0xF0 | (cp >> 18));
	dst[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	dst[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	dst[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/* Parses a string at ps->p (on the opening quote); decoded text never grows past the raw. */
static int
parse_string(Parser *ps, const char **out, size_t *out_len)
{
	const char *s = ++ps->p;
	const char *q = s;
	char	   *buf;
	size_t		n = 0;

	/* find the closing quote first, so the buffer is sized once */
	while (q < ps->end && *q != '"')
	{
		if (*q == '\\')
			q++;
		q++;
	}
	if (q >= ps->end)
		return fail(ps, "unterminated string");
	buf = arena_alloc(ps, (size_t) (q - s) + 1);
	if (buf == NULL)
		return -1;

	while (ps->p < q)
	{
		unsigned char c = (unsigned char) *ps->p;

		if (c < 0x20)
			return fail(ps, "control character in string");
		if (c != '\\')
		{
			buf[n++] = (char) c;
			ps->p++;
			continue;
		}
		ps->p++;
		switch (*ps->p)
		{
			case '"':
				buf[n++] = '"';
				break;
			case '\\':
				buf[n++] = '\\';
				break;
			case '/':
				buf[n++] = '/';
				break;
			case 'b':
				buf[n++] = '\b';
				break;
			case 'f':
				buf[n++] = '\f';
				break;
			case 'n':
				buf[n++] = '\n';
				break;
			case 'r':
				buf[n++] = '\r';
				break;
			case 't':
				buf[n++] = '\t';
				break;
			case 'u':
				{
					unsigned	cp,
								lo;

					if (q - ps->p < 5 || hex4(ps->p + 1, &cp) < 0)
						return fail(ps, "bad \\u escape");
					ps->p += 4;
					if (cp >= 0xD800 && cp <= 0xDBFF)
					{
						if (q - ps->p < 7 || ps->p[1] != '\\' || ps->p[2] != 'u' ||
							hex4(ps->p + 3, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
							return fail(ps, "unpaired UTF-16 surrogate");
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						ps->p += 6;
					}
					else if (cp >= 0xDC00 && cp <= 0xDFFF)
						return fail(ps, "unpaired UTF-16 surrogate");
					/* a \uXXXX (6 raw bytes) decodes to at most 3, a pair (12) to 4 */
					n += put_utf8(buf + n, cp);
					break;
				}
			default:
				return fail(ps, "bad escape");
		}
		ps->p++;
	}
	buf[n] = '\0';
	ps->p = q + 1;
	*out = buf;
	*out_len = n;
	return 0;
}

static int
parse_number(Parser *ps, VfJson *v)
{
	const char *s = ps->p;
	const char *q = s;
	bool		integral = true;
	char		tmp[64];

	if (q < ps->end && *q == '-')
		q++;
	if (q >= ps->end || *q < '0' || *q > '9')
		return fail(ps, "bad number");
	if (*q == '0')
		q++;
	else
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	if (q < ps->end && *q == '.')
	{
		integral = false;
		q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, "bad number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E'))
	{
		integral = false;
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, "bad number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if ((size_t) (q - s) >= sizeof(tmp))
		return fail(ps, "number too long");
	memcpy(tmp, s, (size_t) (q - s));
	tmp[q - s] = '\0';

	v->type = VF_JSON_NUMBER;
	v->number = strtod(tmp, NULL);
	if (!isfinite(v->number))
		return fail(ps, "number out of range");
	v->is_integer = false;
	if (integral)
	{
		long long	i;

		errno = 0;
		i = strtoll(tmp, NULL, 10);
		if (errno == 0)
		{
			v->is_integer = true;
			v->integer = (int64_t) i;
		}
	}
	ps->p = q;
	return 0;
}

static int	parse_value(Parser *ps, VfJson *v);

/* Elements are collected on a growing malloc'd stack, then copied once into the arena. */
static int
parse_container(Parser *ps, VfJson *v, bool object)
{
	char		close = object ? '}' : ']';
	VfJson	   *items = NULL;
	const char **keys = NULL;
	size_t	   *klens = NULL;
	size_t		n = 0,
				cap = 0;
	int			rc = -1;

	if (++ps->depth > VF_JSON_MAX_DEPTH)
		return fail(ps, "nesting too deep");
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close)
	{
		ps->p++;
		goto done;
	}
	for (;;)
	{
		const char *key = NULL;
		size_t		klen = 0;

		if (n == cap)
		{
			size_t		ncap = cap ? cap * 2 : 8;
			VfJson	   *ni = realloc(items, ncap * sizeof(VfJson));

			if (ni == NULL)
				goto oom;
			items = ni;
			if (object)
			{
				const char **nk = realloc(keys, ncap * sizeof(char *));
				size_t	   *nl;

				if (nk == NULL)
					goto oom;
				keys = nk;
				nl = realloc(klens, ncap * sizeof(size_t));
				if (nl == NULL)
					goto oom;
				klens = nl;
			}
			cap = ncap;
		}
		skip_ws(ps);
		if (object)
		{
			if (ps->p >= ps->end || *ps->p != '"')
			{
				fail(ps, "expected a string key");
				goto out;
			}
			if (parse_string(ps, &key, &klen) < 0)
				goto out;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
			{
				fail(ps, "expected ':'");
				goto out;
			}
			ps->p++;
		}
		memset(&items[n], 0, sizeof(VfJson));
		if (parse_value(ps, &items[n]) < 0)
			goto out;
		if (object)
		{
			keys[n] = key;
			klens[n] = klen;
		}
		n++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',')
		{
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close)
		{
			ps->p++;
			break;
		}
		fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
		goto out;
	}
done:
	v->type = object ? VF_JSON_OBJECT : VF_JSON_ARRAY;
	v->len = n;
	if (n > 0)
	{
		v->items = arena_alloc(ps, n * sizeof(VfJson));
		if (v->items == NULL)
			goto out;
		memcpy(v->items, items, n * sizeof(VfJson));
		if (object)
		{
			v->keys = arena_alloc(ps, n * sizeof(char *));
			v->key_lens = arena_alloc(ps, n * sizeof(size_t));
			if (v->keys == NULL || v->key_lens == NULL)
				goto out;
			memcpy(v->keys, keys, n * sizeof(char *));
			memcpy(v->key_lens, klens, n * sizeof(size_t));
		}
	}
	ps->depth--;
	rc = 0;
	goto out;
oom:
	vf_error(ps->err, VF_ERR_NOMEM, "out of memory parsing JSON");
out:
	free(items);
	free(keys);
	free(klens);
	return rc;
}

static int
match_literal(Parser *ps, const char *lit)
{
	size_t		n = strlen(lit);

	if ((size_t) (ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0)
		return fail(ps, "unexpected token");
	ps->p += n;
	return 0;
}

static int
parse_value(Parser *ps, VfJson *v)
{
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of input");
	switch (*ps->p)
	{
		case '{':
			return parse_container(ps, v, true);
		case '[':
			return parse_container(ps, v, false);
		case '"':
			v->type = VF_JSON_STRING;
			return parse_string(ps, &v->str, &v->len);
		case 't':
			v->type = VF_JSON_BOOL;
			v->boolean = true;
			return match_literal(ps, "true");
		case 'f':
			v->type = VF_JSON_BOOL;
			v->boolean = false;
			return match_literal(ps, "false");
		case 'n':
			v->type = VF_JSON_NULL;
			return match_literal(ps, "null");
		default:
			return parse_number(ps, v);
	}
}

VfJsonDoc *
vf_json_parse(const char *text, size_t len, VfError *err)
{
	Parser		ps;
	VfJsonDoc  *doc = calloc(1, sizeof(VfJsonDoc));

	if (doc == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory parsing JSON");
		return NULL;
	}
	ps.p = ps.start = text;
	ps.end = text + len;
	ps.doc = doc;
	ps.err = err;
	ps.depth = 0;
	/* a UTF-8 byte order mark is tolerated: some tools write one into config files */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		ps.p += 3;
	if (parse_value(&ps, &doc->root) < 0)
	{
		vf_json_free(doc);
		return NULL;
	}
	skip_ws(&ps);
	if (ps.p != ps.end)
	{
		fail(&ps, "trailing characters after the value");
		vf_json_free(doc);
		return NULL;
	}
	return doc;
}

const VfJson *
vf_json_root(const VfJsonDoc *doc)
{
	return &doc->root;
}

void
vf_json_free(VfJsonDoc *doc)
{
	ArenaBlock *b;

	if (doc == NULL)
		return;
	b = doc->blocks;
	while (b)
	{
		ArenaBlock *next = b->next;

		free(b);
		b = next;
	}
	free(doc);
}

const VfJson *
vf_json_get(const VfJson *obj, const char *key)
{
	size_t		klen;

	if (obj == NULL || obj->type != VF_JSON_OBJECT)
		return NULL;
	klen = strlen(key);
	for (size_t i = 0; i < obj->len; i++)
		if (obj->key_lens[i] == klen && memcmp(obj->keys[i], key, klen) == 0)
			return &obj->items[i];
	return NULL;
}

double
vf_json_get_number(const VfJson *obj, const char *key, double dflt)
{
	const VfJson *v = vf_json_get(obj, key);

	return (v && v->type == VF_JSON_NUMBER) ? v->number : dflt;
}

int64_t
vf_json_get_int(const VfJson *obj, const char *key, int64_t dflt)
{
	const VfJson *v = vf_json_get(obj, key);

	return (v && v->type == VF_JSON_NUMBER && v->is_integer) ? v->integer : dflt;
}

bool
vf_json_get_bool(const VfJson *obj, const char *key, bool dflt)
{
	const VfJson *v = vf_json_get(obj, key);

	return (v && v->type == VF_JSON_BOOL) ? v->boolean : dflt;
}

const char *
vf_json_get_string(const VfJson *obj, const char *key, const char *dflt)
{
	const VfJson *v = vf_json_get(obj, key);

	return (v && v->type == VF_JSON_STRING) ? v->str : dflt;
}
