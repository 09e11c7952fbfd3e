/*
 * workspace.c: the per-process activation buffers (see workspace.h).
 */
#include <stdlib.h>

#include "varformer/models/workspace.h"

static struct
{
	float	   *buf[VF_WORKSPACE_SLOTS];
	size_t		cap[VF_WORKSPACE_SLOTS];	/* floats */
	size_t		want[VF_WORKSPACE_SLOTS];	/* floats last asked for, when more than cap */
	size_t		limit;			/* bytes all slots may hold together; 0: no limit */
	int			refused;		/* a request was refused for the limit since the last look */
}			workspace;

float *
vf_alloc_floats(size_t n)
{
	void	   *p = NULL;

	if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) != 0)
		return NULL;
	return p;
}

void
vf_workspace_set_limit(size_t bytes)
{
	workspace.limit = bytes;
}

size_t
vf_workspace_refused(void)
{
	size_t		need = 0;

	if (workspace.refused)
		for (int s = 0; s < VF_WORKSPACE_SLOTS; s++)
			need += (workspace.want[s] > workspace.cap[s] ? workspace.want[s] : workspace.cap[s]) * sizeof(float);
	workspace.refused = 0;
	for (int s = 0; s < VF_WORKSPACE_SLOTS; s++)
		workspace.want[s] = 0;
	return need;
}

float *
vf_workspace_get(int slot, size_t n)
{
	if (slot < 0 || slot >= VF_WORKSPACE_SLOTS)
		return NULL;
	if (workspace.cap[slot] < n)
	{
		float	   *p;

		workspace.want[slot] = n;
		if (workspace.limit > 0)
		{
			/* checked before allocating: the buffers are kept, so the limit is on their sum */
			size_t		held = 0;

			for (int s = 0; s < VF_WORKSPACE_SLOTS; s++)
				held += s == slot ? 0 : workspace.cap[s];
			if (n > workspace.limit / sizeof(float) ||
				held + n > workspace.limit / sizeof(float))
			{
				workspace.refused = 1;
				return NULL;
			}
		}
		p = vf_alloc_floats(n);
		if (p == NULL)
			return NULL;
		free(workspace.buf[slot]);
		workspace.buf[slot] = p;
		workspace.cap[slot] = n;
	}
	return workspace.buf[slot];
}
