#!/usr/bin/env bash
# `glia run track` (interactive runs, docs/python-client.md "Interactive runs"): the run is
# created Running (job_type interactive) with its tracking file, follows the lines appended to it,
# and ends as its stdin says — complete / fail MESSAGE / cancel / nothing (Failed) —; SIGINT is
# ignored, SIGTERM ends it Failed; a tracker killed with SIGKILL leaves a run that the next glia
# command (no agent) or the agent's housekeeping (an agent running) ends Failed, and an agent
# never ends a run whose tracker lives. The same on a connected (remote) folder. Also
# `glia python-path` and `glia run metrics -o json --columns`, with their errors.
source "$(dirname "$0")/lib.sh"
GLIA=$1
cd "$WORK"
"$GLIA" workspace init "$WORK/ws" >/dev/null

# track WS ARGS...: `glia -w WS run track -o json ARGS...` with its stdin on a FIFO held open on
# descriptor 7; sets TPID, RUN, TFILE, SCRATCH.
track() {
  local ws=$1 i
  shift
  rm -f "$WORK/in.fifo" "$WORK/track.out"
  mkfifo "$WORK/in.fifo"
  # SIGINT as a notebook's kernel has it (bash starts background commands with it ignored)
  python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$GLIA" -w "$ws" run track -o json "$@" <"$WORK/in.fifo" >"$WORK/track.out" 2>"$WORK/track.err" &
  TPID=$!
  exec 7>"$WORK/in.fifo"
  for ((i = 0; i < 100; i++)); do
    [ -s "$WORK/track.out" ] && break
    kill -0 "$TPID" 2>/dev/null || fail "run track exited: $(cat "$WORK/track.err")"
    sleep 0.1
  done
  [ "$(wc -l <"$WORK/track.out")" = 1 ] || fail "run track printed: $(cat "$WORK/track.out")"
  read -r RUN TFILE SCRATCH < <(python3 -c '
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert sorted(j) == ["display_name", "experiment", "id", "scratch_dir", "tracking_file"], j
print(j["id"], j["tracking_file"], j["scratch_dir"])' "$WORK/track.out")
  [ -f "$TFILE" ] && [ -d "$SCRATCH" ] || fail "no tracking file or scratch folder"
  case $TFILE in /*) ;; *) fail "tracking file not absolute: $TFILE" ;; esac
}
# end_track [LINE]: writes LINE (if given) and closes stdin; the tracker must exit 0.
end_track() {
  local rc=0
  [ $# -eq 0 ] || printf '%s\n' "$1" >&7
  exec 7>&-
  wait "$TPID" || rc=$?
  [ "$rc" = 0 ] || fail "run track exited $rc: $(cat "$WORK/track.err")"
}
metric() { printf '{"kind":"metric","name":"%s","value":%s}\n' "$2" "$3" >>"$1"; }
field() { run_field "$1" "$2" "$3"; }

# A run followed live, then completed with its metrics, tags and an image from --work-dir.
mkdir -p "$WORK/nb"
printf 'not really a png' >"$WORK/nb/chart.png"
track "$WORK/ws" --experiment nb --display-name "first try" --tag lr=0.1 --work-dir "$WORK/nb"
[ "$(field "$WORK/ws" "$RUN" status)" = Running ] || fail "not Running"
[ "$(field "$WORK/ws" "$RUN" job_type)" = interactive ] || fail "job_type"
[ "$(field "$WORK/ws" "$RUN" display_name)" = "first try" ] || fail "display name"
"$GLIA" -w "$WORK/ws" run list | grep "$RUN" | grep -q " interactive " || fail "run list: no type"
"$GLIA" -w "$WORK/ws" run show "$RUN" | grep -q "^Type: *interactive (glia run track, pid $TPID" ||
  fail "run show: $("$GLIA" -w "$WORK/ws" run show "$RUN")"
for v in 0.9 0.5 0.25; do metric "$TFILE" loss "$v"; done
printf '{"kind":"image","name":"chart","path":"chart.png"}\n' >>"$TFILE"
for ((i = 0; i < 50; i++)); do  # followed while it runs (every ~0.2 s)
  "$GLIA" -w "$WORK/ws" run show "$RUN" -o json | grep -q '"loss"' && break
  sleep 0.1
done
((i < 50)) || fail "the metric was not applied while the run was tracked"
end_track complete
[ "$(field "$WORK/ws" "$RUN" status)" = Completed ] || fail "not Completed"
"$GLIA" -w "$WORK/ws" run metrics "$RUN" -o json --columns >"$WORK/cols.json"
[ "$(wc -l <"$WORK/cols.json")" = 1 ] || fail "--columns is not one line"
python3 - "$WORK/cols.json" <<'PY' || fail "columns: $(cat "$WORK/cols.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["loss"]["value"] == [0.9, 0.5, 0.25], j
assert j["loss"]["step"] == [0, 1, 2], j
assert len(j["loss"]["wall_time"]) == 3, j
PY
"$GLIA" -w "$WORK/ws" run show "$RUN" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["tags"] == {"lr": "0.1"}, j["tags"]
assert [i["name"] for i in j.get("images", [])] == ["chart"], j.get("images")
assert j["properties"]["tracker_work_dir"].endswith("/nb"), j["properties"]' || fail "tags/image"
[ ! -e "$(dirname "$TFILE")" ] || fail "the run folder was not removed"

# fail MESSAGE, cancel, and stdin closed with nothing said.
track "$WORK/ws" --experiment nb
end_track "fail ValueError: the loss diverged"
[ "$(field "$WORK/ws" "$RUN" status)" = Failed ] || fail "fail: not Failed"
[ "$(field "$WORK/ws" "$RUN" error)" = "ValueError: the loss diverged" ] || fail "fail: error"
track "$WORK/ws" --experiment nb
end_track cancel
[ "$(field "$WORK/ws" "$RUN" status)" = Canceled ] || fail "cancel: not Canceled"
track "$WORK/ws" --experiment nb
metric "$TFILE" acc 0.5
end_track
[ "$(field "$WORK/ws" "$RUN" status)" = Failed ] || fail "EOF: not Failed"
[ "$(field "$WORK/ws" "$RUN" error)" = "the process logging the run ended without completing it" ] ||
  fail "EOF: error $(field "$WORK/ws" "$RUN" error)"
"$GLIA" -w "$WORK/ws" run metrics "$RUN" -o json --columns | grep -q '"acc":{"step":\[0\],"value":\[0.5\]' ||
  fail "EOF: the last metric was not applied"

# A line that is no ending is reported, not applied; SIGINT is ignored; SIGTERM = EOF unsaid.
track "$WORK/ws" --experiment nb
printf 'finish\n' >&7
kill -INT "$TPID"
sleep 0.5
kill -0 "$TPID" 2>/dev/null || fail "SIGINT ended the tracker"
end_track complete
grep -q "stdin line 'finish': expected complete, fail MESSAGE or cancel; ignored" "$WORK/track.err" ||
  fail "bad line not reported: $(cat "$WORK/track.err")"
[ "$(field "$WORK/ws" "$RUN" status)" = Completed ] || fail "after SIGINT: not Completed"
track "$WORK/ws" --experiment nb
kill -TERM "$TPID"
rc=0
wait "$TPID" || rc=$?
exec 7>&-
[ "$rc" = 0 ] || fail "SIGTERM: exit $rc"
[ "$(field "$WORK/ws" "$RUN" status)" = Failed ] || fail "SIGTERM: not Failed"
# SIGTERM after the parent said how the run ended (the line waiting on stdin, unread when the
# signal comes: the tracker stopped meanwhile): what was said stands, as at EOF.
track "$WORK/ws" --experiment nb
kill -STOP "$TPID"
printf 'complete\n' >&7
kill -TERM "$TPID"
kill -CONT "$TPID"
rc=0
wait "$TPID" || rc=$?
exec 7>&-
[ "$rc" = 0 ] || fail "SIGTERM after complete: exit $rc"
[ "$(field "$WORK/ws" "$RUN" status)" = Completed ] ||
  fail "SIGTERM after complete: $(field "$WORK/ws" "$RUN" status) $(field "$WORK/ws" "$RUN" error)"

# SIGKILL, no agent: the next command ends the run Failed, with what the tracking file held.
track "$WORK/ws" --experiment nb
kill -9 "$TPID"
wait "$TPID" 2>/dev/null || true
exec 7>&-
metric "$TFILE" late 1.5  # written after the tracker died: applied by the reconciliation
[ "$(field "$WORK/ws" "$RUN" status)" = Failed ] || fail "SIGKILL: not ended by the next command"
field "$WORK/ws" "$RUN" error | grep -q "^its tracker (glia run track, pid $TPID on .*) ended without ending the run$" ||
  fail "SIGKILL: error $(field "$WORK/ws" "$RUN" error)"
"$GLIA" -w "$WORK/ws" run metrics "$RUN" -o json --columns | grep -q '"late"' || fail "SIGKILL: late metric lost"

# An agent never ends a live tracker's run; with an agent running, its housekeeping ends a run
# whose tracker was killed (a command's own reconciliation is skipped while an agent runs).
cat >"$WORK/job.yml" <<'YAML'
command: sleep 30
experiment_name: background
YAML
track "$WORK/ws" --experiment nb
LIVE=$RUN LIVE_PID=$TPID
exec 8>&7 7>&-  # keep the live tracker's stdin open on 8
JOB=$(submit "$WORK/ws" "$WORK/job.yml")
wait_status "$WORK/ws" "$JOB" Running
track "$WORK/ws" --experiment nb
kill -9 "$TPID"
wait "$TPID" 2>/dev/null || true
exec 7>&-
wait_status "$WORK/ws" "$RUN" Failed 15
[ "$(field "$WORK/ws" "$JOB" status)" = Running ] || fail "the job did not go on"
[ "$(field "$WORK/ws" "$LIVE" status)" = Running ] || fail "the agent ended a live tracker's run"
"$GLIA" -w "$WORK/ws" job cancel "$JOB" >/dev/null
wait_status "$WORK/ws" "$JOB" Canceled
printf 'complete\n' >&8
exec 8>&-
wait "$LIVE_PID" || fail "the live tracker failed: $(cat "$WORK/track.err")"
[ "$(field "$WORK/ws" "$LIVE" status)" = Completed ] || fail "the live run did not complete"

# A tracker in another pid namespace on this machine (a container with the host's name and
# kernel, e.g. host networking, on the same folder): its pid means nothing here, so this
# namespace's commands leave its live run alone (skipped where user namespaces are not allowed).
if unshare --user --map-current-user --pid --fork --mount-proc true 2>/dev/null; then
  "$GLIA" workspace init "$WORK/nsws" >/dev/null
  rm -f "$WORK/ns.fifo" "$WORK/ns.out"
  mkfifo "$WORK/ns.fifo"
  unshare --user --map-current-user --pid --fork --mount-proc \
    "$GLIA" -w "$WORK/nsws" run track -o json --experiment ns <"$WORK/ns.fifo" >"$WORK/ns.out" 2>"$WORK/ns.err" &
  NS_PID=$!
  exec 7>"$WORK/ns.fifo"
  for ((i = 0; i < 100; i++)); do
    [ -s "$WORK/ns.out" ] && break
    sleep 0.1
  done
  NSRUN=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/ns.out") ||
    fail "run track in a pid namespace: $(cat "$WORK/ns.err")"
  "$GLIA" -w "$WORK/nsws" run list >/dev/null  # reconciles (no agent runs on nsws)
  [ "$(field "$WORK/nsws" "$NSRUN" status)" = Running ] ||
    fail "another pid namespace's live tracker had its run ended: $(field "$WORK/nsws" "$NSRUN" error)"
  printf 'complete\n' >&7
  exec 7>&-
  wait "$NS_PID" || fail "the namespaced tracker failed: $(cat "$WORK/ns.err")"
  [ "$(field "$WORK/nsws" "$NSRUN" status)" = Completed ] || fail "namespaced run not Completed"
  # Killed with its namespace (the container gone): judged from the machine's first namespace,
  # which sees every process, and ended instead of left Running forever.
  if [ "$(readlink /proc/self/ns/pid)" = "pid:[4026531836]" ]; then
    rm -f "$WORK/ns.out"
    unshare --user --map-current-user --pid --fork --mount-proc \
      "$GLIA" -w "$WORK/nsws" run track -o json --experiment ns <"$WORK/ns.fifo" >"$WORK/ns.out" 2>"$WORK/ns.err" &
    NS_PID=$!
    exec 7>"$WORK/ns.fifo"
    for ((i = 0; i < 100; i++)); do
      [ -s "$WORK/ns.out" ] && break
      sleep 0.1
    done
    NSRUN=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/ns.out")
    "$GLIA" -w "$WORK/nsws" run list >/dev/null
    [ "$(field "$WORK/nsws" "$NSRUN" status)" = Running ] || fail "a live namespaced tracker's run ended"
    TRK=$(pgrep -P "$NS_PID") || fail "no tracker under unshare"
    kill -9 "$TRK"  # the tracker (the namespace's first process): the namespace ends with it
    wait "$NS_PID" 2>/dev/null || true
    exec 7>&-
    [ "$(field "$WORK/nsws" "$NSRUN" status)" = Failed ] ||
      fail "a dead namespaced tracker's run was left $(field "$WORK/nsws" "$NSRUN" status)"
  fi
else
  echo "run_track: no user namespaces here; the pid namespace case is skipped" >&2
fi

# Errors: one line, the right exit code, no run left behind.
before=$("$GLIA" -w "$WORK/ws" run list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_fail_code 2 "$GLIA" -w "$WORK/ws" run track --experiment "no/slash" </dev/null
expect_fail_code 2 "$GLIA" -w "$WORK/ws" run track --experiment nb --tag novalue </dev/null
expect_fail_code 3 "$GLIA" -w "$WORK/ws" run track --experiment nb --work-dir "$WORK/none" </dev/null
expect_fail_code 2 "$GLIA" -w "$WORK/ws" run track </dev/null
after=$("$GLIA" -w "$WORK/ws" run list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$before" = "$after" ] || fail "a refused run track left a run"
expect_fail_code 2 "$GLIA" -w "$WORK/ws" run metrics "$LIVE" --columns
expect_fail_code 2 "$GLIA" -w "$WORK/ws" run metrics "$LIVE" -o csv --columns
expect_fail_code 3 "$GLIA" -w "$WORK/ws" run metrics "$LIVE" -o json --columns --name nothing

# glia python-path: both folders, absolute, holding the packages.
P=$("$GLIA" python-path)
[ -d "${P%%:*}/glia" ] && [ -d "${P#*:}/azureml" ] || fail "python-path: $P"
"$GLIA" python-path -o json | python3 -c '
import json, os, sys
p = json.load(sys.stdin)["paths"]
assert len(p) == 2 and all(os.path.isabs(x) for x in p), p' || fail "python-path -o json"
[ "$(PYTHONPATH=$P python3 -c 'import glia, azureml.core; print("ok")')" = ok ] || fail "python-path: not importable"
expect_fail_code 2 "$GLIA" -w "$WORK/ws" python-path

# A connected (remote) folder: the run is the server's, its tracking file on this machine.
"$GLIA" workspace init "$WORK/srv" >/dev/null
serve_with_token "$WORK/srv"
export GLIA_TOKEN=$TOKEN
"$GLIA" workspace connect "http://127.0.0.1:$PORT" "$WORK/remote" >/dev/null
track "$WORK/remote" --experiment remote-nb --tag where=remote --work-dir "$WORK/nb"
case $TFILE in "$WORK/remote/"*) ;; *) fail "remote tracking file not in the connected folder: $TFILE" ;; esac
for v in 3 2 1; do metric "$TFILE" loss "$v"; done
printf '{"kind":"image","name":"chart","path":"chart.png"}\n' >>"$TFILE"
end_track complete
"$GLIA" -w "$WORK/srv" run show "$RUN" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["tags"] == {"where": "remote"}, j["tags"]
assert [i["name"] for i in j.get("images", [])] == ["chart"], j.get("images")' || fail "remote: tags/image"
[ "$(field "$WORK/srv" "$RUN" status)" = Completed ] || fail "remote: not Completed"
[ "$(field "$WORK/srv" "$RUN" job_type)" = interactive ] || fail "remote: job_type"
"$GLIA" -w "$WORK/srv" run metrics "$RUN" -o json --columns | grep -q '"loss":{"step":\[0,1,2\],"value":\[3,2,1\]' ||
  fail "remote: metrics $("$GLIA" -w "$WORK/srv" run metrics "$RUN" -o json --columns)"
track "$WORK/remote" --experiment remote-nb
end_track "fail boom"
[ "$(field "$WORK/remote" "$RUN" error)" = boom ] || fail "remote: fail"
track "$WORK/remote" --experiment remote-nb
kill -9 "$TPID"
wait "$TPID" 2>/dev/null || true
exec 7>&-
# The server's agent never judges it (another machine's folder); this machine's next command does.
[ "$(field "$WORK/srv" "$RUN" status)" = Running ] || fail "remote: ended by the server side"
[ "$(field "$WORK/remote" "$RUN" status)" = Failed ] || fail "remote: SIGKILL not reconciled"
# Following such a run (`glia job stream`, the SDK's wait_for_completion(show_output=True)) in
# its folder ends once its tracker is gone: the follower reconciles it as list and show do.
track "$WORK/remote" --experiment remote-nb
kill -9 "$TPID"
wait "$TPID" 2>/dev/null || true
exec 7>&-
rc=0
timeout 30 "$GLIA" -w "$WORK/remote" job stream "$RUN" >/dev/null 2>"$WORK/stream.err" || rc=$?
[ "$rc" != 124 ] || fail "remote: job stream of a run whose tracker died never ended"
[ "$(field "$WORK/srv" "$RUN" status)" = Failed ] || fail "remote: stream: not Failed"
echo "run_track: OK"
