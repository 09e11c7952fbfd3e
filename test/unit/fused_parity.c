/*
 * fused_parity.c: varformer's fused predictor (ukbioformer) against PyTorch goldens, outside
 * the server.
 *
 *   fused_parity MODEL_DIR GOLDEN.json [TOLERANCE]   every case: e1, e2, t, m, beta, output
 *   fused_parity --refuse MODEL_DIR                  prints the load error; exit 0 if refused
 *
 * Builds the one image of the directory (its checkpoint and encoder/) exactly as load_model
 * does, runs the row's load-time check and vf_fused_create, then feeds every golden case's
 * exact slices (h1_window, h2_window to the trunk; h1_encoder, h2_encoder to the encoder) and
 * compares each quantity with PyTorch's: max |ours - torch| / max |torch| within TOLERANCE
 * (default 1e-4). The token ids of every encoder piece are compared exactly.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/json.h"
#include "varformer/kernels/blas.h"
#include "varformer/models/model_arch.h"
#include "varformer/models/ukbioformer.h"
#include "parity_io.h"

static double
rel_vec(const float *got, const VfJson *want, int n)
{
	double		maxdiff = 0,
				maxref = 0;

	if (want == NULL || want->type != VF_JSON_ARRAY || (int) want->len != n)
		return INFINITY;
	for (int i = 0; i < n; i++)
	{
		double		w = want->items[i].number,
					d = fabs(got[i] - w);

		maxdiff = d > maxdiff ? d : maxdiff;
		maxref = fabs(w) > maxref ? fabs(w) : maxref;
	}
	return maxdiff / (maxref > 0 ? maxref : 1);
}

static double
rel_one(double got, double want)
{
	return fabs(got - want) / (fabs(want) > 0 ? fabs(want) : 1);
}

/* The whole load path; NULL with err set (and nothing left allocated) when refused. */
static VfFused *
load(const char *dir, void **image, VfCheckpoint *main, VfCheckpoint *enc, VfError *err)
{
	size_t		size;
	const char *arch;
	VfModelKind kind;
	VfFused    *f = NULL;

	*image = NULL;
	if (vf_fused_image_build(dir, image, &size, (size_t) 1 << 32, err) < 0)
		return NULL;
	if (vf_fused_image_open(*image, size, main, enc, err) < 0)
	{
		free(*image);
		return NULL;
	}
	if (vf_model_arch_detect(main->config_json, main->config_len, &arch, &kind, err) == 0 &&
		vf_model_arch_check(arch, main, err) == 0)
	{
		if (kind != VF_KIND_FUSED)
			vf_error(err, VF_ERR_DATA, "%s is a %s checkpoint, not a fused one", dir, arch);
		else
			f = vf_fused_create(main, enc, err);
	}
	if (f == NULL)
	{
		vf_checkpoint_close(main);
		vf_checkpoint_close(enc);
		free(*image);
	}
	return f;
}

int
main(int argc, char **argv)
{
	VfError		err = {0};
	void	   *image = NULL;
	VfCheckpoint main_ck,
				enc_ck;
	VfFused    *f;
	const VfFusedInfo *fi;
	char	   *gtext;
	size_t		glen;
	VfJsonDoc  *gdoc;
	const VfJson *cases;
	double		tol = argc > 3 ? atof(argv[3]) : 1e-4;
	int			failures = 0;

	if (argc == 3 && strcmp(argv[1], "--refuse") == 0)
	{
		f = load(argv[2], &image, &main_ck, &enc_ck, &err);
		if (f != NULL)
		{
			printf("%s: loaded, but should have been refused\n", argv[2]);
			return 1;
		}
		printf("%s: refused: %s\n", argv[2], err.msg);
		return 0;
	}
	if (argc < 3)
	{
		fprintf(stderr, "usage: %s MODEL_DIR GOLDEN.json [TOLERANCE] | --refuse MODEL_DIR\n", argv[0]);
		return 2;
	}
	if (vf_blas_init(1, &err) < 0 || (f = load(argv[1], &image, &main_ck, &enc_ck, &err)) == NULL)
	{
		fprintf(stderr, "%s: %s %s\n", argv[1], err.msg, err.hint);
		return 2;
	}
	fi = vf_fused_info(f);
	if ((gtext = slurp(argv[2], &glen)) == NULL || (gdoc = vf_json_parse(gtext, glen, &err)) == NULL)
	{
		fprintf(stderr, "cannot read %s\n", argv[2]);
		return 2;
	}
	printf("%s: %s; window %d, encoder_window %d, encoder_chunk %d, %d tasks\n", argv[1], fi->label,
		   fi->window, fi->encoder_window, fi->encoder_chunk, fi->n_tasks);
	cases = vf_json_get(vf_json_root(gdoc), "cases");
	for (size_t ci = 0; cases && ci < cases->len; ci++)
	{
		const VfJson *cs = &cases->items[ci];
		const char *h1w = vf_json_get_string(cs, "h1_window", ""),
				   *h2w = vf_json_get_string(cs, "h2_window", ""),
				   *h1e = vf_json_get_string(cs, "h1_encoder", ""),
				   *h2e = vf_json_get_string(cs, "h2_encoder", "");
		float		t[64],
					out[64],
					m[64],
					beta,
				   *e1 = malloc(sizeof(float) * fi->hidden),
				   *e2 = malloc(sizeof(float) * fi->hidden);
		int			n1,
					n2,
					want_tokens = 0;
		double		t0 = now(),
					errs[6],
					worst = 0;
		const VfJson *ids = vf_json_get(vf_json_get(cs, "encoder_ids"), "h1");

		for (size_t p = 0; ids && p < ids->len; p++)
			want_tokens += (int) ids->items[p].len;
		if (fi->n_tasks > 64 || strlen(h1w) != (size_t) fi->window || strlen(h2w) != (size_t) fi->window ||
			vf_fused_trunk(f, h1w, h2w, t, &err) < 0 ||
			vf_fused_embed(f, h1e, strlen(h1e), e1, &n1, &err) < 0 ||
			vf_fused_embed(f, h2e, strlen(h2e), e2, &n2, &err) < 0)
		{
			fprintf(stderr, "%s: %s\n", vf_json_get_string(cs, "name", "?"), err.msg);
			return 2;
		}
		vf_fused_combine(f, t, e1, e2, out, m, &beta);
		t0 = now() - t0;
		errs[0] = rel_vec(e1, vf_json_get(cs, "e1"), fi->hidden);
		errs[1] = rel_vec(e2, vf_json_get(cs, "e2"), fi->hidden);
		errs[2] = rel_one(t[0], vf_json_get_number(cs, "t", NAN));
		errs[3] = rel_one(m[0], vf_json_get_number(cs, "m", NAN));
		errs[4] = rel_one(beta, vf_json_get_number(cs, "beta", NAN));
		errs[5] = rel_one(out[0], vf_json_get_number(cs, "output", NAN));
		for (int i = 0; i < 6; i++)
			worst = !(errs[i] <= worst) ? errs[i] : worst;
		printf("  %-20s e1 %.1e e2 %.1e t %.1e m %.1e beta %.1e output %.1e (%.6f vs %.6f), %d tokens%s, %.1f ms  %s\n",
			   vf_json_get_string(cs, "name", "?"), errs[0], errs[1], errs[2], errs[3], errs[4], errs[5],
			   out[0], vf_json_get_number(cs, "output", NAN), n1,
			   n1 == want_tokens ? "" : " (PyTorch had another count)", t0 * 1e3,
			   worst <= tol && n1 == want_tokens ? "ok" : "FAIL");
		failures += !(worst <= tol) || n1 != want_tokens;
		free(e1);
		free(e2);
	}
	vf_json_free(gdoc);
	free(gtext);
	vf_fused_free(f);
	vf_checkpoint_close(&main_ck);
	vf_checkpoint_close(&enc_ck);
	free(image);
	printf("%s\n", failures ? "FAIL" : "all cases within tolerance");
	return failures ? 1 : 0;
}
