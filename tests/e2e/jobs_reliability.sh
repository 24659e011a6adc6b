#!/usr/bin/env bash
# Jobs under stress: concurrent logging, kill -9 of a job and of the agent, 200 MB of output.
source "$(dirname "$0")/lib.sh"
GLIA=$1
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
"$GLIA" -w "$WS" compute create --name four --max-concurrent 4 >/dev/null

# 4 concurrent jobs each logging 20,000 values: all 80,000 stored, none duplicated, in step order.
cat >"$WORK/log.py" <<'PY'
import sys
from glia import Run
run = Run.get_context()
for i in range(20000):
    run.log("v", i * 0.5)
PY
cat >"$WORK/many.yml" <<YML
command: python3 $WORK/log.py
compute: four
YML
IDS=()
for _ in 1 2 3 4; do IDS+=("$(submit "$WS" "$WORK/many.yml")"); done
for id in "${IDS[@]}"; do wait_status "$WS" "$id" Completed 60; done
for id in "${IDS[@]}"; do
  "$GLIA" -w "$WS" run metrics "$id" --name v -o json | python3 -c '
import json, sys
s = json.load(sys.stdin)["v"]
assert len(s) == 20000, len(s)
assert [p["step"] for p in s] == list(range(20000)), "steps out of order or duplicated"
assert [p["value"] for p in s] == [i * 0.5 for i in range(20000)], "values differ"
' || fail "run $id lost or duplicated values"
done
echo "4 concurrent jobs: 80000 values stored"

# A job that ends with a large backlog in its tracking file: every value exactly once (the
# agent's periodic reads and the final read on the finisher thread never overlap).
cat >"$WORK/burst.py" <<'PY'
from glia import Run
run = Run.get_context()
for i in range(400000):
    run.log("burst", i)
PY
printf 'command: python3 %s\n' "$WORK/burst.py" >"$WORK/burst.yml"
BURST=$(submit "$WS" "$WORK/burst.yml")
wait_status "$WS" "$BURST" Completed 60
"$GLIA" -w "$WS" run metrics "$BURST" --name burst -o json | python3 -c '
import json, sys
s = json.load(sys.stdin)["burst"]
assert len(s) == 400000, len(s)
assert sorted(p["value"] for p in s) == list(range(400000)), "values lost or repeated"
assert [p["step"] for p in s] == list(range(400000)), "steps"
' || fail "burst of 400,000 values not stored exactly once"

# kill -9 of a job: Failed, the signal named.
cat >"$WORK/sleep.yml" <<'YML'
command: sleep 3456.5
YML
K=$(submit "$WS" "$WORK/sleep.yml")
wait_status "$WS" "$K" Running
PID=$(run_field "$WS" "$K" pid)
kill -9 "$PID"
wait_status "$WS" "$K" Failed
ERR=$(run_field "$WS" "$K" error)
grep -q "killed by SIGKILL" <<<"$ERR" || fail "kill -9 of a job: $ERR"
[ "$(run_field "$WS" "$K" exit_code)" = 137 ] || fail "exit code after SIGKILL"

# kill -9 of the agent while a job runs: the next CLI call reconciles the run, and every value
# the job's client had written (acknowledged) is in the store.
cat >"$WORK/ack.py" <<'PY'
import time
from glia import Run
run = Run.get_context()
for i in range(5000):
    run.log("acked", i)
print("all values acknowledged", flush=True)
time.sleep(3600)
PY
cat >"$WORK/ack.yml" <<YML
command: python3 $WORK/ack.py
YML
A=$(submit "$WS" "$WORK/ack.yml")
wait_status "$WS" "$A" Running
for ((i = 0; i < 300; i++)); do
  grep -q "all values acknowledged" "$WS/.glia/runs/$A/user_logs/std_log.txt" 2>/dev/null && break
  sleep 0.1
done
AGENT=$(cat "$WS/.glia/agent/$(id -u)/agent.pid")
kill -9 "$AGENT"
sleep 0.2
# Any command reconciles: the run is not left Running.
STATUS=$(run_field "$WS" "$A" status)
[ "$STATUS" = Failed ] || fail "after kill -9 of the agent the run is $STATUS"
ERR=$(run_field "$WS" "$A" error)
grep -q "agent (pid $AGENT) stopped" <<<"$ERR" || fail "reconciled error: $ERR"
N=$("$GLIA" -w "$WS" run metrics "$A" --name acked -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["acked"]))')
[ "$N" = 5000 ] || fail "after kill -9 of the agent $N of 5000 acknowledged values are stored"
! pgrep -f "$WORK/ack.py" >/dev/null || fail "the orphaned job still runs"
FILES=$("$GLIA" -w "$WS" run files "$A")
grep -q "user_logs/std_log.txt" <<<"$FILES" || fail "orphan's log not kept"
# A new job works after the crash (a new agent starts).
T=$(submit "$WS" "$WORK/sleep.yml" --set command=true)
wait_status "$WS" "$T" Completed

# 200 MB of output: the agent's memory stays flat, the log streams whole.
cat >"$WORK/loud.yml" <<'YML'
command: yes 0123456789012345678901234567890123456789012345678 | head -c 200000000
YML
L=$(submit "$WS" "$WORK/loud.yml")
wait_status "$WS" "$L" Completed 120
AGENT=$(cat "$WS/.glia/agent/$(id -u)/agent.pid")
HWM=$(awk '/VmHWM/ {print $2}' "/proc/$AGENT/status")
[ "$HWM" -lt 65536 ] || fail "agent peak memory ${HWM} kB after 200 MB of output"
python3 - "$GLIA" "$WS" "$L" <<'PY' || fail "streaming 200 MB"
import resource, subprocess, sys
glia, ws, run = sys.argv[1:]
p = subprocess.Popen([glia, "-w", ws, "job", "stream", run], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
n = 0
while True:
    chunk = p.stdout.read(1 << 20)
    if not chunk:
        break
    n += len(chunk)
assert p.wait() == 0
assert n == 200_000_000, n
rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
assert rss_kb < 65536, f"job stream peak RSS {rss_kb} kB"
print(f"200 MB streamed: job stream peak RSS {rss_kb} kB")
PY
echo "agent peak RSS ${HWM} kB after 200 MB of output"
# Regressions. A job's background processes end with it. The sleep's length is this test's own:
# ctest runs tests side by side, and e2e.slurm's timed-out job sleeps 4567.5 s (a shared number
# made this check see that job's processes).
cat >"$WORK/bg.yml" <<'YML'
command: sh -c 'sleep 4567.25 >/dev/null 2>&1 &'; echo started
YML
B=$(submit "$WS" "$WORK/bg.yml")
wait_status "$WS" "$B" Completed
sleep 0.2
pgrep -af "sleep 4567.25" && fail "a finished job's background process still runs"
# Bytes that are not UTF-8 on stderr: stored and shown, never a crash.
cat >"$WORK/bytes.yml" <<'YML'
command: printf 'bad \377\376 bytes\n' >&2; exit 4
YML
rc=0
"$GLIA" -w "$WS" job submit -f "$WORK/bytes.yml" --stream >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 4 ] || fail "non-UTF-8 job: exit code $rc"
"$GLIA" -w "$WS" job list -o json >/dev/null || fail "job list -o json after non-UTF-8 stderr"
BAD=$("$GLIA" -w "$WS" job list --limit 1 -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
ERR=$(run_field "$WS" "$BAD" error)
grep -q "bad ?? bytes" <<<"$ERR" || fail "non-UTF-8 error: $ERR"
# A follower never waits forever on a dead agent.
cat >"$WORK/wait.yml" <<'YML'
command: sleep 5678.5
YML
W=$(submit "$WS" "$WORK/wait.yml")
wait_status "$WS" "$W" Running
"$GLIA" -w "$WS" job stream "$W" >/dev/null 2>&1 &
FOLLOWER=$!
sleep 0.3
kill -9 "$(cat "$WS/.glia/agent/$(id -u)/agent.pid")"
for ((i = 0; i < 100; i++)); do kill -0 "$FOLLOWER" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$FOLLOWER" 2>/dev/null; then kill "$FOLLOWER"; fail "job stream hangs after the agent died"; fi
rc=0
wait "$FOLLOWER" || rc=$?
[ "$rc" -eq 1 ] || fail "job stream of a reconciled run: exit code $rc"
[ "$(run_field "$WS" "$W" status)" = Failed ] || fail "run not reconciled"
# 8 submits at once to a workspace with no agent: one agent starts, and it runs all 8 jobs.
WS8="$WORK/ws8"
"$GLIA" workspace init "$WS8" >/dev/null
"$GLIA" -w "$WS8" compute create --name eight --max-concurrent 8 >/dev/null
cat >"$WORK/eight.yml" <<'YML'
command: sleep 1
compute: eight
YML
PIDS=()
for i in 1 2 3 4 5 6 7 8; do
  submit "$WS8" "$WORK/eight.yml" >"$WORK/eight.$i" &
  PIDS+=($!)
done
for p in "${PIDS[@]}"; do wait "$p" || fail "a concurrent submit failed"; done
AGENTS=$(pgrep -fc "glia agent run -w $WS8" || true)
[ "$AGENTS" -eq 1 ] || fail "8 concurrent submits started $AGENTS agents (want 1)"
for i in 1 2 3 4 5 6 7 8; do wait_status "$WS8" "$(cat "$WORK/eight.$i")" Completed 30; done
echo "8 concurrent submits: 1 agent, 8 jobs completed"
echo "PASS jobs_reliability"
