/*
 * encoder_bench.c: the encoder outside the server, for `make bench`.
 *
 *   encoder_bench MODEL_DIR IDS...   (or IDS given as one count: a synthetic NT-like input)
 *
 * Prints the checkpoint image build rate (load_model's conversion, warm page cache), the
 * best forward time over a few runs with the achieved GFLOP/s, one BLAS thread, and the same
 * for a replay of only the forward pass's matrix products (same shapes, same order, same
 * number of runs): the ceiling sgemm itself reaches on this workload under the machine's
 * current load, which short single-product peaks overstate on a busy host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "varformer/kernels/blas.h"
#include "varformer/checkpoint/checkpoint.h"
#include "varformer/models/model.h"
#include "varformer/common/json.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const float *
weight(const VfCheckpoint *c, const char *fmt, int l)
{
	char		name[200];
	const VfTensorView *t;

	snprintf(name, sizeof(name), fmt, l);
	t = vf_checkpoint_tensor(c, name);
	if (t == NULL)
	{
		fprintf(stderr, "replay needs an NT-v2 checkpoint: no %s\n", name);
		exit(1);
	}
	return t->data;
}

/* The products of one forward pass of an NT-v2 encoder, on the checkpoint's own weights. */
static void
replay_products(const VfCheckpoint *c, int n, int H, int heads, int inter, int layers,
				float *x, float *y)
{
	int			D = H / heads;
	static const char *const qkv[3] = {
		"esm.encoder.layer.%d.attention.self.query.weight",
		"esm.encoder.layer.%d.attention.self.key.weight",
		"esm.encoder.layer.%d.attention.self.value.weight"};

	for (int l = 0; l < layers; l++)
	{
		for (int p = 0; p < 3; p++)
			vf_sgemm(CblasNoTrans, CblasTrans, n, H, H, 1.0f, x, H, weight(c, qkv[p], l), H,
					 0.0f, y + p * H, 3 * H);
		for (int h = 0; h < heads; h++)
		{
			vf_sgemm(CblasNoTrans, CblasTrans, n, n, D, 1.0f, y + h * D, 3 * H, y + H + h * D, 3 * H,
					 0.0f, x + (size_t) 3 * n * H, n);
			vf_sgemm(CblasNoTrans, CblasNoTrans, n, D, n, 1.0f, x + (size_t) 3 * n * H, n,
					 y + 2 * H + h * D, 3 * H, 0.0f, x + (size_t) n * H + h * D, H);
		}
		vf_sgemm(CblasNoTrans, CblasTrans, n, H, H, 1.0f, x + (size_t) n * H, H,
				 weight(c, "esm.encoder.layer.%d.attention.output.dense.weight", l), H, 0.0f, x, H);
		vf_sgemm(CblasNoTrans, CblasTrans, n, 2 * inter, H, 1.0f, x, H,
				 weight(c, "esm.encoder.layer.%d.intermediate.dense.weight", l), H, 0.0f, y, 2 * inter);
		vf_sgemm(CblasNoTrans, CblasTrans, n, H, inter, 1.0f, y, 2 * inter,
				 weight(c, "esm.encoder.layer.%d.output.dense.weight", l), inter, 0.0f, x, H);
	}
}

int
main(int argc, char **argv)
{
	VfError		err = {0};
	void	   *image;
	size_t		size;
	VfCheckpoint ckpt;
	VfJsonDoc  *cfg;
	VfModel    *enc;
	int			n = argc > 2 ? atoi(argv[2]) : 1000;
	double		t0,
				load,
				best = 1e30;

	if (argc < 2 || n < 1)
	{
		fprintf(stderr, "usage: %s MODEL_DIR [N_TOKENS]\n", argv[0]);
		return 2;
	}
	if (vf_blas_init(1, &err) < 0)
		goto fail;
	t0 = now();
	if (vf_checkpoint_image_build(argv[1], &image, &size, (size_t) 1 << 34, &err) < 0)
		goto fail;
	load = now() - t0;
	if (vf_checkpoint_open(image, size, &ckpt, &err) < 0 ||
		(cfg = vf_json_parse(ckpt.config_json, ckpt.config_len, &err)) == NULL ||
		(enc = vf_model_create(&ckpt, vf_json_root(cfg), &err)) == NULL)
		goto fail;

	int32_t    *ids = malloc(sizeof(int32_t) * n);
	float	   *out = malloc(sizeof(float) * (size_t) n * vf_model_info(enc)->out_cols);

	ids[0] = 3;					/* <cls>, then 6-mer ids */
	for (int t = 1; t < n; t++)
		ids[t] = 6 + (t * 2654435761u) % 4096;
	VfModelInput in = {.ids = ids, .n_tokens = n};

	for (int rep = 0; rep < 4; rep++)
	{
		t0 = now();
		if (vf_model_forward(enc, &in, out, &err) < 0)
			goto fail;
		double		dt = now() - t0;

		best = dt < best ? dt : best;
	}
	/* replay the products alone on scratch of the same sizes */
	{
		int			H = vf_model_info(enc)->out_cols,
					heads = (int) vf_json_get_int(vf_json_root(cfg), "num_attention_heads", 1),
					inter = (int) vf_json_get_int(vf_json_root(cfg), "intermediate_size", 1),
					L = (int) vf_json_get_int(vf_json_root(cfg), "num_hidden_layers", 1);
		size_t		xs = (size_t) n * H * 3 + (size_t) n * n,
					ys = (size_t) n * (3 * H > 2 * inter ? 3 * H : 2 * inter);
		float	   *x = calloc(xs, sizeof(float)),
				   *y = calloc(ys, sizeof(float));
		double		gbest = 1e30;

		for (size_t i = 0; i < xs; i++)
			x[i] = (float) ((i * 104729) % 1000) / 1000.0f - 0.5f;
		for (int rep = 0; rep < 4; rep++)
		{
			t0 = now();
			replay_products(&ckpt, n, H, heads, inter, L, x, y);
			double		dt = now() - t0;

			gbest = dt < gbest ? dt : gbest;
		}
		printf("sgemm_replay_seconds %.4f gflops %.2f\n", gbest, vf_model_flops(enc, n) / gbest / 1e9);
		free(x);
		free(y);
	}
	printf("c_image_build_seconds %.4f bytes %zu rate_gb_per_s %.2f\n", load, size, size / load / 1e9);
	printf("c_forward_seconds %.4f tokens %d gflops %.2f flops %.0f\n", best, n,
		   vf_model_flops(enc, n) / best / 1e9, vf_model_flops(enc, n));
	return 0;
fail:
	fprintf(stderr, "error: %s %s\n", err.msg, err.detail);
	return 1;
}
