#!/usr/bin/env bash
# The test and benchmark driver behind `make check` and `make bench`.
#
#   check: install missing packages, build warning-free (-Werror), install into a private
#          copy of PostgreSQL 15, start an instance with shared_preload_libraries=varformer,
#          build the generated test inputs (`make fixtures`, mk/fixtures.mk), then run
#          every test/checks/*.sh (unit tests, golden comparisons, parity runs), the
#          pg_regress suite as `make installcheck` runs it (the Makefile's REGRESS list)
#          against that instance, and every TAP script in test/t/.
#          A check that cannot run here (a missing tool, another CPU) prints why on its last
#          line and exits 77: it is counted as skipped, never as passed.
#          Ends with one line "N passed, N failed, N skipped"; exit status 1 on any failure.
#   bench: same setup, then every test/bench/*.sh; the report goes to build/bench/report.txt.
set -uo pipefail
mode=${1:-check}
source "$(dirname "$0")/instance.sh"
cd "$VF_ROOT"

# asan: the check above in a copy of the tree under build/asan, built with VF_ASAN=1
# (library and extension under AddressSanitizer + UBSan; the server started with the ASan
# runtime preloaded, see instance.sh). The copy keeps the objects apart from the shipped
# build and reuses the generated test inputs. Any sanitizer report fails the run.
if [ "$mode" = asan ]; then
  bash tools/install-deps.sh || exit 1
  make -s fixtures || { echo "generating the test inputs (make fixtures) failed"; exit 1; }
  dst=$VF_BUILD/asan
  rm -rf "$dst"; mkdir -p "$dst/build"
  git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -C "$dst" -xf -
  [ "$(id -u)" -eq 0 ] && chmod -R a+rX "$dst"
  # copied after the chmod: the inputs keep their modes (the tests' mode-000 files stay unreadable)
  cp -a "$VF_GENERATED" "$dst/build/generated"
  cd "$dst" && VF_ASAN=1 exec bash test/run.sh check
fi

bash tools/install-deps.sh || exit 1
make -s WERROR=1 all || { echo "build failed (warnings are errors in make check)"; exit 1; }
make -s fixtures || { echo "generating the test inputs (make fixtures) failed"; exit 1; }
vf_make_install || exit 1
vf_test_user
trap vf_stop EXIT
vf_start || exit 1

passed=0; failed=0; skipped=0; failures=()
record() { # record NAME STATUS [SKIP-REASON]: 0 passed, 77 skipped, anything else failed
  if [ "$2" -eq 0 ]; then passed=$((passed+1)); echo "ok     $1"
  elif [ "$2" -eq 77 ]; then skipped=$((skipped+1)); echo "SKIP   $1${3:+: ${3#SKIP }}"
  else failed=$((failed+1)); failures+=("$1"); echo "FAILED $1"; fi
}
summary() { echo "$passed passed, $failed failed, $skipped skipped"; }

if [ "$mode" = bench ]; then
  # The benchmarks name their inputs relative to the data directory ('generated/...').
  ln -sfn "$VF_GENERATED" "$VF_DATA/generated"
  [ "$(id -u)" -eq 0 ] && chown -R "$VF_TEST_USER" "$VF_GENERATED"
  mkdir -p build/bench
  : > build/bench/report.txt
  for b in $(ls test/bench/*.sh 2>/dev/null | sort); do
    echo "== $b" | tee -a build/bench/report.txt
    bash "$b" 2>&1 | tee -a build/bench/report.txt
    record "$b" "${PIPESTATUS[0]}"
  done
  echo "report: build/bench/report.txt"
  summary
  [ "$failed" -eq 0 ]; exit
fi

# 1. scripted checks (C unit tests, goldens regenerated from the independent tools).
mkdir -p build/checks
for c in $(ls test/checks/*.sh 2>/dev/null | sort); do
  name=$(basename "$c" .sh)
  bash "$c" >"build/checks/$name.log" 2>&1
  st=$?
  [ $st -ne 0 ] && [ $st -ne 77 ] && tail -n 40 "build/checks/$name.log"
  record "check $name" $st "$(tail -n 1 "build/checks/$name.log")"
done

# 2. pg_regress: `make installcheck` itself (the Makefile's REGRESS list and options, the
# fixtures it depends on) against the private instance, results under build/run/regress.
out=build/run/regress
rm -rf "$out"; mkdir -p "$out"
make -s installcheck PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config \
    EXTRA_REGRESS_OPTS="--host=$VF_SOCK --port=$VF_PORT --user=$VF_OS_USER --outputdir=$out" \
    >"$out/pg_regress.log" 2>&1
rst=$?
seen=0
while read -r line; do
  t=$(echo "$line" | sed -E 's/^test +([^ ]+) .*/\1/')
  seen=$((seen+1))
  case "$line" in *" ... ok "*) record "regress $t" 0;; *) echo "$line"; record "regress $t" 1;; esac
done < <(grep -E '^test ' "$out/pg_regress.log")
[ $rst -ne 0 ] && [ $seen -eq 0 ] && { tail -n 20 "$out/pg_regress.log"; record "regress (make installcheck itself)" 1; }
[ -f "$out/regression.diffs" ] && head -n 200 "$out/regression.diffs"

# 3. TAP, each script against clusters it creates itself (PostgreSQL::Test::Cluster).
for t in $(ls test/t/*.pl 2>/dev/null | sort); do
  name=$(basename "$t" .pl)
  dir=build/run/tap/$name
  mkdir -p "$dir"; [ "$(id -u)" -eq 0 ] && chown -R "$VF_TEST_USER" build/run/tap
  as_test_user env PATH="$VF_BIN:$PATH" TESTDIR="$VF_ROOT/$dir" PG_REGRESS=/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress \
      PERL5LIB="/usr/lib/postgresql/15/lib/pgxs/src/test/perl:$VF_ROOT/test/t" "${VF_SANITIZER_ENV[@]}" \
      prove -v "$t" >"$dir/prove.log" 2>&1
  st=$?
  [ $st -ne 0 ] && { tail -n 60 "$dir/prove.log"; tail -n 30 "$dir"/tmp_check/log/*.log 2>/dev/null; }
  # a script that plans skip_all passes prove, but tested nothing
  [ $st -eq 0 ] && grep -qE "\.\. skipped" "$dir/prove.log" && st=77
  record "tap $name" $st "$(grep -oE 'skipped: .*' "$dir/prove.log" | head -n 1)"
done

# 4. under check-asan: every report a sanitizer wrote (servers, backends, TAP clusters)
if [ "${VF_ASAN:-0}" = 1 ]; then
  reports=$(ls "$VF_ASAN_LOGS"/* 2>/dev/null)
  [ -n "$reports" ] && head -n 60 $reports
  record "sanitizer reports ($(echo "$reports" | grep -c .) in $VF_ASAN_LOGS)" "$([ -z "$reports" ] && echo 0 || echo 1)"
fi

[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
summary
[ "$failed" -eq 0 ]
