/*
 * seq2func_sql.c: predict_tracks(), the SQL entry to sequence-to-function models (the
 * Enformer trunk, enformer.h).
 *
 * A model is acquired by name from the shared-memory store; each backend builds, once per
 * model generation, a VfModel over its own mapping of the image and keeps it in the store's
 * backend cache. The forward pass's activations live in the per-process workspace
 * (workspace.h); only the result array is allocated per call.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/json.h"
#include "varformer/kernels/blas.h"
#include "varformer/models/model.h"
#include "common/error_report.h"
#include "predict/engine.h"
#include "store/model_store.h"

PG_FUNCTION_INFO_V1(vf_predict_tracks);

/* Backend-local state for one model generation (plain malloc: it outlives transactions). */
typedef struct Seq2FuncModel
{
	const void *image;			/* the mapping the views below point into */
	VfCheckpoint ckpt;
	bool		ckpt_open;
	VfJsonDoc  *config;
	VfModel    *model;
} Seq2FuncModel;

static void
seq2func_model_free(void *p)
{
	Seq2FuncModel *sm = p;

	if (sm == NULL)
		return;
	vf_model_free(sm->model);
	if (sm->config)
		vf_json_free(sm->config);
	if (sm->ckpt_open)
		vf_checkpoint_close(&sm->ckpt);
	free(sm);
}

static void
check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

static Seq2FuncModel *
seq2func_model_get(const char *name)
{
	const VfModelRef *m = vf_model_acquire(name);
	Seq2FuncModel *sm;
	VfError		err = {0};

	if (m->kind != VF_KIND_SEQ2FUNC)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is not a sequence-to-function model (its kind is %s)",
						name, vf_model_kind_name(m->kind)),
				 errhint("predict_tracks needs a model loaded from an Enformer checkpoint (model_type \"enformer\").")));
	sm = vf_model_cache_get(m);
	if (sm != NULL && sm->image == m->image)
		return sm;

	sm = calloc(1, sizeof(Seq2FuncModel));
	if (sm == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	sm->image = m->image;
	if (vf_checkpoint_open(m->image, m->size, &sm->ckpt, &err) < 0)
		goto fail;
	sm->ckpt_open = true;
	if (sm->ckpt.config_json == NULL)
	{
		vf_error(&err, VF_ERR_DATA, "model \"%s\" has no config.json", name);
		goto fail;
	}
	if ((sm->config = vf_json_parse(sm->ckpt.config_json, sm->ckpt.config_len, &err)) == NULL ||
		(sm->model = vf_model_create(&sm->ckpt, vf_json_root(sm->config), &err)) == NULL)
		goto fail;
	vf_model_set_interrupt_hook(sm->model, check_interrupts);
	vf_model_cache_set(m, sm, seq2func_model_free);
	return sm;

fail:
	seq2func_model_free(sm);
	vf_ereport(&err);
}

/* An empty rows x cols float4 array whose data the caller fills. */
static ArrayType *
new_real_matrix(int rows, int cols)
{
	size_t		n = (size_t) rows * cols,
				bytes = ARR_OVERHEAD_NONULLS(2) + n * sizeof(float4);
	ArrayType  *a;

	if (bytes > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a %d x %d result exceeds the maximum array size", rows, cols)));
	a = palloc0(bytes);
	SET_VARSIZE(a, bytes);
	a->ndim = 2;
	a->dataoffset = 0;
	a->elemtype = FLOAT4OID;
	ARR_DIMS(a)[0] = rows;
	ARR_DIMS(a)[1] = cols;
	ARR_LBOUND(a)[0] = 1;
	ARR_LBOUND(a)[1] = 1;
	return a;
}

/*
 * predict_tracks(seq, model): the model's raw output for one sequence, bins x tracks (for
 * enformer-pytorch checkpoints the human head, as Enformer(seq)['human'] returns it).
 */
Datum
vf_predict_tracks(PG_FUNCTION_ARGS)
{
	text	   *seq = PG_GETARG_TEXT_PP(0);
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Seq2FuncModel *sm = seq2func_model_get(model);
	const VfModelInfo *info = vf_model_info(sm->model);
	size_t		len = VARSIZE_ANY_EXHDR(seq);
	VfModelInput in = {.seq = VARDATA_ANY(seq), .seq_len = len};
	VfError		err = {0};
	int			rows;
	ArrayType  *result;

	if (len > (size_t) info->max_input)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sequence of %zu bases is longer than the %d bases model \"%s\" reads",
						len, info->max_input, model)));
	rows = vf_model_output_rows(sm->model, (int) len);
	if (rows < 1)
		rows = 1;				/* too short: the forward pass reports it */
	result = new_real_matrix(rows, info->out_cols);
	if (vf_blas_init(vf_blas_threads, &err) < 0 ||
		vf_model_forward(sm->model, &in, (float *) ((char *) result + ARR_OVERHEAD_NONULLS(2)), &err) < 0)
	{
		char		msg[sizeof(err.msg)];

		snprintf(msg, sizeof(msg), "%s", err.msg);
		vf_error(&err, err.code, "model \"%s\": %s", model, msg);
		vf_forward_ereport(&err, model, (int) len, "bases");
	}
	PG_RETURN_ARRAYTYPE_P(result);
}
