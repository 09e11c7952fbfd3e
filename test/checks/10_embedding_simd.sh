#!/usr/bin/env bash
# The embedding kernels must be vectorized: the AVX2 and AVX-512 clones that
# VF_TARGET_CLONES emits for each reduction must contain packed FMA instructions on
# ymm/zmm registers. This fails if the kernel flags (-fassociative-math, see the Makefile)
# stop reaching src/lib/kernels/embedding_kernels.o, which silently leaves scalar in-order sums.
set -euo pipefail
obj="$VF_ROOT/src/lib/kernels/embedding_kernels.o"
[ -f "$obj" ] || { echo "missing $obj (make all first)"; exit 1; }
case "$(uname -m)" in x86_64) ;; *) echo "SKIP $(uname -m) is not x86_64: no target clones to check"; exit 77;; esac
# make check-asan builds the library instrumented: ASan checks every load, which keeps these
# loops scalar. The property belongs to the shipped objects, which make check tests.
[ "${VF_ASAN:-0}" = 1 ] && { echo "SKIP the objects are built with AddressSanitizer (make check tests the shipped build's vector code)"; exit 77; }
dis=$(objdump -d --no-show-raw-insn "$obj")
fail=0
for fn in dot_f32 l2sq_f32 cosine_f32 dot_f64 l2sq_f64 cosine_f64; do
  for clone in arch_x86_64_v3:ymm arch_x86_64_v4:zmm; do
    sym="$fn.${clone%%:*}"; reg=${clone##*:}
    n=$(echo "$dis" | awk -v s="<$sym>:" '$2 == s { p = 1; next } p && /^$/ { exit } p' \
        | grep -cE "vfmadd[0-9]+p[sd].*%$reg" || true)
    echo "$sym: $n packed FMA on $reg"
    [ "$n" -gt 0 ] || fail=1
  done
done
exit $fail
