/*
 * vocab.c: what every tokenizer kind shares: the vocabulary hash (token bytes -> id), the
 * growable id list, and vocab.txt split into lines as Hugging Face reads it.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

/* ---------- vocabulary hash ---------- */

static uint64_t
vocab_hash(const char *s, size_t len)
{
	uint64_t	h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
	{
		h ^= (unsigned char) s[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

void
vf_vocab_init(VfVocab *v)
{
	memset(v, 0, sizeof(*v));
	v->max_id = -1;
}

static int
vocab_grow(VfVocab *v, VfError *err)
{
	size_t		ncap = v->cap ? v->cap * 2 : 64;
	VfVocabSlot *ns = calloc(ncap, sizeof(VfVocabSlot));

	if (ns == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory building a tokenizer vocabulary");
	for (size_t i = 0; i < v->cap; i++)
	{
		VfVocabSlot *s = &v->slots[i];
		size_t		j;

		if (s->hash == 0)
			continue;
		for (j = s->hash & (ncap - 1); ns[j].hash != 0; j = (j + 1) & (ncap - 1))
			;
		ns[j] = *s;
	}
	free(v->slots);
	v->slots = ns;
	v->cap = ncap;
	return 0;
}

int
vf_vocab_put(VfVocab *v, const char *s, size_t len, int32_t id, VfError *err)
{
	uint64_t	h = vocab_hash(s, len);
	size_t		j;

	if (len > VF_TOK_MAX_TOKEN_LEN)
		return vf_error(err, VF_ERR_LIMIT, "token of %zu bytes exceeds the limit of %d bytes",
						len, VF_TOK_MAX_TOKEN_LEN);
	if (id < 0)
		return vf_error(err, VF_ERR_CORRUPT, "negative token id %d", (int) id);
	if ((v->n + 1) * 2 > v->cap && vocab_grow(v, err) < 0)
		return -1;
	for (j = h & (v->cap - 1); v->slots[j].hash != 0; j = (j + 1) & (v->cap - 1))
	{
		VfVocabSlot *sl = &v->slots[j];

		if (sl->hash == h && sl->len == len && memcmp(v->pool + sl->off, s, len) == 0)
		{
			sl->id = id;
			if (id > v->max_id)
				v->max_id = id;
			return 0;
		}
	}
	if (v->n >= VF_TOK_MAX_VOCAB)
		return vf_error(err, VF_ERR_LIMIT, "vocabulary exceeds %d tokens", VF_TOK_MAX_VOCAB);
	if (v->pool_len + len > v->pool_cap)
	{
		size_t		ncap = v->pool_cap ? v->pool_cap : 4096;
		char	   *np;

		while (ncap < v->pool_len + len)
			ncap *= 2;
		if (ncap > UINT32_MAX)
			return vf_error(err, VF_ERR_LIMIT, "vocabulary text exceeds 4 GiB");
		np = realloc(v->pool, ncap);
		if (np == NULL)
			return vf_error(err, VF_ERR_NOMEM, "out of memory building a tokenizer vocabulary");
		v->pool = np;
		v->pool_cap = ncap;
	}
	if (len > 0)
		memcpy(v->pool + v->pool_len, s, len);
	v->slots[j].hash = h;
	v->slots[j].off = (uint32_t) v->pool_len;
	v->slots[j].len = (uint32_t) len;
	v->slots[j].id = id;
	v->pool_len += len;
	v->n++;
	if (id > v->max_id)
		v->max_id = id;
	return 0;
}

int32_t
vf_vocab_get(const VfVocab *v, const char *s, size_t len)
{
	uint64_t	h;

	if (v->cap == 0)
		return -1;
	h = vocab_hash(s, len);
	for (size_t j = h & (v->cap - 1); v->slots[j].hash != 0; j = (j + 1) & (v->cap - 1))
	{
		const VfVocabSlot *sl = &v->slots[j];

		if (sl->hash == h && sl->len == len && memcmp(v->pool + sl->off, s, len) == 0)
			return sl->id;
	}
	return -1;
}

void
vf_vocab_free(VfVocab *v)
{
	free(v->slots);
	free(v->pool);
	vf_vocab_init(v);
}

int
vf_ids_push(VfIds *ids, int32_t id, VfError *err)
{
	if (ids->n == ids->cap)
	{
		size_t		ncap = ids->cap ? ids->cap * 2 : 256;
		int32_t    *nv;

		if (ncap > (size_t) INT_MAX)
			return vf_error(err, VF_ERR_LIMIT, "more than %d tokens", INT_MAX);
		nv = realloc(ids->v, ncap * sizeof(int32_t));
		if (nv == NULL)
			return vf_error(err, VF_ERR_NOMEM, "out of memory tokenizing");
		ids->v = nv;
		ids->cap = ncap;
	}
	ids->v[ids->n++] = id;
	return 0;
}

/* ---------- vocab.txt ---------- */

/* Python's str.splitlines() boundaries and str.strip() whitespace, for ASCII. */
static bool
is_line_break(unsigned char c)
{
	return c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e);
}

static bool
is_py_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

int
vf_vocab_txt_lines(const char *text, size_t len, VfVocabLineFn fn, void *arg,
				   int32_t *n_lines, VfError *err)
{
	size_t		i = 0;
	int32_t		lineno = 0;

	if (len > VF_TOK_MAX_FILE)
		return vf_error(err, VF_ERR_LIMIT, "vocab.txt of %zu bytes exceeds the limit of %zu bytes",
						len, VF_TOK_MAX_FILE);
	while (i < len)
	{
		size_t		s = i,
					e;

		while (i < len && !is_line_break((unsigned char) text[i]))
			i++;
		e = i;
		if (i < len)
		{
			if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
				i++;
			i++;
		}
		while (s < e && is_py_space((unsigned char) text[s]))
			s++;
		while (e > s && is_py_space((unsigned char) text[e - 1]))
			e--;
		if (lineno >= VF_TOK_MAX_VOCAB)
			return vf_error(err, VF_ERR_LIMIT, "vocab.txt has more than %d lines", VF_TOK_MAX_VOCAB);
		if (fn && fn(arg, text + s, e - s, lineno, err) < 0)
			return -1;
		lineno++;
	}
	*n_lines = lineno;
	return 0;
}
