/*
 * progress.c: per-process progress of long prediction and encoding queries, readable from
 * any session (view varformer_progress), in the manner of pg_stat_progress_*.
 *
 * PostgreSQL's own progress reporting has a fixed list of commands an extension cannot
 * extend, so this keeps its own array in shared memory: one slot per backend or parallel
 * worker (indexed by its PGPROC number), written only by its owner. Readers copy a slot
 * under a change counter (odd while the owner writes, as pgstat's st_changecount) and retry
 * on a torn read, so neither side ever waits for the other.
 *
 * A slot describes the owner's current statement: the first call of a statement (or of
 * another function or model in it) starts the counts afresh. Parallel workers report in
 * their own slots with their leader's pid, so a query's total is a sum by leader.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "access/xact.h"

#include "predict/progress.h"

typedef struct ProgressSlot
{
	pg_atomic_uint32 changecount;	/* odd while the owner writes */
	int32		pid;			/* 0: free */
	int32		leader_pid;		/* parallel worker: its leader; else 0 */
	char		function[NAMEDATALEN];
	char		model[NAMEDATALEN];
	int64		calls;
	int64		cache_hits;
	TimestampTz statement_start;
	TimestampTz first_call;
	TimestampTz last_call;
} ProgressSlot;

static ProgressSlot *slots = NULL;
static int	n_slots = 0;
static ProgressSlot *my_slot = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
progress_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(mul_size(MaxBackends, sizeof(ProgressSlot)));
}

static void
progress_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	slots = ShmemInitStruct("varformer progress", mul_size(MaxBackends, sizeof(ProgressSlot)), &found);
	if (!found)
	{
		memset(slots, 0, mul_size(MaxBackends, sizeof(ProgressSlot)));
		for (int i = 0; i < MaxBackends; i++)
			pg_atomic_init_u32(&slots[i].changecount, 0);
	}
	n_slots = MaxBackends;
	LWLockRelease(AddinShmemInitLock);
}

static void
begin_write(ProgressSlot *s)
{
	pg_atomic_fetch_add_u32(&s->changecount, 1);
	pg_write_barrier();
}

static void
end_write(ProgressSlot *s)
{
	pg_write_barrier();
	pg_atomic_fetch_add_u32(&s->changecount, 1);
}

static void
progress_clear(int code, Datum arg)
{
	if (my_slot == NULL)
		return;
	begin_write(my_slot);
	my_slot->pid = 0;
	end_write(my_slot);
	my_slot = NULL;
}

/* This process's slot, claimed on first use; NULL without shared memory (not preloaded). */
static ProgressSlot *
own_slot(void)
{
	if (my_slot != NULL)
		return my_slot;
	if (slots == NULL || MyProc == NULL || MyProc->pgprocno >= n_slots)
		return NULL;
	my_slot = &slots[MyProc->pgprocno];
	before_shmem_exit(progress_clear, (Datum) 0);
	return my_slot;
}

void
vf_progress_call(const char *function, const char *model, bool cache_hit)
{
	ProgressSlot *s = own_slot();
	TimestampTz now;
	TimestampTz stmt;

	if (s == NULL)
		return;
	now = GetCurrentTimestamp();
	stmt = GetCurrentStatementStartTimestamp();
	begin_write(s);
	if (s->pid != MyProcPid || s->statement_start != stmt ||
		strncmp(s->function, function, NAMEDATALEN) != 0 ||
		strncmp(s->model, model, NAMEDATALEN) != 0)
	{
		s->pid = MyProcPid;
		s->leader_pid = (MyProc->lockGroupLeader && MyProc->lockGroupLeader != MyProc) ?
			MyProc->lockGroupLeader->pid : 0;
		strlcpy(s->function, function, NAMEDATALEN);
		strlcpy(s->model, model, NAMEDATALEN);
		s->calls = 0;
		s->cache_hits = 0;
		s->statement_start = stmt;
		s->first_call = now;
	}
	s->calls++;
	if (cache_hit)
		s->cache_hits++;
	s->last_call = now;
	end_write(s);
}

void
vf_progress_cache_hit(void)
{
	ProgressSlot *s = own_slot();

	if (s == NULL || s->pid != MyProcPid)
		return;
	begin_write(s);
	s->cache_hits++;
	end_write(s);
}

PG_FUNCTION_INFO_V1(vf_progress);
Datum
vf_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; slots != NULL && i < n_slots; i++)
	{
		ProgressSlot copy;
		Datum		values[9];
		bool		nulls[9] = {0};

		for (;;)
		{
			uint32		before = pg_atomic_read_u32(&slots[i].changecount);

			pg_read_barrier();
			memcpy(&copy, &slots[i], sizeof(copy));
			pg_read_barrier();
			if ((before & 1) == 0 && before == pg_atomic_read_u32(&slots[i].changecount))
				break;
			CHECK_FOR_INTERRUPTS();
		}
		if (copy.pid == 0)
			continue;
		copy.function[NAMEDATALEN - 1] = '\0';
		copy.model[NAMEDATALEN - 1] = '\0';
		values[0] = Int32GetDatum(copy.pid);
		values[1] = Int32GetDatum(copy.leader_pid);
		nulls[1] = copy.leader_pid == 0;
		values[2] = CStringGetTextDatum(copy.function);
		values[3] = CStringGetTextDatum(copy.model);
		values[4] = Int64GetDatum(copy.calls);
		values[5] = Int64GetDatum(copy.cache_hits);
		values[6] = TimestampTzGetDatum(copy.statement_start);
		values[7] = TimestampTzGetDatum(copy.first_call);
		values[8] = TimestampTzGetDatum(copy.last_call);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

void
vf_progress_init(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = progress_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = progress_shmem_startup;
}
