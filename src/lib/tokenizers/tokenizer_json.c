/*
 * tokenizer_json.c: a Hugging Face tokenizer.json pipeline for DNA models (plain C).
 *
 * Order, as the `tokenizers` crate runs it with add_special_tokens=true:
 *   1. added tokens are cut out of the raw text (leftmost-longest; lstrip/rstrip swallow
 *      neighbouring whitespace; single_word requires non-word neighbours);
 *   2. each remaining piece is normalized, pre-tokenized into words, and each word goes
 *      through the model (BPE, or WordLevel over single characters);
 *   3. the post-processor wraps the ids (TemplateProcessing, BertProcessing,
 *      RobertaProcessing, ByteLevel, or a Sequence of them).
 * WordLevel is supported when its words are single characters: each character of each
 * pre-token is looked up (unknown -> unk_token), which is what the crate's whole-word lookup
 * gives after the char-splitting Split pre-tokenizer such files carry.
 * Input is ASCII (tokenizer.c refuses other bytes), so Unicode normalization forms and
 * accent stripping are identities and character classes are the ASCII ones. Components
 * that would change ASCII DNA text in ways not implemented here (Regex replace, Split,
 * Metaspace, ByteLevel pre-tokenizer, WordPiece/Unigram models) are refused by name.
 * Simplification: every added token is matched on the raw text, normalized or not.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

#define MAX_NORM_OPS 64
#define MAX_PRE_OPS 64
#define MAX_POST 16
#define MAX_TEMPLATE_PIECES 64
#define MAX_SPECIAL_IDS 64

typedef enum NormKind
{
	NORM_LOWER,
	NORM_STRIP,
	NORM_BERT,
	NORM_REPLACE,
	NORM_PREPEND
} NormKind;

typedef struct NormOp
{
	NormKind	kind;
	bool		left,
				right;			/* Strip */
	bool		clean_text,
				lowercase;		/* BertNormalizer */
	char	   *pattern;		/* Replace */
	size_t		pattern_len;
	char	   *content;		/* Replace, Prepend */
	size_t		content_len;
} NormOp;

typedef enum PreKind
{
	PRE_WHITESPACE,				/* \w+|[^\w\s]+ */
	PRE_WHITESPACE_SPLIT,
	PRE_BERT
} PreKind;

typedef struct TemplatePiece
{
	bool		is_sequence;
	int			n_ids;
	int32_t		ids[MAX_SPECIAL_IDS];
} TemplatePiece;

typedef struct PostProc
{
	int			n_pieces;
	TemplatePiece pieces[MAX_TEMPLATE_PIECES];
} PostProc;

typedef struct AddedTok
{
	char	   *content;
	size_t		len;
	int32_t		id;
	bool		lstrip,
				rstrip,
				single_word;
} AddedTok;

typedef struct JsonTok
{
	VfVocab		vocab;
	VfBpeModel *bpe;			/* NULL: WordLevel over characters */
	int32_t		unk_id;			/* WordLevel */
	AddedTok   *added;
	int			n_added;
	int		   *by_first[256];	/* added token indices by first byte, longest first */
	int			n_by_first[256];
	NormOp		norm[MAX_NORM_OPS];
	int			n_norm;
	PreKind		pre[MAX_PRE_OPS];
	int			n_pre;
	bool		has_pre;
	bool		char_mode;		/* WordLevel over single characters */
	PostProc   *post;
	int			n_post;
} JsonTok;

static void
json_tok_free(void *impl)
{
	JsonTok    *jt = impl;

	if (jt == NULL)
		return;
	vf_vocab_free(&jt->vocab);
	vf_bpe_model_free(jt->bpe);
	for (int i = 0; i < jt->n_added; i++)
		free(jt->added[i].content);
	free(jt->added);
	for (int c = 0; c < 256; c++)
		free(jt->by_first[c]);
	for (int i = 0; i < jt->n_norm; i++)
	{
		free(jt->norm[i].pattern);
		free(jt->norm[i].content);
	}
	free(jt->post);
	free(jt);
}

/* ---------- loading ---------- */

static const char *
type_of(const VfJson *obj)
{
	const VfJson *t = vf_json_get(obj, "type");

	return (t != NULL && t->type == VF_JSON_STRING) ? t->str : NULL;
}

static int
get_bool(const VfJson *obj, const char *key, bool dflt, bool *out, const char *where, VfError *err)
{
	const VfJson *v = vf_json_get(obj, key);

	if (v == NULL || v->type == VF_JSON_NULL)
		*out = dflt;
	else if (v->type == VF_JSON_BOOL)
		*out = v->boolean;
	else
		return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: %s.%s is not a boolean", where, key);
	return 0;
}

static bool
all_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
			return false;
	return true;
}

static int
copy_str(const VfJson *v, char **out, size_t *out_len, const char *what, VfError *err)
{
	if (v == NULL || v->type != VF_JSON_STRING)
		return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: %s is not a string", what);
	if (v->len > VF_TOK_MAX_TOKEN_LEN)
		return vf_error(err, VF_ERR_LIMIT, "tokenizer.json: %s is longer than %d bytes", what, VF_TOK_MAX_TOKEN_LEN);
	*out = malloc(v->len + 1);
	if (*out == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory loading tokenizer.json");
	memcpy(*out, v->str, v->len + 1);
	*out_len = v->len;
	return 0;
}

static int
load_normalizer(JsonTok *jt, const VfJson *n, int depth, VfError *err)
{
	const char *type;

	if (n == NULL || n->type == VF_JSON_NULL)
		return 0;
	if (n->type != VF_JSON_OBJECT || (type = type_of(n)) == NULL)
		return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: normalizer is not an object with a \"type\"");
	if (depth > 8)
		return vf_error(err, VF_ERR_LIMIT, "tokenizer.json: normalizer Sequences nested deeper than 8");
	if (strcmp(type, "Sequence") == 0)
	{
		const VfJson *list = vf_json_get(n, "normalizers");

		if (list == NULL || list->type != VF_JSON_ARRAY)
			return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: Sequence normalizer without a \"normalizers\" array");
		for (size_t i = 0; i < list->len; i++)
			if (load_normalizer(jt, &list->items[i], depth + 1, err) < 0)
				return -1;
		return 0;
	}
	/* Unicode normalization and accent stripping do not change ASCII text. */
	if (strcmp(type, "NFC") == 0 || strcmp(type, "NFD") == 0 || strcmp(type, "NFKC") == 0 ||
		strcmp(type, "NFKD") == 0 || strcmp(type, "StripAccents") == 0)
		return 0;
	if (jt->n_norm >= MAX_NORM_OPS)
		return vf_error(err, VF_ERR_LIMIT, "tokenizer.json: more than %d normalizers", MAX_NORM_OPS);
	{
		NormOp	   *op = &jt->norm[jt->n_norm];

		memset(op, 0, sizeof(*op));
		if (strcmp(type, "Lowercase") == 0)
			op->kind = NORM_LOWER;
		else if (strcmp(type, "Strip") == 0)
		{
			op->kind = NORM_STRIP;
			if (get_bool(n, "strip_left", true, &op->left, "Strip", err) < 0 ||
				get_bool(n, "strip_right", true, &op->right, "Strip", err) < 0)
				return -1;
		}
		else if (strcmp(type, "BertNormalizer") == 0)
		{
			op->kind = NORM_BERT;
			if (get_bool(n, "clean_text", true, &op->clean_text, "BertNormalizer", err) < 0 ||
				get_bool(n, "lowercase", true, &op->lowercase, "BertNormalizer", err) < 0)
				return -1;
		}
		else if (strcmp(type, "Replace") == 0)
		{
			const VfJson *pat = vf_json_get(n, "pattern");
			const VfJson *lit = pat ? vf_json_get(pat, "String") : NULL;

			op->kind = NORM_REPLACE;
			if (lit == NULL)
				return vf_error(err, VF_ERR_UNSUPPORTED,
								"tokenizer.json: Replace normalizer with a non-literal (Regex) pattern is not supported");
			jt->n_norm++;		/* owned from here on, freed with jt */
			if (copy_str(lit, &op->pattern, &op->pattern_len, "Replace pattern", err) < 0 ||
				copy_str(vf_json_get(n, "content"), &op->content, &op->content_len, "Replace content", err) < 0)
				return -1;
			if (op->pattern_len == 0 || !all_ascii(op->pattern, op->pattern_len) ||
				!all_ascii(op->content, op->content_len))
				return vf_error(err, VF_ERR_UNSUPPORTED,
								"tokenizer.json: Replace normalizer with an empty or non-ASCII pattern or content is not supported");
			return 0;
		}
		else if (strcmp(type, "Prepend") == 0)
		{
			op->kind = NORM_PREPEND;
			jt->n_norm++;
			if (copy_str(vf_json_get(n, "prepend"), &op->content, &op->content_len, "Prepend prepend", err) < 0)
				return -1;
			if (!all_ascii(op->content, op->content_len))
				return vf_error(err, VF_ERR_UNSUPPORTED,
								"tokenizer.json: Prepend normalizer with non-ASCII text (SentencePiece style) is not supported");
			return 0;
		}
		else
		{
			vf_error(err, VF_ERR_UNSUPPORTED, "tokenizer.json: normalizer \"%.40s\" is not supported", type);
			vf_error_hint(err, "Supported: Sequence, Lowercase, Strip, BertNormalizer, Replace (literal), Prepend (ASCII), NFC, NFD, NFKC, NFKD, StripAccents.");
			return -1;
		}
		jt->n_norm++;
	}
	return 0;
}

static int
load_pre_tokenizer(JsonTok *jt, const VfJson *p, int depth, VfError *err)
{
	const char *type;

	if (p == NULL || p->type == VF_JSON_NULL)
		return 0;
	if (p->type != VF_JSON_OBJECT || (type = type_of(p)) == NULL)
		return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: pre_tokenizer is not an object with a \"type\"");
	if (depth > 8)
		return vf_error(err, VF_ERR_LIMIT, "tokenizer.json: pre_tokenizer Sequences nested deeper than 8");
	jt->has_pre = true;
	if (strcmp(type, "Sequence") == 0)
	{
		const VfJson *list = vf_json_get(p, "pretokenizers");

		if (list == NULL || list->type != VF_JSON_ARRAY)
			return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: Sequence pre_tokenizer without a \"pretokenizers\" array");
		for (size_t i = 0; i < list->len; i++)
			if (load_pre_tokenizer(jt, &list->items[i], depth + 1, err) < 0)
				return -1;
		return 0;
	}
	if (jt->n_pre >= MAX_PRE_OPS)
		return vf_error(err, VF_ERR_LIMIT, "tokenizer.json: more than %d pre-tokenizers", MAX_PRE_OPS);
	if (strcmp(type, "Whitespace") == 0)
		jt->pre[jt->n_pre++] = PRE_WHITESPACE;
	else if (strcmp(type, "WhitespaceSplit") == 0)
		jt->pre[jt->n_pre++] = PRE_WHITESPACE_SPLIT;
	else if (strcmp(type, "BertPreTokenizer") == 0)
		jt->pre[jt->n_pre++] = PRE_BERT;
	else if (strcmp(type, "Split") == 0 && jt->char_mode &&
			 strcmp(vf_json_get_string(p, "behavior", ""), "Removed") != 0)
	{
		/*
		 * Character-level files split with Split (e.g. Regex "", Isolated) so that the
		 * crate's whole-word lookup sees single characters. Every behaviour but Removed keeps
		 * every character, and we look characters up one by one anyway: nothing to do.
		 */
	}
	else
	{
		vf_error(err, VF_ERR_UNSUPPORTED, "tokenizer.json: pre_tokenizer \"%.40s\" is not supported", type);
		vf_error_hint(err, "Supported: Whitespace, WhitespaceSplit, BertPreTokenizer, Sequences of them, and Split for character-level WordLevel.");
		return -1;
	}
	return 0;
}

/* A special token named in a post-processor: its ids from special_tokens or added tokens. */
static int
special_piece(const VfJson *specials, const char *name, TemplatePiece *tp, VfError *err)
{
	const VfJson *sp = specials ? vf_json_get(specials, name) : NULL;

	tp->is_sequence = false;
	tp->n_ids = 0;
	if (sp != NULL)
	{
		const VfJson *ids = vf_json_get(sp, "ids");

		if (ids == NULL || ids->type != VF_JSON_ARRAY || ids->len == 0 || ids->len > MAX_SPECIAL_IDS)
			return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: special token \"%.64s\" has no valid \"ids\" list", name);
		for (size_t i = 0; i < ids->len; i++)
		{
			const VfJson *x = &ids->items[i];

			if (x->type != VF_JSON_NUMBER || !x->is_integer || x->integer < 0 || x->integer >= INT32_MAX)
				return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: special token \"%.64s\" has a bad id", name);
			tp->ids[tp->n_ids++] = (int32_t) x->integer;
		}
		return 0;
	}
	return vf_error(err, VF_ERR_CORRUPT,
					"tokenizer.json: post_processor template names \"%.64s\", which is not in its special_tokens", name);
}

static int
load_template(const VfJson *p, PostProc *pp, VfError *err)
{
	const VfJson *single = vf_json_get(p, "single");
	const VfJson *specials = vf_json_get(p, "special_tokens");
	int			n_seq = 0;

	if (single == NULL || single->type != VF_JSON_ARRAY)
		return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: TemplateProcessing without a \"single\" template array");
	if (single->len > MAX_TEMPLATE_PIECES)
		return vf_error(err, VF_ERR_LIMIT, "tokenizer.json: template of more than %d pieces", MAX_TEMPLATE_PIECES);
	if (specials != NULL && specials->type != VF_JSON_OBJECT && specials->type != VF_JSON_NULL)
		return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: TemplateProcessing special_tokens is not an object");
	for (size_t i = 0; i < single->len; i++)
	{
		const VfJson *piece = &single->items[i];
		const VfJson *seq = vf_json_get(piece, "Sequence");
		const VfJson *spt = vf_json_get(piece, "SpecialToken");
		TemplatePiece *tp = &pp->pieces[pp->n_pieces];

		if (seq != NULL)
		{
			const char *id = vf_json_get_string(seq, "id", "A");

			if (strcmp(id, "A") != 0)
				return vf_error(err, VF_ERR_CORRUPT,
								"tokenizer.json: the single-sequence template uses sequence \"%.8s\"; only A exists", id);
			if (n_seq++ > 0)
				return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: the single-sequence template uses $A twice");
			tp->is_sequence = true;
			tp->n_ids = 0;
		}
		else if (spt != NULL)
		{
			const VfJson *id = vf_json_get(spt, "id");

			if (id == NULL || id->type != VF_JSON_STRING)
				return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: template SpecialToken without an \"id\" string");
			if (special_piece(specials, id->str, tp, err) < 0)
				return -1;
		}
		else
			return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: template piece %zu is neither Sequence nor SpecialToken", i + 1);
		pp->n_pieces++;
	}
	return 0;
}

/* BertProcessing / RobertaProcessing: "cls": ["[CLS]", 1], "sep": ["[SEP]", 2]. */
static int
load_cls_sep(const VfJson *p, const char *key, TemplatePiece *tp, VfError *err)
{
	const VfJson *v = vf_json_get(p, key);

	if (v == NULL || v->type != VF_JSON_ARRAY || v->len != 2 || v->items[0].type != VF_JSON_STRING ||
		v->items[1].type != VF_JSON_NUMBER || !v->items[1].is_integer ||
		v->items[1].integer < 0 || v->items[1].integer >= INT32_MAX)
		return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: post_processor \"%s\" is not a [token, id] pair", key);
	tp->is_sequence = false;
	tp->n_ids = 1;
	tp->ids[0] = (int32_t) v->items[1].integer;
	return 0;
}

static int
load_post(JsonTok *jt, const VfJson *p, int depth, VfError *err)
{
	const char *type;
	PostProc   *pp;

	if (p == NULL || p->type == VF_JSON_NULL)
		return 0;
	if (p->type != VF_JSON_OBJECT || (type = type_of(p)) == NULL)
		return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: post_processor is not an object with a \"type\"");
	if (depth > 8)
		return vf_error(err, VF_ERR_LIMIT, "tokenizer.json: post_processor Sequences nested deeper than 8");
	if (strcmp(type, "Sequence") == 0)
	{
		const VfJson *list = vf_json_get(p, "processors");

		if (list == NULL || list->type != VF_JSON_ARRAY)
			return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: Sequence post_processor without a \"processors\" array");
		for (size_t i = 0; i < list->len; i++)
			if (load_post(jt, &list->items[i], depth + 1, err) < 0)
				return -1;
		return 0;
	}
	if (strcmp(type, "ByteLevel") == 0)
		return 0;				/* only trims offsets */
	if (jt->n_post >= MAX_POST)
		return vf_error(err, VF_ERR_LIMIT, "tokenizer.json: more than %d post-processors", MAX_POST);
	pp = &jt->post[jt->n_post];
	memset(pp, 0, sizeof(*pp));
	if (strcmp(type, "TemplateProcessing") == 0)
	{
		if (load_template(p, pp, err) < 0)
			return -1;
	}
	else if (strcmp(type, "BertProcessing") == 0 || strcmp(type, "RobertaProcessing") == 0)
	{
		if (load_cls_sep(p, "cls", &pp->pieces[0], err) < 0 ||
			load_cls_sep(p, "sep", &pp->pieces[2], err) < 0)
			return -1;
		pp->pieces[1].is_sequence = true;
		pp->n_pieces = 3;
	}
	else
	{
		vf_error(err, VF_ERR_UNSUPPORTED, "tokenizer.json: post_processor \"%.40s\" is not supported", type);
		vf_error_hint(err, "Supported: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence.");
		return -1;
	}
	jt->n_post++;
	return 0;
}

static int
load_added(JsonTok *jt, const VfJson *list, VfError *err)
{
	if (list == NULL || list->type == VF_JSON_NULL)
		return 0;
	if (list->type != VF_JSON_ARRAY)
		return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: added_tokens is not an array");
	if (list->len > VF_TOK_MAX_ADDED)
		return vf_error(err, VF_ERR_LIMIT, "tokenizer.json: more than %d added tokens", VF_TOK_MAX_ADDED);
	jt->added = calloc(list->len ? list->len : 1, sizeof(AddedTok));
	if (jt->added == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory loading tokenizer.json");
	for (size_t i = 0; i < list->len; i++)
	{
		const VfJson *a = &list->items[i];
		const VfJson *id = vf_json_get(a, "id");
		AddedTok   *t = &jt->added[jt->n_added];

		if (a->type != VF_JSON_OBJECT || id == NULL || id->type != VF_JSON_NUMBER || !id->is_integer ||
			id->integer < 0 || id->integer >= INT32_MAX)
			return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: added token %zu has no valid \"id\"", i + 1);
		if (copy_str(vf_json_get(a, "content"), &t->content, &t->len, "added token content", err) < 0)
			return -1;
		jt->n_added++;
		if (t->len == 0)
			return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: added token %zu has empty content", i + 1);
		t->id = (int32_t) id->integer;
		if (get_bool(a, "lstrip", false, &t->lstrip, "added_tokens", err) < 0 ||
			get_bool(a, "rstrip", false, &t->rstrip, "added_tokens", err) < 0 ||
			get_bool(a, "single_word", false, &t->single_word, "added_tokens", err) < 0)
			return -1;
	}
	/* index by first byte, longest first, so the first hit at a position is the longest */
	for (int i = 0; i < jt->n_added; i++)
		jt->n_by_first[(unsigned char) jt->added[i].content[0]]++;
	for (int c = 0; c < 256; c++)
	{
		int			n = 0;

		if (jt->n_by_first[c] == 0)
			continue;
		jt->by_first[c] = malloc(sizeof(int) * (size_t) jt->n_by_first[c]);
		if (jt->by_first[c] == NULL)
			return vf_error(err, VF_ERR_NOMEM, "out of memory loading tokenizer.json");
		for (int i = 0; i < jt->n_added; i++)
			if ((unsigned char) jt->added[i].content[0] == c)
			{
				int			j = n++;

				/* stable insertion by length, descending; equal lengths keep file order */
				while (j > 0 && jt->added[jt->by_first[c][j - 1]].len < jt->added[i].len)
				{
					jt->by_first[c][j] = jt->by_first[c][j - 1];
					j--;
				}
				jt->by_first[c][j] = i;
			}
	}
	return 0;
}

static int
load_vocab_obj(JsonTok *jt, const VfJson *vocab, VfError *err)
{
	if (vocab == NULL || vocab->type != VF_JSON_OBJECT)
		return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: model.vocab is not an object of token -> id");
	if (vocab->len > VF_TOK_MAX_VOCAB)
		return vf_error(err, VF_ERR_LIMIT, "tokenizer.json: vocabulary of %zu tokens exceeds %d", vocab->len, VF_TOK_MAX_VOCAB);
	for (size_t i = 0; i < vocab->len; i++)
	{
		const VfJson *id = &vocab->items[i];

		if (id->type != VF_JSON_NUMBER || !id->is_integer || id->integer < 0 || id->integer >= INT32_MAX)
			return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: vocabulary token \"%.64s\" has no valid id", vocab->keys[i]);
		if (vf_vocab_put(&jt->vocab, vocab->keys[i], vocab->key_lens[i], (int32_t) id->integer, err) < 0)
			return -1;
	}
	return 0;
}

static bool
is_added_content(const JsonTok *jt, const char *s, size_t len)
{
	for (int i = 0; i < jt->n_added; i++)
		if (jt->added[i].len == len && memcmp(jt->added[i].content, s, len) == 0)
			return true;
	return false;
}

/* WordLevel is taken as a character tokenizer only if its words are single characters. */
static int
load_wordlevel(JsonTok *jt, const VfJson *model, VfError *err)
{
	const VfJson *vocab = vf_json_get(model, "vocab");
	const VfJson *unk = vf_json_get(model, "unk_token");

	for (size_t i = 0; i < vocab->len; i++)
	{
		const char *k = vocab->keys[i];
		size_t		kl = vocab->key_lens[i];

		if (kl != 1 && !is_added_content(jt, k, kl) &&
			!(kl >= 3 && ((k[0] == '<' && k[kl - 1] == '>') || (k[0] == '[' && k[kl - 1] == ']'))))
		{
			vf_error(err, VF_ERR_UNSUPPORTED,
					 "tokenizer.json: WordLevel vocabulary has the multi-character word \"%.64s\"; only character-level WordLevel is supported", k);
			return -1;
		}
	}
	jt->unk_id = -1;
	if (unk != NULL && unk->type == VF_JSON_STRING)
	{
		jt->unk_id = vf_vocab_get(&jt->vocab, unk->str, unk->len);
		if (jt->unk_id < 0)
			return vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: unk_token \"%.64s\" is not in the vocabulary", unk->str);
	}
	return 0;
}

static int32_t
find_pad(const JsonTok *jt, const VfJson *root)
{
	static const char *const names[] = {"[PAD]", "<pad>", "<PAD>", "[pad]"};
	const VfJson *padding = vf_json_get(root, "padding");
	const VfJson *pid = padding ? vf_json_get(padding, "pad_id") : NULL;

	if (pid != NULL && pid->type == VF_JSON_NUMBER && pid->is_integer && pid->integer >= 0 && pid->integer < INT32_MAX)
		return (int32_t) pid->integer;
	for (int n = 0; n < 4; n++)
	{
		size_t		len = strlen(names[n]);
		int32_t		id;

		for (int i = 0; i < jt->n_added; i++)
			if (jt->added[i].len == len && memcmp(jt->added[i].content, names[n], len) == 0)
				return jt->added[i].id;
		if ((id = vf_vocab_get(&jt->vocab, names[n], len)) >= 0)
			return id;
	}
	return -1;
}

static int	json_tokenize(const VfTokenizer *tok, const char *s, size_t len, VfIds *out, VfError *err);

int
vf_tokenizer_json_load(VfTokenizer *tok, const char *text, size_t len, VfError *err)
{
	VfJsonDoc  *doc;
	const VfJson *root,
			   *model;
	const char *mtype;
	JsonTok    *jt;
	int32_t		max_id;

	if (len > VF_TOK_MAX_FILE)
		return vf_error(err, VF_ERR_LIMIT, "tokenizer.json of %zu bytes exceeds the limit of %zu bytes", len, VF_TOK_MAX_FILE);
	doc = vf_json_parse(text, len, err);
	if (doc == NULL)
	{
		char		msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		vf_error(err, VF_ERR_CORRUPT, "tokenizer.json does not parse: %s", msg);
		return -1;
	}
	jt = calloc(1, sizeof(JsonTok));
	if (jt == NULL)
	{
		vf_json_free(doc);
		return vf_error(err, VF_ERR_NOMEM, "out of memory loading tokenizer.json");
	}
	vf_vocab_init(&jt->vocab);
	jt->unk_id = -1;
	root = vf_json_root(doc);
	model = vf_json_get(root, "model");
	if (root->type != VF_JSON_OBJECT || model == NULL || model->type != VF_JSON_OBJECT)
	{
		vf_error(err, VF_ERR_CORRUPT, "tokenizer.json has no \"model\" object");
		goto fail;
	}
	mtype = type_of(model);
	if (mtype == NULL && vf_json_get(model, "merges") != NULL)
		mtype = "BPE";			/* files from before the crate wrote model.type */
	if (mtype == NULL)
	{
		vf_error(err, VF_ERR_CORRUPT, "tokenizer.json: model has no \"type\"");
		goto fail;
	}
	if (strcmp(mtype, "BPE") != 0 && strcmp(mtype, "WordLevel") != 0)
	{
		vf_error(err, VF_ERR_UNSUPPORTED, "tokenizer.json: model type \"%.40s\" is not supported", mtype);
		vf_error_hint(err, "Supported: BPE (DNABERT-2, GROVER) and character-level WordLevel.");
		goto fail;
	}
	jt->post = calloc(MAX_POST, sizeof(PostProc));
	if (jt->post == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory loading tokenizer.json");
		goto fail;
	}
	jt->char_mode = strcmp(mtype, "WordLevel") == 0;
	if (load_vocab_obj(jt, vf_json_get(model, "vocab"), err) < 0 ||
		load_added(jt, vf_json_get(root, "added_tokens"), err) < 0 ||
		load_normalizer(jt, vf_json_get(root, "normalizer"), 0, err) < 0 ||
		load_pre_tokenizer(jt, vf_json_get(root, "pre_tokenizer"), 0, err) < 0 ||
		load_post(jt, vf_json_get(root, "post_processor"), 0, err) < 0)
		goto fail;
	if (strcmp(mtype, "BPE") == 0)
	{
		jt->bpe = vf_bpe_model_load(model, &jt->vocab, err);
		if (jt->bpe == NULL)
			goto fail;
		tok->kind = VF_TOKENIZER_BPE;
	}
	else
	{
		if (load_wordlevel(jt, model, err) < 0)
			goto fail;
		tok->kind = VF_TOKENIZER_CHAR;
	}
	max_id = jt->vocab.max_id;
	for (int i = 0; i < jt->n_added; i++)
		if (jt->added[i].id > max_id)
			max_id = jt->added[i].id;
	for (int p = 0; p < jt->n_post; p++)
		for (int i = 0; i < jt->post[p].n_pieces; i++)
			for (int j = 0; j < jt->post[p].pieces[i].n_ids; j++)
				if (jt->post[p].pieces[i].ids[j] > max_id)
					max_id = jt->post[p].pieces[i].ids[j];
	tok->vocab_size = max_id + 1;
	tok->pad_id = find_pad(jt, root);
	/*
	 * Normalizers may grow the text to 8x + 64 KiB; each character then gives at most one
	 * token (byte fallback included: the input is ASCII) and the post-processors add theirs.
	 */
	tok->bound_per_byte = 8;
	tok->bound_extra = 65536 + (size_t) MAX_POST * MAX_TEMPLATE_PIECES * MAX_SPECIAL_IDS;
	tok->impl = jt;
	tok->free_impl = json_tok_free;
	tok->tokenize = json_tokenize;
	vf_json_free(doc);
	return 0;
fail:
	json_tok_free(jt);
	vf_json_free(doc);
	return -1;
}

/* ---------- tokenizing ---------- */

typedef struct Buf
{
	char	   *p;
	size_t		n;
	size_t		cap;
} Buf;

static int
buf_reserve(Buf *b, size_t need, VfError *err)
{
	if (need <= b->cap)
		return 0;
	{
		size_t		ncap = b->cap ? b->cap : 256;
		char	   *np;

		while (ncap < need)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (np == NULL)
			return vf_error(err, VF_ERR_NOMEM, "out of memory normalizing a sequence");
		b->p = np;
		b->cap = ncap;
	}
	return 0;
}

static bool
is_word(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool
is_punct(unsigned char c)
{
	return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
		(c >= 0x7b && c <= 0x7e);
}

/* Bert's clean_text: control characters go, \t \n \r become spaces. */
static bool
is_bert_control(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

/*
 * Normalizes s[0..len) into a (a and tmp are scratch buffers, swapped as ops apply).
 * Replace and Prepend can grow the text; all segments of one sequence together may reach
 * *budget bytes (8x the sequence + 64 KiB), which vf_tokenizer_ids_bound relies on.
 */
static int
normalize(const JsonTok *jt, const char *s, size_t len, Buf *a, Buf *tmp, size_t *budget, VfError *err)
{
	size_t		cap = *budget;

	if (buf_reserve(a, len + 1, err) < 0)
		return -1;
	memcpy(a->p, s, len);
	a->n = len;
	for (int k = 0; k < jt->n_norm; k++)
	{
		const NormOp *op = &jt->norm[k];

		switch (op->kind)
		{
			case NORM_LOWER:
				for (size_t i = 0; i < a->n; i++)
					if (a->p[i] >= 'A' && a->p[i] <= 'Z')
						a->p[i] = (char) (a->p[i] - 'A' + 'a');
				break;
			case NORM_STRIP:
				{
					size_t		b = 0,
								e = a->n;

					if (op->left)
						while (b < e && vf_tok_is_space((unsigned char) a->p[b]))
							b++;
					if (op->right)
						while (e > b && vf_tok_is_space((unsigned char) a->p[e - 1]))
							e--;
					memmove(a->p, a->p + b, e - b);
					a->n = e - b;
				}
				break;
			case NORM_BERT:
				{
					size_t		o = 0;

					for (size_t i = 0; i < a->n; i++)
					{
						unsigned char c = (unsigned char) a->p[i];

						if (op->clean_text && (c == 0 || is_bert_control(c)))
							continue;
						if (op->clean_text && (c == '\t' || c == '\n' || c == '\r'))
							c = ' ';
						if (op->lowercase && c >= 'A' && c <= 'Z')
							c = (unsigned char) (c - 'A' + 'a');
						a->p[o++] = (char) c;
					}
					a->n = o;
				}
				break;
			case NORM_REPLACE:
				{
					size_t		i = 0;
					Buf			t;

					tmp->n = 0;
					while (i < a->n)
					{
						if (i + op->pattern_len <= a->n && memcmp(a->p + i, op->pattern, op->pattern_len) == 0)
						{
							if (tmp->n + op->content_len > cap)
								return vf_error(err, VF_ERR_LIMIT, "normalized sequence exceeds %zu bytes", cap);
							if (buf_reserve(tmp, tmp->n + op->content_len + 1, err) < 0)
								return -1;
							memcpy(tmp->p + tmp->n, op->content, op->content_len);
							tmp->n += op->content_len;
							i += op->pattern_len;
						}
						else
						{
							if (buf_reserve(tmp, tmp->n + 2, err) < 0)
								return -1;
							tmp->p[tmp->n++] = a->p[i++];
						}
					}
					t = *a;
					*a = *tmp;
					*tmp = t;
				}
				break;
			case NORM_PREPEND:
				if (a->n > 0)
				{
					if (a->n + op->content_len > cap)
						return vf_error(err, VF_ERR_LIMIT, "normalized sequence exceeds %zu bytes", cap);
					if (buf_reserve(a, a->n + op->content_len + 1, err) < 0)
						return -1;
					memmove(a->p + op->content_len, a->p, a->n);
					memcpy(a->p, op->content, op->content_len);
					a->n += op->content_len;
				}
				break;
		}
	}
	if (a->n > cap)
		return vf_error(err, VF_ERR_LIMIT, "normalized sequence exceeds %zu bytes", cap);
	*budget -= a->n;
	return 0;
}

typedef struct Span
{
	size_t		off;
	size_t		len;
} Span;

typedef struct Spans
{
	Span	   *v;
	size_t		n;
	size_t		cap;
} Spans;

static int
span_push(Spans *sp, size_t off, size_t len, VfError *err)
{
	if (len == 0)
		return 0;
	if (sp->n == sp->cap)
	{
		size_t		ncap = sp->cap ? sp->cap * 2 : 16;
		Span	   *nv = realloc(sp->v, ncap * sizeof(Span));

		if (nv == NULL)
			return vf_error(err, VF_ERR_NOMEM, "out of memory pre-tokenizing");
		sp->v = nv;
		sp->cap = ncap;
	}
	sp->v[sp->n++] = (Span) {off, len};
	return 0;
}

/* Splits every span of in by one pre-tokenizer into out. */
static int
pre_split(PreKind kind, const char *s, const Spans *in, Spans *out, VfError *err)
{
	out->n = 0;
	for (size_t w = 0; w < in->n; w++)
	{
		size_t		i = in->v[w].off,
					end = in->v[w].off + in->v[w].len;

		while (i < end)
		{
			unsigned char c = (unsigned char) s[i];
			size_t		j = i + 1;

			if (vf_tok_is_space(c))
			{
				i++;
				continue;
			}
			switch (kind)
			{
				case PRE_WHITESPACE:
					/* \w+ | [^\w\s]+ */
					if (is_word(c))
						while (j < end && is_word((unsigned char) s[j]))
							j++;
					else
						while (j < end && !is_word((unsigned char) s[j]) && !vf_tok_is_space((unsigned char) s[j]))
							j++;
					break;
				case PRE_WHITESPACE_SPLIT:
					while (j < end && !vf_tok_is_space((unsigned char) s[j]))
						j++;
					break;
				case PRE_BERT:
					if (!is_punct(c))
						while (j < end && !vf_tok_is_space((unsigned char) s[j]) && !is_punct((unsigned char) s[j]))
							j++;
					break;
			}
			if (span_push(out, i, j - i, err) < 0)
				return -1;
			i = j;
		}
	}
	return 0;
}

typedef struct Scratch
{
	Buf			norm,
				tmp;
	Spans		a,
				b;
	size_t		norm_budget;
} Scratch;

static int
model_segment(const JsonTok *jt, const char *s, size_t len, Scratch *sc, VfIds *out, VfError *err)
{
	Spans	   *cur = &sc->a,
			   *next = &sc->b;

	if (len == 0)
		return 0;
	if (normalize(jt, s, len, &sc->norm, &sc->tmp, &sc->norm_budget, err) < 0)
		return -1;
	cur->n = 0;
	if (span_push(cur, 0, sc->norm.n, err) < 0)
		return -1;
	for (int k = 0; k < jt->n_pre; k++)
	{
		Spans	   *t;

		if (pre_split(jt->pre[k], sc->norm.p, cur, next, err) < 0)
			return -1;
		t = cur;
		cur = next;
		next = t;
	}
	for (size_t w = 0; w < cur->n; w++)
	{
		const char *word = sc->norm.p + cur->v[w].off;
		int			rc = jt->bpe ? vf_bpe_model_word(jt->bpe, &jt->vocab, word, cur->v[w].len, out, err)
			: vf_char_model_word(&jt->vocab, jt->unk_id, word, cur->v[w].len, out, err);

		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Longest added token at s[i], honouring single_word; -1 if none. */
static int
added_at(const JsonTok *jt, const char *s, size_t len, size_t i, bool *rejected)
{
	unsigned char c = (unsigned char) s[i];

	*rejected = false;
	for (int k = 0; k < jt->n_by_first[c]; k++)
	{
		const AddedTok *t = &jt->added[jt->by_first[c][k]];

		if (t->len <= len - i && memcmp(s + i, t->content, t->len) == 0)
		{
			if (t->single_word &&
				((i > 0 && is_word((unsigned char) s[i - 1])) ||
				 (i + t->len < len && is_word((unsigned char) s[i + t->len]))))
				*rejected = true;
			return jt->by_first[c][k];
		}
	}
	return -1;
}

static int
json_tokenize(const VfTokenizer *tok, const char *s, size_t len, VfIds *out, VfError *err)
{
	const JsonTok *jt = tok->impl;
	Scratch		sc = {0};
	VfIds		body = {0},
				wrapped = {0};
	size_t		seg = 0,
				i = 0;
	int			rc = -1;

	sc.norm_budget = 8 * len + 65536;
	while (i < len)
	{
		bool		rejected;
		int			k = jt->n_added ? added_at(jt, s, len, i, &rejected) : -1;
		size_t		b,
					e;

		if (k < 0)
		{
			i++;
			continue;
		}
		if (rejected)
		{
			i += jt->added[k].len;	/* the matcher does not overlap matches */
			continue;
		}
		b = i;
		e = i + jt->added[k].len;
		if (jt->added[k].lstrip)
			while (b > seg && vf_tok_is_space((unsigned char) s[b - 1]))
				b--;
		if (jt->added[k].rstrip)
			while (e < len && vf_tok_is_space((unsigned char) s[e]))
				e++;
		if (model_segment(jt, s + seg, b - seg, &sc, &body, err) < 0 ||
			vf_ids_push(&body, jt->added[k].id, err) < 0)
			goto done;
		seg = i = e;
	}
	if (model_segment(jt, s + seg, len - seg, &sc, &body, err) < 0)
		goto done;

	/* post-processors, in order, each wrapping what the previous produced */
	for (int p = 0; p < jt->n_post; p++)
	{
		const PostProc *pp = &jt->post[p];
		VfIds		t;

		wrapped.n = 0;
		for (int q = 0; q < pp->n_pieces; q++)
		{
			const TemplatePiece *tp = &pp->pieces[q];

			if (tp->is_sequence)
			{
				for (size_t x = 0; x < body.n; x++)
					if (vf_ids_push(&wrapped, body.v[x], err) < 0)
						goto done;
			}
			else
				for (int x = 0; x < tp->n_ids; x++)
					if (vf_ids_push(&wrapped, tp->ids[x], err) < 0)
						goto done;
		}
		t = body;
		body = wrapped;
		wrapped = t;
	}
	for (size_t x = 0; x < body.n; x++)
		if (vf_ids_push(out, body.v[x], err) < 0)
			goto done;
	rc = 0;
done:
	free(body.v);
	free(wrapped.v);
	free(sc.norm.p);
	free(sc.tmp.p);
	free(sc.a.v);
	free(sc.b.v);
	return rc;
}
