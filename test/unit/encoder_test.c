/*
 * encoder_test.c: the encoder's contract beyond numeric parity (which encoder_parity checks):
 * tensor names with or without the family prefix, the first missing or misshapen tensor named
 * in the error, unknown architectures listing the supported ones, bad inputs refused cleanly,
 * scratch reuse across shapes, the ALiBi slope formula, vf_linear's four forms on strided rows.
 *
 *   encoder_test MODELS_DIR   (the random-weight checkpoints test/reference/ writes)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/kernels/blas.h"
#include "varformer/checkpoint/checkpoint.h"
#include "varformer/models/model.h"
#include "varformer/common/json.h"
#include "varformer/kernels/tensor_kernels.h"

static int	failures = 0;

#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

typedef struct Model
{
	void	   *image;
	VfCheckpoint ckpt;
	VfJsonDoc  *config;
} Model;

static void
load(Model *m, const char *dir, const char *name)
{
	char		path[1024];
	VfError		err = {0};
	size_t		size;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (vf_checkpoint_image_build(path, &m->image, &size, (size_t) 1 << 30, &err) < 0 ||
		vf_checkpoint_open(m->image, size, &m->ckpt, &err) < 0 ||
		(m->config = vf_json_parse(m->ckpt.config_json, m->ckpt.config_len, &err)) == NULL)
	{
		printf("cannot load %s: %s\n", path, err.msg);
		exit(2);
	}
}

static void
unload(Model *m)
{
	vf_json_free(m->config);
	vf_checkpoint_close(&m->ckpt);
	free(m->image);
}

/* A view of c without the tensors whose names start with drop (NULL: none), prefix removed. */
static VfCheckpoint
derived_view(const VfCheckpoint *c, const char *strip, const char *drop)
{
	VfCheckpoint v = *c;

	v.tensor = calloc(c->n_tensor, sizeof(VfTensorView));
	v.n_tensor = 0;
	for (int i = 0; i < c->n_tensor; i++)
	{
		VfTensorView t = c->tensor[i];

		if (drop && strcmp(t.name, drop) == 0)
			continue;
		if (strip && strncmp(t.name, strip, strlen(strip)) == 0)
			t.name += strlen(strip);
		else if (strip)
			continue;			/* heads outside the encoder */
		v.tensor[v.n_tensor++] = t;
	}
	return v;
}

static VfJsonDoc *
json(const char *text)
{
	VfError		err;
	VfJsonDoc  *d = vf_json_parse(text, strlen(text), &err);

	if (d == NULL)
	{
		printf("bad test JSON: %s\n", err.msg);
		exit(2);
	}
	return d;
}

static int
forward(VfModel *enc, const int32_t *ids, int n, const int32_t *states, float *out, VfError *err)
{
	VfModelInput in = {.ids = ids, .states = states, .n_tokens = n};

	return vf_model_forward(enc, &in, out, err);
}

static void
test_prefix_and_missing(const char *dir, const char *name, const char *prefix, const char *victim)
{
	Model		m;
	VfError		err = {0};
	int32_t		ids[5] = {3, 10, 20, 30, 1};
	float		a[5 * 64],
				b[5 * 64];

	load(&m, dir, name);
	VfModel    *full = vf_model_create(&m.ckpt, vf_json_root(m.config), &err);
	VfCheckpoint bare = derived_view(&m.ckpt, prefix, NULL);
	VfModel    *stripped = vf_model_create(&bare, vf_json_root(m.config), &err);

	CHECK(full != NULL && stripped != NULL);
	if (full && stripped)
	{
		CHECK(vf_model_info(full)->out_cols <= 64);
		CHECK(forward(full, ids, 5, NULL, a, &err) == 0);
		CHECK(forward(stripped, ids, 5, NULL, b, &err) == 0);
		CHECK(memcmp(a, b, sizeof(float) * 5 * vf_model_info(full)->out_cols) == 0);
	}
	vf_model_free(full);
	vf_model_free(stripped);

	/* missing tensor: named, with the prefix the checkpoint uses */
	VfCheckpoint holed = derived_view(&m.ckpt, NULL, victim);

	CHECK(vf_model_create(&holed, vf_json_root(m.config), &err) == NULL);
	CHECK(err.code == VF_ERR_DATA && strstr(err.msg, victim) != NULL);
	printf("  %s missing tensor: %s\n", name, err.msg);

	/* misshapen tensor */
	holed.n_tensor = m.ckpt.n_tensor;
	for (int i = 0; i < holed.n_tensor; i++)
		holed.tensor[i] = m.ckpt.tensor[i];
	for (int i = 0; i < holed.n_tensor; i++)
		if (strcmp(holed.tensor[i].name, victim) == 0)
			holed.tensor[i].shape[0] += 1;
	CHECK(vf_model_create(&holed, vf_json_root(m.config), &err) == NULL);
	CHECK(err.code == VF_ERR_DATA && strstr(err.msg, "should have shape") != NULL);
	printf("  %s misshapen tensor: %s\n", name, err.msg);

	free(bare.tensor);
	free(holed.tensor);
	unload(&m);
}

static void
test_config_errors(const char *dir)
{
	Model		m;
	VfError		err = {0};
	VfJsonDoc  *d;

	load(&m, dir, "grover");
	d = json("{\"model_type\": \"llama\", \"num_hidden_layers\": 2}");
	CHECK(vf_model_create(&m.ckpt, vf_json_root(d), &err) == NULL);
	CHECK(err.code == VF_ERR_UNSUPPORTED && strstr(err.msg, "llama") && strstr(err.hint, "esm") &&
		  strstr(err.hint, "DNABERT-2") && strstr(err.hint, "GROVER"));
	printf("  unknown architecture: %s / %s\n", err.msg, err.hint);
	vf_json_free(d);

	d = json("{\"model_type\": \"bert\", \"num_hidden_layers\": 2, \"hidden_size\": 32, "
			 "\"num_attention_heads\": 5, \"intermediate_size\": 64}");
	CHECK(vf_model_create(&m.ckpt, vf_json_root(d), &err) == NULL);
	CHECK(err.code == VF_ERR_DATA && strstr(err.msg, "multiple"));
	vf_json_free(d);

	d = json("{\"model_type\": \"bert\", \"hidden_size\": 32}");
	CHECK(vf_model_create(&m.ckpt, vf_json_root(d), &err) == NULL);
	CHECK(err.code == VF_ERR_DATA && strstr(err.msg, "num_hidden_layers"));
	vf_json_free(d);

	d = json("{\"model_type\": \"bert\", \"num_hidden_layers\": 1e9, \"hidden_size\": 32}");
	CHECK(vf_model_create(&m.ckpt, vf_json_root(d), &err) == NULL);
	vf_json_free(d);

	d = json("{\"model_type\": \"bert\", \"num_hidden_layers\": 2, \"hidden_size\": 32, "
			 "\"num_attention_heads\": 4, \"intermediate_size\": 64, \"max_position_embeddings\": 40, "
			 "\"hidden_act\": \"mish\"}");
	CHECK(vf_model_create(&m.ckpt, vf_json_root(d), &err) == NULL);
	CHECK(err.code == VF_ERR_UNSUPPORTED && strstr(err.msg, "mish"));
	vf_json_free(d);

	/* vocab_size must agree with the embedding table */
	d = json("{\"model_type\": \"bert\", \"num_hidden_layers\": 2, \"hidden_size\": 32, "
			 "\"num_attention_heads\": 4, \"intermediate_size\": 64, \"max_position_embeddings\": 40, "
			 "\"vocab_size\": 100000}");
	CHECK(vf_model_create(&m.ckpt, vf_json_root(d), &err) == NULL);
	CHECK(err.code == VF_ERR_DATA && strstr(err.msg, "100000"));
	vf_json_free(d);
	unload(&m);
}

static void
test_inputs(const char *dir)
{
	Model		m,
				e;
	VfError		err = {0};
	VfModel    *enc,
			   *eb;
	int32_t		ids[200],
				states[200];
	float	   *out = malloc(sizeof(float) * 200 * 64),
			   *ref = malloc(sizeof(float) * 200 * 64);

	load(&m, dir, "nt_v1");
	enc = vf_model_create(&m.ckpt, vf_json_root(m.config), &err);
	CHECK(enc != NULL && vf_model_info(enc)->max_input == 64 && vf_model_info(enc)->n_states == 0);
	for (int i = 0; i < 200; i++)
		ids[i] = 6 + (i * 37) % 4096, states[i] = i % 3;
	CHECK(forward(enc, ids, 0, NULL, out, &err) < 0 && err.code == VF_ERR_INVALID);
	CHECK(forward(enc, ids, 65, NULL, out, &err) < 0 && err.code == VF_ERR_LIMIT &&
		  strstr(err.msg, "65") && strstr(err.msg, "64"));
	ids[3] = 4107;
	CHECK(forward(enc, ids, 10, NULL, out, &err) < 0 && strstr(err.msg, "4107"));
	ids[3] = -1;
	CHECK(forward(enc, ids, 10, NULL, out, &err) < 0);
	ids[3] = 99;
	CHECK(forward(enc, ids, 10, states, out, &err) < 0 && strstr(err.msg, "epigenetic"));
	{
		int32_t		masks[3] = {2, 2, 2};

		CHECK(forward(enc, masks, 3, NULL, out, &err) < 0 && strstr(err.msg, "mask"));
	}

	/* scratch grows and shrinks back without changing results */
	CHECK(forward(enc, ids, 7, NULL, ref, &err) == 0);
	CHECK(forward(enc, ids, 64, NULL, out, &err) == 0);
	CHECK(forward(enc, ids, 7, NULL, out, &err) == 0);
	CHECK(memcmp(out, ref, sizeof(float) * 7 * vf_model_info(enc)->out_cols) == 0);
	vf_model_free(enc);

	/* EBERT-style states: checked against the table size; NULL means state 0 */
	load(&e, dir, "ebert");
	eb = vf_model_create(&e.ckpt, vf_json_root(e.config), &err);
	CHECK(eb != NULL && vf_model_info(eb)->n_states == 16);
	for (int i = 0; i < 10; i++)
		states[i] = 0;
	CHECK(forward(eb, ids, 10, NULL, ref, &err) == 0);
	CHECK(forward(eb, ids, 10, states, out, &err) == 0);
	CHECK(memcmp(out, ref, sizeof(float) * 10 * 32) == 0);
	states[4] = 16;
	CHECK(forward(eb, ids, 10, states, out, &err) < 0 && strstr(err.msg, "16"));
	states[4] = 5;
	CHECK(forward(eb, ids, 10, states, out, &err) == 0);
	CHECK(memcmp(out, ref, sizeof(float) * 10 * 32) != 0);
	vf_model_free(eb);
	unload(&e);
	unload(&m);
	free(out);
	free(ref);
}

static void
test_alibi_slopes(void)
{
	float		s[16];

	vf_alibi_slopes(s, 8);
	for (int i = 0; i < 8; i++)
		CHECK(fabsf(s[i] - powf(2.0f, -(i + 1))) < 1e-7f);
	/* 12 heads: the 8 power-of-two slopes, then every other slope of 16 heads */
	vf_alibi_slopes(s, 12);
	for (int i = 0; i < 8; i++)
		CHECK(fabsf(s[i] - powf(2.0f, -(i + 1))) < 1e-7f);
	for (int i = 0; i < 4; i++)
		CHECK(fabsf(s[8 + i] - powf(2.0f, -0.5f - i)) < 1e-6f);
}

/*
 * vf_linear against a double-precision sum, with and without bias and accumulation, on rows
 * wider than the product (ldx > in, ldy > out): the columns past out must stay as they were.
 */
static void
test_linear(void)
{
	enum
	{
		N = 5, IN = 7, OUT = 3, LDX = 9, LDY = 6
	};
	float		x[N * LDX],
				w[OUT * IN],
				b[OUT],
				y0[N * LDY],
				y[N * LDY];

	for (int i = 0; i < N * LDX; i++)
		x[i] = (float) ((i * 37) % 23 - 11) / 8.0f;
	for (int i = 0; i < OUT * IN; i++)
		w[i] = (float) ((i * 29) % 17 - 8) / 4.0f;
	for (int i = 0; i < OUT; i++)
		b[i] = 0.5f * (float) (i + 1);
	for (int i = 0; i < N * LDY; i++)
		y0[i] = (float) (i % 5) - 2.0f;
	for (int form = 0; form < 4; form++)
	{
		bool		bias = form & 1,
					acc = form & 2;

		memcpy(y, y0, sizeof(y));
		vf_linear(y, LDY, x, LDX, N, IN, w, bias ? b : NULL, OUT, acc);
		for (int r = 0; r < N; r++)
			for (int c = 0; c < LDY; c++)
			{
				double		want = y0[r * LDY + c];

				if (c < OUT)
				{
					want = (acc ? want : 0.0) + (bias ? b[c] : 0.0);
					for (int k = 0; k < IN; k++)
						want += (double) x[r * LDX + k] * w[c * IN + k];
				}
				CHECK(fabs(y[r * LDY + c] - want) <= 1e-5 * (1.0 + fabs(want)));
			}
	}
}

int
main(int argc, char **argv)
{
	VfError		err = {0};

	if (argc < 2)
	{
		fprintf(stderr, "usage: %s MODELS_DIR\n", argv[0]);
		return 2;
	}
	if (vf_blas_init(1, &err) < 0)
	{
		printf("blas: %s\n", err.msg);
		return 2;
	}
	test_prefix_and_missing(argv[1], "grover", "bert.", "bert.encoder.layer.1.output.dense.bias");
	test_prefix_and_missing(argv[1], "nt_v2", "esm.", "esm.encoder.layer.0.intermediate.dense.weight");
	test_prefix_and_missing(argv[1], "dnabert2", "bert.", "bert.encoder.layer.1.mlp.gated_layers.weight");
	test_prefix_and_missing(argv[1], "nt_v1", "esm.", "esm.encoder.emb_layer_norm_after.bias");
	test_config_errors(argv[1]);
	test_inputs(argv[1]);
	test_alibi_slopes();
	test_linear();
	printf("encoder_test: %s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
