#!/usr/bin/env bash
# Sweeps end to end through the real CLI and agent: trials as child runs with their parameters,
# early termination observed, the best trial and its model, kill -9 of the agent mid-sweep and
# the resume (same parameters, no index twice, nothing left Running), cancel, limits, bad YAMLs.
source "$(dirname "$0")/lib.sh"
GLIA=$1
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
mkdir -p "$WORK/code"
# A trial: logs `acc` = x * epoch / EPOCHS once per epoch, EPOCH_SECONDS apart.
cat >"$WORK/code/trial.py" <<'PY'
import os, sys, time
from glia import Run
x, epochs, pause = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
run = Run.get_context()
run.tag("parent", os.environ.get("GLIA_PARENT_RUN_ID", ""))
from azureml.core import Run as AzureRun  # Glia's azureml.core shim: run.parent of a trial
run.tag("azureml_parent", AzureRun.get_context().parent.id)
run.tag("omp_threads", os.environ.get("OMP_NUM_THREADS", ""))
os.makedirs("outputs/model", exist_ok=True)
with open("outputs/model/model.txt", "w") as f:
    f.write("x=%r\n" % x)
for epoch in range(1, epochs + 1):
    time.sleep(pause)
    run.log("acc", x * epoch / epochs)
PY
# trial_json WS SWEEP PYTHON-EXPR: evaluates EXPR with `s` = the sweep part of `job show -o json`.
sweep_eval() {
  "$GLIA" -w "$1" job show "$2" -o json | python3 -c "
import json, sys
j = json.load(sys.stdin); s = j['sweep']
print($3)"
}

# 1. A grid sweep with a bandit policy: the weak trials are stopped early, the best is known.
cat >"$WORK/code/grid.yml" <<'YML'
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
experiment_name: sweep-e2e
trial:
  code: .
  command: python3 trial.py ${{search_space.x}} ${{inputs.epochs}} 0.4
inputs:
  epochs: 6
sampling_algorithm: grid
search_space:
  x:
    type: choice
    values: [1.0, 0.1, 0.2, 0.15]
objective:
  primary_metric: acc
  goal: maximize
early_termination:
  type: bandit
  slack_factor: 0.1
  evaluation_interval: 1
limits:
  max_total_trials: 10
  max_concurrent_trials: 2
YML
(cd "$WORK/code" && "$GLIA" -w "$WS" job submit -f grid.yml --stream >"$WORK/out" 2>"$WORK/err") \
  || fail "the grid sweep failed: $(cat "$WORK/err") $(cat "$WORK/out")"
SWEEP=$(grep -o 'sweep-e2e_[0-9]*_[0-9a-f]*' "$WORK/err" | head -1)
[ -n "$SWEEP" ] || fail "no sweep id in: $(cat "$WORK/err")"
grep -q "trial 0 Running" "$WORK/out" || fail "no trial progress streamed: $(cat "$WORK/out")"
grep -q "best trial: ${SWEEP}_0" "$WORK/err" || fail "no best trial streamed: $(cat "$WORK/err")"
[ "$(run_field "$WS" "$SWEEP" status)" = Completed ] || fail "grid sweep status"
[ "$(sweep_eval "$WS" "$SWEEP" 'len(s["trials"])')" = 4 ] || fail "a grid of 4 ran $(sweep_eval "$WS" "$SWEEP" 'len(s["trials"])') trials"
[ "$(sweep_eval "$WS" "$SWEEP" 's["best_trial"]')" = "${SWEEP}_0" ] || fail "best trial"
[ "$(sweep_eval "$WS" "$SWEEP" 's["best_metric"]')" = 1.0 ] || fail "best metric"
[ "$(sweep_eval "$WS" "$SWEEP" 'j["properties"]["best_trial"]')" = "${SWEEP}_0" ] \
  || fail "the best trial is not a property of the sweep"
# Trials sorted best first; the weak ones early-terminated (Canceled, the policy's numbers said).
sweep_eval "$WS" "$SWEEP" '"ok" if [t["best_metric"] for t in s["trials"]] == sorted((t["best_metric"] for t in s["trials"]), reverse=True) and s["trials"][0]["parameters"]["x"] == 1.0 else s["trials"]' | grep -qx ok \
  || fail "trials not sorted by the metric: $(sweep_eval "$WS" "$SWEEP" 's["trials"]')"
STOPPED=$(sweep_eval "$WS" "$SWEEP" 'sum(1 for t in s["trials"] if t["early_terminated"] and t["status"] == "Canceled")')
[ "$STOPPED" -ge 1 ] || fail "no trial was early-terminated: $(sweep_eval "$WS" "$SWEEP" 's["trials"]')"
WEAK=$(sweep_eval "$WS" "$SWEEP" '[t["id"] for t in s["trials"] if t["early_terminated"]][0]')
ERR=$(run_field "$WS" "$WEAK" error)
grep -q "bandit" <<<"$ERR" || fail "an early-terminated trial's error does not name the policy: $ERR"
[ "$(run_field "$WS" "${SWEEP}_0" status)" = Completed ] || fail "the best trial was stopped"
# Trials are child runs: their parameters, parent and command.
[ "$("$GLIA" -w "$WS" job list --parent "$SWEEP" -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 4 ] \
  || fail "job list --parent"
[ "$(run_field "$WS" "${SWEEP}_1" parent)" = "$SWEEP" ] || fail "a trial's parent"
# Listings tell sweeps and trials apart: job_type on every run, parent on a trial.
"$GLIA" -w "$WS" job list -o json | SWEEP=$SWEEP python3 -c '
import json, os, sys
runs = {r["id"]: r for r in json.load(sys.stdin)}
sweep = os.environ["SWEEP"]
assert runs[sweep]["job_type"] == "sweep" and "parent" not in runs[sweep], runs[sweep]
assert runs[sweep + "_1"]["job_type"] == "command" and runs[sweep + "_1"]["parent"] == sweep, runs[sweep + "_1"]
' || fail "job list -o json: job_type and parent"
[ "$(run_field "$WS" "${SWEEP}_1" command)" = "python3 trial.py 0.1 6 0.4" ] \
  || fail "trial command: $(run_field "$WS" "${SWEEP}_1" command)"
"$GLIA" -w "$WS" job show "${SWEEP}_0" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["parameters"] == {"x": 1.0}, j.get("parameters")
assert j["tags"]["parent"] == j["parent"], j["tags"]   # GLIA_PARENT_RUN_ID in the trial
assert j["tags"]["azureml_parent"] == j["parent"], j["tags"]
' || fail "trial 0's record"
# The trials share the cores: two at once on C cores get max(1, C/2) threads each.
CORES=$(nproc)
WANT=$((CORES / 2 > 0 ? CORES / 2 : 1))
[ "$("$GLIA" -w "$WS" job show "${SWEEP}_0" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["tags"]["omp_threads"])')" = "$WANT" ] \
  || fail "trial 0 did not get its share of the cores"
"$GLIA" -w "$WS" job show "$SWEEP" >"$WORK/show" || fail "job show of a sweep"
grep -q "Best trial:   ${SWEEP}_0" "$WORK/show" || fail "no best trial shown: $(cat "$WORK/show")"
grep -q "early termination: .*bandit" "$WORK/show" || fail "no early termination shown"
# The best trial's model, registered through the sweep.
"$GLIA" -w "$WS" model register --name sweep-best --run "best:$SWEEP" --path outputs/model \
  -o json >"$WORK/model" || fail "model register --run best:SWEEP"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["run"] == sys.argv[2], j' \
  "$WORK/model" "${SWEEP}_0" || fail "the model is not the best trial's: $(cat "$WORK/model")"
[ "$(run_field "$WS" "best:$SWEEP" id)" = "${SWEEP}_0" ] || fail "job show best:SWEEP"
expect_fail "$GLIA" -w "$WS" model register --name nope --run "best:${SWEEP}_0" --path outputs/model
grep -q "not a sweep" <<<"$LAST_ERR" || fail "best: of a trial: $LAST_ERR"

# resume_from: a grid that grew by one value runs only the new combination.
sed -e 's/values: \[1.0, 0.1, 0.2, 0.15\]/values: [1.0, 0.1, 0.2, 0.15, 2.0]/' \
  -e "s/^experiment_name: .*/experiment_name: sweep-resumed\nresume_from: [$SWEEP]/" \
  "$WORK/code/grid.yml" >"$WORK/code/grid2.yml"
RESUMED=$(cd "$WORK/code" && submit "$WS" grid2.yml)
wait_status "$WS" "$RESUMED" Completed 60
sweep_eval "$WS" "$RESUMED" '"ok" if [t["parameters"]["x"] for t in s["trials"]] == [2.0] else s["trials"]' \
  | grep -qx ok || fail "resume_from: $(sweep_eval "$WS" "$RESUMED" 's["trials"]')"

# 2. kill -9 of the agent mid-sweep: the next agent resumes; same parameters, none twice.
cat >"$WORK/code/random.yml" <<'YML'
type: sweep
experiment_name: sweep-crash
trial:
  code: .
  command: python3 trial.py ${{search_space.x}} 2 0.3
sampling_algorithm:
  type: random
  seed: 7
search_space:
  x: {type: uniform, min_value: 0, max_value: 1}
objective: {primary_metric: acc, goal: maximize}
limits: {max_total_trials: 8, max_concurrent_trials: 2}
YML
CRASH=$(cd "$WORK/code" && submit "$WS" random.yml)
for ((i = 0; i < 300; i++)); do
  N=$("$GLIA" -w "$WS" job list --parent "$CRASH" -o json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r) if any(t["status"] == "Running" for t in r) else 0)')
  [ "$N" -ge 3 ] && break  # three made, one running: it dies with the agent
  sleep 0.1
done
[ "$N" -ge 3 ] || fail "the sweep never made 3 trials"
AGENT=$(cat "$WS/.glia/agent/$(id -u)/agent.pid")
kill -9 "$AGENT"
sleep 0.2
# Any glia command finds the sweep without its agent and starts one, which drives it on.
wait_status "$WS" "$CRASH" Completed 60
sweep_eval "$WS" "$CRASH" '"ok" if sorted(t["index"] for t in s["trials"]) == list(range(8)) and all(t["status"] in ("Completed", "Failed", "Canceled") for t in s["trials"]) else s["trials"]' \
  | grep -qx ok || fail "after kill -9: $(sweep_eval "$WS" "$CRASH" 's["trials"]')"
LOST=$("$GLIA" -w "$WS" job list --parent "$CRASH" -o json | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if "agent_lost" in r.get("properties", {})))')
[ "$LOST" -ge 1 ] || fail "no trial was marked lost with the killed agent"
# The same sweep without a crash draws the same parameters for the same indexes.
AGAIN=$(cd "$WORK/code" && submit "$WS" random.yml --set limits.max_total_trials=8)
wait_status "$WS" "$AGAIN" Completed 60
A=$(sweep_eval "$WS" "$CRASH" 'sorted((t["index"], t["parameters"]["x"]) for t in s["trials"])')
B=$(sweep_eval "$WS" "$AGAIN" 'sorted((t["index"], t["parameters"]["x"]) for t in s["trials"])')
[ "$A" = "$B" ] || fail "the random sequence changed after a crash: $A vs $B"

# 3. Cancel: every trial is canceled, no new one starts.
# Trials that take 20 s: the cancel lands while the first ones run, however slow the machine.
sed -e 's/trial.py ${{search_space.x}} 2 0.3/trial.py ${{search_space.x}} 2 10/' \
  -e 's/^experiment_name: .*/experiment_name: sweep-cancel/' \
  "$WORK/code/random.yml" >"$WORK/code/cancel.yml"
CANCEL=$(cd "$WORK/code" && submit "$WS" cancel.yml --set limits.max_total_trials=10)
for ((i = 0; i < 300; i++)); do
  R=$("$GLIA" -w "$WS" job list --parent "$CANCEL" --status Running -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  [ "$R" -ge 1 ] && break
  sleep 0.1
done
"$GLIA" -w "$WS" job cancel "$CANCEL" >/dev/null || fail "job cancel SWEEP"
[ "$(run_field "$WS" "$CANCEL" status)" = Canceled ] || fail "the sweep is not Canceled"
sweep_eval "$WS" "$CANCEL" '"ok" if s["trials"] and len(s["trials"]) <= 2 and all(t["status"] == "Canceled" for t in s["trials"]) else s["trials"]' \
  | grep -qx ok || fail "cancel: $(sweep_eval "$WS" "$CANCEL" 's["trials"]')"
N1=$(sweep_eval "$WS" "$CANCEL" 'len(s["trials"])')
sleep 1
[ "$(sweep_eval "$WS" "$CANCEL" 'len(s["trials"])')" = "$N1" ] || fail "trials made after cancel"

# 4. Limits: max_failed_trials ends the sweep Failed; trial_timeout fails a trial; timeout.
cat >"$WORK/code/fail.yml" <<'YML'
type: sweep
experiment_name: sweep-limits
trial:
  command: sh -c "exit 3" ${{search_space.x}}
sampling_algorithm: random
search_space:
  x: {type: randint, upper: 100}
objective: {primary_metric: acc, goal: minimize}
limits: {max_total_trials: 10, max_concurrent_trials: 1, max_failed_trials: 2}
YML
FAILED=$(cd "$WORK/code" && submit "$WS" fail.yml)
wait_status "$WS" "$FAILED" Failed 60
[ "$(sweep_eval "$WS" "$FAILED" 'len(s["trials"])')" = 3 ] || fail "max_failed_trials: 2 (tolerated) → $(sweep_eval "$WS" "$FAILED" 'len(s["trials"])') trials"
grep -q "max_failed_trials" <<<"$(run_field "$WS" "$FAILED" error)" || fail "max_failed error"
SLOW=$(cd "$WORK/code" && submit "$WS" random.yml --set experiment_name=sweep-timeouts \
  --set limits.max_total_trials=3 --set limits.trial_timeout=30 --set limits.timeout=120 \
  --set limits.max_concurrent_trials=3)
wait_status "$WS" "$SLOW" Completed 60  # the trials take ~1 s: under trial_timeout
cat >"$WORK/code/sleep.yml" <<'YML'
type: sweep
experiment_name: sweep-timeout
trial:
  command: sleep ${{search_space.s}}
sampling_algorithm: grid
search_space:
  s: {type: choice, values: [30]}
objective: {primary_metric: acc, goal: minimize}
limits: {max_total_trials: 5, max_concurrent_trials: 1, trial_timeout: 1}
YML
TT=$(cd "$WORK/code" && submit "$WS" sleep.yml --set limits.max_total_trials=1)
wait_status "$WS" "$TT" Failed 30
grep -q "timed out" <<<"$(run_field "$WS" "${TT}_0" error)" || fail "trial_timeout: $(run_field "$WS" "${TT}_0" error)"
TO=$(cd "$WORK/code" && submit "$WS" sleep.yml --set limits.trial_timeout=60 --set limits.timeout=1)
wait_status "$WS" "$TO" Failed 30
grep -q "limits.timeout" <<<"$(run_field "$WS" "$TO" error)" || fail "timeout: $(run_field "$WS" "$TO" error)"
[ "$(run_field "$WS" "${TO}_0" status)" = Canceled ] || fail "the timed-out sweep's trial"

# 5. Bad YAMLs: one line naming the key, nothing created.
BEFORE=$("$GLIA" -w "$WS" job list --limit 1000 -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
bad() {  # bad KEY-IN-MESSAGE YAML
  printf '%s\n' "$2" >"$WORK/code/bad.yml"
  expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/code/bad.yml"
  grep -q -- "$1" <<<"$LAST_ERR" || fail "bad sweep: expected '$1' in: $LAST_ERR"
  [ "$(printf '%s\n' "$LAST_ERR" | grep -c .)" = 1 ] || fail "not one line: $LAST_ERR"
}
HEAD='type: sweep
trial: {command: "echo ${{search_space.x}}"}
objective: {primary_metric: acc, goal: maximize}'
bad "search_space.x" "$HEAD
sampling_algorithm: random
search_space: {x: {type: gaussian, mu: 0, sigma: 1}}"
bad "search_space.x" "$HEAD
sampling_algorithm: grid
search_space: {x: {type: uniform, min_value: 0, max_value: 1}}"
bad "early_termination" "$HEAD
sampling_algorithm: bayesian
search_space: {x: {type: uniform, min_value: 0, max_value: 1}}
early_termination: {type: bandit, slack_factor: 0.1}"
bad "min_value" "$HEAD
sampling_algorithm: random
search_space: {x: {type: uniform, min_value: 2, max_value: 1}}"
bad "search_space\.[xy]" 'type: sweep
trial: {command: "echo ${{search_space.y}}"}
objective: {primary_metric: acc, goal: maximize}
sampling_algorithm: random
search_space: {x: {type: uniform, min_value: 0, max_value: 1}}'
bad "sampling_algorithm" "$HEAD
search_space: {x: {type: uniform, min_value: 0, max_value: 1}}"
AFTER=$("$GLIA" -w "$WS" job list --limit 1000 -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$BEFORE" = "$AFTER" ] || fail "a refused sweep created runs ($BEFORE → $AFTER)"
expect_fail "$GLIA" -w "$WS" job list --parent no-such-run
echo "sweeps: OK"
