/*
 * torch_zip.c: the ZIP container of PyTorch checkpoints (plain C).
 *
 * torch.save writes every member stored (method 0, no compression), each member's data
 * aligned to 64 bytes by padding in the local header's extra field, and ZIP64 records when
 * the archive or a member passes 4 GB. So reading a member is knowing where its bytes are:
 * the central directory gives each member's local header, the local header where the data
 * starts. Nothing is decompressed; compressed or encrypted members are refused.
 *
 * All of it is untrusted: the end-of-central-directory record is searched for from the end,
 * every count, size and offset is checked against the file, names must be unique, and no
 * member's data may run past the central directory.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "varformer/checkpoint/torch_checkpoint.h"

#define EOCD_SIG 0x06054b50u
#define EOCD64_SIG 0x06064b50u
#define EOCD64_LOC_SIG 0x07064b50u
#define CDIR_SIG 0x02014b50u
#define LOCAL_SIG 0x04034b50u
#define EOCD_LEN 22
#define EOCD64_LOC_LEN 20
#define EOCD64_LEN 56
#define CDIR_LEN 46
#define LOCAL_LEN 30
#define MAX_COMMENT 65535
/* a central directory larger than this is not a checkpoint's (a few hundred bytes a member) */
#define MAX_CDIR ((uint64_t) 512 << 20)

static uint16_t
rd16(const unsigned char *p)
{
	return (uint16_t) (p[0] | (p[1] << 8));
}

static uint32_t
rd32(const unsigned char *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static uint64_t
rd64(const unsigned char *p)
{
	return (uint64_t) rd32(p) | ((uint64_t) rd32(p + 4) << 32);
}

int
vf_torch_source_read(const VfTorchSource *src, uint64_t off, void *dst, size_t n, VfError *err)
{
	if (off > src->size || n > src->size - off)
		return vf_error(err, VF_ERR_CORRUPT,
						"\"%s\" is truncated: %zu bytes at offset %llu run past its end (%llu bytes)",
						src->name, n, (unsigned long long) off, (unsigned long long) src->size);
	if (src->fd < 0)
	{
		memcpy(dst, src->buf + off, n);
		return 0;
	}
	for (size_t got = 0; got < n;)
	{
		ssize_t		r = pread(src->fd, (char *) dst + got, n - got, (off_t) (off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return vf_error(err, VF_ERR_IO, "could not read \"%s\" at offset %llu: %s", src->name,
							(unsigned long long) (off + got), r < 0 ? strerror(errno) : "end of file");
		got += (size_t) r;
	}
	return 0;
}

int
vf_torch_is_zip(const unsigned char *prefix, size_t len)
{
	return len >= 4 && rd32(prefix) == LOCAL_SIG;
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const VfZipEntry *) a)->name, ((const VfZipEntry *) b)->name);
}

const VfZipEntry *
vf_zip_find(const VfZip *zip, const char *name)
{
	VfZipEntry	key = {.name = (char *) name};

	if (zip->n_entry == 0)
		return NULL;
	return bsearch(&key, zip->entry, (size_t) zip->n_entry, sizeof(VfZipEntry), cmp_entry);
}

void
vf_zip_free(VfZip *zip)
{
	for (int i = 0; i < zip->n_entry; i++)
		free(zip->entry[i].name);
	free(zip->entry);
	zip->entry = NULL;
	zip->n_entry = 0;
}

/* Where the central directory is, as an end record gives it. */
typedef struct CdirPlace
{
	uint64_t	off;
	uint64_t	size;
	uint64_t	n_entry;
	uint64_t	end_limit;		/* the directory must end by here: the first end record */
} CdirPlace;

/*
 * The classic end-of-central-directory record. A comment of up to 64 KB may follow it, so
 * it is searched for backwards in the file's last EOCD_LEN + MAX_COMMENT bytes; its offset
 * in the file goes in *eocd.
 */
static int
find_eocd(const VfTorchSource *src, uint64_t *eocd, CdirPlace *cd, VfError *err)
{
	uint64_t	tail_len = src->size < EOCD_LEN + MAX_COMMENT ? src->size : EOCD_LEN + MAX_COMMENT;
	unsigned char *tail;
	int64_t		at = -1;

	if (src->size < EOCD_LEN)
		return vf_error(err, VF_ERR_CORRUPT, "\"%s\" is too short (%llu bytes) to be a zip archive",
						src->name, (unsigned long long) src->size);
	tail = malloc((size_t) tail_len);
	if (tail == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory reading \"%s\"", src->name);
	if (vf_torch_source_read(src, src->size - tail_len, tail, (size_t) tail_len, err) != 0)
	{
		free(tail);
		return -1;
	}
	/* the last record whose comment reaches exactly to the end of the file */
	for (int64_t i = (int64_t) tail_len - EOCD_LEN; i >= 0; i--)
		if (rd32(tail + i) == EOCD_SIG &&
			(uint64_t) i + EOCD_LEN + rd16(tail + i + 20) == tail_len)
		{
			at = i;
			break;
		}
	if (at < 0)
	{
		free(tail);
		vf_error(err, VF_ERR_CORRUPT, "\"%s\" has no zip end-of-central-directory record", src->name);
		vf_error_hint(err, "The file is truncated or is not a PyTorch checkpoint.");
		return -1;
	}
	*eocd = src->size - tail_len + (uint64_t) at;
	if (rd16(tail + at + 4) != 0 || rd16(tail + at + 6) != 0 ||
		rd16(tail + at + 8) != rd16(tail + at + 10))
	{
		free(tail);
		return vf_error(err, VF_ERR_UNSUPPORTED, "\"%s\" is a multi-disk zip archive", src->name);
	}
	cd->n_entry = rd16(tail + at + 10);
	cd->size = rd32(tail + at + 12);
	cd->off = rd32(tail + at + 16);
	cd->end_limit = *eocd;
	free(tail);
	return 0;
}

/*
 * ZIP64: a locator just before the classic end record points to the 64-bit end record,
 * whose counts and offsets then replace the classic ones (which read 0xFFFF...). No
 * locator is no ZIP64, and cd is left as it is.
 */
static int
read_zip64_end(const VfTorchSource *src, uint64_t eocd, CdirPlace *cd, VfError *err)
{
	unsigned char loc[EOCD64_LOC_LEN],
				rec[EOCD64_LEN];
	uint64_t	rec_off;

	if (eocd < EOCD64_LOC_LEN)
		return 0;
	if (vf_torch_source_read(src, eocd - EOCD64_LOC_LEN, loc, sizeof(loc), err) != 0)
		return -1;
	if (rd32(loc) != EOCD64_LOC_SIG)
		return 0;
	rec_off = rd64(loc + 8);
	if (rec_off > eocd - EOCD64_LOC_LEN || eocd - EOCD64_LOC_LEN - rec_off < EOCD64_LEN)
		return vf_error(err, VF_ERR_CORRUPT,
						"\"%s\": ZIP64 end record offset %llu is outside the archive",
						src->name, (unsigned long long) rec_off);
	if (vf_torch_source_read(src, rec_off, rec, sizeof(rec), err) != 0)
		return -1;
	if (rd32(rec) != EOCD64_SIG)
		return vf_error(err, VF_ERR_CORRUPT, "\"%s\": no ZIP64 end record at offset %llu",
						src->name, (unsigned long long) rec_off);
	if (rd32(rec + 16) != 0 || rd32(rec + 20) != 0 || rd64(rec + 24) != rd64(rec + 32))
		return vf_error(err, VF_ERR_UNSUPPORTED, "\"%s\" is a multi-disk zip archive",
						src->name);
	cd->n_entry = rd64(rec + 32);
	cd->size = rd64(rec + 40);
	cd->off = rd64(rec + 48);
	cd->end_limit = rec_off;
	return 0;
}

/* The central directory's place and size, from the (ZIP64) end records, checked against the file. */
static int
find_cdir(const VfTorchSource *src, CdirPlace *cd, VfError *err)
{
	uint64_t	eocd = 0;

	if (find_eocd(src, &eocd, cd, err) != 0 || read_zip64_end(src, eocd, cd, err) != 0)
		return -1;
	if (cd->off > cd->end_limit || cd->size > cd->end_limit - cd->off)
		return vf_error(err, VF_ERR_CORRUPT,
						"\"%s\": zip central directory [%llu, +%llu) is outside the archive",
						src->name, (unsigned long long) cd->off, (unsigned long long) cd->size);
	if (cd->size > MAX_CDIR || cd->n_entry > VF_TORCH_MAX_ENTRIES)
		return vf_error(err, VF_ERR_LIMIT,
						"\"%s\": zip central directory of %llu entries, %llu bytes, exceeds the limit",
						src->name, (unsigned long long) cd->n_entry, (unsigned long long) cd->size);
	/* each entry takes at least CDIR_LEN bytes */
	if (cd->n_entry > cd->size / CDIR_LEN)
		return vf_error(err, VF_ERR_CORRUPT,
						"\"%s\": %llu zip entries cannot fit in a %llu-byte central directory",
						src->name, (unsigned long long) cd->n_entry, (unsigned long long) cd->size);
	return 0;
}

/* The ZIP64 extra field replaces, in order, each 32-bit field that reads 0xFFFFFFFF. */
static int
apply_zip64(const unsigned char *extra, size_t len, uint64_t *usize, uint64_t *csize,
			uint64_t *lho)
{
	size_t		p = 0;

	while (p + 4 <= len)
	{
		uint16_t	id = rd16(extra + p);
		uint16_t	n = rd16(extra + p + 2);
		size_t		q = p + 4;

		if (n > len - q)
			return -1;
		if (id == 0x0001)
		{
			uint64_t   *f[3] = {usize, csize, lho};

			for (int i = 0; i < 3; i++)
			{
				if (*f[i] != 0xFFFFFFFFu)
					continue;
				if (q + 8 > p + 4 + n)
					return -1;
				*f[i] = rd64(extra + q);
				q += 8;
			}
			return 0;
		}
		p = q + n;
	}
	return 0;
}

/*
 * Where entry e's data starts, from its local header at lho: the local header's extra field
 * (torch.save's alignment padding) may differ in length from the central directory's, so
 * only the local header says. Its name must be the central directory's too, or the two
 * directories of the archive disagree about which bytes are which member.
 */
static int
locate_data(const VfTorchSource *src, const VfZipEntry *e, uint64_t lho, uint16_t name_len,
			uint64_t usize, uint64_t cd_off, uint64_t *data_off, VfError *err)
{
	unsigned char lh[LOCAL_LEN];
	char	   *lname;
	bool		same;

	if (lho > cd_off || cd_off - lho < LOCAL_LEN)
		return vf_error(err, VF_ERR_CORRUPT, "\"%s\": zip entry \"%.200s\" has local header offset %llu outside the archive",
						src->name, e->name, (unsigned long long) lho);
	if (vf_torch_source_read(src, lho, lh, LOCAL_LEN, err) != 0)
		return -1;
	if (rd32(lh) != LOCAL_SIG || rd16(lh + 26) != name_len)
		return vf_error(err, VF_ERR_CORRUPT, "\"%s\": no local header for zip entry \"%.200s\" at offset %llu",
						src->name, e->name, (unsigned long long) lho);
	*data_off = lho + LOCAL_LEN + name_len + rd16(lh + 28);
	/* members lie before the central directory: their bytes are never the directory's */
	if (*data_off > cd_off || usize > cd_off - *data_off)
	{
		vf_error(err, VF_ERR_CORRUPT,
				 "\"%s\": zip entry \"%.200s\" (%llu bytes at offset %llu) runs past the archive's members",
				 src->name, e->name, (unsigned long long) usize, (unsigned long long) *data_off);
		vf_error_hint(err, "The file is truncated or corrupt.");
		return -1;
	}
	lname = malloc(name_len ? name_len : 1);
	if (lname == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory reading \"%s\"", src->name);
	if (vf_torch_source_read(src, lho + LOCAL_LEN, lname, name_len, err) != 0)
	{
		free(lname);
		return -1;
	}
	same = memcmp(lname, e->name, name_len) == 0;
	free(lname);
	if (!same)
		return vf_error(err, VF_ERR_CORRUPT, "\"%s\": zip entry \"%.200s\" has another name in its local header",
						src->name, e->name);
	return 0;
}

/*
 * Central directory entry i, at *p of the directory cd: appended to out (counted in
 * out->n_entry as soon as its name is allocated, so that vf_zip_free frees it on any later
 * failure), and *p advanced past it.
 */
static int
read_entry(const VfTorchSource *src, const unsigned char *cd, const CdirPlace *place, size_t *p,
		   uint64_t i, VfZip *out, VfError *err)
{
	VfZipEntry *e = &out->entry[out->n_entry];
	const unsigned char *r = cd + *p;
	uint16_t	flags,
				method,
				name_len,
				extra_len,
				comment_len;
	uint64_t	csize,
				usize,
				lho,
				data_off = 0;

	if (place->size - *p < CDIR_LEN || rd32(r) != CDIR_SIG)
		return vf_error(err, VF_ERR_CORRUPT, "\"%s\": zip central directory entry %llu is malformed",
						src->name, (unsigned long long) i);
	flags = rd16(r + 8);
	method = rd16(r + 10);
	csize = rd32(r + 20);
	usize = rd32(r + 24);
	name_len = rd16(r + 28);
	extra_len = rd16(r + 30);
	comment_len = rd16(r + 32);
	lho = rd32(r + 42);
	if ((uint64_t) CDIR_LEN + name_len + extra_len + comment_len > place->size - *p)
		return vf_error(err, VF_ERR_CORRUPT, "\"%s\": zip central directory entry %llu runs past the directory",
						src->name, (unsigned long long) i);
	if (name_len == 0 || memchr(r + CDIR_LEN, '\0', name_len) != NULL)
		return vf_error(err, VF_ERR_CORRUPT, "\"%s\": zip entry %llu has an empty name or one with NUL",
						src->name, (unsigned long long) i);
	e->name = malloc((size_t) name_len + 1);
	if (e->name == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory reading the zip directory of \"%s\"", src->name);
	memcpy(e->name, r + CDIR_LEN, name_len);
	e->name[name_len] = '\0';
	out->n_entry++;
	if (apply_zip64(r + CDIR_LEN + name_len, extra_len, &usize, &csize, &lho) != 0)
		return vf_error(err, VF_ERR_CORRUPT, "\"%s\": zip entry \"%.200s\" has a malformed ZIP64 field",
						src->name, e->name);
	/* stored members only: reading a member is then knowing where its bytes are */
	if ((flags & 1) != 0 || method != 0 || csize != usize)
	{
		vf_error(err, VF_ERR_UNSUPPORTED,
				 "\"%s\": zip entry \"%.200s\" is compressed or encrypted (method %u, flags 0x%x)",
				 src->name, e->name, method, flags);
		vf_error_hint(err, "torch.save stores members uncompressed; re-save the checkpoint with torch.save.");
		return -1;
	}
	if (locate_data(src, e, lho, name_len, usize, place->off, &data_off, err) != 0)
		return -1;
	e->data_off = data_off;
	e->size = usize;
	*p += CDIR_LEN + (size_t) name_len + extra_len + comment_len;
	return 0;
}

/* Sorts the entries by name for vf_zip_find, refusing a name given twice (which would be ambiguous). */
static int
sort_entries(const VfTorchSource *src, VfZip *out, VfError *err)
{
	qsort(out->entry, (size_t) out->n_entry, sizeof(VfZipEntry), cmp_entry);
	for (int i = 1; i < out->n_entry; i++)
		if (strcmp(out->entry[i - 1].name, out->entry[i].name) == 0)
			return vf_error(err, VF_ERR_CORRUPT, "\"%s\": zip archive holds \"%.200s\" twice", src->name,
							out->entry[i].name);
	return 0;
}

int
vf_zip_open(const VfTorchSource *src, VfZip *out, VfError *err)
{
	CdirPlace	place = {0};
	unsigned char *cd = NULL;
	size_t		p = 0;
	int			rc = -1;

	memset(out, 0, sizeof(*out));
	if (find_cdir(src, &place, err) != 0)
		return -1;
	cd = malloc(place.size ? (size_t) place.size : 1);
	out->entry = calloc(place.n_entry ? (size_t) place.n_entry : 1, sizeof(VfZipEntry));
	if (cd == NULL || out->entry == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory reading the zip directory of \"%s\"", src->name);
		goto done;
	}
	if (vf_torch_source_read(src, place.off, cd, (size_t) place.size, err) != 0)
		goto done;
	for (uint64_t i = 0; i < place.n_entry; i++)
		if (read_entry(src, cd, &place, &p, i, out, err) != 0)
			goto done;
	if (sort_entries(src, out, err) != 0)
		goto done;
	rc = 0;
done:
	free(cd);
	if (rc != 0)
		vf_zip_free(out);
	return rc;
}
