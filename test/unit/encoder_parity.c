/*
 * encoder_parity.c: varformer's encoder against PyTorch goldens, outside the server.
 *
 *   encoder_parity MODEL_DIR GOLDEN.json [TOLERANCE]
 *
 * Builds the checkpoint image from MODEL_DIR (config.json + model.safetensors) exactly as
 * load_model does, runs every golden case's token ids (and epigenetic states) through
 * vf_model_forward, and compares the last hidden state and its mean with PyTorch's:
 * max |ours - torch| / max |torch| per tensor must stay within TOLERANCE (default 1e-4).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/kernels/blas.h"
#include "varformer/checkpoint/checkpoint.h"
#include "varformer/models/model.h"
#include "varformer/common/json.h"
#include "parity_io.h"

static int32_t *
int_array(const VfJson *a, int *n)
{
	int32_t    *v;

	if (a == NULL || a->type != VF_JSON_ARRAY)
		return NULL;
	v = malloc(sizeof(int32_t) * (a->len ? a->len : 1));
	for (size_t i = 0; i < a->len; i++)
		v[i] = (int32_t) a->items[i].integer;
	*n = (int) a->len;
	return v;
}

/* max |got - want| / max |want| over count values of want (flat array, or array of rows). */
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
	VfModel    *enc;
	char	   *gtext;
	double		tol = argc > 3 ? atof(argv[3]) : 1e-4,
				worst = 0;
	const VfJson *cases;
	int			failures = 0;

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
	if ((enc = vf_model_create(&ckpt, vf_json_root(cfgdoc), &err)) == NULL)
		return fail("encoder", &err);
	if ((gtext = slurp(argv[2], &glen)) == NULL || (gdoc = vf_json_parse(gtext, glen, &err)) == NULL)
	{
		fprintf(stderr, "cannot read %s\n", argv[2]);
		return 2;
	}
	printf("%s: %s, hidden %d, max %d tokens\n", argv[1], vf_model_info(enc)->label,
		   vf_model_info(enc)->out_cols, vf_model_info(enc)->max_input);
	cases = vf_json_get(vf_json_root(gdoc), "cases");
	for (size_t c = 0; cases != NULL && c < cases->len; c++)
	{
		const VfJson *cs = &cases->items[c];
		int			n = 0,
					ns = 0,
					H = vf_model_info(enc)->out_cols;
		int32_t    *ids = int_array(vf_json_get(cs, "ids"), &n);
		int32_t    *states = int_array(vf_json_get(cs, "states"), &ns);
		float	   *out = malloc(sizeof(float) * (size_t) n * H),
				   *pooled = calloc(H, sizeof(float));
		double		e_hidden,
					e_pooled;
		VfModelInput in = {.ids = ids, .states = states, .n_tokens = n};

		if (vf_model_forward(enc, &in, out, &err) < 0)
			return fail(vf_json_get_string(cs, "name", "?"), &err);
		for (int t = 0; t < n; t++)
			for (int i = 0; i < H; i++)
				pooled[i] += out[(size_t) t * H + i] / n;
		e_hidden = rel_error(out, vf_json_get(cs, "hidden"), n, H);
		e_pooled = rel_error(pooled, vf_json_get(cs, "pooled"), 1, H);
		printf("  %-14s %4d tokens  hidden rel err %.2e  pooled rel err %.2e  %s\n",
			   vf_json_get_string(cs, "name", "?"), n, e_hidden, e_pooled,
			   e_hidden <= tol && e_pooled <= tol ? "ok" : "FAIL");
		failures += !(e_hidden <= tol && e_pooled <= tol);
		worst = fmax(worst, fmax(e_hidden, e_pooled));
		free(ids);
		free(states);
		free(out);
		free(pooled);
	}
	printf("  worst relative error %.2e (tolerance %.0e)\n", worst, tol);
	vf_json_free(gdoc);
	vf_json_free(cfgdoc);
	free(gtext);
	vf_model_free(enc);
	vf_checkpoint_close(&ckpt);
	free(image);
	return failures ? 1 : 0;
}
