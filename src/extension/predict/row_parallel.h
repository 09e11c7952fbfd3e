/*
 * row_parallel.h: parallel scans that hand out rows, not blocks (see row_parallel.c).
 */
#ifndef VARFORMER_EXT_ROW_PARALLEL_H
#define VARFORMER_EXT_ROW_PARALLEL_H

/* Called from _PG_init: GUCs, the planner hook and the custom scan's registration. */
extern void vf_row_parallel_init(void);

#endif
