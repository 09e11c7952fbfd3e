/*
 * tokenizer_dnabert.c: DNABERT v1's overlapping k-mer tokenizer (k = 3..6) over its vocab.txt.
 *
 * The authors tokenize in two steps (github jerryji1993/DNABERT): seq2kmer() cuts the sequence
 * into every k-mer at stride 1, joined by spaces, and DNATokenizer (a BertTokenizer without
 * lower-casing or WordPiece) splits that text at whitespace and punctuation and looks each
 * piece up in vocab.txt, unknown pieces -> [UNK]; encode_plus wraps [CLS] ... [SEP]. So:
 *   - one token per position 0..len-k: the k-mer's id, or [UNK] when it holds anything but
 *     A/C/G/T (N, IUPAC codes, digits); a sequence shorter than k gives [CLS] [SEP] only;
 *   - input is upper-cased (tokenizer.c), as the pre-training data was: Hugging Face's
 *     tokenizer_config.json says do_lower_case, which would turn every k-mer into [UNK];
 *   - characters at which BasicTokenizer would split a k-mer (whitespace, punctuation,
 *     control characters) are refused: they change the token count away from one per
 *     position, which no DNA input of the model's training did;
 *   - more k-mers than max_position_embeddings - 2 are refused, naming both lengths, before
 *     any work. The authors' encode_plus(max_length=512) instead keeps the first 510 k-mers
 *     (the first 509 + k bases) and drops the rest; without max_length their
 *     build_inputs_with_special_tokens concatenates [CLS] 510 k-mers [SEP] pieces, which a
 *     512-position model cannot take. Silently dropping bases would drop variants.
 * The k-mer ids come from the file, whose order is the authors' (A T C G, not sorted): each
 * 2-bit code 0..4^k-1 is mapped to its line once, then a rolling code reads the sequence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

#define DNABERT_MIN_K 3
#define DNABERT_MAX_K 6

typedef struct DnabertTok
{
	int			k;
	int32_t		cls_id;
	int32_t		sep_id;
	int32_t		unk_id;
	int32_t    *by_code;		/* 4^k ids, indexed by the k-mer's 2-bit code (A0 C1 G2 T3) */
} DnabertTok;

static int
base_code(char c)
{
	switch (c)
	{
		case 'A':
			return 0;
		case 'C':
			return 1;
		case 'G':
			return 2;
		case 'T':
			return 3;
	}
	return -1;
}

static bool
is_kmer_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static void
dnabert_free(void *impl)
{
	DnabertTok *dt = impl;

	if (dt == NULL)
		return;
	free(dt->by_code);
	free(dt);
}

static int
dnabert_tokenize(const VfTokenizer *tok, const char *s, size_t len, VfIds *out, VfError *err)
{
	const DnabertTok *dt = tok->impl;
	size_t		k = (size_t) dt->k;
	size_t		n_kmers = len >= k ? len - k + 1 : 0;
	uint32_t	mask = (1u << (2 * k)) - 1,
				code = 0;
	size_t		last_bad = 0;	/* 1 + position of the latest non-ACGT character */

	for (size_t i = 0; i < len; i++)
		if (!is_kmer_char(s[i]))
		{
			unsigned char c = (unsigned char) s[i];

			if (c >= 0x21 && c < 0x7f)
				vf_error(err, VF_ERR_INVALID,
						 "character '%c' at position %zu cannot be part of a DNABERT k-mer", c, i + 1);
			else
				vf_error(err, VF_ERR_INVALID,
						 "character 0x%02X at position %zu cannot be part of a DNABERT k-mer", c, i + 1);
			vf_error_hint(err, "DNABERT's tokenizer splits k-mers at whitespace and punctuation; give letters only (k-mers with N or other non-ACGT letters become [UNK]).");
			return -1;
		}
	if (tok->max_tokens > 0 && n_kmers + 2 > (size_t) tok->max_tokens)
	{
		size_t		fit = tok->max_tokens > 2 ? (size_t) tok->max_tokens - 2 + k - 1 : 0;

		vf_error(err, VF_ERR_LIMIT,
				 "sequence of %zu bases gives %zu %zu-mers, %zu tokens with [CLS] and [SEP], more than the model's maximum of %d tokens (%zu bases)",
				 len, n_kmers, k, n_kmers + 2, tok->max_tokens, fit);
		vf_error_hint(err, "DNABERT's own encode_plus(max_length=%d) would keep only the first %zu bases; pass them (substr(seq, 1, %zu)) or a shorter window.",
					  tok->max_tokens, fit, fit);
		return -1;
	}
	if (vf_ids_push(out, dt->cls_id, err) < 0)
		return -1;
	for (size_t i = 0; i < len; i++)
	{
		int			b = base_code(s[i]);

		code = ((code << 2) | (uint32_t) (b < 0 ? 0 : b)) & mask;
		if (b < 0)
			last_bad = i + 1;
		if (i + 1 < k)
			continue;
		/* the k-mer s[i-k+1..i] is pure ACGT when no bad character lies in it */
		if (vf_ids_push(out, last_bad > i + 1 - k ? dt->unk_id : dt->by_code[code], err) < 0)
			return -1;
	}
	return vf_ids_push(out, dt->sep_id, err);
}

static int32_t
need_special(const VfVocab *v, const char *name, VfError *err)
{
	int32_t		id = vf_vocab_get(v, name, strlen(name));

	if (id < 0)
	{
		vf_error(err, VF_ERR_CORRUPT, "DNABERT vocab.txt lacks the special token %s", name);
		vf_error_hint(err, "DNABERT v1 vocabularies start with [PAD] [UNK] [CLS] [SEP] [MASK].");
	}
	return id;
}

static int
dnabert_line(void *arg, const char *t, size_t len, int32_t lineno, VfError *err)
{
	if (len == 0)
		return 0;
	return vf_vocab_put(arg, t, len, lineno, err);
}

int
vf_tokenizer_dnabert_load(VfTokenizer *tok, const char *text, size_t len, int k, VfError *err)
{
	VfVocab		vocab;
	DnabertTok *dt;
	int32_t		n_lines = 0;
	static const char bases[] = "ACGT";

	if (k < DNABERT_MIN_K || k > DNABERT_MAX_K)
	{
		vf_error(err, VF_ERR_UNSUPPORTED,
				 "vocab.txt holds all %d-mers with [CLS]-style special tokens, but DNABERT v1 uses k = %d to %d",
				 k, DNABERT_MIN_K, DNABERT_MAX_K);
		vf_error_hint(err, "DNABERT's tokenizer knows only the 3- to 6-mer vocabularies (69, 261, 1029 or 4101 lines).");
		return -1;
	}
	dt = calloc(1, sizeof(DnabertTok));
	if (dt == NULL || (dt->by_code = malloc(sizeof(int32_t) << (2 * k))) == NULL)
	{
		free(dt);
		return vf_error(err, VF_ERR_NOMEM, "out of memory loading a DNABERT vocabulary");
	}
	dt->k = k;
	vf_vocab_init(&vocab);
	if (vf_vocab_txt_lines(text, len, dnabert_line, &vocab, &n_lines, err) < 0 ||
		(dt->cls_id = need_special(&vocab, "[CLS]", err)) < 0 ||
		(dt->sep_id = need_special(&vocab, "[SEP]", err)) < 0 ||
		(dt->unk_id = need_special(&vocab, "[UNK]", err)) < 0)
		goto fail;
	for (uint32_t code = 0; code < (1u << (2 * k)); code++)
	{
		char		kmer[DNABERT_MAX_K];

		for (int j = 0; j < k; j++)
			kmer[j] = bases[(code >> (2 * (k - 1 - j))) & 3];
		/* 4^k lines of k-mers may still repeat one and miss another */
		if ((dt->by_code[code] = vf_vocab_get(&vocab, kmer, (size_t) k)) < 0)
		{
			vf_error(err, VF_ERR_CORRUPT, "DNABERT vocab.txt lacks the %d-mer %.*s", k, k, kmer);
			goto fail;
		}
	}
	tok->kind = VF_TOKENIZER_KMER_OVERLAP;
	tok->impl = dt;
	tok->free_impl = dnabert_free;
	tok->tokenize = dnabert_tokenize;
	tok->vocab_size = n_lines;
	tok->pad_id = vf_vocab_get(&vocab, "[PAD]", 5);
	tok->bound_per_byte = 1;	/* at most one k-mer per position */
	tok->bound_extra = 2;		/* [CLS], [SEP] */
	tok->max_bases_per_token = 0;	/* overlapping: dnabert_tokenize checks the exact count */
	vf_vocab_free(&vocab);
	return 0;
fail:
	vf_vocab_free(&vocab);
	dnabert_free(dt);
	return -1;
}
