# Model store: plain-C unit test of safetensors parsing and the checkpoint image, and the
# libFuzzer harness for the safetensors header parser (make fuzz-safetensors FUZZ_SECONDS=600).
STORE_UNIT_SRCS = src/safetensors.c src/checkpoint_image.c src/json.c src/error.c

build/unit/checkpoint_test: test/unit/checkpoint_test.c $(STORE_UNIT_SRCS) include/varformer/checkpoint.h include/varformer/safetensors.h include/varformer/json.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ test/unit/checkpoint_test.c $(STORE_UNIT_SRCS) -lm

# The same test with a 3-byte read size: every tensor and element is split across reads.
build/unit/checkpoint_test_tiny_reads: test/unit/checkpoint_test.c $(STORE_UNIT_SRCS) include/varformer/checkpoint.h include/varformer/safetensors.h include/varformer/json.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -DCKPT_CHUNK=3 -o $@ test/unit/checkpoint_test.c $(STORE_UNIT_SRCS) -lm

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 600
build/fuzz/safetensors_fuzz: test/fuzz/safetensors_fuzz.c src/safetensors.c src/json.c src/error.c include/varformer/safetensors.h
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu11 -g -O1 -Iinclude -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ test/fuzz/safetensors_fuzz.c src/safetensors.c src/json.c src/error.c -lm

.PHONY: fuzz-safetensors
fuzz-safetensors: build/fuzz/safetensors_fuzz
	@mkdir -p build/fuzz/corpus-safetensors
	cp -n test/fuzz/corpus-safetensors/* build/fuzz/corpus-safetensors/ 2>/dev/null || true
	build/fuzz/safetensors_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-dict=test/fuzz/safetensors.dict -artifact_prefix=build/fuzz/ build/fuzz/corpus-safetensors

# vf_checkpoint_open over arbitrary bytes (images cross process boundaries through DSM).
build/fuzz/checkpoint_open_fuzz: test/fuzz/checkpoint_open_fuzz.c src/checkpoint_image.c src/safetensors.c src/json.c src/error.c include/varformer/checkpoint.h
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu11 -g -O1 -Iinclude -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ test/fuzz/checkpoint_open_fuzz.c src/checkpoint_image.c src/safetensors.c src/json.c src/error.c -lm

build/fuzz/make_image_seed: test/fuzz/make_image_seed.c src/checkpoint_image.c src/safetensors.c src/json.c src/error.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -Iinclude -o $@ $^ -lm

.PHONY: fuzz-checkpoint
fuzz-checkpoint: build/fuzz/checkpoint_open_fuzz build/fuzz/make_image_seed
	@mkdir -p build/fuzz/corpus-checkpoint
	build/fuzz/make_image_seed test/fuzz/corpus-safetensors/valid build/fuzz/corpus-checkpoint/valid
	build/fuzz/make_image_seed test/fuzz/corpus-safetensors/f16 build/fuzz/corpus-checkpoint/f16
	build/fuzz/checkpoint_open_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-artifact_prefix=build/fuzz/ build/fuzz/corpus-checkpoint
