#!/usr/bin/env bash
# A cohort on 1 and 2 shards (tools/shard/setup.sh: a coordinator and N shards on this
# machine, loopback TCP), elastic-net predictions (a PredictDB model: about a microsecond a
# prediction, so what the coordinator adds is visible; a deep model's milliseconds would hide it).
#
#   data : simulated phased VCF (tools/simulate_vcf.py), N samples x (genes x SNPs) SNVs, a
#          PredictDB model of the genes (random weights), written through the coordinator
#   per shard : the query the coordinator ships, run on the shard itself (one backend, as
#          postgres_fdw's cursor runs it: PostgreSQL never plans a cursor's query parallel)
#   through the coordinator:
#          cohort_prediction_mean(all genes): the shards compute, one row per shard and gene
#            comes back (what scales);
#          cohort_predict(all genes): every prediction comes back as a row: minus the above,
#            the coordinator's cost per row (fetch_size 10000, and postgres_fdw's default 100);
#          cohort_prediction_mean(one gene) minus the slowest shard's own time for it: the
#            cost per query (model check on every shard, planning, round trips);
#   one server: the 1-shard cluster's shard alone is one server, serial; the same cohort with
#          the row-parallel scan (2 workers + leader): what one server of this machine does
#          with its cores.
#   join order on a shard: the shipped query over 100 of the shard's people x all genes, with
#          the views as shipped (people outside the gene list: shard_gene_ids) and with the
#          gene list joined as before (model_gene_ids; the planner then put genes outside);
#   PL/Proxy (postgresql-15-plproxy, when installed): the same cohort, a RUN ON ALL function
#          calling a function on every shard (predict_expression over its cohort x the genes:
#          per-gene count and sum, or every row), 1 and 2 shards, same data. No model check
#          (PL/Proxy has none), so its per-query time is compared with the postgres_fdw
#          query's minus shard_assert_models.
# Best of 3 (each a warm session); throughput in predictions (sample x gene) per second.
set -euo pipefail
N_SAMPLES=${VF_BENCH_SHARD_SAMPLES:-4000}
N_GENES=${VF_BENCH_SHARD_GENES:-100}
SNPS=${VF_BENCH_SHARD_SNPS:-20}
N_SITES=$((N_GENES * SNPS))
PORT0=${VF_BENCH_SHARD_PORT:-5460}
dir="$VF_GENERATED/bench/shard"
mkdir -p "$dir"
vcf="$dir/cohort_${N_SAMPLES}x${N_SITES}.vcf.gz"
db="$dir/model_${N_GENES}x${SNPS}.db"
if [ ! -f "$vcf.tbi" ]; then
  "$PYTHON" "$VF_ROOT/tools/simulate_vcf.py" "$N_SAMPLES" "$N_SITES" chr22 90 | bgzip -c > "$vcf.tmp"
  mv "$vcf.tmp" "$vcf"
  tabix -f -p vcf "$vcf"
fi
zcat "$vcf" | grep -v '^#' | cut -f1-5 | "$PYTHON" -c '
import random, sqlite3, sys, os
path, per = sys.argv[1], int(sys.argv[2])
sites = [l.rstrip("\n").split("\t") for l in sys.stdin]
if os.path.exists(path):
    os.remove(path)
rng = random.Random(90)
db = sqlite3.connect(path)
db.execute("CREATE TABLE weights (gene TEXT, rsid TEXT, varID TEXT, ref_allele TEXT, eff_allele TEXT, weight DOUBLE)")
db.execute("CREATE TABLE extra (gene TEXT, genename TEXT, \"n.snps.in.model\" INTEGER, \"pred.perf.R2\" DOUBLE, \"pred.perf.pval\" DOUBLE, \"pred.perf.qval\" DOUBLE)")
for g in range(len(sites) // per):
    gene = "ENSG%011d.1" % (g + 1)
    for chrom, pos, rsid, ref, alt in sites[g * per:(g + 1) * per]:
        r, e = (ref, alt) if rng.random() < 0.5 else (alt, ref)
        db.execute("INSERT INTO weights VALUES (?,?,?,?,?,?)",
                   (gene, rsid, "%s_%s_%s_%s_b38" % (chrom, pos, ref, alt), r, e, round(rng.uniform(-0.5, 0.5), 6)))
    db.execute("INSERT INTO extra VALUES (?,?,?,?,?,?)", (gene, "G%d" % g, per, 0.1, 1e-3, 1e-2))
db.commit()
' "$db" "$SNPS"
chmod -R a+rX "$dir"
region="chr22:1-$((16000000 + N_SITES * 200))"
cat > "$dir/load.sql" <<SQL
SELECT load_model('bm', '$db', '{"replace": true}');
SQL
cat > "$dir/cohort.sql" <<SQL
INSERT INTO cohort SELECT sample, gt FROM read_genotypes('$vcf', '$region');
SQL
preds=$((N_SAMPLES * N_GENES))
[ "$(id -u)" -eq 0 ] && owner=${VF_SHARD_USER:-varformer_test} || owner=$(id -un)
export VF_SHARD_BIN=$VF_BIN
psql_at() { # psql_at PORT: a script from stdin, as the instances' owner
  local port=$1; shift
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$owner" -- "$VF_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$owner" -d postgres "$@"
  else
    "$VF_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$owner" -d postgres "$@"
  fi
}
best() { # best PORT SQL [SETUP]: the least of 3 timings in one session, in seconds
  local port=$1 sql=$2 setup=${3:-}
  printf '%s\n\\timing on\n%s;\n%s;\n%s;\n' "$setup" "$sql" "$sql" "$sql" | psql_at "$port" \
    | awk '/^Time: / { t = $2 / 1000; if (m == "" || t < m) m = t } END { printf "%.4f", m }'
}
median() { # median PORT SQL N: the median of N timings in one session (after one warm-up)
  local port=$1 sql=$2 n=$3
  { echo '\timing on'; for _ in $(seq 0 "$n"); do echo "$sql;"; done; } | psql_at "$port" \
    | awk '/^Time: / { if (seen++) print $2 / 1000 }' | sort -g | awk '{ t[NR] = $1 } END { printf "%.4f", t[int((NR + 1) / 2)] }'
}

genes="ARRAY(SELECT gene FROM predictdb_genes('bm') ORDER BY gene)"
one_gene="ENSG00000000001.1"
shipped_agg="SELECT shard, gene, count(grex), sum(grex) FROM public.cohort_predictions WHERE model = 'bm' AND gene = ANY ($genes) GROUP BY 1, 2"
shipped_one="SELECT shard, gene, count(grex), sum(grex) FROM public.cohort_predictions WHERE model = 'bm' AND gene = ANY ('{$one_gene}') GROUP BY 1, 2"
coord_mean="SELECT count(*), sum(n), sum(mean) FROM cohort_prediction_mean($genes, 'bm')"
coord_rows="SELECT count(*), sum(grex) FROM cohort_predict($genes, 'bm')"
coord_one="SELECT * FROM cohort_prediction_mean('{$one_gene}', 'bm')"
declare -A result
# PL/Proxy, if its package is installed (make bench installs it with tools/install-deps.sh;
# the private installation copies the system's PostgreSQL 15 with it)
plproxy=0
[ -f "$VF_BIN/../lib/plproxy.so" ] && plproxy=1
# (the gene list a LATERAL reference to the person, as in tools/shard/shard.sql: with a plain
# CROSS JOIN unnest(genes) the planner put the genes outside and every call decoded again)
plproxy_shard_sql="
CREATE OR REPLACE FUNCTION plx_cohort_mean(genes text[], model text)
RETURNS TABLE (gene text, n bigint, s double precision)
LANGUAGE sql STABLE STRICT SET max_parallel_workers_per_gather = 0 AS \$\$
    SELECT y.gene, count(y.x), sum(y.x)
    FROM (SELECT g.gene, predict_expression(c.gt, g.gene, model) AS x
          FROM cohort c CROSS JOIN LATERAL (SELECT x FROM unnest(genes) x WHERE c.tableoid IS NOT NULL OFFSET 0) g(gene)) y
    GROUP BY y.gene
\$\$;
CREATE OR REPLACE FUNCTION plx_cohort_predict(genes text[], model text)
RETURNS TABLE (sample text, gene text, grex double precision)
LANGUAGE sql STABLE STRICT SET max_parallel_workers_per_gather = 0 AS \$\$
    SELECT c.sample, g.gene, predict_expression(c.gt, g.gene, model)
    FROM cohort c CROSS JOIN LATERAL (SELECT x FROM unnest(genes) x WHERE c.tableoid IS NOT NULL OFFSET 0) g(gene)
\$\$;"
plproxy_coord_sql() { # plproxy_coord_sql BASE N: the cluster and the RUN ON ALL functions
  local base=$1 n=$2 parts="" k
  for k in $(seq 1 "$n"); do parts+="${parts:+, }p$((k - 1)) 'host=127.0.0.1 port=$((base + k)) dbname=postgres'"; done
  cat <<SQL
CREATE EXTENSION IF NOT EXISTS plproxy;
CREATE SERVER plx FOREIGN DATA WRAPPER plproxy OPTIONS (connection_lifetime '1800', $parts);
CREATE USER MAPPING FOR PUBLIC SERVER plx;
CREATE FUNCTION plx_cohort_mean(genes text[], model text) RETURNS TABLE (gene text, n bigint, s double precision)
LANGUAGE plproxy AS \$\$ CLUSTER 'plx'; RUN ON ALL; \$\$;
CREATE FUNCTION plx_cohort_predict(genes text[], model text) RETURNS TABLE (sample text, gene text, grex double precision)
LANGUAGE plproxy AS \$\$ CLUSTER 'plx'; RUN ON ALL; \$\$;
SQL
}
plx_mean="SELECT count(*), sum(n), sum(mean) FROM (SELECT gene, sum(n) AS n, sum(s) / sum(n) AS mean FROM plx_cohort_mean($genes, 'bm') GROUP BY gene) a"
plx_rows="SELECT count(*), sum(grex) FROM plx_cohort_predict($genes, 'bm')"
plx_one="SELECT gene, sum(n), sum(s) / sum(n) FROM plx_cohort_mean('{$one_gene}', 'bm') GROUP BY gene"
for n in 1 2; do
  base=$((PORT0 + 10 * (n - 1)))
  cdir="$dir/cluster$n"
  bash "$VF_ROOT/tools/shard/setup.sh" stop "$cdir" 2>/dev/null || true
  rm -rf "$cdir"
  VF_SHARD_PORT=$base bash "$VF_ROOT/tools/shard/setup.sh" start "$cdir" "$n" "$dir/load.sql" "$dir/cohort.sql" >/dev/null
  trap 'bash "$VF_ROOT/tools/shard/setup.sh" stop "$cdir"' EXIT
  for k in $(seq 1 "$n"); do
    rows=$(echo "SELECT count(*) FROM cohort" | psql_at $((base + k)))
    t=$(best $((base + k)) "$shipped_agg" "SET max_parallel_workers_per_gather = 0;")
    t1=$(best $((base + k)) "$shipped_one" "SET max_parallel_workers_per_gather = 0;")
    echo "$n shard(s), shard s$k: $rows people, the shipped aggregate alone: $t s, $(awk -v r="$rows" -v g="$N_GENES" -v t="$t" 'BEGIN { printf "%.0f", r * g / t }') predictions/s"
    result[$n,slowest_one]=$(awk -v a="${result[$n,slowest_one]:-0}" -v b="$t1" 'BEGIN { print (b > a ? b : a) }')
  done
  check=$(echo "$coord_mean" | psql_at "$base")
  result[$n,mean]=$(best "$base" "$coord_mean")
  result[$n,rows]=$(best "$base" "$coord_rows")
  result[$n,rows100]=$(best "$base" "$coord_rows" "$(for k in $(seq 1 "$n"); do echo "ALTER SERVER s$k OPTIONS (SET fetch_size '100');"; done)")
  for k in $(seq 1 "$n"); do echo "ALTER SERVER s$k OPTIONS (SET fetch_size '10000');"; done | psql_at "$base"
  # without async_capable the Append asks the shards one after the other
  result[$n,sync]=$(best "$base" "$coord_mean" "$(for k in $(seq 1 "$n"); do echo "ALTER SERVER s$k OPTIONS (SET async_capable 'false');"; done)")
  for k in $(seq 1 "$n"); do echo "ALTER SERVER s$k OPTIONS (SET async_capable 'true');"; done | psql_at "$base"
  result[$n,one]=$(median "$base" "$coord_one" 9)
  result[$n,check]=$(median "$base" "SELECT shard_assert_models('{bm}')" 9)
  echo "$n shard(s) through the coordinator: genes|sum(n)|sum of means = $check"
  if [ "$plproxy" -eq 1 ]; then
    for k in $(seq 1 "$n"); do echo "$plproxy_shard_sql" | psql_at $((base + k)); done
    plproxy_coord_sql "$base" "$n" | psql_at "$base"
    echo "$n shard(s) through PL/Proxy: genes|sum(n)|sum of means = $(echo "$plx_mean" | psql_at "$base")"
    result[$n,plx_mean]=$(best "$base" "$plx_mean")
    result[$n,plx_rows]=$(best "$base" "$plx_rows")
    result[$n,plx_one]=$(median "$base" "$plx_one" 9)
  fi
  if [ "$n" -eq 1 ]; then
    # one server: the cohort on the shard itself, the row-parallel scan over it
    one="SELECT count(*), sum(predict_expression(c.gt, g.gene, 'bm')) FROM cohort c CROSS JOIN predictdb_genes('bm') g"
    result[one,parallel]=$(best $((base + 1)) "$one" "SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0;")
    echo "one server: $(echo "$one" | psql_at $((base + 1)))"
    # join order: 100 people (in a transaction rolled back), every gene; the views as shipped
    # and the gene list joined as before shard_gene_ids (the planner's choice by cost)
    echo "CREATE OR REPLACE VIEW cohort_predictions_by_cost AS
      SELECT 's1'::text AS shard, c.sample, m.name AS model, k.gene, p.grex
      FROM model_catalog m CROSS JOIN LATERAL model_gene_ids(m.name) k(gene) CROSS JOIN cohort c
      CROSS JOIN LATERAL (SELECT predict_expression(c.gt, k.gene, m.name) AS grex OFFSET 0) p" | psql_at $((base + 1))
    few="BEGIN; DELETE FROM cohort WHERE sample NOT IN (SELECT sample FROM cohort ORDER BY sample LIMIT 100); ANALYZE cohort;
         SET max_parallel_workers_per_gather = 0; SET cursor_tuple_fraction = 1;"
    # the gene ids as a constant, as postgres_fdw ships a custom plan's array
    lit=$(echo "SELECT array_agg(gene ORDER BY gene)::text FROM predictdb_genes('bm')" | psql_at $((base + 1)))
    shipped_lit="SELECT shard, gene, count(grex), sum(grex) FROM public.cohort_predictions WHERE model = 'bm' AND gene = ANY ('$lit'::text[]) GROUP BY 1, 2"
    result[order,people]=$(best $((base + 1)) "$shipped_lit" "$few")
    result[order,cost]=$(best $((base + 1)) "${shipped_lit/public.cohort_predictions/public.cohort_predictions_by_cost}" "$few")
    result[order,plan]=$(printf '%s\nEXPLAIN %s;\n' "$few" "${shipped_lit/public.cohort_predictions/public.cohort_predictions_by_cost}" | psql_at $((base + 1)) \
      | grep -oE '(Seq Scan on cohort|Function Scan on model_gene_ids)' | head -n 1)
  fi
  bash "$VF_ROOT/tools/shard/setup.sh" stop "$cdir"
  trap - EXIT
done

echo "data: $N_SAMPLES people x $N_GENES genes ($SNPS SNPs each) = $preds predictions; $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v p="$preds" -v g="$N_GENES" -v s="$N_SAMPLES" \
    -v op="${result[one,parallel]}" \
    -v m1="${result[1,mean]}" -v m2="${result[2,mean]}" -v y2="${result[2,sync]}" -v r1="${result[1,rows]}" -v r2="${result[2,rows]}" \
    -v h1="${result[1,rows100]}" -v h2="${result[2,rows100]}" -v q1="${result[1,one]}" -v q2="${result[2,one]}" \
    -v w1="${result[1,slowest_one]}" -v w2="${result[2,slowest_one]}" -v c1="${result[1,check]}" -v c2="${result[2,check]}" \
    -v op1="${result[order,people]}" -v oc1="${result[order,cost]}" -v opl="${result[order,plan]}" -v plx="$plproxy" \
    -v xm1="${result[1,plx_mean]:-0}" -v xm2="${result[2,plx_mean]:-0}" -v xr1="${result[1,plx_rows]:-0}" -v xr2="${result[2,plx_rows]:-0}" \
    -v xo1="${result[1,plx_one]:-0}" -v xo2="${result[2,plx_one]:-0}" 'BEGIN {
  printf "one server, 2 workers + leader              : %.3f s  %.0f predictions/s\n", op, p / op
  printf "per-gene means through the coordinator, 1 shard : %.3f s  %.0f predictions/s\n", m1, p / m1
  printf "per-gene means through the coordinator, 2 shards: %.3f s  %.0f predictions/s (%.2fx 1 shard)\n", m2, p / m2, m1 / m2
  printf "  the same without async_capable (shards one after the other): %.3f s  %.0f predictions/s\n", y2, p / y2
  printf "every prediction as a row, 1 shard: %.3f s (fetch_size 100: %.3f s): coordinator +%.2f us a row (%.2f us)\n", r1, h1, (r1 - m1) / p * 1e6, (h1 - m1) / p * 1e6
  printf "every prediction as a row, 2 shards: %.3f s (fetch_size 100: %.3f s): coordinator +%.2f us a row (%.2f us)\n", r2, h2, (r2 - m2) / p * 1e6, (h2 - m2) / p * 1e6
  printf "per query (one gene, median of 9), 1 shard: %.1f ms, the shard itself %.1f ms: +%.1f ms (model check alone %.1f ms)\n", q1 * 1e3, w1 * 1e3, (q1 - w1) * 1e3, c1 * 1e3
  printf "per query (one gene, median of 9), 2 shards: %.1f ms, the slower shard itself %.1f ms: +%.1f ms (model check alone %.1f ms)\n", q2 * 1e3, w2 * 1e3, (q2 - w2) * 1e3, c2 * 1e3
  printf "join order on a shard, 100 people x %d genes: people outside (shard_gene_ids) %.3f s; by cost (planner put %s outside) %.3f s (%.1fx)\n", g, op1, (opl ~ /cohort/ ? "people" : "genes"), oc1, oc1 / op1
  if (plx == 1) {
    printf "PL/Proxy RUN ON ALL, per-gene count+sum, 1 shard : %.3f s  %.0f predictions/s\n", xm1, p / xm1
    printf "PL/Proxy RUN ON ALL, per-gene count+sum, 2 shards: %.3f s  %.0f predictions/s (%.2fx 1 shard)\n", xm2, p / xm2, xm1 / xm2
    printf "PL/Proxy every prediction as a row, 1 / 2 shards: %.3f / %.3f s: +%.2f / %.2f us a row over its aggregate\n", xr1, xr2, (xr1 - xm1) / p * 1e6, (xr2 - xm2) / p * 1e6
    printf "PL/Proxy per query (one gene, median of 9), 1 / 2 shards: %.1f / %.1f ms; postgres_fdw minus its model check: %.1f / %.1f ms\n", xo1 * 1e3, xo2 * 1e3, (q1 - c1) * 1e3, (q2 - c2) * 1e3
  } else
    printf "PL/Proxy: not measured (postgresql-15-plproxy is not installed: tools/install-deps.sh installs it)\n"
}'
