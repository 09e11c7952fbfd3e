/*
 * gtf_fuzz.c: libFuzzer harness for GTF gene lines (import_gtf: the capped line reader over
 * a BGZF stream, then vf_gtf_parse_line in place).
 *
 * The input is a whole GTF file, written to a temporary file and read the way import_gtf
 * reads it, with a small line cap so that over-long lines are common. Every line must be
 * refused cleanly, skipped, or give a gene whose fields point inside the line, with
 * 1 <= start <= end, a strand of + or -, and the TSS at the strand's end.
 *   make fuzz-gtf FUZZ_SECONDS=600
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <htslib/bgzf.h>
#include <htslib/hts_log.h>

#include "varformer/genomics/gtf.h"
#include "varformer/genomics/line_reader.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
inside(const char *p, const char *line, size_t len)
{
	return p >= line && p <= line + len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		path[64];
	FILE	   *f;
	BGZF	   *fp;
	VfLineReader r;
	int			rc;

	hts_set_log_level(HTS_LOG_OFF);
	snprintf(path, sizeof(path), "/tmp/vf_gtf_fuzz.%d", (int) getpid());
	if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if ((fp = bgzf_open(path, "r")) == NULL)
		return 0;
	vf_line_reader_init(&r, fp, 4096);
	while ((rc = vf_line_reader_next(&r)) > 0)
	{
		VfGtfGene	g;
		VfError		err;
		size_t		len = strlen(r.line);	/* the parser stops at a NUL */
		char	   *copy = malloc(len + 1);

		if (r.len > 4096 || len > r.len)
			abort();			/* the cap let a longer line through */
		memcpy(copy, r.line, len + 1);
		rc = vf_gtf_parse_line(copy, &g, &err);
		if (rc == 1)
		{
			if (!inside(g.chrom, copy, len) || !inside(g.gene_id, copy, len) ||
				(g.gene_name && !inside(g.gene_name, copy, len)) ||
				(g.gene_type && !inside(g.gene_type, copy, len)))
				abort();
			if (g.start < 1 || g.end < g.start || (g.strand != '+' && g.strand != '-') ||
				g.tss != (g.strand == '+' ? g.start : g.end))
				abort();
			(void) strlen(g.chrom);
			(void) strlen(g.gene_id);
		}
		else if (rc < 0 && (err.code == VF_OK || err.msg[0] == '\0'))
			abort();
		else if (rc != 0 && rc != -1)
			abort();
		free(copy);
	}
	vf_line_reader_free(&r);
	bgzf_close(fp);
	unlink(path);
	return 0;
}
