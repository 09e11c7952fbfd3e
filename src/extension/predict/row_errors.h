/*
 * row_errors.h: batch-friendly failure of prediction functions (varformer.on_error).
 *
 * A problem with one row's data (the genotype does not cover the model's window, it is on
 * another contig, unphased calls near the TSS, the gene's window runs off the contig) is
 * raised with VF_ROW_ERROR. Under on_error = 'error' (the default) it is an ordinary ERROR;
 * under 'null' the SQL entry point that ran the prediction through vf_row_run returns NULL
 * instead, and one NOTICE at the end of the statement says how many rows that happened to
 * (parallel workers' counts included) and what the first problem was.
 *
 * Only errors raised through VF_ROW_ERROR / vf_row_ereport are turned into NULL, and only
 * from places that hold no lock, buffer pin or SPI connection, which is what makes
 * catching them without a subtransaction safe (subtransactions are not allowed in parallel
 * workers). Every other error (unknown model or gene, out of memory, cancel) stays an error.
 */
#ifndef VARFORMER_ROW_ERRORS_H
#define VARFORMER_ROW_ERRORS_H

#include "fmgr.h"

#include "varformer/common/error.h"

typedef enum VfOnError
{
	VF_ON_ERROR_ERROR,
	VF_ON_ERROR_NULL
} VfOnError;

/* GUC varformer.on_error */
extern int	vf_on_error;

/* The mode of a call: the per-call argument when given (not NULL), else the setting. */
extern VfOnError vf_on_error_arg(FunctionCallInfo fcinfo, int argno);

/* Marks the error about to be raised as a problem of this row's data (sqlstate: its code). */
extern void vf_row_error_arm(int sqlstate);

#define VF_ROW_ERROR(sqlstate, ...) \
	do { \
		vf_row_error_arm(sqlstate); \
		ereport(ERROR, (errcode(sqlstate), __VA_ARGS__)); \
	} while (0)

/* vf_ereport for a library error that is a problem of this row's data */
extern void vf_row_ereport(const VfError *err) pg_attribute_noreturn();

/*
 * Runs fn(arg) for one row of function `function` (gene and model name the row's call for
 * the error context). True when it returned; false when, in mode NULL, it raised a row
 * error (counted for the statement's NOTICE). Any other error propagates.
 */
typedef void (*VfRowFn) (void *arg);
extern bool vf_row_run(VfOnError mode, const char *function, const char *gene,
					   const char *model, VfRowFn fn, void *arg);

extern void vf_row_errors_init(void);
extern void vf_row_errors_shmem_init(void);

#endif
