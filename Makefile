# varformer: PGXS build for PostgreSQL 15.
#
# Targets: all, install, check (the README's test command), demo, bench.
# Module fragments in mk/*.mk add their own rules (unit tests, benchmarks, fuzzers)
# so that concerns stay in their own files.

EXTVERSION   = 0.1
MODULE_big   = varformer
SRCS        := $(sort $(wildcard src/*.c))
OBJS         = $(SRCS:.c=.o)
MODULEDIR    = extension
DATA         = extension/varformer.control
DATA_built   = extension/varformer--$(EXTVERSION).sql
EXTRA_CLEAN  = build .deps

# Rebuild objects when a header they include changes (PGXS's own -MMD tracking, off by default).
override autodepend = yes

# Pin PostgreSQL 15 even when several server versions are installed.
PG_CONFIG   ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)

# OpenBLAS is deliberately NOT linked: its library constructor starts threads, and
# the postmaster (which preloads us) must never own threads before it forks.
# src/blas.c dlopen()s it lazily inside a backend instead; we only need its header.
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null)
HTS_LIBS    := $(shell pkg-config --libs htslib 2>/dev/null || echo -lhts)

PG_CPPFLAGS  = -I$(CURDIR)/include $(BLAS_CFLAGS)
PG_CFLAGS    = -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
               -Wno-declaration-after-statement -ftree-vectorize $(if $(WERROR),-Werror)
SHLIB_LINK   = $(HTS_LIBS) -lsqlite3 -ldl -lm

# Hot numeric kernels: allow the compiler to reassociate float sums so the loops
# vectorize (same trade pgvector makes); runtime dispatch comes from target_clones.
VF_KERNEL_OBJS = $(filter %_kernels.o,$(OBJS))
# (PGXS folds PG_CFLAGS into CFLAGS with `override` at parse time, so a target-specific
# PG_CFLAGS would be ignored: the flags must go on CFLAGS, with override.)
$(VF_KERNEL_OBJS): override CFLAGS += -fassociative-math -fno-signed-zeros -fno-trapping-math

# The driver goals (check, bench, demo, deps) run their own sub-makes and must work on a
# fresh machine where pg_config is not there yet, so they do not read PGXS (which would
# also bring its own `check` recipe). Everything else needs PGXS.
VF_DRIVER_GOALS = check bench demo deps
ifneq ($(filter $(VF_DRIVER_GOALS),$(MAKECMDGOALS)),)
PGXS :=
else
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
endif
ifneq ($(PGXS),)
include $(PGXS)
else ifeq ($(filter $(VF_DRIVER_GOALS),$(MAKECMDGOALS)),)
all install:
	@echo "PostgreSQL 15 server headers not found: run 'make deps' (or 'make check', which installs them)." >&2
	@exit 1
endif

extension/varformer--$(EXTVERSION).sql: $(sort $(wildcard extension/sql/*.sql))
	cat $^ > $@

include $(sort $(wildcard mk/*.mk))

ifeq ($(PGXS),)
.PHONY: check bench demo deps
deps:
	bash tools/install-deps.sh

check:
	bash test/run.sh check

bench:
	bash test/run.sh bench

demo:
	@echo "make demo arrives with the fused predictor issue; see README.md." >&2
	@exit 1
endif
