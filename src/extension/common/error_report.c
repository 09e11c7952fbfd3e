/* error_report.c: the one place plain-C error codes become SQLSTATEs. */
#include "postgres.h"

#include "common/error_report.h"

int
vf_sqlstate(VfErrCode code)
{
	switch (code)
	{
		case VF_ERR_SYNTAX:
			return ERRCODE_INVALID_TEXT_REPRESENTATION;
		case VF_ERR_INVALID:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case VF_ERR_DATA:
			return ERRCODE_DATA_EXCEPTION;
		case VF_ERR_CORRUPT:
			return ERRCODE_DATA_CORRUPTED;
		case VF_ERR_LIMIT:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case VF_ERR_NOMEM:
			return ERRCODE_OUT_OF_MEMORY;
		case VF_ERR_IO:
			return ERRCODE_IO_ERROR;
		case VF_ERR_NOFILE:
			return ERRCODE_UNDEFINED_FILE;
		case VF_ERR_UNSUPPORTED:
			return ERRCODE_FEATURE_NOT_SUPPORTED;
		case VF_ERR_NOT_FOUND:
			return ERRCODE_UNDEFINED_OBJECT;
		case VF_OK:
			break;
	}
	return ERRCODE_INTERNAL_ERROR;
}

void
vf_ereport(const VfError *err)
{
	ereport(ERROR,
			(errcode(vf_sqlstate(err->code)),
			 errmsg("%s", err->msg),
			 err->detail[0] ? errdetail("%s", err->detail) : 0,
			 err->hint[0] ? errhint("%s", err->hint) : 0));
	pg_unreachable();
}
