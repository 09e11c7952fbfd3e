/*
 * predictor_parity.c: varformer's sequence-to-function trunk against PyTorch goldens,
 * outside the server.
 *
 *   predictor_parity MODEL_DIR GOLDEN.json [TOLERANCE]
 *
 * Builds the checkpoint image from MODEL_DIR (config.json + model.safetensors) exactly as
 * load_model does, runs load_model's architecture check on it, then every golden case's
 * sequence through vf_model_forward, and compares the bins x tracks output with PyTorch's:
 * max |ours - torch| / max |torch| must stay within TOLERANCE (default 1e-4). The relative
 * position feature tables are compared with the goldens' summaries too (sum and sum of
 * magnitudes, the same tolerance), so a mismatch there is named before it shows as an
 * output difference. Prints each forward pass's time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/json.h"
#include "varformer/kernels/blas.h"
#include "varformer/models/enformer.h"
#include "varformer/models/model_arch.h"
#include "parity_io.h"

/* max |got - want| / max |want| over a rows x cols array of rows. */
static double
rel_error(const float *got, const VfJson *want, int rows, int cols)
{
	double		maxdiff = 0,
				maxref = 0;

	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++)
		{
			double		w = want->items[r].items[c].number,
						d = fabs(got[(size_t) r * cols + c] - w);

			maxdiff = d > maxdiff ? d : maxdiff;
			maxref = fabs(w) > maxref ? fabs(w) : maxref;
		}
	return maxdiff / (maxref > 0 ? maxref : 1);
}

static int
fail(const char *what, const VfError *err)
{
	fprintf(stderr, "%s: %s%s%s\n", what, err->msg, err->detail[0] ? " " : "", err->detail);
	return 2;
}

/* The feature tables' sums against the goldens' summaries; returns the failures. */
static int
check_positions(const VfJson *golden, double tol)
{
	const VfJson *pf = vf_json_get(golden, "pos_features"),
			   *cfg = vf_json_get(golden, "config");
	int			heads = (int) vf_json_get_int(cfg, "heads", vf_json_get_int(cfg, "n_heads", 1)),
				dim = (int) vf_json_get_int(cfg, "dim", vf_json_get_int(cfg, "channels", 0)),
				F = dim / heads,
				failures = 0;
	bool		tf = vf_json_get_bool(cfg, "use_tf_gamma", false);

	for (size_t i = 0; pf != NULL && i < pf->len; i++)
	{
		int			n = atoi(pf->keys[i]);
		float	   *table = malloc(sizeof(float) * (size_t) (2 * n - 1) * F),
				   *gamma = tf ? malloc(sizeof(float) * (size_t) (2 * n - 1) * (F / 6)) : NULL;
		double		sum = 0,
					abs_sum = 0,
					want = vf_json_get_number(&pf->items[i], "sum", 0),
					want_abs = vf_json_get_number(&pf->items[i], "abs_sum", 0),
					e;

		if (tf)
			vf_enformer_tf_gamma_table(gamma, n, F / 6);
		vf_enformer_position_features(table, n, F, gamma);
		for (size_t k = 0; k < (size_t) (2 * n - 1) * F; k++)
			sum += table[k], abs_sum += fabs(table[k]);
		e = fmax(fabs(sum - want) / fmax(fabs(want_abs), 1), fabs(abs_sum - want_abs) / fmax(want_abs, 1));
		printf("  position features n=%-5d %dx%d  sum rel err %.2e  %s\n", n, 2 * n - 1, F, e,
			   e <= tol ? "ok" : "FAIL");
		failures += !(e <= tol);
		free(table);
		free(gamma);
	}
	return failures;
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
	VfModel    *model;
	char	   *gtext;
	const char *arch;
	VfModelKind kind;
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
	if (vf_model_arch_detect(ckpt.config_json, ckpt.config_len, &arch, &kind, &err) < 0 ||
		vf_model_arch_check(arch, &ckpt, &err) < 0)
		return fail("load-time check", &err);
	if ((cfgdoc = vf_json_parse(ckpt.config_json, ckpt.config_len, &err)) == NULL)
		return fail("config.json", &err);
	if ((model = vf_model_create(&ckpt, vf_json_root(cfgdoc), &err)) == NULL)
		return fail("model", &err);
	if ((gtext = slurp(argv[2], &glen)) == NULL || (gdoc = vf_json_parse(gtext, glen, &err)) == NULL)
	{
		fprintf(stderr, "cannot read %s\n", argv[2]);
		return 2;
	}
	printf("%s: %s, %d tracks, %lld parameters\n", argv[1], vf_model_info(model)->label,
		   vf_model_info(model)->out_cols, (long long) vf_checkpoint_parameters(&ckpt));
	failures += check_positions(vf_json_root(gdoc), tol);
	cases = vf_json_get(vf_json_root(gdoc), "cases");
	for (size_t c = 0; cases != NULL && c < cases->len; c++)
	{
		const VfJson *cs = &cases->items[c],
				   *want = vf_json_get(cs, "output"),
				   *seq = vf_json_get(cs, "seq");
		int			rows = (int) vf_json_get_int(cs, "bins", 0),
					cols = (int) vf_json_get_int(cs, "tracks", 0),
					got_rows = vf_model_output_rows(model, (int) seq->len);
		float	   *out = malloc(sizeof(float) * (size_t) got_rows * vf_model_info(model)->out_cols);
		VfModelInput in = {.seq = seq->str, .seq_len = seq->len};
		double		t0 = now(),
					e;

		if (vf_model_forward(model, &in, out, &err) < 0)
			return fail(vf_json_get_string(cs, "name", "?"), &err);
		t0 = now() - t0;
		if (got_rows != rows || vf_model_info(model)->out_cols != cols)
		{
			printf("  %-32s shape %d x %d, PyTorch %d x %d  FAIL\n", vf_json_get_string(cs, "name", "?"),
				   got_rows, vf_model_info(model)->out_cols, rows, cols);
			failures++;
			free(out);
			continue;
		}
		e = rel_error(out, want, rows, cols);
		printf("  %-32s %6zu bases -> %3d x %d  rel err %.2e  %.1f ms  %s\n",
			   vf_json_get_string(cs, "name", "?"), seq->len, rows, cols, e, t0 * 1e3,
			   e <= tol ? "ok" : "FAIL");
		failures += !(e <= tol);
		worst = fmax(worst, e);
		free(out);
	}
	printf("  worst relative error %.2e (tolerance %.0e)\n", worst, tol);
	vf_json_free(gdoc);
	vf_json_free(cfgdoc);
	free(gtext);
	vf_model_free(model);
	vf_checkpoint_close(&ckpt);
	free(image);
	return failures ? 1 : 0;
}
