/*
 * deep_predict.h: predictions of the deep models (seq2func trunks, fused models) from a
 * person's calls around a gene, for predict_sql.c's dispatch (SQL entry layer only).
 */
#ifndef VARFORMER_DEEP_PREDICT_H
#define VARFORMER_DEEP_PREDICT_H

#include "postgres.h"

#include "fmgr.h"

#include "store/model_store.h"

/*
 * predict_expression of a seq2func or fused model: track < 0 takes the model's default
 * output (load option "track" for seq2func, 0 for fused).
 */
extern double vf_deep_predict(const VfModelRef *m, const char *model, Datum gt, const char *gene,
							  int track);

/*
 * Whether the genotype's region holds the model's windows around the gene's TSS (on the
 * gene's contig, inside the contig): what predict_expression needs of its region.
 */
extern bool vf_deep_covers(const VfModelRef *m, const char *model, Datum gt, const char *gene);

#endif
