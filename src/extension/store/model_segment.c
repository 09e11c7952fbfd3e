/*
 * model_segment.c: creating a model's DSM segment, with an error that says what failed.
 *
 * PostgreSQL's own error when a segment cannot be created names only the segment
 * ("could not resize shared memory segment "/PostgreSQL.123" to 268435456 bytes: No space
 * left on device"). The usual cause is a small /dev/shm (64 MB in a default Docker
 * container), which posix_fallocate finds at creation time, so the load fails cleanly there
 * (never a SIGBUS later); the message then names the model and its size, and the hint says
 * how much /dev/shm has and what to change.
 */
#include "postgres.h"

#include <sys/statvfs.h>

#include "storage/dsm.h"
#include "storage/dsm_impl.h"

#include "store/model_registry.h"

dsm_segment *
vf_model_segment_create(const char *what, size_t size)
{
	MemoryContext caller = CurrentMemoryContext;
	dsm_segment *volatile seg = NULL;

	PG_TRY();
	{
		seg = dsm_create(size, DSM_CREATE_NULL_IF_MAXSEGMENTS);
	}
	PG_CATCH();
	{
		ErrorData  *ed;
		struct statvfs fs;
		char	   *hint;

		MemoryContextSwitchTo(caller);
		ed = CopyErrorData();
		/* a cancel or a shutdown that came during the allocation is rethrown as it is */
		if (ed->sqlerrcode == ERRCODE_QUERY_CANCELED || ed->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			PG_RE_THROW();
		FlushErrorState();
		if (dynamic_shared_memory_type == DSM_IMPL_POSIX && statvfs("/dev/shm", &fs) == 0)
			hint = psprintf("Dynamic shared memory (dynamic_shared_memory_type = posix) lives in /dev/shm, "
							"which has %llu of %llu bytes free: enlarge it (docker run --shm-size, "
							"or the tmpfs size), or unload other models.",
							(unsigned long long) fs.f_bavail * fs.f_frsize,
							(unsigned long long) fs.f_blocks * fs.f_frsize);
		else
			hint = pstrdup("Free shared memory for dynamic segments (dynamic_shared_memory_type), "
						   "or unload other models.");
		ereport(ERROR,
				(errcode(ed->sqlerrcode),
				 errmsg("could not create %zu bytes of shared memory for %s", size, what),
				 errdetail_internal("%s", ed->message),
				 errhint("%s", hint)));
	}
	PG_END_TRY();
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("too many dynamic shared memory segments to load %s", what),
				 errhint("Unload other models, or raise max_connections (PostgreSQL sizes the segment table by it).")));
	return seg;
}
