#!/usr/bin/env bash
# Memory of backends sharing one model, and what a load or reload reads.
#
#   model : the NT-v2-50M-shaped encoder of 50_encoder.sh (219 MB safetensors, random weights)
#   memory: 1, 4 and 8 backends at once, each encoding one 1,000-token sequence with it
#           (encode_sequence). When all have finished, while all are still connected, each
#           records from /proc: VmHWM (peak RSS, shared pages it touched included), RssAnon
#           (its private memory: the forward pass's kept scratch, PostgreSQL's own), RssShmem
#           (shared pages it maps) and the /dev/shm segments it maps. Total = the resident size
#           of the distinct segments mapped (the model's, counted once) + the backends' RssAnon.
#           Goal: total <= 1.1 x one copy of the weights + N x one backend's private memory.
#   load  : load_model from a warm page cache (after unload_model), again with replace, and
#           again unchanged (no replace: answers "unchanged"), each timed, with the bytes the
#           backend read (/proc/PID/io rchar, its hashing thread included) over the file size:
#           one pass means the file was read, and hashed, once.
# Env: PGHOST/PGPORT/PGUSER, VF_ROOT, VF_GENERATED, PYTHON; VF_BENCH_MEM_BACKENDS ("1 4 8").
set -euo pipefail
cd "$VF_ROOT"
BACKENDS=${VF_BENCH_MEM_BACKENDS:-1 4 8}
dir=$VF_GENERATED/bench
model=$dir/ntv2_50m
work=$VF_GENERATED/bench/memory
mkdir -p "$dir" "$work"
[ -f "$model/model.safetensors" ] || "$PYTHON" test/reference/bench_encoder_torch.py write "$model"
chmod -R a+rX "$dir"
"$PYTHON" -c "print(('ACGTTGCAATCGGATC' * 400)[:6 * 999])" > "$work/seq1000.txt"
file_bytes=$(du -b -c "$model"/* | tail -1 | cut -f1)
cat "$model"/* > /dev/null   # warm page cache
P() { psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
shmem_kb() { awk '/^Shmem:/ { print $2 }' /proc/meminfo; }
P -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS varformer" \
  -c "SELECT unload_model('bench_mem') FROM models WHERE name = 'bench_mem'" > /dev/null

# CPU time besides wall time: on a busy machine the load waits for a core, so its wall rate
# says more about the neighbours than about load_model. The backend's main thread from
# /proc/PID/schedstat (ns); the whole process, hashing thread included, from /proc/PID/stat
# (clock ticks: the thread's share is +-1 tick). Both grow on a contended machine too
# (page faults of the new segment and memory copies slow down), so neither replaces a quiet run.
hz=$(getconf CLK_TCK)
echo "-- load_model: time and bytes read by the backend (rchar) / file size ($file_bytes bytes); load: $(uptime | sed 's/.*load/load/')"
load_step() { # load_step LABEL SQL
  P -A -t > "$work/load.out" <<SQL
SELECT pg_backend_pid() AS bpid \gset
\setenv BPID :bpid
\! awk '/^rchar/ { print \$2 }' /proc/\$BPID/io > $work/rchar0; cut -d' ' -f1 /proc/\$BPID/schedstat > $work/main0; awk '{ print \$14 + \$15 }' /proc/\$BPID/stat > $work/all0
\timing on
$2;
\timing off
\! awk '/^rchar/ { print \$2 }' /proc/\$BPID/io > $work/rchar1; cut -d' ' -f1 /proc/\$BPID/schedstat > $work/main1; awk '{ print \$14 + \$15 }' /proc/\$BPID/stat > $work/all1
SQL
  local ms r0 r1 main all
  ms=$(awk '/^Time:/ { print $2 }' "$work/load.out")
  r0=$(cat "$work/rchar0"); r1=$(cat "$work/rchar1")
  main=$(( $(cat "$work/main1") - $(cat "$work/main0") ))
  all=$(( ($(cat "$work/all1") - $(cat "$work/all0")) * 1000 / hz ))
  awk -v l="$1" -v ms="$ms" -v r="$((r1 - r0))" -v b="$file_bytes" -v main="$main" -v all="$all" 'BEGIN {
    m = main / 1e6; h = all - m; if (h < 0) h = 0
    printf "   %-36s %8.1f ms  %5.2f GB/s  read %.2f x the file  CPU: backend %4.0f ms, hash thread %4.0f ms\n", l, ms, b / (ms / 1000) / 1e9, r / b, m, h }'
}
shm0=$(shmem_kb)
for i in 1 2 3; do
  load_step "load (after unload), run $i" "SELECT load_model('bench_mem', 'generated/bench/ntv2_50m')"
  [ $i -lt 3 ] && P -c "SELECT unload_model('bench_mem')" > /dev/null
done
shm1=$(shmem_kb)
load_step "reload with replace" "SELECT load_model('bench_mem', 'generated/bench/ntv2_50m', '{\"replace\": true}')"
load_step "reload unchanged (no replace)" "SELECT load_model('bench_mem', 'generated/bench/ntv2_50m')"
P -A -t -c "SELECT 'model in shared memory: ' || bytes || ' bytes' FROM models WHERE name = 'bench_mem'"
weights=$(P -A -t -c "SELECT bytes FROM models WHERE name = 'bench_mem'")

echo "-- memory with N backends encoding at once (1,000 tokens each); load: $(uptime | sed 's/.*load/load/')"
: > "$work/memory.txt"
for n in $BACKENDS; do
  rm -f "$work"/done.* "$work"/proc.* "$work"/shm.*
  pids=()
  for i in $(seq 1 "$n"); do
    P -A -t > /dev/null <<SQL &
\set seq \`cat $work/seq1000.txt\`
SELECT pg_backend_pid() AS bpid \gset
\setenv BPID :bpid
SELECT dims(encode_sequence(:'seq', 'bench_mem'));
\! touch $work/done.$i
\! while [ \$(ls $work/done.* | wc -l) -lt $n ]; do sleep 0.05; done
\! awk '\$6 ~ /^\/dev\/shm\// { print \$6 }' /proc/\$BPID/maps | sort -u > $work/shm.$i
\! (grep -E '^(VmHWM|RssAnon|RssShmem):' /proc/\$BPID/status; grep -E '^Pss:' /proc/\$BPID/smaps_rollup) | awk '{ printf "%s %s ", \$1, \$2 } END { print "" }' > $work/proc.$i
\! while [ \$(ls $work/proc.* | wc -l) -lt $n ]; do sleep 0.05; done
\! sleep 0.5
SQL
    pids+=($!)
  done
  while [ "$(ls "$work"/proc.* 2>/dev/null | wc -l)" -lt "$n" ]; do sleep 0.05; done
  # the shared memory these backends map: the distinct /dev/shm segments (the model's and
  # any other), counted once each, as much of each as is resident (tmpfs blocks)
  shm=$(cat "$work"/shm.* | sort -u | xargs -r du -k -c | awk 'END { print $1 + 0 }')
  nseg=$(cat "$work"/shm.* | sort -u | wc -l)
  for p in "${pids[@]}"; do wait "$p"; done
  for i in $(seq 1 "$n"); do echo "$n $shm $nseg $(cat "$work/proc.$i")" >> "$work/memory.txt"; done
done

"$PYTHON" - "$work/memory.txt" "$weights" "$shm0" "$shm1" <<'PY'
import statistics, sys
weights = int(sys.argv[2]) / 1048576
shm0, shm1 = int(sys.argv[3]) / 1024, int(sys.argv[4]) / 1024
rows = {}
for l in open(sys.argv[1]):
    f = l.split()
    n, shm, nseg = int(f[0]), int(f[1]) / 1024, int(f[2])
    kv = {f[i].rstrip(":"): int(f[i + 1]) / 1024 for i in range(3, len(f), 2)}
    rows.setdefault(n, []).append((shm, nseg, kv))
print("weights (one copy, in shared memory): %.1f MB; the machine's Shmem grew %.1f MB with the load (other users' too)" % (weights, shm1 - shm0))
print("%3s | %-24s | %-24s | %-18s | %-18s | %s" % ("N", "peak RSS / backend, MB", "private (RssAnon), MB", "RssShmem / backend", "DSM segments, MB", "total MB vs goal"))
scratch1 = None
ok = True
for n in sorted(rows):
    r = rows[n]
    hwm = [kv["VmHWM"] for _, _, kv in r]
    anon = [kv["RssAnon"] for _, _, kv in r]
    shmap = [kv["RssShmem"] for _, _, kv in r]
    shm, nseg = r[0][0], r[0][1]
    if scratch1 is None:
        scratch1 = statistics.median(anon)
    total = shm + sum(anon)
    goal = 1.1 * weights + n * scratch1
    ok &= total <= goal
    print("%3d | %6.1f [%6.1f-%6.1f]   | %6.1f [%6.1f-%6.1f]   | %6.1f             | %6.1f in %d         | %.1f <= %.1f (1.1 x %.0f + %d x %.1f): %s"
          % (n, statistics.median(hwm), min(hwm), max(hwm), statistics.median(anon), min(anon), max(anon),
             statistics.median(shmap), shm, nseg, total, goal, weights, n, scratch1, "yes" if total <= goal else "NO"))
print("memory goal (total <= 1.1 x weights + N x one backend's private memory): %s" % ("met" if ok else "NOT met"))
PY
P -c "SELECT unload_model('bench_mem')" > /dev/null
