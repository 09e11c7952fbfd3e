/* gtf_test.c: the GTF line parser takes GENCODE and Ensembl gene lines and rejects bad ones. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "varformer/genomics/gtf.h"
#include "varformer/genomics/line_reader.h"

static int	failures = 0;

static void
check(int cond, const char *what)
{
	if (!cond)
	{
		printf("FAIL %s\n", what);
		failures++;
	}
}

static int
parse(const char *text, VfGtfGene *g, VfError *err)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s", text);
	return vf_gtf_parse_line(buf, g, err);
}

/*
 * The capped line reader import_gtf reads through: line endings as bgzf_getline gives them
 * ("\r\n" loses the "\r", a last line without newline counts), a line of exactly the cap
 * passes, one byte more is VF_LINE_TOO_LONG, and a line of many buffers is refused without
 * being read whole.
 */
static void
test_line_reader(void)
{
	char		path[] = "/tmp/vf_gtf_test_XXXXXX";
	int			fd = mkstemp(path);
	FILE	   *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	BGZF	   *fp;
	VfLineReader *r = malloc(sizeof(VfLineReader));

	if (f == NULL || r == NULL)
	{
		check(0, "scratch file");
		return;
	}
	fputs("a\r\n\nbcd\n", f);
	for (int i = 0; i < 10; i++)
		fputc('x', f);
	fputc('\n', f);
	for (int i = 0; i < 11; i++)
		fputc('y', f);
	fputs("\nlast", f);
	fclose(f);

	fp = bgzf_open(path, "r");
	check(fp != NULL, "open scratch file");
	if (fp == NULL)
		return;
	vf_line_reader_init(r, fp, 10);
	check(vf_line_reader_next(r) == 1 && r->len == 1 && strcmp(r->line, "a") == 0, "CRLF line");
	check(vf_line_reader_next(r) == 1 && r->len == 0, "empty line");
	check(vf_line_reader_next(r) == 1 && strcmp(r->line, "bcd") == 0, "plain line");
	check(vf_line_reader_next(r) == 1 && r->len == 10, "line of exactly the cap");
	check(vf_line_reader_next(r) == VF_LINE_TOO_LONG, "line one byte over the cap");
	vf_line_reader_free(r);
	bgzf_close(fp);

	/* after the refused line nothing is read on; a fresh reader sees the last line */
	fp = bgzf_open(path, "r");
	vf_line_reader_init(r, fp, 100);
	for (int i = 0; i < 5; i++)
		(void) vf_line_reader_next(r);
	check(vf_line_reader_next(r) == 1 && strcmp(r->line, "last") == 0, "last line without newline");
	check(vf_line_reader_next(r) == VF_LINE_EOF, "end");
	vf_line_reader_free(r);
	bgzf_close(fp);

	/* 1 MB cap, a 5 MB line: refused having buffered about the cap, not the line */
	f = fopen(path, "w");
	for (int i = 0; i < 5 << 20; i++)
		fputc('z', f);
	fclose(f);
	fp = bgzf_open(path, "r");
	vf_line_reader_init(r, fp, VF_GTF_MAX_LINE);
	check(vf_line_reader_next(r) == VF_LINE_TOO_LONG && r->alloc <= 2 * (size_t) VF_GTF_MAX_LINE + 2,
		  "huge line refused with bounded memory");
	vf_line_reader_free(r);
	bgzf_close(fp);
	free(r);
	unlink(path);
}

int
main(void)
{
	VfGtfGene	g;
	VfError		err;

	check(parse("chr22\tHAVANA\tgene\t101\t400\t.\t+\t.\tgene_id \"ENSG00000100030.15\"; gene_type \"protein_coding\"; gene_name \"MAPK1\"; level 2;", &g, &err) == 1,
		  "GENCODE gene line");
	check(strcmp(g.chrom, "chr22") == 0 && g.start == 101 && g.end == 400 && g.strand == '+' && g.tss == 101,
		  "GENCODE coordinates");
	check(strcmp(g.gene_id, "ENSG00000100030.15") == 0 && strcmp(g.gene_name, "MAPK1") == 0 &&
		  strcmp(g.gene_type, "protein_coding") == 0, "GENCODE attributes");

	check(parse("22\tensembl_havana\tgene\t600\t1100\t.\t-\t.\tgene_id \"ENSG00000099999\"; gene_version \"3\"; gene_biotype \"lncRNA\";\r", &g, &err) == 1,
		  "Ensembl gene line with CRLF");
	check(g.tss == 1100 && g.gene_name == NULL && strcmp(g.gene_type, "lncRNA") == 0 &&
		  strcmp(g.gene_id, "ENSG00000099999") == 0, "Ensembl minus strand, no name, biotype");

	check(parse("chr1\tX\tgene\t5\t9\t.\t+\t.\tgene_id x1;gene_name  \"with space\";", &g, &err) == 1 &&
		  strcmp(g.gene_id, "x1") == 0 && strcmp(g.gene_name, "with space") == 0, "unquoted value, odd spacing");

	check(parse("#!genome-build GRCh38", &g, &err) == 0, "comment");
	check(parse("", &g, &err) == 0, "blank");
	check(parse("chr22\tHAVANA\texon\t101\t180\t.\t+\t.\tgene_id \"G\";", &g, &err) == 0, "other feature");

	check(parse("chr22\tHAVANA\tgene\t101", &g, &err) == -1 && err.code == VF_ERR_CORRUPT, "too few columns");
	check(parse("chr22\tH\tgene\t10x\t400\t.\t+\t.\tgene_id \"G\";", &g, &err) == -1, "bad start");
	check(parse("chr22\tH\tgene\t400\t100\t.\t+\t.\tgene_id \"G\";", &g, &err) == -1, "end before start");
	check(parse("chr22\tH\tgene\t0\t100\t.\t+\t.\tgene_id \"G\";", &g, &err) == -1, "start 0");
	check(parse("chr22\tH\tgene\t1\t99999999999999999999\t.\t+\t.\tgene_id \"G\";", &g, &err) == -1, "huge end");
	check(parse("chr22\tH\tgene\t1\t100\t.\t?\t.\tgene_id \"G\";", &g, &err) == -1, "bad strand");
	check(parse("chr22\tH\tgene\t1\t100\t.\t+\t.\tgene_name \"N\";", &g, &err) == -1, "no gene_id");
	check(parse("chr22\tH\tgene\t1\t100\t.\t+\t.\tgene_id \"G", &g, &err) == -1, "unterminated quote");
	check(parse("chr22\tH\tgene\t1\t100\t.\t+\t.\tgene_id", &g, &err) == -1, "key without value");

	test_line_reader();
	printf("%s\n", failures ? "gtf_test: FAILED" : "gtf_test: ok");
	return failures ? 1 : 0;
}
