# Tokenizers: the plain-C parity driver (ASan/UBSan) and the libFuzzer harness.
TOKENIZER_SRCS = src/tokenizer.c src/tokenizer_kmer.c src/tokenizer_bpe.c src/tokenizer_char.c \
                 src/tokenizer_json.c src/json.c src/error.c
TOKENIZER_DEPS = $(TOKENIZER_SRCS) src/tokenizer_internal.h include/varformer/tokenizer.h \
                 include/varformer/json.h include/varformer/error.h

build/unit/tokenize_main: test/unit/tokenize_main.c $(TOKENIZER_DEPS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ test/unit/tokenize_main.c $(TOKENIZER_SRCS) -lm

# clang only (make build/fuzz/tokenizer_fuzz); not part of `make check`, see test/fuzz/README.
build/fuzz/tokenizer_fuzz: test/fuzz/tokenizer_fuzz.c $(TOKENIZER_DEPS)
	@mkdir -p $(@D)
	clang -std=gnu11 -g -O1 -Iinclude -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -o $@ test/fuzz/tokenizer_fuzz.c $(TOKENIZER_SRCS) -lm

# Optimised, unsanitised driver for test/bench/45_tokenizer.sh.
build/bench/tokenize_main: test/unit/tokenize_main.c $(TOKENIZER_DEPS)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -Iinclude -o $@ test/unit/tokenize_main.c $(TOKENIZER_SRCS) -lm
