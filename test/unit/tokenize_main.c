/*
 * tokenize_main.c: drives the tokenizers outside the server, for the parity check.
 *
 *   tokenize_main [--vocab vocab.txt] [--tokenizer-json tokenizer.json] [--config config.json]
 *                 [--max-tokens N] [--info] < sequences
 *
 * Fills a VfCheckpoint by hand from the files (as the model store would from its image),
 * then prints one line per input line: the ids separated by spaces, or "ERROR <code> <msg>".
 * --info prints kind, vocab_size, pad_id and max_tokens first. A tokenizer that cannot be
 * created prints "CREATE_ERROR <code> <msg>" and exits 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/tokenizers/tokenizer.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf = NULL;
	size_t		cap = 0,
				n = 0;

	if (f == NULL)
	{
		perror(path);
		exit(1);
	}
	for (;;)
	{
		if (n + 65536 > cap)
		{
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			if (buf == NULL)
				exit(1);
		}
		size_t		r = fread(buf + n, 1, cap - n, f);

		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	*len = n;
	return buf;
}

int
main(int argc, char **argv)
{
	VfCheckpoint ck;
	VfError		err;
	VfJsonDoc  *cfg = NULL;
	VfTokenizer *tok;
	char	   *cfg_text = NULL;
	int			info = 0,
				max_tokens = -1;
	char	   *line = NULL;
	size_t		line_cap = 0;
	ssize_t		line_len;
	int32_t    *ids;
	const int	max_ids = 1 << 22;

	memset(&ck, 0, sizeof(ck));
	memset(&err, 0, sizeof(err));
	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--vocab") == 0 && i + 1 < argc)
			ck.vocab_txt = slurp(argv[++i], &ck.vocab_len);
		else if (strcmp(argv[i], "--tokenizer-json") == 0 && i + 1 < argc)
			ck.tokenizer_json = slurp(argv[++i], &ck.tokenizer_len);
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
		{
			size_t		n;

			cfg_text = slurp(argv[++i], &n);
			cfg = vf_json_parse(cfg_text, n, &err);
			if (cfg == NULL)
			{
				printf("CONFIG_ERROR %d %s\n", err.code, err.msg);
				return 2;
			}
		}
		else if (strcmp(argv[i], "--max-tokens") == 0 && i + 1 < argc)
			max_tokens = atoi(argv[++i]);
		else if (strcmp(argv[i], "--info") == 0)
			info = 1;
		else
		{
			fprintf(stderr, "usage: %s [--vocab F] [--tokenizer-json F] [--config F] [--max-tokens N] [--info]\n", argv[0]);
			return 1;
		}
	}
	tok = vf_tokenizer_create(&ck, cfg ? vf_json_root(cfg) : NULL, &err);
	if (tok == NULL)
	{
		printf("CREATE_ERROR %d %s%s%s\n", err.code, err.msg, err.detail[0] ? " | " : "", err.detail);
		vf_json_free(cfg);
		free(cfg_text);
		free((void *) ck.vocab_txt);
		free((void *) ck.tokenizer_json);
		return 2;
	}
	if (max_tokens >= 0)
		vf_tokenizer_set_max_tokens(tok, max_tokens);
	if (info)
		printf("kind=%s vocab_size=%d pad_id=%d max_tokens=%d\n",
			   vf_tokenizer_kind_name(vf_tokenizer_kind(tok)), vf_tokenizer_vocab_size(tok),
			   vf_tokenizer_pad_id(tok), vf_tokenizer_max_tokens(tok));
	ids = malloc(sizeof(int32_t) * (size_t) max_ids);
	while ((line_len = getline(&line, &line_cap, stdin)) >= 0)
	{
		int			n;

		if (line_len > 0 && line[line_len - 1] == '\n')
			line_len--;
		n = vf_tokenize(tok, line, (size_t) line_len, ids, max_ids, &err);
		if (n < 0)
		{
			printf("ERROR %d %s\n", err.code, err.msg);
			continue;
		}
		if ((size_t) n > vf_tokenizer_ids_bound(tok, (size_t) line_len))
		{
			printf("BOUND_VIOLATION %d ids > bound %zu\n", n, vf_tokenizer_ids_bound(tok, (size_t) line_len));
			continue;
		}
		for (int i = 0; i < n; i++)
			printf(i ? " %d" : "%d", ids[i]);
		printf("\n");
	}
	free(line);
	free(ids);
	vf_tokenizer_free(tok);
	vf_json_free(cfg);
	free(cfg_text);
	free((void *) ck.vocab_txt);
	free((void *) ck.tokenizer_json);
	return 0;
}
