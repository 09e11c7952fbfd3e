/*
 * gtf_import.c: import_gtf(path [, annotation, is_default]) -> one named annotation's rows
 * of the gene table. Reads plain or gzipped GTF through htslib BGZF (which reads both),
 * parses with gtf.c, inserts through one prepared SPI plan.
 *
 * Annotations are named so that two GTFs coexist: an import replaces the genes of its own
 * annotation and never touches another's (a second GTF used to re-point the first one's
 * genes from "22" to "chr22" in one global table).
 */
#include "postgres.h"

#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "varformer/common/contig_names.h"
#include "common/error_report.h"
#include "common/extension_schema.h"
#include "common/file_access.h"
#include "varformer/genomics/gtf.h"
#include "varformer/genomics/line_reader.h"
#include "genomics/file_text.h"
#include "genomics/reference_registry.h"

PG_FUNCTION_INFO_V1(vf_import_gtf);

/*
 * The commonest annotation mistake is a GTF named "chr22" beside a FASTA named "22" (or the
 * reverse): the import succeeds and every later lookup fails. Say so at import, against the
 * default reference when there is one.
 */
static void
warn_contig_naming(const char *path, List *chroms)
{
	char	   *rname;
	VfReference *ref = vf_reference_default_if_any(&rname);
	int			n,
				mismatched = 0;
	const char **names;
	const char *example = NULL,
			   *example_alias = NULL;
	ListCell   *lc;

	if (ref == NULL)
		return;
	n = vf_reference_n_contigs(ref);
	names = palloc(sizeof(char *) * (n + 1));
	for (int i = 0; i < n; i++)
		names[i] = vf_reference_contig_name(ref, i);
	foreach(lc, chroms)
	{
		const char *c = lfirst(lc);
		bool		found = false;
		const char *alias;

		for (int i = 0; i < n && !found; i++)
			found = strcmp(names[i], c) == 0;
		if (found || (alias = vf_contig_alias(c, names, n)) == NULL)
			continue;
		if (mismatched++ == 0)
		{
			example = c;
			example_alias = alias;
		}
	}
	if (mismatched > 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("GTF \"%s\" names contigs like \"%s\" but the default reference genome \"%s\" names them like \"%s\"",
						path, example, rname, example_alias),
				 errdetail("%d of the GTF's %d contigs are named the other way.", mismatched, list_length(chroms)),
				 errhint("Genes imported from it will not be found in the reference; use an annotation with the reference's naming.")));
}

/* The annotation import_gtf(path) fills: the file's name without directory, .gz/.bgz, .gtf. */
pg_noinline static char *
annotation_from_path(const char *path)
{
	const char *slash = strrchr(path, '/');
	char	   *name = pstrdup(slash ? slash + 1 : path);
	size_t		n = strlen(name);
	static const char *const suffixes[] = {".gz", ".bgz", ".gtf"};

	for (int i = 0; i < (int) lengthof(suffixes); i++)
	{
		size_t		k = strlen(suffixes[i]);

		if (n > k && pg_strcasecmp(name + n - k, suffixes[i]) == 0)
			name[n -= k] = '\0';
	}
	return name;
}

/*
 * Makes `annotation` an empty annotation read from abs (created, or its genes deleted), the
 * default one when asked. Says so when a name is re-pointed at another file: that is a
 * replacement the caller may not have meant.
 */
pg_noinline static void
annotation_reset(const char *annotation, const char *path, const char *abs, bool is_default)
{
	Oid			types[3] = {TEXTOID, TEXTOID, BOOLOID};
	Datum		values[3] = {CStringGetTextDatum(annotation), CStringGetTextDatum(abs), BoolGetDatum(is_default)};
	char	   *table = vf_extension_relation("gene_annotation");
	char	   *before = NULL;

	if (SPI_execute_with_args(psprintf("SELECT gtf_path FROM %s WHERE name OPERATOR(pg_catalog.=) $1 FOR UPDATE", table),
							  1, types, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the gene annotations");
	if (SPI_processed == 1)
		before = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (before != NULL && strcmp(before, abs) != 0)
		ereport(NOTICE,
				(errmsg("gene annotation \"%s\" was imported from another file; its genes are replaced by those of \"%s\"",
						annotation, path),
				 errhint("To keep both, import into another name: import_gtf(path, annotation).")));
	if (is_default &&
		SPI_execute_with_args(psprintf("UPDATE %s SET is_default = false WHERE is_default AND name OPERATOR(pg_catalog.<>) $1", table),
							  1, types, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update the gene annotations");
	if (SPI_execute_with_args(psprintf("INSERT INTO %s AS a (name, gtf_path, is_default) VALUES ($1, $2, $3) "
									   "ON CONFLICT (name) DO UPDATE SET gtf_path = EXCLUDED.gtf_path, "
									   "is_default = a.is_default OR EXCLUDED.is_default, imported_at = pg_catalog.now()",
									   table),
							  3, types, values, NULL, false, 0) != SPI_OK_INSERT ||
		SPI_execute_with_args(psprintf("DELETE FROM %s WHERE annotation OPERATOR(pg_catalog.=) $1", vf_extension_relation("gene")),
							  1, types, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not reset gene annotation \"%s\"", annotation);
}

Datum
vf_import_gtf(PG_FUNCTION_ARGS)
{
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *annotation = PG_NARGS() > 1 ? text_to_cstring(PG_GETARG_TEXT_PP(1)) : annotation_from_path(path);
	bool		is_default = PG_NARGS() > 2 && PG_GETARG_BOOL(2);
	char	   *abs;
	BGZF	   *fp;
	/* on the heap: a local changed inside PG_TRY is indeterminate in PG_FINALLY */
	VfLineReader *lr = palloc(sizeof(VfLineReader));
	Oid			argtypes[9] = {TEXTOID, TEXTOID, TEXTOID, INT8OID, INT8OID, TEXTOID, INT8OID, TEXTOID, TEXTOID};
	Datum		annotation_datum;
	SPIPlanPtr	plan;
	MemoryContext rowcxt,
				old;
	int64		n_genes = 0,
				lineno = 0,
				n_records = 0,		/* lines other than comments and blank ones */
				n_features = 0;		/* of those, lines with GTF's 9 tab-separated columns */
	List	   *chroms = NIL;
	MemoryContext callercxt = CurrentMemoryContext;
	int			rc;

	vf_require_read_server_files("import_gtf");
	if (annotation[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a gene annotation needs a non-empty name"),
				 errhint("Name it: import_gtf(path, annotation).")));
	abs = vf_check_readable_file(path, false);
	annotation_datum = CStringGetTextDatum(annotation);

	fp = bgzf_open(abs, "r");
	if (fp == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open GTF \"%s\": %m", path)));
	vf_line_reader_init(lr, fp, VF_GTF_MAX_LINE);

	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "import_gtf row", ALLOCSET_SMALL_SIZES);
	PG_TRY();
	{
		SPI_connect();
		annotation_reset(annotation, path, abs, is_default);
		/* a gene listed twice in one file (PAR copies without _PAR_Y): the last line wins */
		plan = SPI_prepare(psprintf("INSERT INTO %s (gene_id, gene_name, chrom, start, \"end\", strand, tss, gene_type, annotation) "
									"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (annotation, gene_id) DO UPDATE SET "
									"gene_name = EXCLUDED.gene_name, chrom = EXCLUDED.chrom, start = EXCLUDED.start, "
									"\"end\" = EXCLUDED.\"end\", strand = EXCLUDED.strand, tss = EXCLUDED.tss, "
									"gene_type = EXCLUDED.gene_type",
									vf_extension_relation("gene")),
						   9, argtypes);
		if (plan == NULL)
			elog(ERROR, "could not prepare the gene insert: %s", SPI_result_code_string(SPI_result));

		for (;;)
		{
			int			got;
			VfGtfGene	g;
			VfError		err;
			Datum		values[9];
			char		nulls[9] = "         ";
			char		strand[2];
			char	   *where;

			CHECK_FOR_INTERRUPTS();
			got = vf_line_reader_next(lr);
			if (got == VF_LINE_EOF)
				break;
			if (got == VF_LINE_NO_MEMORY)
				ereport(ERROR,
						(errcode(ERRCODE_OUT_OF_MEMORY),
						 errmsg("out of memory reading GTF \"%s\" line %lld", path, (long long) lineno + 1)));
			if (got == VF_LINE_IO_ERROR)
				ereport(ERROR,
						(errcode(ERRCODE_IO_ERROR),
						 errmsg("could not read GTF \"%s\" after line %lld", path, (long long) lineno),
						 errdetail("The file is truncated or its compression is damaged.")));
			lineno++;
			/* found before the line is read whole: a 3 GB line costs 1 MB and no wait */
			if (got == VF_LINE_TOO_LONG)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("GTF \"%s\" line %lld is longer than %d bytes", path, (long long) lineno,
								VF_GTF_MAX_LINE),
						 errhint("GTF lines are short; this is not a GTF file, or it is damaged.")));
			if (memchr(lr->line, '\0', lr->len) != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("GTF \"%s\" line %lld contains a NUL byte; is this a GTF text file?",
								path, (long long) lineno)));
			if (lr->len > 0 && lr->line[0] != '#')
			{
				int			tabs = 0;

				n_records++;
				for (size_t i = 0; i < lr->len; i++)
					tabs += lr->line[i] == '\t';
				n_features += tabs == 8;
			}
			rc = vf_gtf_parse_line(lr->line, &g, &err);
			if (rc < 0)
			{
				/* name the line, keep the parser's words */
				ereport(ERROR,
						(errcode(vf_sqlstate(err.code)),
						 errmsg("GTF \"%s\" line %lld: %s", path, (long long) lineno, err.msg)));
			}
			if (rc == 0)
				continue;

			if (chroms == NIL || strcmp(llast(chroms), g.chrom) != 0)
			{
				ListCell   *lc;
				bool		seen = false;

				foreach(lc, chroms)
					seen = seen || strcmp(lfirst(lc), g.chrom) == 0;
				if (!seen)
				{
					/* SPI's context ends at SPI_finish; the list must outlive it */
					old = MemoryContextSwitchTo(callercxt);
					chroms = lappend(chroms, pstrdup(g.chrom));
					MemoryContextSwitchTo(old);
				}
			}

			old = MemoryContextSwitchTo(rowcxt);
			strand[0] = g.strand;
			strand[1] = '\0';
			where = psprintf("line %lld", (long long) lineno);
			values[0] = vf_file_text_datum(g.gene_id, path, where, "gene_id");
			values[1] = g.gene_name ? vf_file_text_datum(g.gene_name, path, where, "gene_name") : (Datum) 0;
			nulls[1] = g.gene_name ? ' ' : 'n';
			values[2] = vf_file_text_datum(g.chrom, path, where, "the contig name (column 1)");
			values[3] = Int64GetDatum(g.start);
			values[4] = Int64GetDatum(g.end);
			values[5] = CStringGetTextDatum(strand);
			values[6] = Int64GetDatum(g.tss);
			values[7] = g.gene_type ? vf_file_text_datum(g.gene_type, path, where, "gene_type") : (Datum) 0;
			nulls[7] = g.gene_type ? ' ' : 'n';
			values[8] = annotation_datum;
			rc = SPI_execute_plan(plan, values, nulls, false, 0);
			if (rc != SPI_OK_INSERT)
				elog(ERROR, "gene insert failed: %s", SPI_result_code_string(rc));
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
			n_genes++;
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		bgzf_close(fp);
		vf_line_reader_free(lr);
	}
	PG_END_TRY();
	MemoryContextDelete(rowcxt);
	/* 0 genes is never what was meant: say why the file gave none */
	if (n_genes == 0 && n_features > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("GTF \"%s\" has no \"gene\" lines (%lld feature lines, none of type gene)",
						path, (long long) n_features),
				 errdetail("import_gtf reads gene records (column 3 \"gene\"); UCSC-style GTFs list only transcripts and exons."),
				 errhint("Use a GENCODE or Ensembl GTF, or add gene lines first (e.g. gffread or AGAT derive them from the transcripts).")));
	if (n_genes == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("\"%s\" is not a GTF file: %s", path,
						n_records == 0 ? "it has no records" : "no line has GTF's 9 tab-separated columns"),
				 errhint("import_gtf reads GENCODE/Ensembl GTF (plain or gzipped); a GFF3 or BED file must be converted first.")));
	warn_contig_naming(path, chroms);
	PG_RETURN_INT64(n_genes);
}
