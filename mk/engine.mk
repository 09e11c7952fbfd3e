# Engine: plain-C parity driver against the PyTorch goldens, and the goldens themselves.
#
#   make goldens   regenerates test/fixtures/encoder/*.json from PyTorch (test/reference/),
#                  writing the random-weight checkpoints they come from to build/generated/encoder.
ENGINE_SRCS = src/blas.c src/tensor_kernels.c src/encoder.c src/encoder_arch.c \
              src/checkpoint_image.c src/safetensors.c src/json.c src/error.c
ENGINE_HDRS = include/varformer/blas.h include/varformer/encoder.h include/varformer/tensor_kernels.h \
              src/encoder_internal.h include/varformer/checkpoint.h
PYTHON ?= /usr/bin/python3

build/unit/encoder_parity: test/unit/encoder_parity.c $(ENGINE_SRCS) $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -O2 -ftree-vectorize $(BLAS_CFLAGS) -fassociative-math -fno-signed-zeros -fno-trapping-math \
		-o $@ test/unit/encoder_parity.c $(ENGINE_SRCS) -ldl -lm

.PHONY: goldens
goldens:
	$(PYTHON) test/reference/make_encoder_fixtures.py build/generated/encoder/models test/fixtures/encoder

# Benchmark helpers (make bench): optimized, no sanitizers.
BENCH_CFLAGS = -std=gnu11 -O2 -ftree-vectorize -g -Wall -Wextra -Iinclude $(BLAS_CFLAGS)
build/bench/encoder_bench: test/unit/encoder_bench.c $(ENGINE_SRCS) $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -c -fassociative-math -fno-signed-zeros -fno-trapping-math \
		-o build/bench/tensor_kernels.o src/tensor_kernels.c
	$(CC) $(BENCH_CFLAGS) -o $@ test/unit/encoder_bench.c build/bench/tensor_kernels.o \
		$(filter-out src/tensor_kernels.c,$(ENGINE_SRCS)) -ldl -lm

build/bench/sgemm_peak: test/bench/sgemm_peak.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -lopenblas

build/unit/encoder_test: test/unit/encoder_test.c $(ENGINE_SRCS) $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -O2 -ftree-vectorize $(BLAS_CFLAGS) -o $@ test/unit/encoder_test.c $(ENGINE_SRCS) -ldl -lm
