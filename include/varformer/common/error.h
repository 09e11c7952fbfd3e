/*
 * error.h: how plain-C code (engine, tokenizers, parsers, haplotypes) reports failure.
 *
 * That code never sees PostgreSQL, so it cannot ereport. It fills a VfError and returns
 * -1 (or NULL); the SQL entry layer turns the VfError into ereport(ERROR) with the SQLSTATE
 * the code maps to (src/error_report.c). Unit tests and fuzzers just print it.
 */
#ifndef VARFORMER_ERROR_H
#define VARFORMER_ERROR_H

typedef enum VfErrCode
{
	VF_OK = 0,
	VF_ERR_SYNTAX,		/* malformed text value: 22P02 invalid_text_representation */
	VF_ERR_INVALID,		/* bad argument value: 22023 invalid_parameter_value */
	VF_ERR_DATA,		/* inconsistent data, e.g. REF mismatch: 22000 data_exception */
	VF_ERR_CORRUPT,		/* malformed file content: XX001 data_corrupted */
	VF_ERR_LIMIT,		/* a size cap exceeded: 54000 program_limit_exceeded */
	VF_ERR_NOMEM,		/* 53200 out_of_memory */
	VF_ERR_IO,			/* read failure: 58030 io_error */
	VF_ERR_NOFILE,		/* 58P01 undefined_file */
	VF_ERR_UNSUPPORTED, /* 0A000 feature_not_supported */
	VF_ERR_NOT_FOUND,	/* a named object (model, contig, sample) is absent: 42704 undefined_object */
	VF_ERR_RANGE,		/* a number beyond its type's range: 22003 numeric_value_out_of_range */
	VF_ERR_BINARY		/* malformed binary value (recv): 22P03 invalid_binary_representation */
} VfErrCode;

typedef struct VfError
{
	VfErrCode	code;
	char		msg[512];
	char		detail[512];
	char		hint[256];
} VfError;

/* Sets code and message; returns -1 so callers can write `return vf_error(err, ...)`. */
int			vf_error(VfError *err, VfErrCode code, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
void		vf_error_detail(VfError *err, const char *fmt,...) __attribute__((format(printf, 2, 3)));
void		vf_error_hint(VfError *err, const char *fmt,...) __attribute__((format(printf, 2, 3)));
void		vf_error_clear(VfError *err);

#endif
