#!/usr/bin/env bash
# Runs every SQL statement of README.md's "SQL tour" on the instance `make demo KEEP=1` left
# running, one by one, and says which fail: the tour is written against the demo's tables,
# models and files. Afterwards it drops what the tour created (tables items, cohort_sim2;
# models nt, lm, lm_1kb, enformer_raw, blend).
#   tools/demo/tour.sh [PSQL-COMMAND...]   default: the demo instance's psql as make demo prints it
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
if [ $# -eq 0 ]; then
  source test/instance.sh
  set -- "$VF_BIN/psql" -h "$VF_BUILD/demo/run/sock" -p "$VF_PORT" -U "$VF_OS_USER" -d postgres
fi
psql=("$@" -X -q -v ON_ERROR_STOP=1)
# the tour's code blocks: indented lines between "## SQL tour" and the next "## ", blocks
# that start with SQL (not the directory listings), statements ending in ";"
stmts=$(awk '/^## SQL tour/ {on = 1; next} /^## / {on = 0}
  on && /^    / { line = substr($0, 5); if (!inblock) { inblock = 1; sql = (line ~ /^ *(SELECT|CREATE|INSERT|SET|EXPLAIN|--)/) }
                  if (sql) print line; next }
  on { inblock = 0 }' README.md |
  sed -E 's/^ *--.*$//' | awk 'BEGIN { RS = ";" } { gsub(/^[ \n]+|[ \n]+$/, ""); if ($0 != "") printf "%s;\x1e", $0 }')
ok=0; bad=0
first() { echo "$1" | grep -v '^ *--' | grep -v '^ *$' | head -1 | cut -c1-100; }
IFS=$'\x1e'
for s in $stmts; do
  [ -z "${s//[$' \n']/}" ] && continue
  t0=$(date +%s.%N)
  if out=$("${psql[@]}" -c "$s" 2>&1 >/dev/null); then
    ok=$((ok + 1)); printf 'ok   %5.1fs  %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$(first "$s")"
  else
    bad=$((bad + 1)); printf 'FAIL          %s\n      %s\n' "$(first "$s")" "$out"
  fi
done
unset IFS
"${psql[@]}" -c "DROP TABLE IF EXISTS items, cohort_sim2" \
  -c "SELECT unload_model(name) FROM models WHERE name IN ('nt', 'lm', 'lm_1kb', 'enformer_raw', 'blend')" >/dev/null
echo "$ok statements ran, $bad failed"
[ "$bad" -eq 0 ]
