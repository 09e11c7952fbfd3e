/*
 * embedding_mlp_parity.c: varformer's embeddings-only model (embedding_mlp) against PyTorch
 * goldens, outside the server.
 *
 *   embedding_mlp_parity MODEL_DIR GOLDEN.json [TOLERANCE]   every case: e1, e2, outputs
 *   embedding_mlp_parity --refuse MODEL_DIR                  prints the load error; exit 0 if refused
 *
 * Builds the one image of the directory (its checkpoint and encoder/) exactly as load_model
 * does, runs the row's load-time check and vf_embedding_mlp_create, then feeds every golden
 * case's encoder slices (h1_encoder, h2_encoder) and compares the pooled embeddings and every
 * output with PyTorch's: max |ours - torch| / max |torch| within TOLERANCE (default 1e-4).
 * The token count of every haplotype is compared exactly. The golden's cases include the two
 * haplotypes swapped and an indel, whose outputs differ in PyTorch: the model is not
 * symmetric in the haplotypes, and a driver that swapped them would fail here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/json.h"
#include "varformer/kernels/blas.h"
#include "varformer/models/embedding_mlp.h"
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

/* The whole load path; NULL with err set (and nothing left allocated) when refused. */
static VfEmbedMlp *
load(const char *dir, void **image, VfCheckpoint *main, VfCheckpoint *enc, VfError *err)
{
	size_t		size;
	const char *arch;
	VfModelKind kind;
	VfEmbedMlp *m = NULL;

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
		if (kind != VF_KIND_EMBED_HEAD)
			vf_error(err, VF_ERR_DATA, "%s is a %s checkpoint, not an embedding_mlp one", dir, arch);
		else
			m = vf_embedding_mlp_create(main, enc, err);
	}
	if (m == NULL)
	{
		vf_checkpoint_close(main);
		vf_checkpoint_close(enc);
		free(*image);
	}
	return m;
}

static int
count_tokens(const VfJson *pieces)
{
	int			n = 0;

	for (size_t p = 0; pieces && p < pieces->len; p++)
		n += (int) pieces->items[p].len;
	return n;
}

int
main(int argc, char **argv)
{
	VfError		err = {0};
	void	   *image = NULL;
	VfCheckpoint main_ck,
				enc_ck;
	VfEmbedMlp *m;
	const VfEmbedMlpInfo *mi;
	char	   *gtext;
	size_t		glen;
	VfJsonDoc  *gdoc;
	const VfJson *cases;
	double		tol = argc > 3 ? atof(argv[3]) : 1e-4;
	int			failures = 0;

	if (argc == 3 && strcmp(argv[1], "--refuse") == 0)
	{
		m = load(argv[2], &image, &main_ck, &enc_ck, &err);
		if (m != NULL)
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
	if (vf_blas_init(1, &err) < 0 || (m = load(argv[1], &image, &main_ck, &enc_ck, &err)) == NULL)
	{
		fprintf(stderr, "%s: %s %s\n", argv[1], err.msg, err.hint);
		return 2;
	}
	mi = vf_embedding_mlp_info(m);
	if ((gtext = slurp(argv[2], &glen)) == NULL || (gdoc = vf_json_parse(gtext, glen, &err)) == NULL)
	{
		fprintf(stderr, "cannot read %s\n", argv[2]);
		return 2;
	}
	printf("%s: %s; encoder_window %d, encoder_chunk %d, %d outputs\n", argv[1], mi->label,
		   mi->encoder_window, mi->encoder_chunk, mi->n_out);
	cases = vf_json_get(vf_json_root(gdoc), "cases");
	for (size_t ci = 0; cases && ci < cases->len; ci++)
	{
		const VfJson *cs = &cases->items[ci];
		const char *h1 = vf_json_get_string(cs, "h1_encoder", ""),
				   *h2 = vf_json_get_string(cs, "h2_encoder", "");
		float	   *e1 = malloc(sizeof(float) * mi->hidden),
				   *e2 = malloc(sizeof(float) * mi->hidden),
				   *out = malloc(sizeof(float) * mi->n_out);
		int			n1,
					n2,
					want1 = count_tokens(vf_json_get(vf_json_get(cs, "encoder_ids"), "h1")),
					want2 = count_tokens(vf_json_get(vf_json_get(cs, "encoder_ids"), "h2"));
		double		t0 = now(),
					errs[3],
					worst = 0;

		if (vf_embedding_mlp_embed(m, h1, strlen(h1), e1, &n1, &err) < 0 ||
			vf_embedding_mlp_embed(m, h2, strlen(h2), e2, &n2, &err) < 0)
		{
			fprintf(stderr, "%s: %s\n", vf_json_get_string(cs, "name", "?"), err.msg);
			return 2;
		}
		vf_embedding_mlp_forward(m, e1, e2, out);
		t0 = now() - t0;
		errs[0] = rel_vec(e1, vf_json_get(cs, "e1"), mi->hidden);
		errs[1] = rel_vec(e2, vf_json_get(cs, "e2"), mi->hidden);
		errs[2] = rel_vec(out, vf_json_get(cs, "output"), mi->n_out);
		for (int i = 0; i < 3; i++)
			worst = !(errs[i] <= worst) ? errs[i] : worst;
		printf("  %-20s e1 %.1e e2 %.1e output %.1e (%.6f vs %.6f), %d + %d tokens%s, %.1f ms  %s\n",
			   vf_json_get_string(cs, "name", "?"), errs[0], errs[1], errs[2], out[0],
			   vf_json_get(cs, "output") && vf_json_get(cs, "output")->len ? vf_json_get(cs, "output")->items[0].number : NAN,
			   n1, n2, n1 == want1 && n2 == want2 ? "" : " (PyTorch had another count)", t0 * 1e3,
			   worst <= tol && n1 == want1 && n2 == want2 ? "ok" : "FAIL");
		failures += !(worst <= tol) || n1 != want1 || n2 != want2;
		free(e1);
		free(e2);
		free(out);
	}
	vf_json_free(gdoc);
	free(gtext);
	vf_embedding_mlp_free(m);
	vf_checkpoint_close(&main_ck);
	vf_checkpoint_close(&enc_ck);
	free(image);
	printf("%s\n", failures ? "FAIL" : "all cases within tolerance");
	return failures ? 1 : 0;
}
