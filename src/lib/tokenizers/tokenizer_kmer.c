/*
 * tokenizer_kmer.c: the Nucleotide Transformer k-mer tokenizer over its vocab.txt.
 *
 * Rules (InstaDeep's NucleotidesKmersTokenizer and the Hugging Face EsmTokenizer agree on
 * A/C/G/T/N input; where they differ we follow Hugging Face, whose files we load):
 *   - <cls> first, no <eos>;
 *   - left to right, a k-mer whenever the next k characters are one (so k-mers never
 *     contain N: an N ends the run, is its own token, and the k-mer frame restarts after it);
 *   - bases left over before an N or the end are single-letter tokens;
 *   - a run of characters with no single-letter token (IUPAC codes, '-') is one <unk>, split
 *     at whitespace (EsmTokenizer's text.split()); whitespace alone gives nothing. InstaDeep's
 *     JAX tokenizer raises on such characters instead.
 * This is the greedy longest match Hugging Face's added-token trie performs over a
 * vocabulary holding only k-mers, single letters and <..> specials.
 */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

typedef struct KmerTok
{
	VfVocab		vocab;
	int			k;
	int32_t		cls_id;
	int32_t		unk_id;
} KmerTok;

static int
kmer_line(void *arg, const char *t, size_t len, int32_t lineno, VfError *err)
{
	KmerTok    *kt = arg;

	if (len == 0)
		return 0;
	/* the loader checked there is one length of ACGT k-mers and no other multi-letter token */
	if (len >= 2 && strspn(t, "ACGT") >= len)
		kt->k = (int) len;
	return vf_vocab_put(&kt->vocab, t, len, lineno, err);
}

static void
kmer_free(void *impl)
{
	KmerTok    *kt = impl;

	if (kt == NULL)
		return;
	vf_vocab_free(&kt->vocab);
	free(kt);
}

static int
kmer_tokenize(const VfTokenizer *tok, const char *s, size_t len, VfIds *out, VfError *err)
{
	const KmerTok *kt = tok->impl;
	size_t		k = (size_t) kt->k;
	size_t		i = 0;

	if (vf_ids_push(out, kt->cls_id, err) < 0)
		return -1;
	while (i < len)
	{
		int32_t		id = -1;
		size_t		gap_end;

		if (i + k <= len && (id = vf_vocab_get(&kt->vocab, s + i, k)) >= 0)
		{
			if (vf_ids_push(out, id, err) < 0)
				return -1;
			i += k;
			continue;
		}
		if ((id = vf_vocab_get(&kt->vocab, s + i, 1)) >= 0)
		{
			if (vf_ids_push(out, id, err) < 0)
				return -1;
			i++;
			continue;
		}
		/* A run no token starts in: each whitespace-separated piece of it is one <unk>. */
		gap_end = i;
		while (gap_end < len && vf_vocab_get(&kt->vocab, s + gap_end, 1) < 0)
			gap_end++;
		while (i < gap_end)
		{
			while (i < gap_end && vf_tok_is_space((unsigned char) s[i]))
				i++;
			if (i == gap_end)
				break;
			while (i < gap_end && !vf_tok_is_space((unsigned char) s[i]))
				i++;
			if (vf_ids_push(out, kt->unk_id, err) < 0)
				return -1;
		}
	}
	return 0;
}

int
vf_tokenizer_kmer_load(VfTokenizer *tok, const char *text, size_t len, VfError *err)
{
	KmerTok    *kt = calloc(1, sizeof(KmerTok));
	int32_t		n_lines = 0;
	static const char *const bases[] = {"A", "C", "G", "T"};

	if (kt == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory loading a k-mer vocabulary");
	vf_vocab_init(&kt->vocab);
	if (vf_vocab_txt_lines(text, len, kmer_line, kt, &n_lines, err) < 0)
		goto fail;
	kt->cls_id = vf_vocab_get(&kt->vocab, "<cls>", 5);
	kt->unk_id = vf_vocab_get(&kt->vocab, "<unk>", 5);
	if (kt->cls_id < 0 || kt->unk_id < 0)
	{
		vf_error(err, VF_ERR_CORRUPT, "k-mer vocab.txt lacks %s", kt->cls_id < 0 ? "<cls>" : "<unk>");
		goto fail;
	}
	for (int b = 0; b < 4; b++)
		if (vf_vocab_get(&kt->vocab, bases[b], 1) < 0)
		{
			vf_error(err, VF_ERR_CORRUPT, "k-mer vocab.txt lacks the single-letter token \"%s\"", bases[b]);
			vf_error_hint(err, "Nucleotide Transformer vocabularies end with A, T, C, G, N.");
			goto fail;
		}
	tok->kind = VF_TOKENIZER_KMER;
	tok->impl = kt;
	tok->free_impl = kmer_free;
	tok->tokenize = kmer_tokenize;
	tok->vocab_size = n_lines;
	tok->pad_id = vf_vocab_get(&kt->vocab, "<pad>", 5);
	tok->bound_per_byte = 1;	/* one token covers at least one character */
	tok->bound_extra = 1;		/* <cls> */
	tok->max_bases_per_token = (size_t) kt->k;
	return 0;
fail:
	kmer_free(kt);
	return -1;
}
