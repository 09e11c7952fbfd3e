/*
 * row_errors.c: varformer.on_error, turning problems of one row's data into NULL, and the
 * one NOTICE per statement that counts them (row_errors.h says which errors and why).
 *
 * Counting: a backend counts its own rows per statement (keyed by the statement's start
 * timestamp, so a statement that failed leaves nothing behind). A parallel worker cannot
 * send its count to the leader's NOTICE through the executor, so it writes it into its slot
 * of a small shared array with its leader's pid and statement start; the leader, at the end
 * of its top-level statement (ExecutorEnd, after its workers have finished), adds the slots
 * that name it and emits the NOTICE once. Nested statements (SPI inside a function) do not
 * emit: the executor nesting level is tracked as pg_stat_statements does.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "common/error_report.h"
#include "predict/row_errors.h"

#define FIRST_LEN 512

int			vf_on_error = VF_ON_ERROR_ERROR;

static const struct config_enum_entry on_error_options[] = {
	{"error", VF_ON_ERROR_ERROR, false},
	{"null", VF_ON_ERROR_NULL, false},
	{NULL, 0, false}
};

/* One worker's rows turned into NULL, for its leader's statement. */
typedef struct WorkerCount
{
	slock_t		mutex;
	int32		leader_pid;		/* 0: free */
	TimestampTz statement_start;
	int64		count;
	char		first[FIRST_LEN];
} WorkerCount;

static WorkerCount *worker_counts = NULL;
static int	n_worker_counts = 0;

/* this backend's count for its current statement */
static TimestampTz my_statement = 0;
static int64 my_count = 0;
static char my_first[FIRST_LEN];

/* the row error being raised (0: none) */
static int	armed_sqlstate = 0;

static int	exec_nesting = 0;
static ExecutorRun_hook_type prev_run = NULL;
static ExecutorFinish_hook_type prev_finish = NULL;
static ExecutorEnd_hook_type prev_end = NULL;
static shmem_request_hook_type prev_shmem_request = NULL;
static shmem_startup_hook_type prev_shmem_startup = NULL;

VfOnError
vf_on_error_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *v;

	if (argno >= PG_NARGS() || PG_ARGISNULL(argno))
		return (VfOnError) vf_on_error;
	v = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	for (const struct config_enum_entry *e = on_error_options; e->name; e++)
		if (pg_strcasecmp(v, e->name) == 0)
			return (VfOnError) e->val;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("on_error must be 'error' or 'null', not '%s'", v)));
	return VF_ON_ERROR_ERROR;	/* not reached */
}

void
vf_row_error_arm(int sqlstate)
{
	armed_sqlstate = sqlstate;
}

void
vf_row_ereport(const VfError *err)
{
	vf_row_error_arm(vf_sqlstate(err->code));
	vf_ereport(err);
}

typedef struct RowCall
{
	const char *function;
	const char *gene;
	const char *model;
} RowCall;

/* Only for row errors: a genotype does not carry its sample's name, so say how to find it. */
static void
row_context(void *arg)
{
	const RowCall *c = arg;

	if (armed_sqlstate == 0 || geterrcode() != armed_sqlstate)
		return;
	errcontext("%s for gene \"%s\" with model \"%s\"; a genotype does not carry its sample's name: "
			   "covers_gene(gt, gene, model) finds the rows it cannot predict, "
			   "and SET varformer.on_error = 'null' (or on_error => 'null') returns NULL for them",
			   c->function, c->gene, c->model);
}

static void
count_row(const char *function, const ErrorData *e)
{
	TimestampTz stmt = GetCurrentStatementStartTimestamp();

	if (my_statement != stmt)
	{
		my_statement = stmt;
		my_count = 0;
	}
	if (my_count++ == 0)
		snprintf(my_first, sizeof(my_first), "%s: %s", function, e->message ? e->message : "");
	if (IsParallelWorker() && worker_counts != NULL && MyProc != NULL &&
		MyProc->pgprocno < n_worker_counts && MyProc->lockGroupLeader != NULL)
	{
		WorkerCount *w = &worker_counts[MyProc->pgprocno];
		int32		leader = MyProc->lockGroupLeader->pid;

		SpinLockAcquire(&w->mutex);
		if (w->leader_pid != leader || w->statement_start != stmt)
		{
			w->leader_pid = leader;
			w->statement_start = stmt;
			w->count = 0;
			strlcpy(w->first, my_first, FIRST_LEN);
		}
		w->count++;
		SpinLockRelease(&w->mutex);
	}
}

bool
vf_row_run(VfOnError mode, const char *function, const char *gene, const char *model,
		   VfRowFn fn, void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	RowCall		call = {function, gene, model};
	ErrorContextCallback cb = {.previous = error_context_stack, .callback = row_context, .arg = &call};
	volatile bool ok = true;

	armed_sqlstate = 0;
	error_context_stack = &cb;
	if (mode != VF_ON_ERROR_NULL)
	{
		/* nothing to catch: no setjmp on the path of microsecond-long PredictDB calls */
		fn(arg);
		error_context_stack = cb.previous;
		return true;
	}
	PG_TRY();
	{
		fn(arg);
	}
	PG_CATCH();
	{
		ErrorData  *e;
		int			armed = armed_sqlstate;

		armed_sqlstate = 0;
		error_context_stack = cb.previous;
		if (armed == 0)
			PG_RE_THROW();
		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		if (e->sqlerrcode != armed)
		{
			FreeErrorData(e);
			PG_RE_THROW();
		}
		/* raised where nothing is held (row_errors.h): dropping it is all there is to undo */
		FlushErrorState();
		count_row(function, e);
		FreeErrorData(e);
		ok = false;
	}
	PG_END_TRY();
	armed_sqlstate = 0;
	error_context_stack = cb.previous;
	return ok;
}

/* ---------------------------------------------------------------- the statement's NOTICE */

static void
report_statement(bool parallel)
{
	TimestampTz stmt = GetCurrentStatementStartTimestamp();
	int64		total = my_statement == stmt ? my_count : 0;
	char		first[FIRST_LEN];

	first[0] = '\0';
	if (total > 0)
		strlcpy(first, my_first, FIRST_LEN);
	/* only a plan that could start workers may have counts of theirs */
	for (int i = 0; parallel && worker_counts != NULL && i < n_worker_counts; i++)
	{
		WorkerCount *w = &worker_counts[i];

		if (w->leader_pid != MyProcPid)	/* unlocked peek; checked again under the lock */
			continue;
		SpinLockAcquire(&w->mutex);
		if (w->leader_pid == MyProcPid && w->statement_start == stmt)
		{
			total += w->count;
			if (first[0] == '\0')
				strlcpy(first, w->first, FIRST_LEN);
		}
		if (w->leader_pid == MyProcPid)
			w->leader_pid = 0;
		SpinLockRelease(&w->mutex);
	}
	my_count = 0;
	my_statement = 0;
	if (total > 0)
		ereport(NOTICE,
				(errmsg("varformer returned NULL for %lld %s that could not be predicted (varformer.on_error = 'null')",
						(long long) total, total == 1 ? "call" : "calls"),
				 errdetail("The first: %s", first),
				 errhint("covers_gene(gt, gene, model) tells which genotypes cover a gene's windows.")));
}

static void
row_run_hook(QueryDesc *queryDesc, ScanDirection direction, uint64 count, bool execute_once)
{
	exec_nesting++;
	PG_TRY();
	{
		if (prev_run)
			prev_run(queryDesc, direction, count, execute_once);
		else
			standard_ExecutorRun(queryDesc, direction, count, execute_once);
	}
	PG_FINALLY();
	{
		exec_nesting--;
	}
	PG_END_TRY();
}

static void
row_finish_hook(QueryDesc *queryDesc)
{
	exec_nesting++;
	PG_TRY();
	{
		if (prev_finish)
			prev_finish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_FINALLY();
	{
		exec_nesting--;
	}
	PG_END_TRY();
}

static void
row_end_hook(QueryDesc *queryDesc)
{
	bool		parallel = queryDesc->plannedstmt != NULL && queryDesc->plannedstmt->parallelModeNeeded;

	if (prev_end)
		prev_end(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
	/* after the plan's end: its parallel workers have finished and written their counts */
	if (exec_nesting == 0 && !IsParallelWorker())
		report_statement(parallel);
}

static void
row_shmem_request(void)
{
	if (prev_shmem_request)
		prev_shmem_request();
	RequestAddinShmemSpace(mul_size(MaxBackends, sizeof(WorkerCount)));
}

static void
row_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup)
		prev_shmem_startup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	worker_counts = ShmemInitStruct("varformer row errors", mul_size(MaxBackends, sizeof(WorkerCount)), &found);
	if (!found)
		for (int i = 0; i < MaxBackends; i++)
		{
			SpinLockInit(&worker_counts[i].mutex);
			worker_counts[i].leader_pid = 0;
			worker_counts[i].count = 0;
		}
	n_worker_counts = MaxBackends;
	LWLockRelease(AddinShmemInitLock);
}

void
vf_row_errors_shmem_init(void)
{
	prev_shmem_request = shmem_request_hook;
	shmem_request_hook = row_shmem_request;
	prev_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = row_shmem_startup;
}

void
vf_row_errors_init(void)
{
	DefineCustomEnumVariable("varformer.on_error",
							 "What prediction functions do with a row they cannot predict.",
							 "error (default) raises the error; null returns NULL for that row and "
							 "one NOTICE at the end of the statement counts them.",
							 &vf_on_error, VF_ON_ERROR_ERROR, on_error_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	prev_run = ExecutorRun_hook;
	ExecutorRun_hook = row_run_hook;
	prev_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = row_finish_hook;
	prev_end = ExecutorEnd_hook;
	ExecutorEnd_hook = row_end_hook;
}
