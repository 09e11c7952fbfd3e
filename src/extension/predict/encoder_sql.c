/*
 * encoder_sql.c: encode_sequence(), encode_tokens() and sequence_tokens(), the SQL entry to
 * the transformer encoders.
 *
 * A model is acquired by name from the shared-memory store; each backend builds, once per
 * model generation, a VfModel (model.h; and, on first use of a sequence, the model's VfTokenizer)
 * over its own mapping of the image and keeps them in the store's backend cache together
 * with buffers sized for the model's longest input.
 * Pooling is the mean of the last hidden state over every token (special tokens included;
 * a single sequence has no padding), as the NT and DNABERT-2 model cards do.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "varformer/kernels/blas.h"
#include "varformer/checkpoint/checkpoint.h"
#include "types/embedding.h"
#include "varformer/models/model.h"
#include "predict/engine.h"
#include "common/error_report.h"
#include "varformer/common/json.h"
#include "predict/progress.h"
#include "store/model_store.h"
#include "varformer/tokenizers/tokenizer.h"

PG_FUNCTION_INFO_V1(vf_encode_sequence);
PG_FUNCTION_INFO_V1(vf_encode_sequence_states);
PG_FUNCTION_INFO_V1(vf_sequence_tokens);
PG_FUNCTION_INFO_V1(vf_encode_tokens);
PG_FUNCTION_INFO_V1(vf_encode_tokens_states);

/* Backend-local state for one model generation (plain malloc: it outlives transactions). */
typedef struct EncoderModel
{
	const void *image;			/* the mapping the views below point into */
	VfCheckpoint ckpt;
	bool		ckpt_open;
	VfJsonDoc  *config;
	VfModel    *model;
	VfTokenizer *tok;			/* NULL until a sequence is encoded */
	int			cap;			/* tokens the buffers below hold (views of the per-process ones) */
	int32_t    *ids;
	int32_t    *states;
	float	   *hidden;
} EncoderModel;

static void
encoder_model_free(void *p)
{
	EncoderModel *em = p;

	if (em == NULL)
		return;
	vf_tokenizer_free(em->tok);
	vf_model_free(em->model);
	if (em->config)
		vf_json_free(em->config);
	if (em->ckpt_open)
		vf_checkpoint_close(&em->ckpt);
	free(em);
}

static void
check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

static EncoderModel *
encoder_model_get(const char *name)
{
	const VfModelRef *m = vf_model_acquire(name);
	EncoderModel *em;
	VfError		err = {0};

	if (m->kind != VF_KIND_ENCODER)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is not a transformer encoder", name),
				 errhint("Encoding needs a model loaded from an encoder checkpoint (NT, DNABERT-2, GROVER).")));
	em = vf_model_cache_get(m);
	if (em != NULL && em->image == m->image)
		return em;

	em = calloc(1, sizeof(EncoderModel));
	if (em == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	em->image = m->image;
	if (vf_checkpoint_open(m->image, m->size, &em->ckpt, &err) < 0)
		goto fail;
	em->ckpt_open = true;
	if (em->ckpt.config_json == NULL)
	{
		vf_error(&err, VF_ERR_DATA, "model \"%s\" has no config.json", name);
		goto fail;
	}
	if ((em->config = vf_json_parse(em->ckpt.config_json, em->ckpt.config_len, &err)) == NULL ||
		(em->model = vf_model_create(&em->ckpt, vf_json_root(em->config), &err)) == NULL)
		goto fail;
	if (vf_model_info(em->model)->out_cols > VF_EMBEDDING_MAX_DIM)
	{
		vf_error(&err, VF_ERR_LIMIT, "hidden size %d of model \"%s\" exceeds the embedding type's maximum %d",
				 vf_model_info(em->model)->out_cols, name, VF_EMBEDDING_MAX_DIM);
		goto fail;
	}
	vf_model_set_interrupt_hook(em->model, check_interrupts);
	vf_model_cache_set(m, em, encoder_model_free);
	return em;

fail:
	encoder_model_free(em);
	vf_ereport(&err);
}

/*
 * Token ids, states and the last hidden state for n tokens. Like the encoder's activations
 * they are per process, not per model: a backend encodes one input at a time.
 */
static int32_t *io_ids,
		   *io_states;
static float *io_hidden;
static size_t io_tokens,
			io_floats;

/*
 * Room for n token ids and states, and for the last hidden state of hidden_rows tokens: the
 * ids are sized by the model's maximum before tokenizing, the hidden state (hidden size
 * times as large: 1 GB for HyenaDNA's 1,000,002 tokens) by the input actually encoded.
 */
static void
encoder_model_reserve(EncoderModel *em, int n, int hidden_rows)
{
	size_t		floats = (size_t) hidden_rows * vf_model_info(em->model)->out_cols;

	if ((size_t) n > io_tokens)
	{
		int32_t    *ids = malloc(sizeof(int32_t) * n),
				   *states = malloc(sizeof(int32_t) * n);

		if (!ids || !states)
		{
			free(ids);
			free(states);
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory for %d tokens", n)));
		}
		free(io_ids);
		free(io_states);
		io_ids = ids;
		io_states = states;
		io_tokens = n;
	}
	if (floats > io_floats)
	{
		float	   *hidden = malloc(sizeof(float) * floats);

		if (!hidden)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory for %d tokens", hidden_rows)));
		free(io_hidden);
		io_hidden = hidden;
		io_floats = floats;
	}
	em->ids = io_ids;
	em->states = io_states;
	em->hidden = io_hidden;
	em->cap = n;
}

/* A one-dimensional int[] without NULLs into dst[0..count); returns count. */
static int
read_int_array(ArrayType *arr, const char *what, int32_t *dst, int cap)
{
	int			count;
	Datum	   *values;
	bool	   *nulls;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array, not %d-dimensional", what, ARR_NDIM(arr))));
	deconstruct_array(arr, INT4OID, sizeof(int32), true, TYPALIGN_INT, &values, &nulls, &count);
	if (count > cap)
	{
		pfree(values);
		pfree(nulls);
		return count;			/* the caller reports the limit */
	}
	for (int i = 0; i < count; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s element %d is NULL", what, i + 1)));
		dst[i] = DatumGetInt32(values[i]);
	}
	pfree(values);
	pfree(nulls);
	return count;
}

/* Runs the encoder over em->ids[0..n) and returns the mean of the last hidden state. */
static Embedding *
encode_ids(EncoderModel *em, const char *model, int n, bool with_states)
{
	VfError		err = {0};
	int			H = vf_model_info(em->model)->out_cols;
	Embedding  *result;
	double	   *acc;
	VfModelInput in;

	encoder_model_reserve(em, em->cap, n);
	in = (VfModelInput) {.ids = em->ids, .states = with_states ? em->states : NULL, .n_tokens = n};
	if (vf_blas_init(vf_blas_threads, &err) < 0 ||
		vf_model_forward(em->model, &in, em->hidden, &err) < 0)
		vf_forward_ereport(&err, model, n, "tokens");

	/* mean over tokens, accumulated in double so long inputs lose no digits */
	result = vf_embedding_new(H);
	acc = palloc0(sizeof(double) * H);
	for (int t = 0; t < n; t++)
		for (int i = 0; i < H; i++)
			acc[i] += em->hidden[(size_t) t * H + i];
	for (int i = 0; i < H; i++)
		result->x[i] = (float) (acc[i] / n);
	pfree(acc);
	vf_embedding_check_finite(result, "encoder output");
	return result;
}

/* Epigenetic states for the n tokens in em->ids, one per token. */
static void
read_states(EncoderModel *em, ArrayType *states, int n, const char *model)
{
	int			count;

	if (vf_model_info(em->model)->n_states == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model \"%s\" has no epigenetic state embeddings", model),
				 errhint("Call the function without states.")));
	count = read_int_array(states, "epigenetic states", em->states, em->cap);
	if (count != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%d epigenetic states given for %d tokens", count, n),
				 errdetail("Give one state per token of model \"%s\", special tokens included.", model)));
}

static Datum
encode_tokens(ArrayType *ids, text *model_name, ArrayType *states)
{
	char	   *model = text_to_cstring(model_name);
	EncoderModel *em = encoder_model_get(model);
	int			max = vf_model_info(em->model)->max_input,
				n;

	vf_progress_call("encode_tokens", model, false);
	encoder_model_reserve(em, max, 0);
	n = read_int_array(ids, "token ids", em->ids, max);
	if (n > max)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%d tokens exceed the maximum of %d of model \"%s\"", n, max, model)));
	if (states != NULL)
		read_states(em, states, n, model);
	PG_RETURN_EMBEDDING_P(encode_ids(em, model, n, states != NULL));
}

Datum
vf_encode_tokens(PG_FUNCTION_ARGS)
{
	return encode_tokens(PG_GETARG_ARRAYTYPE_P(0), PG_GETARG_TEXT_PP(1), NULL);
}

Datum
vf_encode_tokens_states(PG_FUNCTION_ARGS)
{
	return encode_tokens(PG_GETARG_ARRAYTYPE_P(0), PG_GETARG_TEXT_PP(1), PG_GETARG_ARRAYTYPE_P(2));
}

/*
 * Tokenizes seq into em->ids as the model's authors do (upper-cased first; NT k-mers, BPE
 * from tokenizer.json, ...); returns the token count.
 */
static int
tokenize(EncoderModel *em, text *seq, const char *model)
{
	VfError		err = {0};
	int			max = vf_model_info(em->model)->max_input,
				n;

	if (em->tok == NULL)
	{
		em->tok = vf_tokenizer_create(&em->ckpt, vf_json_root(em->config), &err);
		if (em->tok == NULL)
		{
			char		msg[sizeof(err.msg)];

			snprintf(msg, sizeof(msg), "%s", err.msg);
			vf_error(&err, err.code, "model \"%s\" has no usable tokenizer: %s", model, msg);
			vf_error_hint(&err, "encode_tokens() takes token ids directly.");
			vf_ereport(&err);
		}
	}
	encoder_model_reserve(em, max, 0);
	n = vf_tokenize(em->tok, VARDATA_ANY(seq), VARSIZE_ANY_EXHDR(seq), em->ids, max, &err);
	if (n < 0)
		vf_ereport(&err);
	return n;
}

static Datum
encode_sequence(text *seq, text *model_name, ArrayType *states)
{
	char	   *model = text_to_cstring(model_name);
	EncoderModel *em = encoder_model_get(model);
	int			n;

	vf_progress_call("encode_sequence", model, false);
	n = tokenize(em, seq, model);

	if (states != NULL)
		read_states(em, states, n, model);
	PG_RETURN_EMBEDDING_P(encode_ids(em, model, n, states != NULL));
}

Datum
vf_encode_sequence(PG_FUNCTION_ARGS)
{
	return encode_sequence(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), NULL);
}

Datum
vf_encode_sequence_states(PG_FUNCTION_ARGS)
{
	return encode_sequence(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), PG_GETARG_ARRAYTYPE_P(2));
}

/* The token ids encode_sequence feeds the encoder (to check them, or to pass states). */
Datum
vf_sequence_tokens(PG_FUNCTION_ARGS)
{
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(1));
	EncoderModel *em = encoder_model_get(model);
	int			n = tokenize(em, PG_GETARG_TEXT_PP(0), model);
	Datum	   *d = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		d[i] = Int32GetDatum(em->ids[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
}
