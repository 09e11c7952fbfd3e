/*
 * torch_checkpoint_fuzz.c: libFuzzer harness for the PyTorch checkpoint reader.
 *
 * An input that starts with the ZIP magic or the legacy format's pickled magic number is a
 * whole checkpoint file (zip, pickle, storages; or the legacy stream); any other input is a
 * data.pkl alone, fed to the unpickler, so that mutations which change the pickle's length
 * are not all lost to the zip's offsets. Whatever the bytes, the reader
 * must fail or return tensors that lie inside the file, whose byte size matches their shape,
 * and, for the floating-point ones the image keeps, whose bytes are either the same as
 * another's or disjoint; ASan/UBSan catch the rest.
 *   make fuzz-torch_checkpoint FUZZ_SECONDS=600
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/checkpoint/torch_checkpoint.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
is_float(VfDtype dt)
{
	return dt == VF_DT_F32 || dt == VF_DT_F16 || dt == VF_DT_BF16 || dt == VF_DT_F64;
}

static void
check_file(const uint8_t *data, size_t size)
{
	VfSafetensors st;
	VfError		err;

	if (vf_torch_parse_buffer(data, size, &st, &err) != 0)
		return;
	for (int i = 0; i < st.n_tensor; i++)
	{
		const VfStTensor *t = &st.tensor[i];
		int64_t		numel = 1;

		for (int d = 0; d < t->ndim; d++)
			numel *= t->shape[d];
		if (t->begin > t->end || t->end > size || numel != t->numel || st.data_start != 0 ||
			(uint64_t) t->numel * vf_dtype_size(t->dtype) != t->end - t->begin ||
			t->name == NULL || t->name[0] == '\0')
			abort();
		for (int j = 0; j < i; j++)
		{
			const VfStTensor *u = &st.tensor[j];
			int			same = t->begin == u->begin && t->end == u->end && t->dtype == u->dtype;
			int			floats = is_float(t->dtype) && is_float(u->dtype);

			if (strcmp(t->name, u->name) == 0)
				abort();		/* duplicate name slipped through */
			if (floats && !same && t->begin < t->end && u->begin < u->end && t->begin < u->end && u->begin < t->end)
				abort();		/* partial overlap slipped through */
		}
	}
	vf_safetensors_free(&st);
}

static void
check_pickle(const uint8_t *data, size_t size)
{
	VfTorchDict d;
	VfError		err;

	if (vf_torch_unpickle(data, size, &d, &err) != 0)
		return;
	for (int i = 0; i < d.n_tensor; i++)
	{
		const VfTorchTensor *t = &d.tensor[i];

		if (t->ndim < 0 || t->ndim > VF_ST_MAX_DIMS || t->offset < 0 || t->storage_numel < 0 ||
			vf_dtype_size(t->dtype) == 0 || t->name == NULL || t->storage_key == NULL)
			abort();
		for (int k = 0; k < t->ndim; k++)
			if (t->shape[k] < 0 || t->stride[k] < 0)
				abort();
	}
	vf_torch_dict_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t legacy[] = {0x80, 0x02, 0x8a, 0x0a};

	if (vf_torch_is_zip(data, size) || (size >= 4 && memcmp(data, legacy, 4) == 0))
		check_file(data, size);
	else
		check_pickle(data, size);
	return 0;
}
