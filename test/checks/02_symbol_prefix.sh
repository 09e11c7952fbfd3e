#!/usr/bin/env bash
# Every global symbol of the library and the extension starts with vf_ (fmgr functions
# included: their pg_finfo_vf_* companions follow), except the two names PostgreSQL looks
# up itself (_PG_init, Pg_magic_func). The backend loads varformer.so beside other
# extensions, and one loaded with RTLD_GLOBAL (pgvector, say) would otherwise interpose on
# a same-named function: an unprefixed l2_distance here could run pgvector's. File-static
# helpers are not exported and need no prefix.
# Needs the objects: run after `make all` (make check builds first).
set -euo pipefail
cd "$VF_ROOT"
bad=0
n=0
while IFS= read -r src; do
  o=${src%.c}.o
  [ -f "$o" ] || { echo "$o: not built (run make all first)"; exit 1; }
  while read -r sym; do
    n=$((n+1))
    case "$sym" in
      vf_*|pg_finfo_vf_*|_PG_init|Pg_magic_func) ;;
      __odr_asan.vf_*) ;;   # AddressSanitizer's one-definition-rule marker of a vf_ global (make check-asan)
      *) echo "$src: global symbol $sym does not start with vf_"; bad=1;;
    esac
  done < <(nm -g --defined-only "$o" | awk 'NF == 3 { print $3 }')
done < <(find src -name '*.c' | sort)
[ $bad -eq 0 ] && echo "ok   $n global symbols, all prefixed vf_"
exit $bad
