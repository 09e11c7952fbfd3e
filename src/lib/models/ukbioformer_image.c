/*
 * ukbioformer_image.c: one position-independent image for a fused model directory (its own
 * checkpoint and its encoder/), so the directory is one model in shared memory (plain C).
 *
 * Layout: header (64 bytes: magic, the two parts' offsets and sizes), then each part as
 * vf_checkpoint_image_build makes it, 64-byte aligned. Each part stays a valid checkpoint
 * image on its own, opened in place by vf_checkpoint_open.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/models/ukbioformer.h"

#define FUSED_MAGIC "VFFUSED1"
#define ALIGN 64

typedef struct FusedHeader
{
	char		magic[8];
	uint64_t	main_off, main_size;
	uint64_t	enc_off, enc_size;
	char		pad[24];
} FusedHeader;

_Static_assert(sizeof(FusedHeader) == ALIGN, "fused image header is one 64-byte line");

static size_t
round_up(size_t n)
{
	return (n + ALIGN - 1) / ALIGN * ALIGN;
}

int
vf_fused_image_build(const char *dir, void **image, size_t *size, size_t max_bytes, VfError *err)
{
	void	   *main_img = NULL,
			   *enc_img = NULL;
	size_t		main_size,
				enc_size,
				total;
	char		enc_dir[4096];
	FusedHeader h = {0};
	char	   *out;
	int			rc = -1;

	if (snprintf(enc_dir, sizeof(enc_dir), "%s/encoder", dir) >= (int) sizeof(enc_dir))
		return vf_error(err, VF_ERR_INVALID, "path \"%.200s...\" is too long", dir);
	if (vf_checkpoint_image_build(dir, &main_img, &main_size, max_bytes, err) < 0)
		return -1;
	if (vf_checkpoint_image_build(enc_dir, &enc_img, &enc_size, max_bytes, err) < 0)
	{
		char		m[sizeof(err->msg)];

		snprintf(m, sizeof(m), "%s", err->msg);
		vf_error(err, err->code, "the fused model's encoder/: %s", m);
		goto done;
	}
	total = ALIGN + round_up(main_size) + round_up(enc_size);
	if (total > max_bytes)
	{
		vf_error(err, VF_ERR_LIMIT, "the fused model needs %zu bytes, more than the %zu available", total, max_bytes);
		goto done;
	}
	if ((out = aligned_alloc(ALIGN, total)) == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory for a %zu-byte fused model image", total);
		goto done;
	}
	memset(out, 0, total);
	memcpy(h.magic, FUSED_MAGIC, 8);
	h.main_off = ALIGN;
	h.main_size = main_size;
	h.enc_off = ALIGN + round_up(main_size);
	h.enc_size = enc_size;
	memcpy(out, &h, sizeof(h));
	memcpy(out + h.main_off, main_img, main_size);
	memcpy(out + h.enc_off, enc_img, enc_size);
	*image = out;
	*size = total;
	rc = 0;
done:
	free(main_img);
	free(enc_img);
	return rc;
}

bool
vf_fused_image_is(const void *image, size_t size)
{
	return size >= sizeof(FusedHeader) && memcmp(image, FUSED_MAGIC, 8) == 0;
}

int
vf_fused_image_open(const void *image, size_t size, VfCheckpoint *main, VfCheckpoint *encoder,
					VfError *err)
{
	FusedHeader h;
	const char *base = image;

	if (!vf_fused_image_is(image, size))
		return vf_error(err, VF_ERR_CORRUPT, "not a fused model image");
	memcpy(&h, image, sizeof(h));
	if (h.main_off % ALIGN || h.enc_off % ALIGN || h.main_off < ALIGN || h.enc_off < ALIGN ||
		h.main_off > size || h.main_size > size - h.main_off ||
		h.enc_off > size || h.enc_size > size - h.enc_off)
		return vf_error(err, VF_ERR_CORRUPT, "fused model image: part offsets outside its %zu bytes", size);
	if (vf_checkpoint_open(base + h.main_off, h.main_size, main, err) < 0)
		return -1;
	if (vf_checkpoint_open(base + h.enc_off, h.enc_size, encoder, err) < 0)
	{
		vf_checkpoint_close(main);
		return -1;
	}
	return 0;
}
