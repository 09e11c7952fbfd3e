#!/usr/bin/env bash
# Builds a coordinator and N shard servers on this machine, each a PostgreSQL 15 instance
# listening on the loopback address only, and sets them up as README "A cohort on several
# servers" describes: the same reference, annotation and models on every server (one SQL file
# run on each, so every server reads the same files: the same sha256), tools/shard/shard.sql
# on each shard, tools/shard/coordinator.sql and shard_cluster_create on the coordinator,
# then the cohort written through the coordinator (routed to the shards by sample).
#
#   tools/shard/setup.sh start DIR N LOAD.sql [COHORT.sql]   # ports from $VF_SHARD_PORT (5440):
#                                                           # coordinator 5440, shards 5441..
#   tools/shard/setup.sh stop DIR
#
#   LOAD.sql     run on every server, e.g.
#                  SELECT register_reference('GRCh38', '/data/GRCh38.fa.gz', true);
#                  SELECT import_gtf('/data/gencode.v44.gtf.gz');
#                  SELECT load_model('enet_blood', '/models/en_Whole_Blood.db');
#   COHORT.sql   run on the coordinator once the shards are attached, e.g.
#                  INSERT INTO cohort SELECT sample, gt FROM read_genotypes('/data/chr22.vcf.gz', 'chr22');
#                  \copy phenotype FROM 'traits.csv' CSV HEADER
#
# Binaries: pg_config's bindir unless VF_SHARD_BIN is set (it must hold the installed
# extension). As root, the instances run as $VF_SHARD_USER (default varformer_test), since
# initdb refuses root. Connect with: psql -h 127.0.0.1 -p 5440 -d postgres.
# On real machines the same steps run by hand: README gives the recipe.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: setup.sh start DIR N LOAD.sql [COHORT.sql] | stop DIR}
dir=${2:?usage: setup.sh start DIR N LOAD.sql [COHORT.sql] | stop DIR}
bin=${VF_SHARD_BIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
base=${VF_SHARD_PORT:-5440}
user=${VF_SHARD_USER:-varformer_test}

if [ "$(id -u)" -eq 0 ]; then
  as_owner() { runuser -u "$user" -- "$@"; }
  owner=$user
else
  as_owner() { "$@"; }
  owner=$(id -un)
fi

nodes() { # the instances under DIR: coordinator first
  echo coordinator
  ls -d "$dir"/s[0-9]* 2>/dev/null | sort -V | xargs -r -n1 basename
}

if [ "$cmd" = stop ]; then
  for node in $(nodes); do
    [ -f "$dir/$node/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/$node" -m fast -w stop >/dev/null
  done
  exit 0
fi
[ "$cmd" = start ] || { echo "unknown command $cmd" >&2; exit 2; }
n=${3:?number of shards}
load=$(realpath "${4:?LOAD.sql: the reference, annotation and models, run on every server}")
cohort=${5:+$(realpath "$5")}

mkdir -p "$dir"
dir=$(realpath "$dir")
[ "$(id -u)" -eq 0 ] && chown "$owner" "$dir"
psql_at() { # psql_at PORT ARGS...: as the owner, on the loopback address
  local port=$1; shift
  as_owner "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$owner" -d postgres "$@"
}

names=(); hosts=(); ports=(); fresh=0
for i in $(seq 0 "$n"); do
  if [ "$i" -eq 0 ]; then node=coordinator; else node=s$i; names+=("'$node'"); hosts+=("'127.0.0.1'"); ports+=("$((base + i))"); fi
  port=$((base + i))
  if [ ! -d "$dir/$node" ]; then
    [ "$i" -eq 0 ] && fresh=1
    as_owner "$bin/initdb" -D "$dir/$node" -A trust -U "$owner" -E UTF8 --locale=C -N >"$dir/$node.initdb.log" 2>&1 \
      || { cat "$dir/$node.initdb.log"; exit 1; }
    cat >>"$dir/$node/postgresql.conf" <<CONF
shared_preload_libraries = 'varformer'
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
cluster_name = '$node'
track_functions = 'all'      # pg_stat_user_functions shows where predict_expression ran
max_worker_processes = 16
dynamic_shared_memory_type = posix
lc_messages = 'C'
jit = off                    # README Limits: JIT only adds compile time to prediction queries
CONF
  fi
  as_owner "$bin/pg_ctl" -D "$dir/$node" -l "$dir/$node.log" -w start >/dev/null || { tail -n 20 "$dir/$node.log"; exit 1; }
  psql_at "$port" -c 'CREATE EXTENSION IF NOT EXISTS varformer'
  psql_at "$port" -f "$load" >/dev/null
  if [ "$i" -gt 0 ]; then
    psql_at "$port" -v shard="$node" -f "$here/shard.sql"
  fi
done

join() { local IFS=,; echo "$*"; }
psql_at "$base" -f "$here/coordinator.sql"    # CREATE OR REPLACE: a restart refreshes the functions
if [ "$fresh" -eq 1 ]; then
  psql_at "$base" -c "CALL shard_cluster_create(ARRAY[$(join "${names[@]}")], ARRAY[$(join "${hosts[@]}")], ARRAY[$(join "${ports[@]}")], 'postgres')"
  # analysts' own GROUP BY shard queries push their aggregates down too
  psql_at "$base" -c "ALTER DATABASE postgres SET enable_partitionwise_aggregate = on"
  [ -n "$cohort" ] && psql_at "$base" -f "$cohort" >/dev/null
fi
psql_at "$base" -At -c "SELECT 'differences between the servers'' models: ' || count(*) FROM shard_model_differences()"
echo "coordinator: psql -h 127.0.0.1 -p $base -d postgres ($n shards on ports $((base + 1))-$((base + n)))"
