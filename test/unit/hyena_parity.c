/*
 * hyena_parity.c: varformer's HyenaDNA (tokenizer and forward pass) against PyTorch goldens
 * (test/reference/make_hyena_fixtures.py), outside the server.
 *
 *   hyena_parity MODEL_DIR GOLDEN.json [TOLERANCE]
 *
 * Builds the checkpoint image from MODEL_DIR exactly as load_model does (model.safetensors
 * or pytorch_model.bin), tokenizes every case's sequence with the checkpoint's tokenizer
 * (ids must equal the reference's exactly), runs the forward pass and compares the last
 * hidden state and its mean: max |ours - torch| / max |torch| within TOLERANCE (1e-4).
 * Then a sequence one base longer than max_seq_len allows must be refused, naming the limit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/kernels/blas.h"
#include "varformer/checkpoint/checkpoint.h"
#include "varformer/models/model.h"
#include "varformer/tokenizers/tokenizer.h"
#include "varformer/common/json.h"
#include "parity_io.h"

static double
rel_error(const float *got, const VfJson *want, int rows, int cols)
{
	double		maxdiff = 0,
				maxref = 0;

	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++)
		{
			const VfJson *w = rows == 1 && want->items[0].type == VF_JSON_NUMBER
				? &want->items[c] : &want->items[r].items[c];
			double		d = fabs(got[(size_t) r * cols + c] - w->number);

			maxdiff = d > maxdiff ? d : maxdiff;
			maxref = fabs(w->number) > maxref ? fabs(w->number) : maxref;
		}
	return maxdiff / (maxref > 0 ? maxref : 1);
}

static int
fail(const char *what, const VfError *err)
{
	fprintf(stderr, "%s: %s%s%s\n", what, err->msg, err->detail[0] ? " " : "", err->detail);
	return 2;
}

int
main(int argc, char **argv)
{
	VfError		err = {0};
	void	   *image;
	size_t		size,
				glen;
	VfCheckpoint ckpt;
	VfJsonDoc  *cfgdoc,
			   *gdoc;
	VfModel    *m;
	VfTokenizer *tok;
	char	   *gtext;
	double		tol = argc > 3 ? atof(argv[3]) : 1e-4,
				worst = 0;
	const VfJson *cases;
	int			failures = 0,
				H,
				max;

	if (argc < 3)
	{
		fprintf(stderr, "usage: %s MODEL_DIR GOLDEN.json [TOLERANCE]\n", argv[0]);
		return 2;
	}
	if (vf_blas_init(1, &err) < 0)
		return fail("blas", &err);
	if (vf_checkpoint_image_build(argv[1], &image, &size, (size_t) 1 << 32, &err) < 0 ||
		vf_checkpoint_open(image, size, &ckpt, &err) < 0)
		return fail(argv[1], &err);
	if ((cfgdoc = vf_json_parse(ckpt.config_json, ckpt.config_len, &err)) == NULL)
		return fail("config.json", &err);
	if ((m = vf_model_create(&ckpt, vf_json_root(cfgdoc), &err)) == NULL)
		return fail("model", &err);
	if ((tok = vf_tokenizer_create(&ckpt, vf_json_root(cfgdoc), &err)) == NULL)
		return fail("tokenizer", &err);
	if ((gtext = slurp(argv[2], &glen)) == NULL || (gdoc = vf_json_parse(gtext, glen, &err)) == NULL)
	{
		fprintf(stderr, "cannot read %s\n", argv[2]);
		return 2;
	}
	H = vf_model_info(m)->out_cols;
	max = vf_model_info(m)->max_input;
	printf("%s: %s, tokenizer %s, max %d tokens\n", argv[1], vf_model_info(m)->label,
		   vf_tokenizer_kind_name(vf_tokenizer_kind(tok)), vf_tokenizer_max_tokens(tok));
	cases = vf_json_get(vf_json_root(gdoc), "cases");
	for (size_t c = 0; cases != NULL && c < cases->len; c++)
	{
		const VfJson *cs = &cases->items[c];
		const char *seq = vf_json_get_string(cs, "seq", "");
		const VfJson *want_ids = vf_json_get(cs, "ids");
		int32_t    *ids = malloc(sizeof(int32_t) * (max + 1));
		int			n = vf_tokenize(tok, seq, strlen(seq), ids, max, &err),
					ids_ok;
		float	   *out,
				   *pooled;
		double		e_hidden,
					e_pooled;
		VfModelInput in = {.ids = ids};

		if (n < 0)
			return fail(vf_json_get_string(cs, "name", "?"), &err);
		ids_ok = want_ids != NULL && (size_t) n == want_ids->len;
		for (int t = 0; ids_ok && t < n; t++)
			ids_ok = ids[t] == want_ids->items[t].integer;
		in.n_tokens = n;
		out = malloc(sizeof(float) * (size_t) n * H);
		pooled = calloc(H, sizeof(float));
		if (vf_model_forward(m, &in, out, &err) < 0)
			return fail(vf_json_get_string(cs, "name", "?"), &err);
		for (int t = 0; t < n; t++)
			for (int i = 0; i < H; i++)
				pooled[i] += out[(size_t) t * H + i] / n;
		e_hidden = rel_error(out, vf_json_get(cs, "hidden"), n, H);
		e_pooled = rel_error(pooled, vf_json_get(cs, "pooled"), 1, H);
		printf("  %-12s %4d tokens  ids %s  hidden rel err %.2e  pooled rel err %.2e  %s\n",
			   vf_json_get_string(cs, "name", "?"), n, ids_ok ? "equal" : "DIFFER", e_hidden,
			   e_pooled, ids_ok && e_hidden <= tol && e_pooled <= tol ? "ok" : "FAIL");
		failures += !(ids_ok && e_hidden <= tol && e_pooled <= tol);
		worst = fmax(worst, fmax(e_hidden, e_pooled));
		free(ids);
		free(out);
		free(pooled);
	}
	/* max_seq_len bases are max_seq_len + 1 tokens with [SEP]: refused by both parts */
	{
		char	   *seq = malloc(max + 1);
		int32_t    *ids = calloc(max + 1, sizeof(int32_t));
		float	   *out = malloc(sizeof(float) * (size_t) (max + 1) * H);
		VfModelInput in = {.ids = ids, .n_tokens = max + 1};
		int			rc1,
					rc2;

		memset(seq, 'A', max);
		seq[max] = '\0';
		rc1 = vf_tokenize(tok, seq, max, ids, max + 1, &err);
		printf("  too long: tokenizer: %s\n", err.msg);
		rc2 = vf_model_forward(m, &in, out, &err);
		printf("  too long: forward: %s\n", err.msg);
		if (rc1 >= 0 || rc2 >= 0 || err.code != VF_ERR_LIMIT)
		{
			printf("  FAIL: a sequence over max_seq_len was not refused\n");
			failures++;
		}
		free(seq);
		free(ids);
		free(out);
	}
	printf("  worst relative error %.2e (tolerance %.0e)\n", worst, tol);
	vf_json_free(gdoc);
	vf_json_free(cfgdoc);
	free(gtext);
	vf_tokenizer_free(tok);
	vf_model_free(m);
	vf_checkpoint_close(&ckpt);
	free(image);
	return failures ? 1 : 0;
}
