#!/usr/bin/env bash
# Slurm overhead: submit → Running for a trivial job on an idle single-node Slurm, Glia's Slurm
# target (`glia job submit` of `command: "true"`, until the run's history says Running) against
# Slurm alone (`sbatch --wrap true`, until squeue says RUNNING or later). Both measured the same
# way: wall clock from just before the submit command to the first poll (every 10 ms) that sees
# the job running; the first job of each kind is a warm-up (the agent's start) and not counted.
#   bash bench/slurm_overhead.sh [GLIA_CLI] [N]     (needs root; starts its own Slurm)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GLIA=${1:-$ROOT/build/bin/glia}
N=${2:-10}
if [ -z "${SLURM_CONF:-}" ]; then
  exec bash "$ROOT/scripts/with-slurm.sh" bash "$0" "$GLIA" "$N"
fi
[ -x "$GLIA" ] || { echo "slurm_overhead: no glia CLI at $GLIA (build it first)" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'for f in $(find "$WORK" -name agent.pid 2>/dev/null); do kill "$(cat "$f")" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
PART=${WITH_SLURM_PARTITION:-debug}

# Slurm alone.
slurm_once() {
  local t0 id state
  t0=$(now)
  id=$(sbatch --parsable -o /dev/null --wrap true)
  while :; do
    state=$(squeue -h -t all -j "$id" -o %T 2>/dev/null || true)
    case "$state" in PENDING | "") sleep 0.01 ;; *) break ;; esac
  done
  local t1
  t1=$(now)
  python3 -c "print($t1 - $t0)"
}

# Glia on a Slurm target.
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
"$GLIA" -w "$WS" compute create --name cluster --type slurm --partition "$PART" --max-concurrent 100 >/dev/null
printf 'command: "true"\ncompute: azureml:cluster\n' >"$WORK/job.yml"
export GLIA_AGENT_IDLE_EXIT=60
glia_once() {  # prints: wall seconds, the submit command's seconds, Queued → Running in history
  local t0 ts id status
  t0=$(now)
  id=$("$GLIA" -w "$WS" job submit -f "$WORK/job.yml" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  ts=$(now)
  while :; do
    status=$("$GLIA" -w "$WS" job show "$id" -o json | python3 -c '
import json, sys
h = [e["status"] for e in json.load(sys.stdin)["history"]]
print("yes" if any(s in h for s in ("Running", "Finalizing", "Completed", "Failed")) else "no")')
    [ "$status" = yes ] && break
    sleep 0.01
  done
  local t1
  t1=$(now)
  "$GLIA" -w "$WS" job show "$id" -o json | python3 -c '
import datetime, json, sys
at = {e["status"]: datetime.datetime.fromisoformat(e["at"].replace("Z", "+00:00")) for e in json.load(sys.stdin)["history"]}
print('"$t1 - $t0"', '"$ts - $t0"', (at["Running"] - at["Queued"]).total_seconds())'
}

stats() {  # median and mean of the numbers on stdin, in ms
  python3 -c '
import statistics, sys
v = [float(x) * 1000 for x in sys.stdin.read().split()]
print(f"median {statistics.median(v):.0f} ms, mean {statistics.mean(v):.0f} ms, min {min(v):.0f}, max {max(v):.0f} (n={len(v)})")'
}

slurm_once >/dev/null
glia_once >/dev/null
: >"$WORK/slurm.txt"
: >"$WORK/glia.txt"
# Interleaved (the same machine state for both), each after a pause longer than Slurm's
# sched_min_interval (2 s), so that no job waits for the scheduler pass the one before used.
for _ in $(seq "$N"); do
  sleep 2.5
  slurm_once >>"$WORK/slurm.txt"
  sleep 2.5
  glia_once >>"$WORK/glia.txt"
done
echo "sbatch --wrap true → RUNNING:                 $(stats <"$WORK/slurm.txt")"
echo "glia job submit → Running seen (wall):        $(awk '{print $1}' "$WORK/glia.txt" | stats)"
echo "  of which the glia job submit command:       $(awk '{print $2}' "$WORK/glia.txt" | stats)"
echo "  run history Queued → Running (agent+Slurm): $(awk '{print $3}' "$WORK/glia.txt" | stats)"
