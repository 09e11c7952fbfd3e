/*
 * tokenizer_bpe.c: the BPE model of a Hugging Face tokenizer.json, applied to one word.
 *
 * Semantics follow the `tokenizers` crate: a word starts as one symbol per character
 * (continuing_subword_prefix on all but the first, end_of_word_suffix on the last; unknown
 * characters become unk_token, consecutive ones fused when fuse_unk); then the mergeable
 * adjacent pair of lowest rank is merged, leftmost first, until none is left. Merges are
 * "a b" strings (old files) or ["a", "b"] pairs (tokenizers >= 0.20); a pair listed twice
 * keeps its later rank, as the crate's HashMap does.
 *
 * Efficiency: ranks come from a hash keyed by the two symbol ids, candidates from a binary
 * heap ordered by (rank, position) over a doubly linked symbol list; a popped candidate is
 * checked against the current neighbours (stale ones are skipped). O(n log n) per word.
 *
 * Deviation, on purpose: a character with no token and no unk_token is an error here
 * (the crate silently drops it, which would silently drop bases).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

typedef struct MergeSlot
{
	uint64_t	key;			/* (a << 32 | b) + 1; 0 = empty */
	int32_t		rank;
	int32_t		new_id;
} MergeSlot;

struct VfBpeModel
{
	MergeSlot  *merges;
	size_t		cap;
	size_t		n;
	int32_t		unk_id;
	bool		fuse_unk;
	bool		byte_fallback;
	bool		ignore_merges;
	char	   *prefix;
	size_t		prefix_len;
	char	   *suffix;
	size_t		suffix_len;
	int32_t		byte_id[256];
};

static uint64_t
pair_key(int32_t a, int32_t b)
{
	return (((uint64_t) (uint32_t) a << 32) | (uint32_t) b) + 1;
}

static size_t
pair_slot(uint64_t key, size_t cap)
{
	uint64_t	h = key;

	/* splitmix64's finalizer: both ids reach the low bits the mask keeps */
	h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
	h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
	h ^= h >> 31;
	return (size_t) h & (cap - 1);
}

static const MergeSlot *
merge_get(const VfBpeModel *m, int32_t a, int32_t b)
{
	uint64_t	key = pair_key(a, b);

	if (m->cap == 0)
		return NULL;
	for (size_t j = pair_slot(key, m->cap); m->merges[j].key != 0; j = (j + 1) & (m->cap - 1))
		if (m->merges[j].key == key)
			return &m->merges[j];
	return NULL;
}

static void
merge_put(VfBpeModel *m, int32_t a, int32_t b, int32_t rank, int32_t new_id)
{
	uint64_t	key = pair_key(a, b);
	size_t		j;

	for (j = pair_slot(key, m->cap); m->merges[j].key != 0; j = (j + 1) & (m->cap - 1))
		if (m->merges[j].key == key)
			break;
	if (m->merges[j].key == 0)
		m->n++;
	m->merges[j].key = key;
	m->merges[j].rank = rank;
	m->merges[j].new_id = new_id;
}

void
vf_bpe_model_free(VfBpeModel *m)
{
	if (m == NULL)
		return;
	free(m->merges);
	free(m->prefix);
	free(m->suffix);
	free(m);
}

/* An optional string member: NULL/absent -> no string; anything but a string is an error. */
static int
opt_string(const VfJson *obj, const char *key, char **out, size_t *out_len, VfError *err)
{
	const VfJson *v = vf_json_get(obj, key);

	*out = NULL;
	*out_len = 0;
	if (v == NULL || v->type == VF_JSON_NULL)
		return 0;
	if (v->type != VF_JSON_STRING)
		return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: model.%s is not a string", key);
	if (v->len > 64)
		return vf_error(err, VF_ERR_LIMIT, "tokenizer.json: model.%s is longer than 64 bytes", key);
	*out = malloc(v->len + 1);
	if (*out == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory loading tokenizer.json");
	memcpy(*out, v->str, v->len + 1);
	*out_len = v->len;
	return 0;
}

static int
opt_bool(const VfJson *obj, const char *key, bool *out, VfError *err)
{
	const VfJson *v = vf_json_get(obj, key);

	*out = false;
	if (v == NULL || v->type == VF_JSON_NULL)
		return 0;
	if (v->type != VF_JSON_BOOL)
		return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: model.%s is not a boolean", key);
	*out = v->boolean;
	return 0;
}

/* Splits merge i into its two halves, in either encoding. */
static int
merge_halves(const VfJson *mj, size_t i, const char **a, size_t *alen,
			 const char **b, size_t *blen, VfError *err)
{
	if (mj->type == VF_JSON_STRING)
	{
		const char *sp = memchr(mj->str, ' ', mj->len);

		if (sp == NULL || memchr(sp + 1, ' ', mj->len - (size_t) (sp + 1 - mj->str)) != NULL)
			return vf_error(err, VF_ERR_CORRUPT,
							"tokenizer.json: merge %zu is not two tokens separated by one space", i + 1);
		*a = mj->str;
		*alen = (size_t) (sp - mj->str);
		*b = sp + 1;
		*blen = mj->len - *alen - 1;
		return 0;
	}
	if (mj->type == VF_JSON_ARRAY && mj->len == 2 &&
		mj->items[0].type == VF_JSON_STRING && mj->items[1].type == VF_JSON_STRING)
	{
		*a = mj->items[0].str;
		*alen = mj->items[0].len;
		*b = mj->items[1].str;
		*blen = mj->items[1].len;
		return 0;
	}
	return vf_error(err, VF_ERR_CORRUPT,
					"tokenizer.json: merge %zu is neither an \"a b\" string nor an [\"a\", \"b\"] pair", i + 1);
}

VfBpeModel *
vf_bpe_model_load(const VfJson *model, VfVocab *vocab, VfError *err)
{
	VfBpeModel *m = calloc(1, sizeof(VfBpeModel));
	const VfJson *merges = vf_json_get(model, "merges");
	const VfJson *dropout = vf_json_get(model, "dropout");
	char	   *unk = NULL;
	size_t		unk_len = 0;
	char	   *buf = NULL;

	if (m == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory loading tokenizer.json");
		return NULL;
	}
	m->unk_id = -1;
	if (opt_string(model, "continuing_subword_prefix", &m->prefix, &m->prefix_len, err) < 0 ||
		opt_string(model, "end_of_word_suffix", &m->suffix, &m->suffix_len, err) < 0 ||
		opt_string(model, "unk_token", &unk, &unk_len, err) < 0 ||
		opt_bool(model, "fuse_unk", &m->fuse_unk, err) < 0 ||
		opt_bool(model, "byte_fallback", &m->byte_fallback, err) < 0 ||
		opt_bool(model, "ignore_merges", &m->ignore_merges, err) < 0)
		goto fail;
	if (dropout != NULL && dropout->type != VF_JSON_NULL &&
		!(dropout->type == VF_JSON_NUMBER && dropout->number == 0.0))
	{
		vf_error(err, VF_ERR_UNSUPPORTED, "tokenizer.json: BPE dropout is set; it makes tokenization random");
		vf_error_hint(err, "Set \"dropout\": null in the model section.");
		goto fail;
	}
	if (unk != NULL)
	{
		m->unk_id = vf_vocab_get(vocab, unk, unk_len);
		if (m->unk_id < 0)
		{
			vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: unk_token \"%.64s\" is not in the vocabulary", unk);
			goto fail;
		}
	}
	for (int c = 0; c < 256; c++)
	{
		char		name[8];

		snprintf(name, sizeof(name), "<0x%02X>", c);
		m->byte_id[c] = vf_vocab_get(vocab, name, 6);
	}
	if (merges == NULL || merges->type == VF_JSON_NULL)
		merges = NULL;
	else if (merges->type != VF_JSON_ARRAY)
	{
		vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: model.merges is not an array");
		goto fail;
	}
	else if (merges->len > VF_TOK_MAX_MERGES)
	{
		vf_error(err, VF_ERR_LIMIT, "tokenizer.json: %zu merges exceed the limit of %d", merges->len, VF_TOK_MAX_MERGES);
		goto fail;
	}
	if (merges != NULL && merges->len > 0)
	{
		VfJsonType first = merges->items[0].type;

		m->cap = 16;
		while (m->cap < merges->len * 2)
			m->cap *= 2;
		m->merges = calloc(m->cap, sizeof(MergeSlot));
		buf = malloc(2 * VF_TOK_MAX_TOKEN_LEN + 1);
		if (m->merges == NULL || buf == NULL)
		{
			vf_error(err, VF_ERR_NOMEM, "out of memory loading %zu merges", merges->len);
			goto fail;
		}
		for (size_t i = 0; i < merges->len; i++)
		{
			const char *a = NULL,
					   *b = NULL;
			size_t		alen = 0,
						blen = 0;
			int32_t		ia,
						ib,
						inew;

			if (merges->items[i].type != first)
			{
				vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: merges mix \"a b\" strings and [\"a\", \"b\"] pairs (merge %zu)", i + 1);
				goto fail;
			}
			if (merge_halves(&merges->items[i], i, &a, &alen, &b, &blen, err) < 0)
				goto fail;
			ia = vf_vocab_get(vocab, a, alen);
			ib = vf_vocab_get(vocab, b, blen);
			if (ia < 0 || ib < 0)
			{
				vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: merge %zu uses \"%.*s\", which is not in the vocabulary",
						 i + 1, (int) (ia < 0 ? (alen > 64 ? 64 : alen) : (blen > 64 ? 64 : blen)), ia < 0 ? a : b);
				goto fail;
			}
			/* the merged token drops b's continuing-subword prefix, as the crate does */
			if (blen < m->prefix_len || alen > VF_TOK_MAX_TOKEN_LEN || blen > VF_TOK_MAX_TOKEN_LEN)
			{
				vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: merge %zu has a malformed second token", i + 1);
				goto fail;
			}
			memcpy(buf, a, alen);
			memcpy(buf + alen, b + m->prefix_len, blen - m->prefix_len);
			inew = vf_vocab_get(vocab, buf, alen + blen - m->prefix_len);
			if (inew < 0)
			{
				vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: merge %zu makes \"%.*s\", which is not in the vocabulary",
						 i + 1, (int) ((alen + blen - m->prefix_len) > 64 ? 64 : (alen + blen - m->prefix_len)), buf);
				goto fail;
			}
			merge_put(m, ia, ib, (int32_t) i, inew);
		}
	}
	free(buf);
	free(unk);
	return m;
fail:
	free(buf);
	free(unk);
	vf_bpe_model_free(m);
	return NULL;
}

typedef struct Sym
{
	int32_t		id;
	int32_t		prev;
	int32_t		next;
	bool		dead;
} Sym;

typedef struct Cand
{
	int32_t		rank;
	int32_t		pos;
	int32_t		new_id;
} Cand;

static bool
cand_less(const Cand *x, const Cand *y)
{
	return x->rank != y->rank ? x->rank < y->rank : x->pos < y->pos;
}

static void
heap_push(Cand *h, size_t *n, Cand c)
{
	size_t		i = (*n)++;

	while (i > 0)
	{
		size_t		p = (i - 1) / 2;

		if (!cand_less(&c, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = c;
}

static Cand
heap_pop(Cand *h, size_t *n)
{
	Cand		top = h[0];
	Cand		last = h[--(*n)];
	size_t		i = 0;

	for (;;)
	{
		size_t		l = 2 * i + 1,
					r = l + 1,
					m = i;
		const Cand *best = &last;

		if (l < *n && cand_less(&h[l], best))
		{
			m = l;
			best = &h[l];
		}
		if (r < *n && cand_less(&h[r], best))
			m = r;
		if (m == i)
			break;
		h[i] = h[m];
		i = m;
	}
	if (*n > 0)
		h[i] = last;
	return top;
}

static void
push_pair(const VfBpeModel *m, const Sym *sym, int32_t pos, Cand *heap, size_t *nheap)
{
	int32_t		nx = sym[pos].next;
	const MergeSlot *ms;

	if (nx < 0)
		return;
	ms = merge_get(m, sym[pos].id, sym[nx].id);
	if (ms != NULL)
		heap_push(heap, nheap, (Cand) {ms->rank, pos, ms->new_id});
}

int
vf_bpe_model_word(const VfBpeModel *m, const VfVocab *vocab, const char *w, size_t len,
				  VfIds *out, VfError *err)
{
	Sym		   *sym;
	Cand	   *heap;
	size_t		nsym = 0,
				nheap = 0;
	bool		unk_pending = false;
	char		piece[64 + 1 + 64];

	if (len == 0)
		return 0;
	if (m->ignore_merges)
	{
		int32_t		id = vf_vocab_get(vocab, w, len);

		if (id >= 0)
			return vf_ids_push(out, id, err);
	}
	/* every character can add one symbol; every merge or neighbour change one candidate */
	sym = malloc(len * sizeof(Sym));
	heap = malloc(3 * len * sizeof(Cand) + sizeof(Cand));
	if (sym == NULL || heap == NULL)
	{
		free(sym);
		free(heap);
		return vf_error(err, VF_ERR_NOMEM, "out of memory tokenizing a word of %zu characters", len);
	}
	for (size_t i = 0; i < len; i++)
	{
		size_t		n = 0;
		int32_t		id;

		if (i > 0 && m->prefix_len)
		{
			memcpy(piece, m->prefix, m->prefix_len);
			n = m->prefix_len;
		}
		piece[n++] = w[i];
		if (i == len - 1 && m->suffix_len)
		{
			memcpy(piece + n, m->suffix, m->suffix_len);
			n += m->suffix_len;
		}
		id = vf_vocab_get(vocab, piece, n);
		if (id < 0 && m->byte_fallback)
			id = m->byte_id[(unsigned char) w[i]];
		if (id >= 0)
		{
			if (unk_pending)
				sym[nsym++] = (Sym) {m->unk_id, 0, 0, false};
			unk_pending = false;
			sym[nsym++] = (Sym) {id, 0, 0, false};
			continue;
		}
		if (m->unk_id < 0)
		{
			unsigned char c = (unsigned char) w[i];

			free(sym);
			free(heap);
			if (c >= 0x21 && c < 0x7f)
				return vf_error(err, VF_ERR_INVALID,
								"character '%c' is not in the BPE vocabulary, which has no unk_token", c);
			return vf_error(err, VF_ERR_INVALID,
							"character 0x%02X is not in the BPE vocabulary, which has no unk_token", c);
		}
		if (unk_pending && !m->fuse_unk)
			sym[nsym++] = (Sym) {m->unk_id, 0, 0, false};
		unk_pending = true;
	}
	if (unk_pending)
		sym[nsym++] = (Sym) {m->unk_id, 0, 0, false};
	for (size_t i = 0; i < nsym; i++)
	{
		sym[i].prev = (int32_t) i - 1;
		sym[i].next = i + 1 < nsym ? (int32_t) i + 1 : -1;
	}
	for (size_t i = 0; i + 1 < nsym; i++)
		push_pair(m, sym, (int32_t) i, heap, &nheap);
	while (nheap > 0)
	{
		Cand		c = heap_pop(heap, &nheap);
		int32_t		nx;
		const MergeSlot *ms;

		if (sym[c.pos].dead || (nx = sym[c.pos].next) < 0)
			continue;
		/* stale if the pair at pos changed: a pair's span only grows, so equal result = same pair */
		ms = merge_get(m, sym[c.pos].id, sym[nx].id);
		if (ms == NULL || ms->new_id != c.new_id)
			continue;
		sym[c.pos].id = c.new_id;
		sym[c.pos].next = sym[nx].next;
		sym[nx].dead = true;
		if (sym[nx].next >= 0)
			sym[sym[nx].next].prev = c.pos;
		if (sym[c.pos].prev >= 0)
			push_pair(m, sym, sym[c.pos].prev, heap, &nheap);
		push_pair(m, sym, c.pos, heap, &nheap);
	}
	for (int32_t i = nsym ? 0 : -1; i >= 0; i = sym[i].next)
		if (vf_ids_push(out, sym[i].id, err) < 0)
		{
			free(sym);
			free(heap);
			return -1;
		}
	free(sym);
	free(heap);
	return 0;
}
