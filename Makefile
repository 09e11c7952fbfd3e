# varformer: PGXS build for PostgreSQL 15.
#
# Targets: all, install, check (the README's test command), check-asan (the same under
# AddressSanitizer + UBSan), installcheck, prove_installcheck, fixtures, demo, bench.
#
# Two layers, found by folder (README "Layout"):
#   src/lib/**        plain C, never includes a PostgreSQL header; archived as the static PIC
#                     library build/libvarformer.a, which the extension, the unit tests, the
#                     parity drivers and the benchmarks all link: they test the shipped code.
#   src/extension/**  the SQL layer (fmgr functions, shared memory, catalogs): varformer.so.
# Rules for tests, fuzzers and benchmarks are in mk/*.mk.

EXTVERSION   = 0.2
MODULE_big   = varformer
VF_LIB_SRCS := $(sort $(shell find src/lib -name '*.c'))
VF_EXT_SRCS := $(sort $(shell find src/extension -name '*.c'))
VF_LIB_OBJS  = $(VF_LIB_SRCS:.c=.o)
OBJS         = $(VF_EXT_SRCS:.c=.o)
VF_LIB       = build/libvarformer.a
MODULEDIR    = extension
# extension/upgrade/: the frozen install scripts of released versions and the upgrade
# scripts between them (README "Upgrading"); the current version's script is built.
DATA         = extension/varformer.control $(sort $(wildcard extension/upgrade/*.sql))
DATA_built   = extension/varformer--$(EXTVERSION).sql
EXTRA_CLEAN  = build .deps $(VF_LIB_OBJS) $(VF_LIB_OBJS:.o=.d) tmp_check

# pg_regress: `make installcheck` runs every sql/NAME.sql against an installed server that
# preloads varformer (shared_preload_libraries), as a superuser, in a fresh database
# contrib_regression; `make check` runs the same through test/run.sh. Each test creates the
# extension (IF NOT EXISTS) and everything else it needs, so any subset runs on its own:
# `make installcheck REGRESS=50_encoder`. The inputs they read that are generated come from
# `make fixtures` (mk/fixtures.mk); the server finds them through varformer.file_root, which
# each test sets to the source tree (pg_regress's PG_ABS_SRCDIR).
REGRESS      = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=.
REGRESS_PREP = fixtures

# Rebuild objects when a header they include changes (PGXS's own -MMD tracking, off by default).
override autodepend = yes

# Pin PostgreSQL 15 even when several server versions are installed.
PG_CONFIG   ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)

# OpenBLAS is deliberately NOT linked: its library constructor starts threads, and
# the postmaster (which preloads us) must never own threads before it forks.
# src/lib/kernels/blas.c dlopen()s it lazily inside a backend instead; we only need its header.
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null)
HTS_LIBS    := $(shell pkg-config --libs htslib 2>/dev/null || echo -lhts)
VF_SYS_LIBS  = $(HTS_LIBS) -lsqlite3 -ldl -lm -lpthread

VF_WARN      = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
               -Wno-declaration-after-statement $(if $(WERROR),-Werror)
PG_CPPFLAGS  = -I$(CURDIR)/include -I$(CURDIR)/src/extension $(BLAS_CFLAGS)
PG_CFLAGS    = -std=gnu11 $(VF_WARN) -ftree-vectorize
SHLIB_LINK   = $(VF_LIB) $(VF_SYS_LIBS)

# VF_ASAN=1 (make check-asan builds a copy of the tree with it): the library and the
# extension instrumented by AddressSanitizer and UBSan; the server, which is not, is then
# started with the ASan runtime preloaded (test/instance.sh).
VF_ASAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
ifeq ($(VF_ASAN),1)
PG_CFLAGS   += $(VF_ASAN_FLAGS)
SHLIB_LINK  += $(VF_ASAN_FLAGS)
endif

# Hot numeric kernels (everything in src/lib/kernels/): the compiler may reassociate float
# sums so the loops vectorize (the trade pgvector makes); runtime dispatch comes from
# target_clones. Written once here; every build of the library (shipped, sanitized, fuzzed)
# applies it the same way.
VF_KERNEL_CFLAGS = -fassociative-math -fno-signed-zeros -fno-trapping-math
vf_kernel_flags  = $(if $(findstring /kernels/,$(1)),$(VF_KERNEL_CFLAGS))

# The driver goals (check, bench, demo, deps) run their own sub-makes and must work on a
# fresh machine where pg_config is not there yet, so they do not read PGXS (which would
# also bring its own `check` recipe). Everything else needs PGXS.
VF_DRIVER_GOALS = check check-asan bench demo deps train-demo
ifneq ($(filter $(VF_DRIVER_GOALS),$(MAKECMDGOALS)),)
PGXS :=
else
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
endif
ifneq ($(PGXS),)
include $(PGXS)

# The library is compiled with PGXS's optimisation and PIC flags but without the server's
# include directories, so a PostgreSQL header included by mistake does not even compile
# (test/checks/00_layers.sh also checks it by reading the sources).
VF_LIB_CFLAGS = $(CFLAGS) -Iinclude $(BLAS_CFLAGS) $(if $(filter 1,$(VF_ASAN)),$(VF_ASAN_FLAGS))
src/lib/%.o: src/lib/%.c
	$(CC) $(VF_LIB_CFLAGS) $(call vf_kernel_flags,$@) -MMD -MP -c -o $@ $<
-include $(VF_LIB_OBJS:.o=.d)

$(VF_LIB): $(VF_LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(MODULE_big)$(DLSUFFIX): $(VF_LIB)
else ifeq ($(filter $(VF_DRIVER_GOALS),$(MAKECMDGOALS)),)
all install installcheck:
	@echo "PostgreSQL 15 server headers not found: run 'make deps' (or 'make check', which installs them)." >&2
	@exit 1
endif

extension/varformer--$(EXTVERSION).sql: $(sort $(wildcard extension/sql/*.sql))
	cat $^ > $@

include $(sort $(wildcard mk/*.mk))

# TAP against the installed server's binaries, as pgvector does: test/t/*.pl (or
# PROVE_TESTS=...) with PostgreSQL::Test::Cluster, each script starting the clusters it needs
# from $(bindir) (which must hold the installed extension). Run it as a user that may run
# initdb (not root).
ifneq ($(PGXS),)
.PHONY: prove_installcheck
prove_installcheck:
	rm -rf '$(CURDIR)'/tmp_check
	cd $(srcdir) && TESTDIR='$(CURDIR)' PATH="$(bindir):$$PATH" PGPORT='6$(DEF_PGPORT)' \
	  PG_REGRESS='$(top_builddir)/src/test/regress/pg_regress' \
	  $(PROVE) $(PG_PROVE_FLAGS) -I test/t $(PROVE_FLAGS) $(if $(PROVE_TESTS),$(PROVE_TESTS),test/t/*.pl)
endif

ifeq ($(PGXS),)
.PHONY: check check-asan bench demo deps train-demo
deps:
	bash tools/install-deps.sh

check:
	bash test/run.sh check

# The whole of make check with the extension under AddressSanitizer + UBSan, in a copy of
# the tree (build/asan) so that the instrumented objects never mix with the shipped ones.
check-asan:
	bash test/run.sh asan

bench:
	bash test/run.sh bench

demo:
	bash tools/demo/run.sh

# Retrains every model make demo loads (tools/README-demo-models.md), seeded, on the bundled
# data (or TRAIN_DATA=DIR, tools/simulate_cohort.py's output), into build/train-demo/models
# (or TRAIN_MODELS=DIR), with the PyTorch-side evaluation: about 930 CPU-seconds (wall times
# measured in tools/README-demo-models.md). Then: DEMO_MODELS=$PWD/build/train-demo/models make demo.
TRAIN_DATA ?= tools/demo/data
TRAIN_MODELS ?= build/train-demo/models
train-demo:
	bash tools/install-deps.sh
	sh tools/train_demo.sh $(TRAIN_DATA) $(TRAIN_MODELS) --evaluate
	@echo "models in $(TRAIN_MODELS); try them: DEMO_MODELS=$(abspath $(TRAIN_MODELS)) make demo"
endif
