/*
 * config_fuzz.c: libFuzzer harness for config.json as load_model reads it: the JSON parser,
 * the architecture detection (model_type / architectures) and each architecture's
 * configuration reader and weight binder (vf_model_create), against real checkpoints.
 *
 * Input: byte 0 picks a checkpoint (the encoder and predictor test models of `make
 * fixtures`, found under $VF_FUZZ_MODELS, default build/generated; each read once at
 * start), the rest is config.json. Whatever the text, the model must be refused with a
 * clean error or made; a made encoder then runs one forward pass of a few tokens, so a
 * configuration that binds but cannot run (sizes that the tensors do not bear out) is
 * found here rather than in a backend.
 *   make fixtures && make fuzz-config FUZZ_SECONDS=600
 */
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/json.h"
#include "varformer/kernels/blas.h"
#include "varformer/models/model.h"

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CKPT 32

static VfCheckpoint ckpts[MAX_CKPT];
static int	n_ckpt;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *root = getenv("VF_FUZZ_MODELS") ? getenv("VF_FUZZ_MODELS") : "build/generated";
	const char *const dirs[] = {"encoder/models/*", "predictor/models/*"};
	VfError		err;

	for (int d = 0; d < 2; d++)
	{
		char		pat[4096];
		glob_t		g;

		snprintf(pat, sizeof(pat), "%s/%s", root, dirs[d]);
		if (glob(pat, 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc && n_ckpt < MAX_CKPT; i++)
		{
			void	   *image;
			size_t		size;

			if (vf_checkpoint_image_build(g.gl_pathv[i], &image, &size, (size_t) 64 << 20, &err) != 0)
				continue;
			if (vf_checkpoint_open(image, size, &ckpts[n_ckpt], &err) == 0)
				n_ckpt++;
			/* the image stays: the views point into it for the whole run */
		}
		globfree(&g);
	}
	if (n_ckpt == 0)
	{
		fprintf(stderr, "config_fuzz: no checkpoints under %s (run make fixtures)\n", root);
		exit(1);
	}
	if (vf_blas_init(1, &err) != 0)
	{
		fprintf(stderr, "config_fuzz: %s\n", err.msg);
		exit(1);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	VfError		err;
	VfJsonDoc  *doc;
	VfModel    *m;
	char	   *text;

	if (size < 1)
		return 0;
	/* an exact-size copy, not NUL-terminated: the parser takes a length */
	text = malloc(size - 1 ? size - 1 : 1);
	memcpy(text, data + 1, size - 1);
	doc = vf_json_parse(text, size - 1, &err);
	if (doc == NULL)
	{
		if (err.msg[0] == '\0')
			abort();
		free(text);
		return 0;
	}
	m = vf_model_create(&ckpts[data[0] % n_ckpt], vf_json_root(doc), &err);
	if (m == NULL)
	{
		if (err.code == VF_OK || err.msg[0] == '\0')
			abort();
	}
	else
	{
		const VfModelInfo *info = vf_model_info(m);

		if (info->max_input < 1 || info->out_cols < 1)
			abort();
		(void) vf_model_flops(m, 8);
		if (info->kind == VF_KIND_ENCODER && info->max_input >= 8 && info->n_states == 0)
		{
			int32_t		ids[8] = {3, 5, 6, 7, 8, 9, 10, 4};
			int			rows = vf_model_output_rows(m, 8);
			VfModelInput in = {.ids = ids, .n_tokens = 8};
			float	   *out;

			if (rows < 1 || rows > 8)
				abort();
			out = malloc(sizeof(float) * (size_t) rows * (size_t) info->out_cols);
			(void) vf_model_forward(m, &in, out, &err);
			free(out);
		}
		vf_model_free(m);
	}
	vf_json_free(doc);
	free(text);
	return 0;
}
