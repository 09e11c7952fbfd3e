#!/usr/bin/env bash
# make demo: install what is missing, build, start a temporary PostgreSQL instance, load the
# bundled reference, annotation, cohort and trained models (tools/demo/data, tools/demo/models),
# predict expression for every person and gene in SQL, and report each model's accuracy against
# the simulated measurements (tools/demo/report.sql) with a picture (build/demo/demo.png).
#
#   make demo            the instance is stopped at the end
#   make demo KEEP=1     the instance keeps running; the script prints how to connect
#   DEMO_DATA=DIR DEMO_MODELS=DIR make demo   another data set / models (as tools/train_demo.sh writes)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DATA=${DEMO_DATA:-$ROOT/tools/demo/data}
MODELS=${DEMO_MODELS:-$ROOT/tools/demo/models}
t0=$(date +%s.%N)
say() { printf '[demo %6.1fs] %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*"; }

say "packages (tools/install-deps.sh)"
bash tools/install-deps.sh
say "build"
make -s all >/dev/null

source test/instance.sh
# the demo's own instance, beside make check's
VF_RUN=$VF_BUILD/demo/run; VF_DATA=$VF_RUN/data; VF_SOCK=$VF_RUN/sock
OUT=$VF_BUILD/demo
mkdir -p "$OUT"
say "install into a private copy of PostgreSQL 15 and start an instance"
vf_make_install
vf_test_user
vf_stop
vf_start
[ "${KEEP:-0}" = 1 ] || trap vf_stop EXIT
[ "$(id -u)" -eq 0 ] && chown -R "$VF_TEST_USER" "$OUT"
PSQL=("$VF_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$VF_SOCK" -p "$VF_PORT" -U "$VF_OS_USER" -d postgres)

# paths in README's SQL tour are relative to the checkout
"${PSQL[@]}" -c "ALTER DATABASE postgres SET varformer.file_root = '$ROOT'"
say "load reference, annotation, cohort, expression and models"
"${PSQL[@]}" -v data="$DATA" -v models="$MODELS" -f tools/demo/demo.sql

: > "$OUT/timing.tsv"
# Each model predicts every held-out person (the report scores only them) for its genes.
for m in $("${PSQL[@]}" -At -c "SELECT model FROM demo_model ORDER BY model"); do
  genes=$("${PSQL[@]}" -At -c "SELECT genes FROM demo_model WHERE model = '$m'")
  say "predict_expression over the held-out people with model $m ($genes genes); progress: SELECT * FROM varformer_progress"
  s=$(date +%s.%N)
  n=$("${PSQL[@]}" -At -c "CREATE TABLE pred_$m AS
        SELECT c.sample, g.gene_id, '$m'::text AS model, predict_expression(c.gt, g.gene_id, '$m') AS predicted
        FROM cohort c JOIN sample_info s USING (sample) JOIN gene_info g USING (chrom)
        WHERE s.split = 'heldout' AND ('$genes' = 'all' OR g.every_10th)" -c "SELECT count(*) FROM pred_$m")
  e=$(date +%s.%N)
  printf '%s\t%s\t%s\n' "$m" "$n" "$(echo "$e - $s" | bc)" >> "$OUT/timing.tsv"
done
"${PSQL[@]}" -c "CREATE TABLE demo_timing (model text, predictions bigint, seconds float8)" \
  -c "\\copy demo_timing FROM '$OUT/timing.tsv'" \
  -c "CREATE VIEW prediction AS $("${PSQL[@]}" -At -c "SELECT string_agg(format('SELECT * FROM pred_%s', model), ' UNION ALL ') FROM demo_model")"

say "accuracy report"
"${PSQL[@]}" -f tools/demo/report.sql | tee "$OUT/report.txt"

if command -v gnuplot >/dev/null; then
  say "picture: $OUT/demo.png"
  bash tools/demo/plot.sh "${PSQL[@]}" > /dev/null
else
  say "gnuplot not installed: no picture"
fi
say "done"
if [ "${KEEP:-0}" = 1 ]; then
  echo
  echo "The demo instance keeps running. Connect with:"
  echo "  $VF_BIN/psql -h $VF_SOCK -p $VF_PORT -U $VF_OS_USER postgres"
  echo "Tables: cohort, expression, sample_info, gene_info, gene, demo_model, pred_<model>, view prediction."
  echo "Models: $("${PSQL[@]}" -At -c "SELECT string_agg(name, ', ' ORDER BY name) FROM models")."
  echo "README's SQL tour runs there as written (paths relative to $ROOT): tools/demo/tour.sh runs it all."
  echo "Stop it with: $VF_BIN/pg_ctl -D $VF_DATA stop   (as $VF_OS_USER)"
fi
