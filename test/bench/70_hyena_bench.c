/*
 * 70_hyena_bench.c: one HyenaDNA forward pass in the plain-C engine, timed, one thread.
 *
 *   70_hyena_bench MODEL_DIR SEQ_FILE [OUT_FILE [REPS]]
 *
 * Builds the checkpoint image as load_model does, the model and its tokenizer, tokenizes the
 * sequence in SEQ_FILE ([SEP] appended) and runs it REPS times (default 1). Prints
 *   c_seconds FIRST BEST tokens N cols C gflops G peak_rss_mb M work_mb W
 * where peak_rss_mb is the high-water mark of resident memory during the passes (reset
 * after the image is built, so it counts the weights a pass touches, the output and the
 * activations) and work_mb what vf_hyena_work_bytes says the activations take beside the
 * output; writes the last hidden state (N x C float32, raw) to OUT_FILE when given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_memory.h"
#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/json.h"
#include "varformer/kernels/blas.h"
#include "varformer/models/hyena.h"
#include "varformer/models/model.h"
#include "varformer/tokenizers/tokenizer.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
		return NULL;
	rewind(f);
	buf = malloc(n + 1);
	if (buf == NULL || fread(buf, 1, n, f) != (size_t) n)
		return NULL;
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	*len = n;
	return buf;
}

static double
peak_rss_mb(void)
{
	FILE	   *f = fopen("/proc/self/status", "r");
	char		line[256];
	double		kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = atof(line + 6);
	if (f)
		fclose(f);
	return kb / 1024;
}

static int
die(const char *what, const VfError *err)
{
	fprintf(stderr, "%s: %s\n", what, err->msg);
	return 1;
}

int
main(int argc, char **argv)
{
	VfError		err = {0};
	void	   *image;
	size_t		size,
				len;
	VfCheckpoint ckpt;
	VfJsonDoc  *cfg;
	VfModel    *m;
	VfTokenizer *tok;
	char	   *seq;
	int32_t    *ids;
	float	   *out;
	int			n,
				C,
				reps = argc > 4 ? atoi(argv[4]) : 1;
	double		first = 0,
				best = 1e30;
	FILE	   *f;

	if (argc < 3)
	{
		fprintf(stderr, "usage: %s MODEL_DIR SEQ_FILE [OUT_FILE [REPS]]\n", argv[0]);
		return 2;
	}
	if (vf_blas_init(1, &err) < 0)
		return die("blas", &err);
	if (vf_checkpoint_image_build(argv[1], &image, &size, (size_t) 1 << 34, &err) < 0 ||
		vf_checkpoint_open(image, size, &ckpt, &err) < 0)
		return die(argv[1], &err);
	if ((cfg = vf_json_parse(ckpt.config_json, ckpt.config_len, &err)) == NULL ||
		(m = vf_model_create(&ckpt, vf_json_root(cfg), &err)) == NULL ||
		(tok = vf_tokenizer_create(&ckpt, vf_json_root(cfg), &err)) == NULL)
		return die("model", &err);
	if ((seq = slurp(argv[2], &len)) == NULL)
		return 2;
	ids = malloc(sizeof(int32_t) * (len + 1));
	if ((n = vf_tokenize(tok, seq, len, ids, (int) len + 1, &err)) < 0)
		return die("tokenize", &err);
	C = vf_model_info(m)->out_cols;
	out = malloc(sizeof(float) * (size_t) n * C);
	/* count from here: the pass's own memory, not the image build's buffers */
	if ((f = fopen("/proc/self/clear_refs", "w")) != NULL)
	{
		fputs("5", f);
		fclose(f);
	}
	for (int r = 0; r < reps; r++)
	{
		VfModelInput in = {.ids = ids, .n_tokens = n};
		double		t0 = now(),
					dt;

		if (vf_model_forward(m, &in, out, &err) < 0)
			return die("forward", &err);
		dt = now() - t0;
		if (r == 0)
			first = dt;
		best = dt < best ? dt : best;
	}
	printf("c_seconds %.3f %.3f tokens %d cols %d gflops %.1f peak_rss_mb %.0f work_mb %.0f\n",
		   first, best, n, C, vf_model_flops(m, n) / 1e9, peak_rss_mb(),
		   vf_hyena_work_bytes((int) vf_json_get_int(vf_json_root(cfg), "d_model", 0),
							   (int) vf_json_get_int(vf_json_root(cfg), "d_inner", 0),
							   (int) vf_json_get_int(vf_json_root(cfg), "filter_order", 64), n) / 1e6);
	if (argc > 3 && (f = fopen(argv[3], "wb")) != NULL)
	{
		fwrite(out, sizeof(float), (size_t) n * C, f);
		fclose(f);
	}
	return 0;
}
