/*
 * predict_cost.h: what calls cost the planner (see predict_cost.c). SQL entry layer only.
 */
#ifndef VARFORMER_PREDICT_COST_H
#define VARFORMER_PREDICT_COST_H

#include "postgres.h"

#include "nodes/pathnodes.h"

/*
 * The planner's per-row cost of the function a FuncExpr or OpExpr node calls (its COST, or
 * what its support function answers, varformer's per model kind included); 0 for any other
 * node. root may be NULL after planning.
 */
extern Cost vf_call_cost(PlannerInfo *root, Node *node);

#endif
