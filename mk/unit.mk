# Plain-C unit tests: built against the sources they test, without PostgreSQL.
UNIT_CFLAGS = -std=gnu11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -Iinclude

build/unit/json_test: test/unit/json_test.c src/json.c src/error.c include/varformer/json.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ test/unit/json_test.c src/json.c src/error.c -lm
