/* error_report.c: the one place plain-C error codes become SQLSTATEs. */
#include "postgres.h"

#include "common/error_report.h"
#include "common/file_access.h"

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
		case VF_ERR_RANGE:
			return ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
		case VF_ERR_BINARY:
			return ERRCODE_INVALID_BINARY_REPRESENTATION;
		case VF_OK:
			break;
	}
	return ERRCODE_INTERNAL_ERROR;
}

void
vf_ereport(const VfError *err)
{
	VfError		e = *err;

	/* the library saw paths resolved against varformer.file_root; the user wrote them shorter */
	vf_file_name_as_given(e.msg);
	vf_file_name_as_given(e.detail);
	vf_file_name_as_given(e.hint);
	ereport(ERROR,
			(errcode(vf_sqlstate(e.code)),
			 errmsg("%s", e.msg),
			 e.detail[0] ? errdetail("%s", e.detail) : 0,
			 e.hint[0] ? errhint("%s", e.hint) : 0));
	pg_unreachable();
}
