/*
 * genotype.h: the genotype SQL type as seen from other SQL entry files.
 *
 * A genotype datum is a varlena whose payload is the compact encoding described in
 * genotype_codec.h. Code that needs the calls converts with vf_genotype_to_calls();
 * code that produces calls builds a datum with vf_genotype_from_calls().
 */
#ifndef VARFORMER_GENOTYPE_H
#define VARFORMER_GENOTYPE_H

#include "postgres.h"
#include "fmgr.h"

#include "varformer/types/calls.h"

#define DatumGetGenotypeP(X)		((struct varlena *) PG_DETOAST_DATUM(X))
#define DatumGetGenotypePPacked(X)	((struct varlena *) PG_DETOAST_DATUM_PACKED(X))
#define PG_GETARG_GENOTYPE_P(n)		DatumGetGenotypeP(PG_GETARG_DATUM(n))
#define PG_GETARG_GENOTYPE_PP(n)	DatumGetGenotypePPacked(PG_GETARG_DATUM(n))
#define PG_RETURN_GENOTYPE_P(x)		PG_RETURN_POINTER(x)

/*
 * The calls of a genotype (toasted or not), as one palloc'd block in CurrentMemoryContext
 * (pfree the result to release everything). ERROR (XX001) if the bytes are corrupt.
 */
extern VfCalls *vf_genotype_to_calls(const struct varlena *gt);

/* The same with every call's id NULL (vf_calls_decode_no_ids): for matching by position. */
extern VfCalls *vf_genotype_to_calls_no_ids(const struct varlena *gt);

/* The calls in the compact form of position-keyed scoring (VfPosCalls, calls.h). */
extern VfPosCalls *vf_genotype_to_pos_calls(const struct varlena *gt);

/* A new genotype datum (palloc'd) holding calls; ERROR naming the bad call if invalid. */
extern struct varlena *vf_genotype_from_calls(const VfCalls *calls);

/* realloc-style allocator over palloc/repalloc for VfBuf (CurrentMemoryContext). */
extern void *vf_palloc_realloc(void *ptr, size_t size);

/* palloc with the malloc signature, for the codec's decoder. */
extern void *vf_palloc_alloc(size_t size);

#endif
