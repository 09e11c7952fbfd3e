/*
 * jit_policy.c: a plan whose cost is almost all model calls is not JIT compiled.
 *
 * Why: PostgreSQL JIT-compiles a plan when its total cost passes jit_above_cost. JIT speeds
 * up expression evaluation and tuple deforming (nanoseconds per row), never the body of a
 * called function. A cohort query of deep predictions costs about a million units per call
 * (predict_cost.c), so it always passes the threshold, and then every participant of the
 * query compiles its expressions first: measured 240-350 ms per process on the 2-core
 * machine before its first row, three times in a query with two parallel workers, for
 * nothing in return.
 *
 * What: after planning, the per-call cost of every call costing at least EXPENSIVE_CALL
 * units (a forward pass, an encoding, anything that spends its time inside the function)
 * times the rows of the plan node evaluating it is taken out of the plan's total cost, and
 * the jit_above_cost decision is made again on what is left. Plans of ordinary work keep
 * PostgreSQL's decision; so does everything when varformer.jit_policy is off.
 */
#include "postgres.h"

#include "jit/jit.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/planner.h"
#include "utils/guc.h"

#include "predict/jit_policy.h"
#include "predict/predict_cost.h"

/* COST units: about 50 microseconds, a thousand times what JIT saves per evaluation */
#define EXPENSIVE_CALL 1000.0

static bool vf_jit_policy = true;
static planner_hook_type prev_planner_hook = NULL;

typedef struct CallCost
{
	double		rows;			/* evaluations of the expression being walked */
	double		input_rows;		/* an aggregate's arguments: its input's rows */
	Cost		total;			/* what the expensive calls found so far cost */
} CallCost;

static bool
expensive_calls_walker(Node *node, CallCost *cc)
{
	Cost		per_call;

	if (node == NULL)
		return false;
	if (IsA(node, Aggref) || IsA(node, WindowFunc))
	{
		double		rows = cc->rows;
		bool		r;

		cc->rows = cc->input_rows;
		r = expression_tree_walker(node, expensive_calls_walker, cc);
		cc->rows = rows;
		return r;
	}
	/* no PlannerInfo after planning: support functions answer from the call alone */
	per_call = vf_call_cost(NULL, node);
	if (per_call >= EXPENSIVE_CALL * cpu_operator_cost)
		cc->total += per_call * cc->rows;
	return expression_tree_walker(node, expensive_calls_walker, cc);
}

static void
plan_calls_cost(Plan *plan, CallCost *cc)
{
	ListCell   *lc;

	if (plan == NULL)
		return;
	cc->rows = Max(plan->plan_rows, 1.0);
	cc->input_rows = plan->lefttree ? Max(plan->lefttree->plan_rows, 1.0) : cc->rows;
	expensive_calls_walker((Node *) plan->targetlist, cc);
	expensive_calls_walker((Node *) plan->qual, cc);
	plan_calls_cost(plan->lefttree, cc);
	plan_calls_cost(plan->righttree, cc);
	if (IsA(plan, Append))
		foreach(lc, ((Append *) plan)->appendplans)
			plan_calls_cost(lfirst(lc), cc);
	else if (IsA(plan, MergeAppend))
		foreach(lc, ((MergeAppend *) plan)->mergeplans)
			plan_calls_cost(lfirst(lc), cc);
	else if (IsA(plan, SubqueryScan))
		plan_calls_cost(((SubqueryScan *) plan)->subplan, cc);
	else if (IsA(plan, CustomScan))
		foreach(lc, ((CustomScan *) plan)->custom_plans)
			plan_calls_cost(lfirst(lc), cc);
}

static PlannedStmt *
jit_policy_planner(Query *parse, const char *query_string, int cursor_options,
				   ParamListInfo bound_params)
{
	PlannedStmt *stmt;
	CallCost	cc = {0, 0, 0};
	ListCell   *lc;

	stmt = prev_planner_hook
		? prev_planner_hook(parse, query_string, cursor_options, bound_params)
		: standard_planner(parse, query_string, cursor_options, bound_params);
	if (!vf_jit_policy || !(stmt->jitFlags & PGJIT_PERFORM))
		return stmt;
	plan_calls_cost(stmt->planTree, &cc);
	foreach(lc, stmt->subplans)
		plan_calls_cost(lfirst(lc), &cc);
	if (stmt->planTree->total_cost - cc.total <= jit_above_cost)
		stmt->jitFlags = PGJIT_NONE;
	return stmt;
}

void
vf_jit_policy_init(void)
{
	DefineCustomBoolVariable("varformer.jit_policy",
							 "Skips JIT compilation of plans whose cost is mostly expensive function calls.",
							 "JIT cannot speed up a model's forward pass; compiling costs each "
							 "parallel participant hundreds of milliseconds. Off: PostgreSQL's "
							 "jit_above_cost decides on the whole cost.",
							 &vf_jit_policy, true, PGC_USERSET, 0, NULL, NULL, NULL);
	prev_planner_hook = planner_hook;
	planner_hook = jit_policy_planner;
}
