#!/usr/bin/env bash
# Slurm targets, regressions (run through scripts/with-slurm.sh): a job's limits.timeout counts
# from the moment Slurm runs it, not from its submission (a job pending in a busy or down
# partition is not "timed out" before it ran); a cancel whose scancel failed (Slurm busy) is
# sent again instead of leaving the run CancelRequested for as long as the job runs.
source "$(dirname "$0")/lib.sh"
GLIA=$1
[ -n "${SLURM_CONF:-}" ] || fail "no SLURM_CONF: run this through scripts/with-slurm.sh"
PARTITION=${WITH_SLURM_PARTITION:-debug}
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
"$GLIA" -w "$WS" compute create --name cpu-cluster --type slurm --partition "$PARTITION" >/dev/null
trap 'scontrol update PartitionName="$PARTITION" State=UP >/dev/null 2>&1 || true; stop_agents; rm -rf "$WORK"' EXIT

# ---- limits.timeout counts from Running: 3 s pending in a down partition, then it runs.
scontrol update PartitionName="$PARTITION" State=DOWN
cat >"$WORK/pend.yml" <<'YML'
command: echo ran-ok
compute: azureml:cpu-cluster
limits:
  timeout: 3
YML
PEND=$(submit "$WS" "$WORK/pend.yml")
sleep 6
ST=$(run_field "$WS" "$PEND" status)
case "$ST" in Queued | Preparing | Starting) ;; *)
  fail "a job pending in Slurm ended $ST before it ran: $(run_field "$WS" "$PEND" error)" ;;
esac
scontrol update PartitionName="$PARTITION" State=UP
wait_status "$WS" "$PEND" Completed 60

# ---- A cancel whose first scancel fails is sent again (by an agent started with its PATH).
AGENT_PID=$(cat "$(find "$WS/.glia/agent" -name agent.pid | head -1)")
kill "$AGENT_PID" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
mkdir -p "$WORK/bin"
REAL_SCANCEL=$(command -v scancel)
cat >"$WORK/bin/scancel" <<SH
#!/bin/sh
if [ ! -e "$WORK/scancel-failed" ]; then
  : >"$WORK/scancel-failed"
  echo "scancel: error: Socket timed out on send/recv operation" >&2
  exit 1
fi
exec "$REAL_SCANCEL" "\$@"
SH
chmod +x "$WORK/bin/scancel"
cat >"$WORK/long.yml" <<'YML'
command: sleep 3457.5
compute: azureml:cpu-cluster
YML
CAN=$(PATH="$WORK/bin:$PATH" submit "$WS" "$WORK/long.yml")
wait_status "$WS" "$CAN" Running 60
"$GLIA" -w "$WS" job cancel --no-wait "$CAN" >/dev/null
wait_status "$WS" "$CAN" Canceled 40
[ -e "$WORK/scancel-failed" ] || fail "the agent did not use the failing scancel (PATH)"
! pgrep -f "sleep 3457.5" >/dev/null || fail "canceled job still running"
echo "slurm_cancel_timeout.sh: ok"
