#!/usr/bin/env bash
# The test and benchmark driver behind `make check` and `make bench`.
#
#   check: install missing packages, build warning-free (-Werror), install into a private
#          copy of PostgreSQL 15, start an instance with shared_preload_libraries=varformer,
#          then run every test/checks/*.sh (unit tests, golden regeneration, parity runs),
#          every pg_regress test in sql/, and every TAP script in test/t/.
#          Ends with one line "N passed, N failed"; exit status 1 on any failure.
#   bench: same setup, then every test/bench/*.sh; the report goes to build/bench/report.txt.
set -uo pipefail
mode=${1:-check}
source "$(dirname "$0")/instance.sh"
cd "$VF_ROOT"

bash tools/install-deps.sh || exit 1
make -s WERROR=1 all || { echo "build failed (warnings are errors in make check)"; exit 1; }
vf_make_install || exit 1
vf_test_user
trap vf_stop EXIT
vf_start || exit 1

passed=0; failed=0; failures=()
record() { # record NAME STATUS
  if [ "$2" -eq 0 ]; then passed=$((passed+1)); echo "ok     $1"
  else failed=$((failed+1)); failures+=("$1"); echo "FAILED $1"; fi
}

if [ "$mode" = bench ]; then
  mkdir -p build/bench
  : > build/bench/report.txt
  for b in $(ls test/bench/*.sh 2>/dev/null | sort); do
    echo "== $b" | tee -a build/bench/report.txt
    bash "$b" 2>&1 | tee -a build/bench/report.txt
    record "$b" "${PIPESTATUS[0]}"
  done
  echo "report: build/bench/report.txt"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]; exit
fi

# 1. scripted checks (C unit tests, goldens regenerated from the independent tools).
mkdir -p build/checks
for c in $(ls test/checks/*.sh 2>/dev/null | sort); do
  name=$(basename "$c" .sh)
  bash "$c" >"build/checks/$name.log" 2>&1
  st=$?
  [ $st -ne 0 ] && tail -n 40 "build/checks/$name.log"
  record "check $name" $st
done

# 2. pg_regress, one database, tests in file-name order.
tests=$(ls sql/*.sql 2>/dev/null | sort | xargs -n1 basename 2>/dev/null | sed 's/\.sql$//')
if [ -n "$tests" ]; then
  out=build/run/regress
  mkdir -p "$out"; [ "$(id -u)" -eq 0 ] && chown "$VF_TEST_USER" "$out"
  as_test_user /usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress \
      --bindir="$VF_BIN" --host="$VF_SOCK" --port="$VF_PORT" --user="$VF_OS_USER" \
      --inputdir="$VF_ROOT" --outputdir="$out" --dbname=contrib_regression \
      $tests >"$out/pg_regress.log" 2>&1
  rst=$?
  seen=0
  while read -r line; do
    t=$(echo "$line" | sed -E 's/^test +([^ ]+) .*/\1/')
    seen=$((seen+1))
    case "$line" in *" ... ok "*) record "regress $t" 0;; *) echo "$line"; record "regress $t" 1;; esac
  done < <(grep -E '^test ' "$out/pg_regress.log")
  [ $rst -ne 0 ] && [ $seen -eq 0 ] && { tail -n 20 "$out/pg_regress.log"; record "regress (pg_regress itself)" 1; }
  [ -f "$out/regression.diffs" ] && head -n 200 "$out/regression.diffs"
fi

# 3. TAP, each script against clusters it creates itself (PostgreSQL::Test::Cluster).
for t in $(ls test/t/*.pl 2>/dev/null | sort); do
  name=$(basename "$t" .pl)
  dir=build/run/tap/$name
  mkdir -p "$dir"; [ "$(id -u)" -eq 0 ] && chown -R "$VF_TEST_USER" build/run/tap
  as_test_user env PATH="$VF_BIN:$PATH" TESTDIR="$VF_ROOT/$dir" PG_REGRESS=/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress \
      PERL5LIB="/usr/lib/postgresql/15/lib/pgxs/src/test/perl:$VF_ROOT/test/t" \
      prove -v "$t" >"$dir/prove.log" 2>&1
  st=$?
  [ $st -ne 0 ] && { tail -n 60 "$dir/prove.log"; tail -n 30 "$dir"/tmp_check/log/*.log 2>/dev/null; }
  record "tap $name" $st
done

[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
