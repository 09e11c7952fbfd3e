/*
 * predict_cost.c: what one call of a prediction or encoding function costs, per model kind.
 *
 * Why: one COST per function cannot fit both a PredictDB model (about a microsecond per call)
 * and a transformer (tens of milliseconds to seconds). With the deep models' cost on every
 * call, a cohort x genes query of elastic-net predictions looked expensive enough to be JIT
 * compiled (tens of milliseconds per query for microseconds of work); with the linear
 * models' cost, deep predictions would never get a parallel plan. The planner asks this
 * support function (SupportRequestCost) and it answers from the kind of the model the call
 * names, when the model argument is a constant and the model is loaded; otherwise the
 * function's declared COST stands.
 *
 * Scale: PostgreSQL's cost unit is cpu_operator_cost per COST unit; taking a simple operator
 * as ~0.05 microseconds, one microsecond is about 20 units.
 */
#include "postgres.h"

#include "catalog/pg_proc.h"
#include "fmgr.h"
#include "nodes/supportnodes.h"
#include "catalog/pg_type.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "optimizer/plancat.h"

#include "predict/predict_cost.h"
#include "store/model_registry.h"
#include "store/model_store.h"
#include "varformer/scoring/ensemble.h"

/* COST units per call, by kind: measured orders of magnitude on one core (README). */
#define COST_LINEAR		25.0		/* PredictDB: ~1 us per call */
#define COST_ENSEMBLE	5.0			/* combining, on top of its members' costs */
#define COST_DEEP		1000000.0	/* a forward pass: tens of ms and up */

/* Position of the argument named "model" in the function's signature, or -1. */
static int
model_arg_position(Oid funcid)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	Datum		names;
	bool		isnull;
	int			pos = -1;

	if (!HeapTupleIsValid(tup))
		return -1;
	names = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_proargnames, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(DatumGetArrayTypeP(names), TEXTOID, -1, false, TYPALIGN_INT,
						  &elems, &nulls, &n);
		for (int i = 0; i < n && pos < 0; i++)
			if (!nulls[i] && strcmp(TextDatumGetCString(elems[i]), "model") == 0)
				pos = i;
	}
	ReleaseSysCache(tup);
	return pos;
}

/*
 * COST units of one call on the named model: by kind, an ensemble the sum of its members'
 * (an ensemble of an elastic net and a deep model costs what the deep model costs). -1 when
 * the model is not loaded here.
 */
static double
model_cost(const char *name, int depth)
{
	VfModelStatus st;
	const VfModelRef *m;
	double		cost = COST_ENSEMBLE;

	if (!vf_model_store_lookup(name, &st))
		return -1;
	switch (st.kind)
	{
		case VF_KIND_PREDICTDB:
			return COST_LINEAR;
		case VF_KIND_ENSEMBLE:
			break;
		default:
			return COST_DEEP;
	}
	/* ensembles nest only a few levels deep (load_model refuses cycles) */
	if (depth > 4)
		return COST_DEEP;
	m = vf_model_acquire(name);
	for (uint32_t i = 0; i < vf_ensemble_n_members(m->image); i++)
	{
		double		w;
		double		c = model_cost(vf_ensemble_member(m->image, i, &w), depth + 1);

		cost += c < 0 ? COST_DEEP : c;
	}
	return cost;
}

PG_FUNCTION_INFO_V1(vf_predict_cost_support);
Datum
vf_predict_cost_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestCost *req;
	List	   *args;
	Node	   *arg;
	int			pos;
	double		cost;

	if (!IsA(rawreq, SupportRequestCost))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestCost *) rawreq;
	if (req->node == NULL)
		PG_RETURN_POINTER(NULL);
	if (IsA(req->node, FuncExpr))
		args = ((FuncExpr *) req->node)->args;
	else
		PG_RETURN_POINTER(NULL);
	pos = model_arg_position(req->funcid);
	if (pos < 0 || pos >= list_length(args))
		PG_RETURN_POINTER(NULL);
	arg = (Node *) list_nth(args, pos);
	if (!IsA(arg, Const) || ((Const *) arg)->constisnull || ((Const *) arg)->consttype != TEXTOID)
		PG_RETURN_POINTER(NULL);
	cost = model_cost(TextDatumGetCString(((Const *) arg)->constvalue), 0);
	if (cost < 0)
		PG_RETURN_POINTER(NULL);
	req->startup = 0;
	req->per_tuple = cost * cpu_operator_cost;
	PG_RETURN_POINTER(req);
}

Cost
vf_call_cost(PlannerInfo *root, Node *node)
{
	Oid			funcid;
	QualCost	cost = {0, 0};

	if (IsA(node, FuncExpr))
		funcid = ((FuncExpr *) node)->funcid;
	else if (IsA(node, OpExpr))
		funcid = ((OpExpr *) node)->opfuncid;
	else
		return 0;
	add_function_cost(root, funcid, node, &cost);
	return cost.per_tuple;
}
