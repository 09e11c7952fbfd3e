/*
 * 55_enformer_bench.c: one Enformer forward pass in the plain-C engine, timed, one thread.
 *
 *   55_enformer_bench MODEL_DIR SEQ_FILE [OUT_FILE [REPS]]
 *
 * Builds the checkpoint image as load_model does, builds the model, then runs the sequence in
 * SEQ_FILE REPS times (default 1; the first run also sizes the workspace, so with REPS > 1 the
 * best of the later runs is the steady state). Prints
 *   c_seconds FIRST BEST bases N rows R cols C gflops G peak_rss_mb M
 * where peak_rss_mb is the high-water mark of resident memory during the passes (reset after
 * the image is built, so it counts the weights the pass touches plus its activations), and
 * writes the output (R x C float32, raw) to OUT_FILE when given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_memory.h"
#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/json.h"
#include "varformer/kernels/blas.h"
#include "varformer/models/model.h"

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

/* VmHWM in MB; writing "5" to clear_refs first resets it to the current RSS. */
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

static void
reset_peak_rss(void)
{
	FILE	   *f = fopen("/proc/self/clear_refs", "w");

	if (f)
	{
		fputs("5", f);
		fclose(f);
	}
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
	char	   *seq;
	int			reps = argc > 4 ? atoi(argv[4]) : 1,
				rows;
	double		first = 0,
				best = 1e30;
	float	   *out;

	if (argc < 3)
	{
		fprintf(stderr, "usage: %s MODEL_DIR SEQ_FILE [OUT_FILE [REPS]]\n", argv[0]);
		return 2;
	}
	if (vf_blas_init(1, &err) < 0 ||
		vf_checkpoint_image_build(argv[1], &image, &size, (size_t) 1 << 34, &err) < 0 ||
		vf_checkpoint_open(image, size, &ckpt, &err) < 0 ||
		(cfg = vf_json_parse(ckpt.config_json, ckpt.config_len, &err)) == NULL ||
		(m = vf_model_create(&ckpt, vf_json_root(cfg), &err)) == NULL)
	{
		fprintf(stderr, "%s: %s\n", argv[1], err.msg);
		return 2;
	}
	if ((seq = slurp(argv[2], &len)) == NULL)
	{
		fprintf(stderr, "cannot read %s\n", argv[2]);
		return 2;
	}
	rows = vf_model_output_rows(m, (int) len);
	out = malloc(sizeof(float) * (size_t) rows * vf_model_info(m)->out_cols);
	reset_peak_rss();
	for (int r = 0; r < (reps > 0 ? reps : 1); r++)
	{
		VfModelInput in = {.seq = seq, .seq_len = len};
		double		t0 = now(),
					dt;

		if (vf_model_forward(m, &in, out, &err) < 0)
		{
			fprintf(stderr, "forward: %s\n", err.msg);
			return 2;
		}
		dt = now() - t0;
		if (r == 0)
			first = dt;
		if (r > 0 || reps <= 1)
			best = dt < best ? dt : best;
	}
	printf("c_seconds %.4f %.4f bases %zu rows %d cols %d gflops %.1f peak_rss_mb %.0f\n",
		   first, best, len, rows, vf_model_info(m)->out_cols,
		   vf_model_flops(m, (int) len) / best / 1e9, peak_rss_mb());
	if (argc > 3)
	{
		FILE	   *f = fopen(argv[3], "wb");

		if (f == NULL || fwrite(out, sizeof(float), (size_t) rows * vf_model_info(m)->out_cols, f) == 0)
			return 2;
		fclose(f);
	}
	vf_model_free(m);
	vf_json_free(cfg);
	vf_checkpoint_close(&ckpt);
	free(image);
	free(out);
	free(seq);
	return 0;
}
