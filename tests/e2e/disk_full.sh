#!/usr/bin/env bash
# A full disk while a job ends: the run ends Failed naming the disk and keeping the job's exit
# code, `glia job submit --stream` returns, and once space returns the next agent stores every
# value the job was told was written (exactly once) and its outputs. The workspace lives on a
# small tmpfs mounted in a private mount namespace (a user namespace of its own when not root).
if [ -z "${GLIA_DISK_FULL_NS:-}" ]; then
  userns=()
  [ "$(id -u)" -eq 0 ] || userns=(--user --map-root-user)
  exec unshare "${userns[@]}" --mount --propagation private env GLIA_DISK_FULL_NS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
GLIA=$1
DISK="$WORK/disk"
mkdir -p "$DISK"
mount -t tmpfs -o size=64m tmpfs "$DISK"
trap 'stop_agents; umount -l "$DISK" 2>/dev/null; rm -rf "$WORK"' EXIT
WS="$DISK/ws"
"$GLIA" workspace init "$WS" >/dev/null
# Room that the test gives back later: without it the outputs could never be stored.
dd if=/dev/zero of="$DISK/hog" bs=1M count=36 status=none

# The job logs 1,000 values, fills the disk with outputs, then logs until a write fails. It
# writes how many values were acknowledged (the client's write returned) outside the tmpfs.
cat >"$WORK/fill.py" <<PY
import os
from glia import Run
run = Run.get_context()
acked = 0
for i in range(1000):
    run.log("v", i)
    acked += 1
chunk = b"x" * (1 << 20)
os.makedirs("outputs", exist_ok=True)
with open("outputs/small.txt", "w") as f:
    f.write("written before the disk filled up\n")
with open("outputs/fill.bin", "wb", buffering=0) as f:
    try:
        while True:
            f.write(chunk)
    except OSError:
        pass
try:
    for i in range(1000, 3000):
        run.log("v", i)
        acked += 1
except OSError:
    pass
with open("$WORK/acked", "w") as f:
    f.write(str(acked))
PY
cat >"$WORK/fill.yml" <<YML
command: python3 $WORK/fill.py
YML
rc=0
timeout 120 "$GLIA" -w "$WS" job submit -f "$WORK/fill.yml" --stream >"$WORK/stream.out" 2>"$WORK/stream.err" || rc=$?
[ "$rc" -ne 124 ] || fail "job submit --stream did not return on a full disk"
[ "$rc" -ne 0 ] || fail "job submit --stream exited 0 for a run that could not store its outputs"
RUN=$("$GLIA" -w "$WS" job list -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
[ "$(run_field "$WS" "$RUN" status)" = Failed ] || fail "run is $(run_field "$WS" "$RUN" status), not Failed"
[ "$(run_field "$WS" "$RUN" exit_code)" = 0 ] || fail "the job's own exit code was not kept: $(run_field "$WS" "$RUN" exit_code)"
run_field "$WS" "$RUN" error | grep -q "disk full while storing outputs" ||
  fail "error does not name the full disk: $(run_field "$WS" "$RUN" error)"
grep -q "disk full" "$WORK/stream.err" || fail "--stream did not report the reason: $(cat "$WORK/stream.err")"
[ "$(grep -c 'agent' "$WORK/stream.err")" -le 1 ] || fail "--stream repeated agent messages: $(cat "$WORK/stream.err")"
ACKED=$(cat "$WORK/acked")
[ "$ACKED" -ge 1000 ] || fail "the job acknowledged only $ACKED values"
[ -d "$WS/.glia/runs/$RUN" ] || fail "the run's folder (tracking file, outputs) was not kept"
echo "full disk: run $RUN Failed with its reason, exit code 0 kept, $ACKED values acknowledged"

# Space returns; a new agent (the old one is stopped) stores the kept values and outputs.
kill "$(cat "$WS/.glia/agent/$(id -u)/agent.pid")" 2>/dev/null || true
for ((i = 0; i < 100; i++)); do "$GLIA" -w "$WS" agent status | grep -q "no agent" && break; sleep 0.1; done
rm -f "$DISK/hog"
cat >"$WORK/ok.yml" <<YML
command: echo fine
YML
NEXT=$(submit "$WS" "$WORK/ok.yml")
wait_status "$WS" "$NEXT" Completed 60
for ((i = 0; i < 200; i++)); do
  [ -d "$WS/.glia/runs/$RUN" ] || break
  sleep 0.1
done
[ ! -d "$WS/.glia/runs/$RUN" ] || fail "the kept folder of $RUN was never stored: $(df -h "$DISK"; ls -laR "$WS/.glia/runs/$RUN" | head -30; cat "$WS"/.glia/agent/*/agent.log)"
"$GLIA" -w "$WS" run metrics "$RUN" --name v -o json | python3 -c '
import json, sys
acked = int(sys.argv[1])
s = json.load(sys.stdin)["v"]
assert len(s) == acked, "%d values stored, %d acknowledged" % (len(s), acked)
assert [p["value"] for p in s] == list(range(acked)), "values lost, duplicated or out of order"
' "$ACKED" || fail "acknowledged values were lost or duplicated"
"$GLIA" -w "$WS" run files "$RUN" >"$WORK/files"
grep -q "outputs/small.txt" "$WORK/files" || fail "outputs not stored after space returned: $(cat "$WORK/files")"
grep -q "outputs/fill.bin" "$WORK/files" || fail "outputs not stored after space returned: $(cat "$WORK/files")"
[ "$(run_field "$WS" "$RUN" status)" = Failed ] || fail "the run's status changed"
run_field "$WS" "$RUN" properties | grep -q "kept_stored_at" ||
  fail "the run does not say when what it kept was stored: $(run_field "$WS" "$RUN" properties)"
echo "space returned: $ACKED values stored exactly once, outputs stored"
# A run folder that outlives its finish (a detached child writes into it after the job ended) is
# not a kept folder: no kept_stored_at, no "stored what ended runs had kept" (second review).
cat >"$WORK/late.yml" <<'YML'
command: (setsid sh -c 'sleep 1.5; mkdir -p late; echo x > late/f' >/dev/null 2>&1 &); exit 0
YML
LATE=$(submit "$WS" "$WORK/late.yml")
wait_status "$WS" "$LATE" Completed 30
sleep 7  # more than one housekeeping pass of the agent
run_field "$WS" "$LATE" properties | grep -q "kept_stored_at" &&
  fail "a folder that outlived its finish was taken for a kept one: $(run_field "$WS" "$LATE" properties)"
echo "disk_full: all checks passed"
