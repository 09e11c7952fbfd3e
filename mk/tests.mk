# Programs outside the server, all linked against the shipped library (build/libvarformer.a):
#
#   build/unit/NAME    test/unit/NAME.c, the driver itself under ASan/UBSan (LeakSanitizer
#                      and the malloc checks also watch the library's allocations)
#   build/bench/NAME   test/unit/NAME.c or test/bench/NAME.c, optimised, no sanitizers
#   build/fuzz/NAME    test/fuzz/NAME.c with clang's libFuzzer over an instrumented build of
#                      the same library sources and flags (build/fuzz/lib/)
#
# No source lists: a new test is a new file in its folder.
UNIT_CFLAGS  = -std=gnu11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -Iinclude $(BLAS_CFLAGS)
BENCH_CFLAGS = -std=gnu11 -O2 -ftree-vectorize -g -Wall -Wextra -Iinclude $(BLAS_CFLAGS)
PYTHON ?= /usr/bin/python3

build/unit/%: test/unit/%.c $(VF_LIB)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(VF_LIB) $(VF_SYS_LIBS)

build/bench/%: test/unit/%.c $(VF_LIB)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(VF_LIB) $(VF_SYS_LIBS)

build/bench/%: test/bench/%.c $(VF_LIB)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -pthread -o $@ $< $(VF_LIB) $(VF_SYS_LIBS) -lopenblas

# libFuzzer: the library rebuilt with coverage instrumentation and sanitizers (clang only).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_CFLAGS   = -std=gnu11 -g -O1 -Iinclude $(BLAS_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=undefined
VF_FUZZ_OBJS  = $(patsubst src/lib/%.c,build/fuzz/lib/%.o,$(VF_LIB_SRCS))
build/fuzz/lib/%.o: src/lib/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(call vf_kernel_flags,$@) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
-include $(VF_FUZZ_OBJS:.o=.d)
build/fuzz/libvarformer.a: $(VF_FUZZ_OBJS)
	rm -f $@
	$(AR) rcs $@ $^
build/fuzz/%: test/fuzz/%.c build/fuzz/libvarformer.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(if $(findstring _fuzz,$*),-fsanitize=fuzzer) -o $@ $< build/fuzz/libvarformer.a $(VF_SYS_LIBS)

.PHONY: fuzz-%
fuzz-%: build/fuzz/%_fuzz
	@mkdir -p build/fuzz/corpus-$*
	-cp -n test/fuzz/corpus-$*/* build/fuzz/corpus-$*/ 2>/dev/null
	build/fuzz/$*_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
		$(patsubst %,-dict=%,$(wildcard test/fuzz/$*.dict)) -artifact_prefix=build/fuzz/ build/fuzz/corpus-$*

# Encoder goldens from the PyTorch references (test/reference/), random-weight checkpoints
# written to build/generated/encoder.
.PHONY: goldens
goldens:
	$(PYTHON) test/reference/make_encoder_fixtures.py build/generated/encoder/models test/fixtures/encoder
	$(PYTHON) test/reference/make_dnabert_fixtures.py build/generated/dnabert/models test/fixtures/dnabert
