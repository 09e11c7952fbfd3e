#!/usr/bin/env bash
# Every libFuzzer harness (test/fuzz/*_fuzz.c, one per parser of the plain-C library):
# replays its committed corpus (test/fuzz/corpus-NAME: seeds and the inputs of past
# findings), then mutates for a fixed number of runs from a fixed seed, so the check is
# the same on every machine and never depends on timing. A crash, sanitizer report, leak,
# timeout or broken invariant fails the check and leaves the input in build/fuzz/replay/.
# Long runs are `make fuzz-NAME FUZZ_SECONDS=...` (test/fuzz/README.md).
set -uo pipefail
cd "$VF_ROOT"
command -v clang >/dev/null || { echo "SKIP clang (libFuzzer) is not installed"; exit 77; }
names=$(ls test/fuzz/*_fuzz.c | sed -E 's|test/fuzz/(.*)_fuzz\.c|\1|')
targets=$(for n in $names; do echo "build/fuzz/${n}_fuzz"; done)
make -s -j2 $targets || { echo "building the fuzzers failed"; exit 1; }
# runs per harness: about 2-4 s each on the 2-core development machine under load
declare -A runs=([vcf]=300 [predictdb]=300 [gtf]=2000 [tokenizer]=3000 [config]=4000 [checkpoint_open]=5000 [torch_checkpoint]=10000)
out=build/fuzz/replay
rm -rf "$out"; mkdir -p "$out"
fail=0
for n in $names; do
  mkdir -p "$out/$n/corpus"
  [ -d "test/fuzz/corpus-$n" ] && cp test/fuzz/corpus-$n/* "$out/$n/corpus/"
  dict=$(ls test/fuzz/$n.dict 2>/dev/null)
  start=$(date +%s.%N)
  VF_FUZZ_MODELS="$VF_GENERATED" build/fuzz/${n}_fuzz -seed=1 -runs="${runs[$n]:-20000}" \
      -max_len=65536 -rss_limit_mb=2048 -timeout=20 ${dict:+-dict=$dict} \
      -artifact_prefix="$out/$n-" "$out/$n/corpus" >"$out/$n.log" 2>&1
  st=$?
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  seeds=$(ls "test/fuzz/corpus-$n" 2>/dev/null | wc -l)
  cov=$(grep -oE 'cov: [0-9]+' "$out/$n.log" | tail -n 1)
  if [ $st -ne 0 ]; then
    fail=1
    echo "FAILED $n (exit $st):"; grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$out/$n.log" | head -n 10
  else
    printf '%-18s %3d seeds replayed, %6s runs, %s, %.1f s\n' "$n" "$seeds" "${runs[$n]:-20000}" "$cov" "$secs"
  fi
done
[ $fail -eq 0 ] && echo "every fuzzer replayed its corpus and ran clean"
exit $fail
