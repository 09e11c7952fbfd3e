/*
 * encoder_bench.c: the encoder outside the server, for `make bench`.
 *
 *   encoder_bench MODEL_DIR IDS...   (or IDS given as one count: a synthetic NT-like input)
 *
 * Prints the checkpoint image build rate (load_model's conversion, warm page cache) and the
 * best forward time over a few runs with the achieved GFLOP/s, one BLAS thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "varformer/blas.h"
#include "varformer/checkpoint.h"
#include "varformer/encoder.h"
#include "varformer/json.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	VfError		err = {0};
	void	   *image;
	size_t		size;
	VfCheckpoint ckpt;
	VfJsonDoc  *cfg;
	VfEncoder  *enc;
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
		(enc = vf_encoder_create(&ckpt, vf_json_root(cfg), &err)) == NULL)
		goto fail;

	int32_t    *ids = malloc(sizeof(int32_t) * n);
	float	   *out = malloc(sizeof(float) * (size_t) n * vf_encoder_hidden_size(enc));

	ids[0] = 3;					/* <cls>, then 6-mer ids */
	for (int t = 1; t < n; t++)
		ids[t] = 6 + (t * 2654435761u) % 4096;
	for (int rep = 0; rep < 4; rep++)
	{
		t0 = now();
		if (vf_encoder_forward(enc, ids, n, NULL, out, &err) < 0)
			goto fail;
		double		dt = now() - t0;

		best = dt < best ? dt : best;
	}
	printf("c_image_build_seconds %.4f bytes %zu rate_gb_per_s %.2f\n", load, size, size / load / 1e9);
	printf("c_forward_seconds %.4f tokens %d gflops %.2f\n", best, n,
		   vf_encoder_flops(enc, n) / best / 1e9);
	return 0;
fail:
	fprintf(stderr, "error: %s %s\n", err.msg, err.detail);
	return 1;
}
