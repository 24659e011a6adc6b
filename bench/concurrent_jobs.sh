#!/usr/bin/env bash
# Wall time of N seed trainings run at once through the local agent (docs/jobs.md, "Threads"),
# side by side: as Glia ran them before thread shares (every job all the cores, libgomp's default
# spin-wait) and as it runs them now (each job its share, passive waits).
# Usage: bash bench/concurrent_jobs.sh [BIN_DIR] [N]   (BIN_DIR: where glia and
# glia-keras-mnist are, default build/bin; N: jobs, default 4). Prints each job's threads and
# its run duration (Running → Completed) from `glia job show`. Run it on an idle machine.
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
N=${2:-4}
DATA=${GLIA_BENCH_DATA:-/usr/share/datasets/fashion-mnist}
WORK=$(mktemp -d)
trap 'for f in "$WORK"/*/.glia/agent/*/agent.pid; do kill "$(cat "$f" 2>/dev/null)" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

# run_set NAME TARGET_FLAGS ENV_YAML: N jobs at once in a fresh workspace; prints their times.
run_set() {
  local ws="$WORK/$1" ids=() id s
  "$BIN/glia" workspace init "$ws" >/dev/null
  "$BIN/glia" -w "$ws" compute create --name bench --max-concurrent "$N" $2 >/dev/null
  cat >"$WORK/$1.yml" <<YML
command: glia-keras-mnist --data-folder $DATA --epochs 2 --verbose 0
compute: bench
experiment_name: concurrent
$3
YML
  local t0
  t0=$(date +%s.%N)
  for ((i = 0; i < N; i++)); do
    ids+=("$("$BIN/glia" -w "$ws" job submit -f "$WORK/$1.yml" -o json |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')")
  done
  for id in "${ids[@]}"; do
    while :; do
      s=$("$BIN/glia" -w "$ws" job show "$id" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
      case $s in Completed) break ;; Failed | Canceled) echo "job $id: $s" >&2; exit 1 ;; esac
      sleep 0.1
    done
  done
  echo "== $1: all $N done $(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)") s after the first submit"
  for id in "${ids[@]}"; do
    "$BIN/glia" -w "$ws" job show "$id" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
p = j.get("properties", {})
print("  threads %-3s %6.2f s  (%s)" % (p.get("threads", "?"), j["duration_seconds"], p.get("threads_from", "")))'
  done
}

cores=$(nproc)
run_set oversubscribed "--threads-per-job $cores" 'environment_variables: {GOMP_SPINCOUNT: "300000"}'
run_set shared "" ""
