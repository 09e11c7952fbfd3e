#!/usr/bin/env bash
# The plain-C library (src/lib, include/varformer) never includes a PostgreSQL header: every
# quoted include names a library header ("varformer/...") or a private header beside the
# file, and no system include is one of the server's (postgres.h, fmgr.h, utils/..., ...).
# The build enforces the same by compiling src/lib without the server's include path; this
# check reads the sources so the rule holds for code not yet built too (tests, fuzzers).
set -euo pipefail
cd "$VF_ROOT"
bad=0
pg='(postgres|postgres_fe|c|fmgr|funcapi|miscadmin|pgstat|pg_config[a-z_]*|libpq-fe)\.h|(access|catalog|commands|common|executor|lib|libpq|mb|nodes|optimizer|parser|port|postmaster|replication|storage|tcop|utils|jit)/'
while IFS= read -r f; do
  dir=$(dirname "$f")
  while IFS= read -r inc; do
    name=$(echo "$inc" | sed -E 's/^#include[[:space:]]*["<]([^">]+)[">].*/\1/')
    case "$inc" in
      *'"'*)
        if [[ "$name" == varformer/* ]]; then
          [ -f "include/$name" ] || { echo "$f: $inc: no such library header"; bad=1; }
        elif [ ! -f "$dir/$name" ]; then
          echo "$f: $inc: not a library header"; bad=1
        fi;;
      *) if echo "$name" | grep -qE "^($pg)"; then echo "$f: $inc: PostgreSQL header in the library"; bad=1; fi;;
    esac
  done < <(grep -E '^[[:space:]]*#[[:space:]]*include' "$f" || true)
done < <(find src/lib include/varformer -name '*.[ch]' | sort)
n=$(find src/lib include/varformer -name '*.[ch]' | wc -l)
[ $bad -eq 0 ] && echo "ok   $n library files include no PostgreSQL header"
exit $bad
