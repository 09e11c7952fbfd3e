/*
 * jit_policy.h: no JIT compilation for costs JIT cannot reduce (see jit_policy.c).
 */
#ifndef VARFORMER_JIT_POLICY_H
#define VARFORMER_JIT_POLICY_H

/* Called from _PG_init: the GUC and the planner hook. */
extern void vf_jit_policy_init(void);

#endif
