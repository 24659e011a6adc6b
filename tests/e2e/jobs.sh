#!/usr/bin/env bash
# Jobs end to end: submit/stream/show/list, outcomes and exit codes, run files and downloads,
# compute targets, timeouts, cancel, and the errors a user meets.
source "$(dirname "$0")/lib.sh"
GLIA=$1
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
mkdir -p "$WORK/code"
cat >"$WORK/code/train.sh" <<'SH'
#!/bin/sh
echo "training with lr=$1 batch=$2"
echo "a warning" >&2
mkdir -p outputs/model logs
echo weights >outputs/model/model.h5
echo '{"ok": true}' >outputs/model/model.json
echo "epoch log" >logs/train.log
test -n "$GLIA_RUN_ID" && test -f "$GLIA_TRACKING_FILE" || exit 9
python3 - <<'PY'
from glia import Run
run = Run.get_context()
assert run.online, "the Python client is offline inside a job"
for i in range(5):
    run.log("Loss", 1.0 / (i + 1))
run.log_list("Accuracy", [0.5, 0.6, 0.7])
run.log_row("table", epoch=1, loss=0.5)
run.tag("framework", "glia-test")
PY
SH
chmod +x "$WORK/code/train.sh"
cat >"$WORK/code/job.yml" <<'YML'
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
type: command
command: ./train.sh ${{inputs.learning_rate}} ${{inputs.batch_size}}
code: .
inputs:
  learning_rate: 0.001
  batch_size: 50
experiment_name: e2e
display_name: first job
tags: {team: ml}
YML

# Submit and stream: output arrives, the exit code is the job's outcome.
(cd "$WORK/code" && "$GLIA" -w "$WS" job submit -f job.yml --stream >"$WORK/out" 2>"$WORK/err") \
  || fail "streamed job failed: $(cat "$WORK/err")"
grep -q "training with lr=0.001 batch=50" "$WORK/out" || fail "no job output: $(cat "$WORK/out")"
grep -q "a warning" "$WORK/out" || fail "stderr not streamed"
grep -q "Completed" "$WORK/err" || fail "no final status: $(cat "$WORK/err")"
RUN=$("$GLIA" -w "$WS" job list -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
[ "$(run_field "$WS" "$RUN" status)" = Completed ] || fail "status"
[ "$(run_field "$WS" "$RUN" exit_code)" = 0 ] || fail "exit code"
[ "$(run_field "$WS" "$RUN" display_name)" = "first job" ] || fail "display name"
"$GLIA" -w "$WS" job show "$RUN" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
names = [h["status"] for h in j["history"]]
assert names == ["NotStarted", "Queued", "Preparing", "Starting", "Running", "Finalizing", "Completed"], names
assert j["inputs"] == {"learning_rate": "0.001", "batch_size": "50"}, j["inputs"]
assert j["command"] == "./train.sh 0.001 50", j["command"]
assert j["tags"] == {"team": "ml", "framework": "glia-test"}, j["tags"]
assert j["metrics"]["Loss"]["step"] == 4 and j["metrics"]["Accuracy"]["step"] == 2, j["metrics"]
assert j["code_files"] == 2 and len(j["code_snapshot"]) == 64, j
assert "environment" not in j and "job" in j
' || fail "job show json"
SHOW=$("$GLIA" -w "$WS" job show "$RUN")
grep -q "Status history:" <<<"$SHOW" || fail "job show text"
CSV=$("$GLIA" -w "$WS" run metrics "$RUN" --name Loss -o csv)
[ "$(grep -c '"Loss"' <<<"$CSV")" = 5 ] || fail "Loss series: $CSV"
TABLE=$("$GLIA" -w "$WS" run metrics "$RUN" --name table -o csv)
[ "$TABLE" = $'"epoch","loss"\n1,0.5' ] || fail "log_row table: $TABLE"
"$GLIA" -w "$WS" run files "$RUN" -o json | python3 -c '
import json, sys
paths = [f["path"] for f in json.load(sys.stdin)]
assert paths == ["logs/train.log", "outputs/model/model.h5", "outputs/model/model.json", "user_logs/std_log.txt"], paths
' || fail "run files"
"$GLIA" -w "$WS" run download "$RUN" outputs/model -o "$WORK/dl" >/dev/null
[ "$(cat "$WORK/dl/outputs/model/model.h5")" = weights ] || fail "download"
[ ! -e "$WORK/dl/logs" ] || fail "download ignored the prefix"
# One file to a file path (Azure's download_file): not a folder named like the file.
"$GLIA" -w "$WS" run download "$RUN" outputs/model/model.json -o "$WORK/x.json" >/dev/null
[ -f "$WORK/x.json" ] && [ "$(cat "$WORK/x.json")" = "$(cat "$WORK/dl/outputs/model/model.json")" ] ||
  fail "download of one file to a path: $(ls -la "$WORK/x.json")"
"$GLIA" -w "$WS" run download "$RUN" outputs/model/model.json -o "$WORK/dl" >/dev/null  # an existing folder: into it
"$GLIA" -w "$WS" run download "$RUN" outputs/model/model.h5 -o "$WORK/newdir/" >/dev/null
[ -f "$WORK/newdir/outputs/model/model.h5" ] || fail "download to a folder named with a trailing /"
"$GLIA" -w "$WS" job stream "$RUN" >"$WORK/replay" 2>/dev/null || fail "replay exit code"
cmp -s "$WORK/replay" "$WORK/out" || fail "replayed log differs from the streamed one"
[ ! -d "$WS/.glia/runs/$RUN" ] || fail "the run's working folder was left behind"
# The job ran in its own folder made from the snapshot: the user's tree is untouched.
[ ! -e "$WORK/code/outputs" ] || fail "the job wrote into the user's code folder"

# A failing job: exit code, stderr tail as the error.
cat >"$WORK/fail.yml" <<'YML'
command: |
  echo partial >out.txt
  mkdir -p outputs
  echo kept >outputs/partial.txt
  echo "boom: bad things" >&2
  exit 3
YML
rc=0
"$GLIA" -w "$WS" job submit -f "$WORK/fail.yml" --stream >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" -eq 3 ] || fail "failed job: exit code $rc, expected 3"
FAILED=$("$GLIA" -w "$WS" job list --status Failed -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
ERR=$(run_field "$WS" "$FAILED" error)
grep -q "exit code 3" <<<"$ERR" || fail "error lacks the exit code: $ERR"
grep -q "boom: bad things" <<<"$ERR" || fail "error lacks stderr's last lines: $ERR"
FILES=$("$GLIA" -w "$WS" run files "$FAILED")
grep -q "outputs/partial.txt" <<<"$FILES" || fail "outputs of a failed job not kept"
[ "$(run_field "$WS" "$FAILED" experiment)" = Default ] || fail "default experiment"

# limits.timeout: Failed, exit code 124, processes gone.
cat >"$WORK/slow.yml" <<'YML'
command: sleep 1234.5
limits:
  timeout: 1
YML
rc=0
"$GLIA" -w "$WS" job submit -f "$WORK/slow.yml" --stream >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 124 ] || fail "timeout: exit code $rc, expected 124"
SLOW=$("$GLIA" -w "$WS" job list --limit 1 -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
ERR=$(run_field "$WS" "$SLOW" error)
grep -q "timed out after 1 s" <<<"$ERR" || fail "timeout error: $ERR"
! pgrep -f "sleep 1234.5" >/dev/null || fail "timed-out job still running"

# Cancel ends the whole process group, also children of the shell.
cat >"$WORK/cancel.yml" <<'YML'
command: (sleep 2345.5 & sleep 2345.6 & wait); echo never
YML
CAN=$(submit "$WS" "$WORK/cancel.yml")
wait_status "$WS" "$CAN" Running
OUT=$("$GLIA" -w "$WS" job cancel "$CAN")
grep -q "Canceled" <<<"$OUT" || fail "cancel output: $OUT"
[ "$(run_field "$WS" "$CAN" status)" = Canceled ] || fail "not Canceled"
sleep 0.2
! pgrep -f "sleep 2345" >/dev/null || fail "canceled job's children still running"
expect_fail "$GLIA" -w "$WS" job cancel "$CAN"
echo "$LAST_ERR" | grep -q "already ended" || fail "cancel twice: $LAST_ERR"
rc=0
"$GLIA" -w "$WS" job cancel "$CAN" 2>/dev/null || rc=$?
[ "$rc" = 4 ] || fail "canceling an ended run: exit $rc, expected 4 (conflict, docs/errors.md)"

# Compute targets: create/list/show, the concurrency limit queues jobs.
"$GLIA" -w "$WS" compute create --name one --type local --max-concurrent 1 >/dev/null
expect_fail "$GLIA" -w "$WS" compute create --name one
"$GLIA" -w "$WS" compute list -o json | python3 -c '
import json, sys
t = {c["name"]: c for c in json.load(sys.stdin)}
assert t["one"]["max_concurrent"] == 1 and "local" in t, t' || fail "compute list"
OUT=$("$GLIA" -w "$WS" compute show one)
grep -q "max_concurrent: *1" <<<"$OUT" || fail "compute show: $OUT"
cat >"$WORK/q.yml" <<'YML'
command: sleep 0.5
compute: azureml:one
YML
Q1=$(submit "$WS" "$WORK/q.yml")
Q2=$(submit "$WS" "$WORK/q.yml")
wait_status "$WS" "$Q2" Completed
[ "$(run_field "$WS" "$Q1" status)" = Completed ] || fail "first queued job"
# The limit held: the second job started only once the first had ended (by the store's
# timestamps, so a slow machine cannot make this flaky).
python3 - "$("$GLIA" -w "$WS" job show "$Q1" -o json)" "$("$GLIA" -w "$WS" job show "$Q2" -o json)" <<'PY' ||
import json, sys
from datetime import datetime
q1, q2 = json.loads(sys.argv[1]), json.loads(sys.argv[2])
t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
assert t(q2["started_at"]) >= t(q1["ended_at"]), (q1["ended_at"], q2["started_at"])
PY
  fail "the limit did not hold the second job"

# Bad input: one-line errors, non-zero exit, nothing created.
count_runs() { "$GLIA" -w "$WS" job list --limit 100000 -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
BEFORE=$(count_runs)
printf 'command: [unclosed\n' >"$WORK/bad.yml"
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/bad.yml"
echo "$LAST_ERR" | grep -q "bad.yml" || fail "malformed YAML not named: $LAST_ERR"
printf 'comand: echo\n' >"$WORK/typo.yml"
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/typo.yml"
echo "$LAST_ERR" | grep -q "unknown key 'comand'" || fail "unknown key: $LAST_ERR"
printf 'command: echo ${{inputs.missing}}\n' >"$WORK/ph.yml"
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/ph.yml"
echo "$LAST_ERR" | grep -q "missing" || fail "undeclared input: $LAST_ERR"
printf 'command: echo hi\ncompute: gpu-cluster\n' >"$WORK/gpu.yml"
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/gpu.yml"
echo "$LAST_ERR" | grep -q "unknown compute 'gpu-cluster'" || fail "unknown compute: $LAST_ERR"
printf 'command: no-such-program-xyz --flag\n' >"$WORK/nocmd.yml"
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/nocmd.yml"
echo "$LAST_ERR" | grep -q "no-such-program-xyz" || fail "missing program: $LAST_ERR"
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/nowhere.yml"
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/code/job.yml" --set inputs.nope=1
[ "$(count_runs)" = "$BEFORE" ] || fail "a rejected submit created a run"
for sub in "job show" "job stream" "job cancel" "run files" "run metrics"; do
  # shellcheck disable=SC2086
  expect_fail "$GLIA" -w "$WS" $sub no_such_run
  echo "$LAST_ERR" | grep -q "unknown run 'no_such_run'" || fail "$sub: $LAST_ERR"
done
expect_fail "$GLIA" -w "$WS" run download "$RUN" ../../etc -o "$WORK/x"
echo "$LAST_ERR" | grep -q "download path" || fail "../ in a download path: $LAST_ERR"
[ ! -e "$WORK/x" ] || fail "a refused download wrote files"
expect_fail "$GLIA" -w "$WS" run download "$RUN" nothing/here -o "$WORK/x"
pushd "$WORK" >/dev/null
expect_fail env -u GLIA_WORKSPACE "$GLIA" job list
popd >/dev/null
echo "$LAST_ERR" | grep -q "workspace" || fail "no workspace: $LAST_ERR"
expect_fail "$GLIA" -w "$WS" job list --status Bogus
echo "PASS jobs"
