/*
 * reference.c: reading a reference genome FASTA through htslib faidx (plain C).
 *
 * faidx gives random access to plain FASTA with a .fai, and to bgzipped FASTA with a .fai
 * and a .gzi; plain gzip cannot be indexed. Each failure mode gets its own message
 * because "could not load index" is what users otherwise see for all of them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <htslib/bgzf.h>
#include <htslib/faidx.h>

#include "varformer/common/contig_names.h"
#include "varformer/genomics/reference.h"

struct VfReference
{
	faidx_t    *fai;
	int			n;
	const char **names;			/* owned by fai */
};

static bool
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

VfReference *
vf_reference_open(const char *path, const char *shown, VfError *err)
{
	VfReference *ref;
	BGZF	   *fp;
	int			compression;
	size_t		plen = strlen(path);
	char	   *fai_path = malloc(plen + 5);
	char	   *gzi_path = malloc(plen + 5);
	bool		missing;

	if (fai_path == NULL || gzi_path == NULL)
	{
		free(fai_path);
		free(gzi_path);
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	snprintf(fai_path, plen + 5, "%s.fai", path);
	snprintf(gzi_path, plen + 5, "%s.gzi", path);

	fp = bgzf_open(path, "r");
	if (fp == NULL)
	{
		vf_error(err, VF_ERR_IO, "could not open FASTA \"%s\": %s", shown, strerror(errno));
		goto fail;
	}
	compression = bgzf_compression(fp);
	bgzf_close(fp);
	if (compression == 1)
	{
		vf_error(err, VF_ERR_UNSUPPORTED,
				 "FASTA \"%s\" is gzip-compressed, which cannot be indexed for random access", shown);
		vf_error_hint(err, "Recompress it with bgzip (zcat FILE | bgzip > FILE.bgz) and index it with samtools faidx.");
		goto fail;
	}

	missing = !file_exists(fai_path) || (compression == 2 && !file_exists(gzi_path));
	if (missing && fai_build3(path, NULL, NULL) != 0)
	{
		vf_error(err, VF_ERR_NOFILE,
				 "FASTA index \"%s.fai\"%s is missing and could not be built",
				 shown, compression == 2 ? " or its .gzi" : "");
		vf_error_detail(err, "Building it needs write access to the FASTA's directory and a well-formed FASTA%s.",
						compression == 2 ? " (bgzip-compressed)" : "");
		vf_error_hint(err, "Run \"samtools faidx %s\" as a user who can write there.", shown);
		goto fail;
	}

	ref = calloc(1, sizeof(VfReference));
	if (ref == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		goto fail;
	}
	ref->fai = fai_load3(path, NULL, NULL, 0);
	if (ref->fai == NULL)
	{
		free(ref);
		vf_error(err, VF_ERR_CORRUPT, "could not load the FASTA index of \"%s\"", shown);
		vf_error_hint(err, "Rebuild it with \"samtools faidx %s\"; an index left over from another version of the file does not fit.", shown);
		goto fail;
	}
	ref->n = faidx_nseq(ref->fai);
	ref->names = malloc(sizeof(char *) * (ref->n > 0 ? ref->n : 1));
	if (ref->names == NULL)
	{
		fai_destroy(ref->fai);
		free(ref);
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (int i = 0; i < ref->n; i++)
		ref->names[i] = faidx_iseq(ref->fai, i);
	free(fai_path);
	free(gzi_path);
	return ref;

fail:
	free(fai_path);
	free(gzi_path);
	return NULL;
}

void
vf_reference_close(VfReference *ref)
{
	if (ref == NULL)
		return;
	fai_destroy(ref->fai);
	free(ref->names);
	free(ref);
}

int
vf_reference_n_contigs(const VfReference *ref)
{
	return ref->n;
}

const char *
vf_reference_contig_name(const VfReference *ref, int i)
{
	return (i >= 0 && i < ref->n) ? ref->names[i] : NULL;
}

int64_t
vf_reference_contig_length(const VfReference *ref, int i)
{
	return (i >= 0 && i < ref->n) ? (int64_t) faidx_seq_len(ref->fai, ref->names[i]) : -1;
}

int
vf_reference_find_contig(const VfReference *ref, const char *chrom, VfError *err)
{
	return vf_contig_find("reference FASTA", chrom, ref->names, ref->n, err);
}

char *
vf_reference_fetch(const VfReference *ref, const char *chrom, int64_t start, int64_t end,
				   size_t *len, VfError *err)
{
	int			i = vf_reference_find_contig(ref, chrom, err);
	int64_t		clen;
	hts_pos_t	got = 0;
	char	   *s;

	if (i < 0)
		return NULL;
	clen = vf_reference_contig_length(ref, i);
	if (start < 1 || end < start || end > clen)
	{
		vf_error(err, VF_ERR_INVALID, "window %s:%lld-%lld is not inside contig %s (1-%lld)",
				 chrom, (long long) start, (long long) end, chrom, (long long) clen);
		return NULL;
	}
	if (end - start + 1 > VF_REFERENCE_MAX_WINDOW)
	{
		vf_error(err, VF_ERR_LIMIT, "window %s:%lld-%lld is longer than %lld bases",
				 chrom, (long long) start, (long long) end, (long long) VF_REFERENCE_MAX_WINDOW);
		return NULL;
	}
	s = faidx_fetch_seq64(ref->fai, chrom, start - 1, end - 1, &got);
	if (s == NULL || got != end - start + 1)
	{
		free(s);
		vf_error(err, VF_ERR_IO, "could not read %s:%lld-%lld from the reference FASTA",
				 chrom, (long long) start, (long long) end);
		vf_error_hint(err, "The FASTA may have changed since its .fai index was built; rebuild it with samtools faidx.");
		return NULL;
	}
	*len = (size_t) got;
	return s;
}
