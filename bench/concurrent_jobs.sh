#!/usr/bin/env bash
# Wall time of N seed trainings run at once through the local agent (docs/jobs.md, "Threads").
# Usage: bash bench/concurrent_jobs.sh [BIN_DIR] [N]   (BIN_DIR: where glia and
# glia-keras-mnist are, default build/bin; N: jobs, default 4). Prints each job's threads and
# its run duration (Running → Completed) from `glia job show`.
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
N=${2:-4}
DATA=${GLIA_BENCH_DATA:-/usr/share/datasets/fashion-mnist}
WORK=$(mktemp -d)
trap 'for f in "$WORK"/ws/.glia/agent/*/agent.pid; do kill "$(cat "$f" 2>/dev/null)" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
"$BIN/glia" workspace init "$WORK/ws" >/dev/null
"$BIN/glia" -w "$WORK/ws" compute create --name bench --max-concurrent "$N" >/dev/null
cat >"$WORK/job.yml" <<YML
command: glia-keras-mnist --data-folder $DATA --epochs 2 --verbose 0
compute: bench
experiment_name: concurrent
YML
ids=()
for ((i = 0; i < N; i++)); do
  ids+=("$("$BIN/glia" -w "$WORK/ws" job submit -f "$WORK/job.yml" -o json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')")
done
for id in "${ids[@]}"; do
  while :; do
    s=$("$BIN/glia" -w "$WORK/ws" job show "$id" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    case $s in Completed) break ;; Failed | Canceled) echo "job $id: $s" >&2; exit 1 ;; esac
    sleep 0.5
  done
done
for id in "${ids[@]}"; do
  "$BIN/glia" -w "$WORK/ws" job show "$id" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
p = j.get("properties", {})
print("%-40s threads %-3s %6.2f s  (%s)" % (j["id"], p.get("threads", "?"), j["duration_seconds"], p.get("threads_from", "no share")))'
done
