/* error_report.h: turning a plain-C VfError into ereport(ERROR) (SQL entry layer only). */
#ifndef VARFORMER_ERROR_REPORT_H
#define VARFORMER_ERROR_REPORT_H

#include "varformer/common/error.h"

extern void vf_ereport(const VfError *err) pg_attribute_noreturn();
extern int	vf_sqlstate(VfErrCode code);

#endif
