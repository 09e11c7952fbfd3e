/*
 * row_parallel.c: parallel scans that hand out rows, not blocks.
 *
 * Why: a cohort table keeps one genotype per person, and genotypes are TOASTed, so the heap
 * is a few pages however many people it holds (40 people fit in one page). PostgreSQL's
 * parallel sequential scan hands out blocks: with one block, one process gets every row,
 * and below min_parallel_table_scan_size (8 MB) it does not even plan one. Yet each row costs
 * milliseconds to seconds of model work, so the table's size in pages says nothing about the
 * work.
 *
 * What: when a scan of a plain table feeds costly per-row expressions (a function whose COST
 * is at least varformer.row_parallel_min_cost: every prediction and encoding function) and
 * the planner found no partial path for it, this adds one: a custom scan in which every
 * participant (leader and workers) walks the whole heap in the same physical order under the
 * same snapshot, so all see the same sequence of visible tuples, and takes the next row
 * index from one shared atomic counter. Each row is returned by exactly one participant, and
 * work is balanced row by row whatever the heap looks like. Quals and the target list run in
 * the participant that claimed the row. Walking a few heap pages per participant is cheap
 * next to the per-row work (the cost model charges it to every participant, so large heaps
 * keep PostgreSQL's block-based plan, which the planner still prefers when it exists).
 *
 * The planner chooses by cost as usual: the function costs (per model kind, see
 * predict_cost.c) decide whether a Gather pays off.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/plancat.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/wait_event.h"

#include "commands/explain.h"
#include "predict/parallel_cache.h"
#include "predict/predict_cost.h"
#include "predict/prediction_cache.h"
#include "predict/row_parallel.h"

#define ROW_SCAN_NAME "VarformerRowScan"

static bool vf_row_parallel = true;
static double vf_row_parallel_min_cost = 10.0;
static bool vf_row_parallel_test_barrier = false;

static set_rel_pathlist_hook_type prev_set_rel_pathlist_hook = NULL;

/* Shared by the participants of one parallel scan (in the parallel query's DSM). */
typedef struct RowClaimShared
{
	pg_atomic_uint64 next;		/* index, in scan order, of the next row to hand out */
	pg_atomic_uint32 arrived;	/* participants past their first call (test barrier) */
	uint32		expected;		/* leader (if it participates) + planned workers */
	ConditionVariable cv;
	/* then, at MAXALIGN(sizeof(RowClaimShared)), the query's shared prediction cache */
} RowClaimShared;

#define ROW_CACHE(sh) ((VfParallelCache *) ((char *) (sh) + MAXALIGN(sizeof(RowClaimShared))))

typedef struct RowScanState
{
	CustomScanState css;
	RowClaimShared *shared;		/* NULL: not parallel, this process returns every row */
	TupleTableSlot *heap_slot;	/* the table AM's slot (a custom scan's own slot is virtual) */
	uint64		seen;			/* visible tuples walked so far in this process */
	bool		started;
	bool		have_stats;		/* leader: cache_stats copied at shutdown, for EXPLAIN */
	VfParallelCacheStats cache_stats;
} RowScanState;

static Plan *row_plan_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
						   List *tlist, List *clauses, List *custom_plans);
static Node *row_create_state(CustomScan *cscan);
static void row_begin(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *row_exec(CustomScanState *node);
static void row_end(CustomScanState *node);
static void row_rescan(CustomScanState *node);
static Size row_estimate_dsm(CustomScanState *node, ParallelContext *pcxt);
static void row_init_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate);
static void row_reinit_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate);
static void row_init_worker(CustomScanState *node, shm_toc *toc, void *coordinate);
static void row_shutdown(CustomScanState *node);
static void row_explain(CustomScanState *node, List *ancestors, ExplainState *es);

static const CustomPathMethods row_path_methods = {
	.CustomName = ROW_SCAN_NAME,
	.PlanCustomPath = row_plan_path,
};

static const CustomScanMethods row_scan_methods = {
	.CustomName = ROW_SCAN_NAME,
	.CreateCustomScanState = row_create_state,
};

static const CustomExecMethods row_exec_methods = {
	.CustomName = ROW_SCAN_NAME,
	.BeginCustomScan = row_begin,
	.ExecCustomScan = row_exec,
	.EndCustomScan = row_end,
	.ReScanCustomScan = row_rescan,
	.EstimateDSMCustomScan = row_estimate_dsm,
	.InitializeDSMCustomScan = row_init_dsm,
	.ReInitializeDSMCustomScan = row_reinit_dsm,
	.InitializeWorkerCustomScan = row_init_worker,
	.ShutdownCustomScan = row_shutdown,
	.ExplainCustomScan = row_explain,
};

/* --- planning --- */

/*
 * Which relation to hand out by rows: the one a costly call's first argument reads. By
 * varformer's argument order that is the per-row data (a genotype, a sequence, a variant);
 * the other arguments say what to compute for it (a gene, a track, the model). In a cohort
 * x genes join both tables feed the call, and PostgreSQL's costs cannot tell the two join
 * orders apart, but they differ a hundredfold: with the cohort outer, each participant takes
 * a person and scores every gene on the genotype it has just decoded and matched (the
 * scorers keep the last genotype); with the genes outer, every call meets another person's
 * genotype and decodes it again. So only the data's relation gets a row-parallel path.
 */
typedef struct CostlyCallCxt
{
	PlannerInfo *root;
	Index		relid;			/* the relation being planned */
} CostlyCallCxt;

/* Is there a costly call whose first argument reads the relation's columns? */
static bool
feeds_costly_call_walker(Node *node, CostlyCallCxt *cxt)
{
	List	   *args = NIL;

	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr))
		args = ((FuncExpr *) node)->args;
	else if (IsA(node, OpExpr))
		args = ((OpExpr *) node)->args;
	if (args != NIL &&
		bms_is_member(cxt->relid, pull_varnos(cxt->root, (Node *) linitial(args))) &&
		vf_call_cost(cxt->root, node) >= vf_row_parallel_min_cost * cpu_operator_cost)
		return true;
	return expression_tree_walker(node, feeds_costly_call_walker, cxt);
}

/* Does the query evaluate, per row of this relation, a costly function on its data? */
static bool
query_has_costly_calls(PlannerInfo *root, RelOptInfo *rel)
{
	CostlyCallCxt cxt = {.root = root, .relid = rel->relid};
	ListCell   *lc;

	if (feeds_costly_call_walker((Node *) root->processed_tlist, &cxt))
		return true;
	if (feeds_costly_call_walker((Node *) root->parse->havingQual, &cxt))
		return true;
	foreach(lc, rel->baserestrictinfo)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

		if (feeds_costly_call_walker((Node *) ri->clause, &cxt))
			return true;
	}
	return false;
}

/* The share of the rows one participant processes, as cost_seqscan counts it. */
static double
participant_divisor(int workers)
{
	double		divisor = workers;

	if (parallel_leader_participation)
	{
		double		leader = 1.0 - 0.3 * workers;

		if (leader > 0)
			divisor += leader;
	}
	return divisor;
}

static void
row_set_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti, RangeTblEntry *rte)
{
	CustomPath *cpath;
	int			workers;
	double		divisor;
	QualCost	qual;
	Cost		walk;

	if (prev_set_rel_pathlist_hook)
		prev_set_rel_pathlist_hook(root, rel, rti, rte);

	if (!vf_row_parallel || max_parallel_workers_per_gather <= 0)
		return;
	if (rel->reloptkind != RELOPT_BASEREL || rte->rtekind != RTE_RELATION ||
		(rte->relkind != RELKIND_RELATION && rte->relkind != RELKIND_MATVIEW) ||
		rte->tablesample != NULL || !rel->consider_parallel)
		return;
	/* PostgreSQL's own block-based parallel scan exists: it is the better one then */
	if (rel->partial_pathlist != NIL || rel->lateral_relids != NULL)
		return;
	if (rel->tuples < 2 || !query_has_costly_calls(root, rel))
		return;

	workers = rel->rel_parallel_workers > 0 ? rel->rel_parallel_workers : max_parallel_workers_per_gather;
	workers = Min(workers, max_parallel_workers_per_gather);
	if (workers > rel->tuples - 1)
		workers = (int) (rel->tuples - 1);
	if (workers <= 0)
		return;
	divisor = participant_divisor(workers);

	cpath = makeNode(CustomPath);
	cpath->path.pathtype = T_CustomScan;
	cpath->path.parent = rel;
	cpath->path.pathtarget = rel->reltarget;
	cpath->path.param_info = NULL;
	cpath->path.parallel_aware = true;
	cpath->path.parallel_safe = true;
	cpath->path.parallel_workers = workers;
	cpath->path.rows = clamp_row_est(rel->rows / divisor);
	cpath->path.pathkeys = NIL;
	cpath->flags = 0;
	cpath->methods = &row_path_methods;

	/*
	 * Every participant reads every page and walks every tuple; only the quals (and, above
	 * this node, the target list) run once per row, in the participant that claimed it.
	 */
	cost_qual_eval(&qual, extract_actual_clauses(rel->baserestrictinfo, false), root);
	walk = seq_page_cost * rel->pages + cpu_tuple_cost * rel->tuples;
	cpath->path.startup_cost = qual.startup + rel->reltarget->cost.startup;
	cpath->path.total_cost = cpath->path.startup_cost + walk +
		(qual.per_tuple + rel->reltarget->cost.per_tuple) * rel->tuples / divisor;

	add_partial_path(rel, &cpath->path);
}

static Plan *
row_plan_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
			  List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);

	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = extract_actual_clauses(clauses, false);
	cscan->scan.scanrelid = rel->relid;
	cscan->flags = best_path->flags;
	cscan->custom_scan_tlist = NIL;
	cscan->methods = &row_scan_methods;
	return &cscan->scan.plan;
}

/* --- execution --- */

static Node *
row_create_state(CustomScan *cscan)
{
	RowScanState *st = (RowScanState *) newNode(sizeof(RowScanState), T_CustomScanState);

	st->css.methods = &row_exec_methods;
	return (Node *) st;
}

static void
row_begin(CustomScanState *node, EState *estate, int eflags)
{
	RowScanState *st = (RowScanState *) node;
	Relation	rel = node->ss.ss_currentRelation;

	/* the scan itself starts on the first row: parallel state is attached after this */
	st->heap_slot = ExecAllocTableSlot(&estate->es_tupleTable, RelationGetDescr(rel),
									   table_slot_callbacks(rel));
}

/*
 * Test hook (varformer.row_parallel_test_barrier): every participant, having claimed its
 * first row, waits until all planned participants have claimed theirs, so a test can prove
 * deterministically that each one processes rows, on a machine of any speed or load.
 */
static void
wait_for_all_participants(RowClaimShared *sh)
{
	pg_atomic_fetch_add_u32(&sh->arrived, 1);
	ConditionVariableBroadcast(&sh->cv);
	ConditionVariablePrepareToSleep(&sh->cv);
	while (pg_atomic_read_u32(&sh->arrived) < sh->expected)
		ConditionVariableSleep(&sh->cv, PG_WAIT_EXTENSION);
	ConditionVariableCancelSleep();
}

/* The next row this process returns: claim an index, walk the heap forward to it. */
static TupleTableSlot *
row_next(ScanState *ss)
{
	RowScanState *st = (RowScanState *) ss;
	TableScanDesc scan = ss->ss_currentScanDesc;
	TupleTableSlot *slot = st->heap_slot;
	uint64		want;

	if (scan == NULL)
	{
		/* no synchronized scan: every participant must start at block 0 */
		scan = table_beginscan_strat(ss->ss_currentRelation, ss->ps.state->es_snapshot,
									 0, NULL, true, false);
		ss->ss_currentScanDesc = scan;
		st->seen = 0;
	}
	want = st->shared ? pg_atomic_fetch_add_u64(&st->shared->next, 1) : st->seen;
	/* after claiming: each participant then holds a row before any takes a second one */
	if (st->shared != NULL && !st->started && vf_row_parallel_test_barrier)
		wait_for_all_participants(st->shared);
	st->started = true;
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (!table_scan_getnextslot(scan, ForwardScanDirection, slot))
			return ExecClearTuple(ss->ss_ScanTupleSlot);
		if (st->seen++ == want)
			return ExecCopySlot(ss->ss_ScanTupleSlot, slot);
	}
}

static bool
row_recheck(ScanState *ss, TupleTableSlot *slot)
{
	return true;
}

static TupleTableSlot *
row_exec(CustomScanState *node)
{
	return ExecScan(&node->ss, (ExecScanAccessMtd) row_next, (ExecScanRecheckMtd) row_recheck);
}

static void
row_end(CustomScanState *node)
{
	if (node->ss.ss_currentScanDesc)
		table_endscan(node->ss.ss_currentScanDesc);
	node->ss.ss_currentScanDesc = NULL;
}

static void
row_rescan(CustomScanState *node)
{
	RowScanState *st = (RowScanState *) node;

	if (node->ss.ss_currentScanDesc)
		table_rescan(node->ss.ss_currentScanDesc, NULL);
	st->seen = 0;
	st->started = false;
	ExecScanReScan(&node->ss);
}

static Size
row_estimate_dsm(CustomScanState *node, ParallelContext *pcxt)
{
	return add_size(MAXALIGN(sizeof(RowClaimShared)), vf_parallel_cache_size());
}

static void
row_reset_shared(RowClaimShared *sh)
{
	pg_atomic_write_u64(&sh->next, 0);
	pg_atomic_write_u32(&sh->arrived, 0);
}

static void
row_init_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate)
{
	RowScanState *st = (RowScanState *) node;
	RowClaimShared *sh = (RowClaimShared *) coordinate;

	pg_atomic_init_u64(&sh->next, 0);
	pg_atomic_init_u32(&sh->arrived, 0);
	sh->expected = pcxt->nworkers + (parallel_leader_participation ? 1 : 0);
	ConditionVariableInit(&sh->cv);
	st->shared = sh;
	/* es_query_dsa is set only while the parallel query's DSM is being initialised */
	vf_parallel_cache_create(ROW_CACHE(sh), node->ss.ps.state->es_query_dsa,
							 (int64) vf_prediction_cache_mb * 1024 * 1024);
	vf_parallel_cache_attach(ROW_CACHE(sh), node->ss.ps.state->es_query_dsa,
							 node->ss.ps.state->es_query_cxt);
}

static void
row_reinit_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate)
{
	row_reset_shared((RowClaimShared *) coordinate);
}

static void
row_init_worker(CustomScanState *node, shm_toc *toc, void *coordinate)
{
	RowClaimShared *sh = (RowClaimShared *) coordinate;

	((RowScanState *) node)->shared = sh;
	vf_parallel_cache_attach(ROW_CACHE(sh), node->ss.ps.state->es_query_dsa,
							 node->ss.ps.state->es_query_cxt);
}

/* Before the parallel query's DSM goes: stop using the shared cache, keep its counters. */
static void
row_shutdown(CustomScanState *node)
{
	RowScanState *st = (RowScanState *) node;

	if (st->shared == NULL)
		return;
	if (!IsParallelWorker())
	{
		vf_parallel_cache_stats(ROW_CACHE(st->shared), &st->cache_stats);
		st->have_stats = true;
	}
	vf_parallel_cache_detach(ROW_CACHE(st->shared));
	st->shared = NULL;
}

static void
row_explain(CustomScanState *node, List *ancestors, ExplainState *es)
{
	RowScanState *st = (RowScanState *) node;

	(void) ancestors;
	/* only where deep models used it (a PredictDB scan has nothing to show) */
	if (!es->analyze || !st->have_stats ||
		st->cache_stats.computed + st->cache_stats.hits + st->cache_stats.waits == 0)
		return;
	ExplainPropertyInteger("Shared Cache Computed", NULL, st->cache_stats.computed, es);
	ExplainPropertyInteger("Shared Cache Hits", NULL, st->cache_stats.hits, es);
	ExplainPropertyInteger("Shared Cache Waits", NULL, st->cache_stats.waits, es);
}

void
vf_row_parallel_init(void)
{
	DefineCustomBoolVariable("varformer.row_parallel",
							 "Plans parallel scans that hand out rows instead of blocks for costly per-row work.",
							 "Lets a query over a few heap pages of TOASTed genotypes use parallel workers.",
							 &vf_row_parallel, true, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("varformer.row_parallel_min_cost",
							 "Smallest function COST that makes a scan a candidate for row-parallel plans.",
							 NULL, &vf_row_parallel_min_cost, 10.0, 0.0, 1e12,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("varformer.row_parallel_test_barrier",
							 "Testing only: participants of a row-parallel scan wait for each other before their first row.",
							 NULL, &vf_row_parallel_test_barrier, false, PGC_SUSET,
							 GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
	RegisterCustomScanMethods(&row_scan_methods);
	prev_set_rel_pathlist_hook = set_rel_pathlist_hook;
	set_rel_pathlist_hook = row_set_rel_pathlist;
}
