/*
 * tokenizer.c: choosing a checkpoint's tokenizer (the dispatcher over the kinds), and the
 * checks every tokenization goes through (ASCII, upper-casing, the model's length limit).
 * The vocabulary hash and id list the kinds share are in vocab.c.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

/* What a vocab.txt holds, to decide between the k-mer kinds and the character tokenizer. */
typedef struct VocabTxtStats
{
	int32_t		n_special_angle;	/* <cls> style */
	int32_t		n_special_square;	/* [CLS] style */
	int32_t		n_single;
	int32_t		n_kmer[VF_TOK_MAX_TOKEN_LEN + 1];	/* ACGT-only tokens by length >= 2 */
	int32_t		n_other;
	char		other_example[40];
	int32_t		other_line;		/* 1-based line of other_example */
	bool		has_cls;
} VocabTxtStats;

static bool
is_special_form(const char *t, size_t len)
{
	return len >= 3 && ((t[0] == '<' && t[len - 1] == '>') || (t[0] == '[' && t[len - 1] == ']'));
}

static int
stats_line(void *arg, const char *t, size_t len, int32_t lineno, VfError *err)
{
	VocabTxtStats *st = arg;
	bool		acgt = len >= 2;

	(void) err;
	if (len == 0)
		return 0;
	if (is_special_form(t, len))
	{
		if (t[0] == '<')
			st->n_special_angle++;
		else
			st->n_special_square++;
		if (len == 5 && memcmp(t, "<cls>", 5) == 0)
			st->has_cls = true;
		return 0;
	}
	if (len == 1)
	{
		st->n_single++;
		return 0;
	}
	for (size_t i = 0; i < len && acgt; i++)
		acgt = t[i] == 'A' || t[i] == 'C' || t[i] == 'G' || t[i] == 'T';
	if (acgt && len <= VF_TOK_MAX_TOKEN_LEN)
		st->n_kmer[len]++;
	else
	{
		if (st->n_other == 0)
		{
			size_t		n = len < sizeof(st->other_example) - 1 ? len : sizeof(st->other_example) - 1;

			memcpy(st->other_example, t, n);
			st->other_example[n] = '\0';
			st->other_line = lineno + 1;
		}
		st->n_other++;
	}
	return 0;
}

/* Returns the k of a complete k-mer set (4^k tokens of one length k), 0 if none. */
static int
complete_kmer_k(const VocabTxtStats *st, int *n_lengths)
{
	int			k = 0;

	*n_lengths = 0;
	for (int l = 2; l <= VF_TOK_MAX_TOKEN_LEN; l++)
	{
		if (st->n_kmer[l] == 0)
			continue;
		(*n_lengths)++;
		if (l <= 11 && st->n_kmer[l] == (int32_t) (1u << (2 * l)))
			k = l;
	}
	return *n_lengths == 1 ? k : 0;
}

static int
load_vocab_txt(VfTokenizer *tok, const char *text, size_t len, VfError *err)
{
	VocabTxtStats *st = calloc(1, sizeof(VocabTxtStats));
	int32_t		n_lines = 0;
	int			n_lengths,
				k,
				rc;

	if (st == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory reading vocab.txt");
	if (vf_vocab_txt_lines(text, len, stats_line, st, &n_lines, err) < 0)
	{
		free(st);
		return -1;
	}
	k = complete_kmer_k(st, &n_lengths);
	/*
	 * DNABERT v1 and NT both ship a complete k-mer set; the specials tell them apart: [..]
	 * only (DNABERT) or <..> (NT). A DNABERT vocabulary holds nothing else, so a single
	 * letter or another token means a different tokenizer, not an overlapping k-mer one.
	 */
	if (k > 0 && st->n_special_square > 0 && st->n_special_angle == 0 &&
		(st->n_single > 0 || st->n_other > 0))
	{
		rc = vf_error(err, VF_ERR_CORRUPT,
					  "vocab.txt holds all %d-mers with [CLS]-style special tokens (DNABERT v1) and also %s%s%s",
					  k, st->n_other ? "\"" : "", st->n_other ? st->other_example : "single letters",
					  st->n_other ? "\"" : "");
		if (st->n_other)
			vf_error_detail(err, "\"%s\" is on line %d.", st->other_example, (int) st->other_line);
		vf_error_hint(err, "A DNABERT v1 vocab.txt has [PAD] [UNK] [CLS] [SEP] [MASK] and the 4^k k-mers of one k only.");
	}
	else if (k > 0 && st->n_special_square > 0 && st->n_special_angle == 0)
		rc = vf_tokenizer_dnabert_load(tok, text, len, k, err);
	else if (k > 0 && st->has_cls && st->n_other > 0)
	{
		/* a token the k-mer tokenizer cannot place would change k or be unreachable */
		rc = vf_error(err, VF_ERR_CORRUPT,
					  "vocab.txt holds all %d-mers and also \"%s\" on line %d, which is neither a %d-mer of ACGT, a single letter nor a <..> special token",
					  k, st->other_example, (int) st->other_line, k);
		vf_error_hint(err, "A Nucleotide Transformer vocab.txt has <..> specials, single letters and the 4^k k-mers of one k only.");
	}
	else if (k > 0 && st->has_cls)
		rc = vf_tokenizer_kmer_load(tok, text, len, err);
	else if (n_lengths == 0 && st->n_other == 0 && st->n_single > 0)
		rc = vf_tokenizer_char_load_txt(tok, text, len, err);
	else
	{
		int32_t		n_kmer = 0;

		for (int l = 2; l <= VF_TOK_MAX_TOKEN_LEN; l++)
			n_kmer += st->n_kmer[l];
		rc = vf_error(err, VF_ERR_UNSUPPORTED,
					  "vocab.txt (%d lines) is neither a Nucleotide Transformer or DNABERT v1 k-mer vocabulary nor a character vocabulary",
					  (int) n_lines);
		vf_error_detail(err,
						"Found %d <..> and %d [..] special tokens, %d single characters, %d ACGT k-mers of %d different lengths%s, %d other tokens%s%s%s.",
						st->n_special_angle, st->n_special_square, st->n_single, n_kmer, n_lengths,
						k > 0 ? " (a complete set, but no <cls>)" : (n_kmer > 0 ? " (not a complete 4^k set)" : ""),
						st->n_other, st->n_other ? " such as \"" : "",
						st->n_other ? st->other_example : "", st->n_other ? "\"" : "");
		vf_error_hint(err, "A k-mer vocabulary needs all 4^k k-mers of one length and <cls> (NT) or [CLS] (DNABERT v1); a character vocabulary only single characters and <..>/[..] special tokens.");
	}
	free(st);
	return rc;
}

/* ---------- creation and the maximum length ---------- */

static int
max_tokens_from_config(const VfJson *config)
{
	int64_t		mpe;
	const char *type;

	if (config == NULL || config->type != VF_JSON_OBJECT)
		return 0;
	mpe = vf_json_get_int(config, "max_position_embeddings", -1);
	type = vf_json_get_string(config, "model_type", "");
	if (mpe > 0)
	{
		/*
		 * ESM and RoBERTa number positions from padding_idx + 1 (the pad token's id), so the
		 * table's first pad_id + 1 rows are never reached: NT v1 has 1002 rows for 1000
		 * tokens, NT v2 2050 for 2048.
		 */
		if (strcmp(type, "esm") == 0 || strcmp(type, "roberta") == 0 ||
			strcmp(type, "xlm-roberta") == 0 || strcmp(type, "camembert") == 0)
			mpe -= vf_json_get_int(config, "pad_token_id", 1) + 1;
	}
	else
		mpe = vf_json_get_int(config, "n_positions", vf_json_get_int(config, "max_seq_len", 0));
	if (mpe <= 0)
		return 0;
	return mpe > INT_MAX ? INT_MAX : (int) mpe;
}

VfTokenizer *
vf_tokenizer_create(const VfCheckpoint *ckpt, const VfJson *config, VfError *err)
{
	VfTokenizer *tok;
	int			rc;

	if (ckpt == NULL)
	{
		vf_error(err, VF_ERR_INVALID, "no checkpoint given to the tokenizer");
		return NULL;
	}
	tok = calloc(1, sizeof(VfTokenizer));
	if (tok == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory creating a tokenizer");
		return NULL;
	}
	tok->pad_id = -1;
	if (ckpt->tokenizer_json != NULL)
		rc = vf_tokenizer_json_load(tok, ckpt->tokenizer_json, ckpt->tokenizer_len, err);
	else if (ckpt->vocab_txt != NULL)
		rc = load_vocab_txt(tok, ckpt->vocab_txt, ckpt->vocab_len, err);
	else if (vf_tokenizer_is_hyena(config))
		rc = vf_tokenizer_hyena_load(tok, err);
	else
	{
		rc = vf_error(err, VF_ERR_NOT_FOUND, "the checkpoint has no tokenizer: neither tokenizer.json nor vocab.txt");
		vf_error_hint(err, "Put the model's tokenizer.json or vocab.txt next to its weights (HyenaDNA's is built in).");
	}
	if (rc < 0)
	{
		free(tok);
		return NULL;
	}
	tok->max_tokens = max_tokens_from_config(config);
	return tok;
}

void
vf_tokenizer_free(VfTokenizer *tok)
{
	if (tok == NULL)
		return;
	if (tok->free_impl)
		tok->free_impl(tok->impl);
	free(tok);
}

int
vf_tokenize(const VfTokenizer *tok, const char *seq, size_t len,
			int32_t *ids, int max_ids, VfError *err)
{
	char	   *up;
	VfIds		out = {0};
	int			rc;

	if (len > VF_TOK_MAX_INPUT)
		return vf_error(err, VF_ERR_LIMIT, "sequence of %zu bases exceeds the tokenizer's limit of %zu bases",
						len, VF_TOK_MAX_INPUT);
	if (tok->max_bases_per_token > 0)
	{
		/* the longest sequence that fits, known before any work: tokens * bases per token */
		int			lim = tok->max_tokens > 0 && tok->max_tokens < max_ids ? tok->max_tokens : max_ids;
		size_t		fits = lim > (int) tok->bound_extra ?
			(size_t) (lim - (int) tok->bound_extra) * tok->max_bases_per_token : 0;

		if (len > fits)
		{
			vf_error(err, VF_ERR_LIMIT,
					 "sequence of %zu bases is longer than the %zu bases the model's %d tokens can hold",
					 len, fits, lim);
			vf_error_hint(err, "Use a shorter sequence (each token covers at most %zu bases, and the count includes special tokens).",
						  tok->max_bases_per_token);
			return -1;
		}
	}
	up = malloc(len + 1);
	if (up == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory tokenizing %zu bases", len);
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) seq[i];

		if (c >= 0x80)
		{
			free(up);
			return vf_error(err, VF_ERR_INVALID,
							"sequence has a non-ASCII byte 0x%02X at position %zu", c, i + 1);
		}
		up[i] = (c >= 'a' && c <= 'z') ? (char) (c - 'a' + 'A') : (char) c;
	}
	up[len] = '\0';
	rc = tok->tokenize(tok, up, len, &out, err);
	free(up);
	if (rc < 0)
	{
		free(out.v);
		return -1;
	}
	if (tok->max_tokens > 0 && out.n > (size_t) tok->max_tokens)
	{
		rc = vf_error(err, VF_ERR_LIMIT,
					  "sequence of %zu bases gives %zu tokens, more than the model's maximum of %d tokens",
					  len, out.n, tok->max_tokens);
		vf_error_hint(err, "Use a shorter sequence (the count includes special tokens).");
	}
	else if (out.n > (size_t) (max_ids < 0 ? 0 : max_ids))
		rc = vf_error(err, VF_ERR_LIMIT,
					  "sequence of %zu bases gives %zu tokens, more than the %d the caller has room for",
					  len, out.n, max_ids);
	else
	{
		if (out.n > 0)
			memcpy(ids, out.v, out.n * sizeof(int32_t));
		rc = (int) out.n;
	}
	free(out.v);
	return rc;
}

int
vf_tokenizer_pad_id(const VfTokenizer *tok)
{
	return tok->pad_id;
}

int
vf_tokenizer_vocab_size(const VfTokenizer *tok)
{
	return tok->vocab_size;
}

VfTokenizerKind
vf_tokenizer_kind(const VfTokenizer *tok)
{
	return tok->kind;
}

const char *
vf_tokenizer_kind_name(VfTokenizerKind kind)
{
	switch (kind)
	{
		case VF_TOKENIZER_KMER:
			return "kmer";
		case VF_TOKENIZER_BPE:
			return "bpe";
		case VF_TOKENIZER_CHAR:
			return "char";
		case VF_TOKENIZER_KMER_OVERLAP:
			return "kmer_overlap";
	}
	return "unknown";
}

size_t
vf_tokenizer_ids_bound(const VfTokenizer *tok, size_t len)
{
	size_t		b = len * tok->bound_per_byte + tok->bound_extra;

	if (tok->max_tokens > 0 && (size_t) tok->max_tokens < b)
		return (size_t) tok->max_tokens;
	return b;
}

int
vf_tokenizer_max_tokens(const VfTokenizer *tok)
{
	return tok->max_tokens;
}

void
vf_tokenizer_set_max_tokens(VfTokenizer *tok, int max_tokens)
{
	tok->max_tokens = max_tokens > 0 ? max_tokens : 0;
}
