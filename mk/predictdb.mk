# PredictDB plain-C unit test (ASan/UBSan), run by test/checks/60_predictdb_unit.sh.
PDB_UNIT_SRCS = src/predictdb_reader.c src/predictdb_score.c src/ensemble.c src/json.c src/error.c

build/unit/predictdb_test: test/unit/predictdb_test.c $(PDB_UNIT_SRCS) src/predictdb_image.h include/varformer/predictdb.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ test/unit/predictdb_test.c $(PDB_UNIT_SRCS) -lsqlite3 -lm

# PGXS tracks no header dependencies: rebuild the PredictDB objects when their headers change.
src/predictdb_reader.o src/predictdb_score.o src/ensemble.o src/predict_sql.o: \
	include/varformer/predictdb.h include/varformer/calls.h include/varformer/json.h \
	include/varformer/error.h src/predictdb_image.h
src/predict_sql.o: include/varformer/genotype.h include/varformer/model_store.h
