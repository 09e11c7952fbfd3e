# PredictDB plain-C unit test (ASan/UBSan), run by test/checks/60_predictdb_unit.sh.
PDB_UNIT_SRCS = src/predictdb_reader.c src/predictdb_score.c src/ensemble.c src/json.c src/error.c

build/unit/predictdb_test: test/unit/predictdb_test.c $(PDB_UNIT_SRCS) src/predictdb_image.h include/varformer/predictdb.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ test/unit/predictdb_test.c $(PDB_UNIT_SRCS) -lsqlite3 -lm
