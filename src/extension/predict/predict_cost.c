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

#include "store/model_registry.h"

/* COST units per call, by kind: measured orders of magnitude on one core (README). */
#define COST_LINEAR		25.0		/* PredictDB: ~1 us per call */
#define COST_ENSEMBLE	50.0		/* a few linear members */
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

static double
kind_cost(VfModelKind kind)
{
	switch (kind)
	{
		case VF_KIND_PREDICTDB:
			return COST_LINEAR;
		case VF_KIND_ENSEMBLE:
			return COST_ENSEMBLE;
		default:
			return COST_DEEP;
	}
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
	VfModelStatus st;

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
	if (!vf_model_store_lookup(TextDatumGetCString(((Const *) arg)->constvalue), &st))
		PG_RETURN_POINTER(NULL);
	req->startup = 0;
	req->per_tuple = kind_cost(st.kind) * cpu_operator_cost;
	PG_RETURN_POINTER(req);
}
