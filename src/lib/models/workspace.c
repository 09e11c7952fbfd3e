/*
 * workspace.c: the per-process activation buffers (see workspace.h).
 */
#include <stdlib.h>

#include "varformer/models/workspace.h"

static struct
{
	float	   *buf[VF_WORKSPACE_SLOTS];
	size_t		cap[VF_WORKSPACE_SLOTS];	/* floats */
}			workspace;

float *
vf_alloc_floats(size_t n)
{
	void	   *p = NULL;

	if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) != 0)
		return NULL;
	return p;
}

float *
vf_workspace_get(int slot, size_t n)
{
	if (slot < 0 || slot >= VF_WORKSPACE_SLOTS)
		return NULL;
	if (workspace.cap[slot] < n)
	{
		float	   *p = vf_alloc_floats(n);

		if (p == NULL)
			return NULL;
		free(workspace.buf[slot]);
		workspace.buf[slot] = p;
		workspace.cap[slot] = n;
	}
	return workspace.buf[slot];
}
