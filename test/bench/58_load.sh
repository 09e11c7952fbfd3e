#!/usr/bin/env bash
# The full load test (test/t/049_load.pl, of which make check runs 20 s with 4 clients):
# 8 pgbench clients predicting and encoding for 10 minutes while a ninth loads, replaces
# and unloads models every few seconds. Prints the clients' and the loader's pgbench
# reports and the backends' private memory (RssAnon) growth; fails on any wrong answer,
# error, or a backend that grew by 1 MB or more in the second half.
#   VF_LOAD_CLIENTS=8 VF_LOAD_SECONDS=600 (defaults here)
set -uo pipefail
source "$VF_ROOT/test/instance.sh"
cd "$VF_ROOT"
dir=build/run/tap/load_bench
rm -rf "$dir"; mkdir -p "$dir"; [ "$(id -u)" -eq 0 ] && chown -R "$VF_TEST_USER" "$dir"
as_test_user env PATH="$VF_BIN:$PATH" TESTDIR="$VF_ROOT/$dir" \
    VF_LOAD_CLIENTS="${VF_LOAD_CLIENTS:-8}" VF_LOAD_SECONDS="${VF_LOAD_SECONDS:-600}" \
    PG_REGRESS=/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress \
    PERL5LIB="/usr/lib/postgresql/15/lib/pgxs/src/test/perl:$VF_ROOT/test/t" \
    prove -v test/t/049_load.pl >"$dir/prove.log" 2>&1
st=$?
grep -E "^# (number of (clients|transactions|failed)|latency average|tps|backends )|^(not )?ok " "$dir/prove.log"
echo "machine load: $(uptime)"
exit $st
