#!/usr/bin/env bash
# Text users wrote (display names, tags, descriptions, environment variables, images) reaches the
# terminal escaped, as error messages do: a job file cannot clear or recolour the terminal of
# whoever looks at its run, nor break a listing's one line per item. Regressions: job show,
# dataset/environment/model listings and compute show printed them raw; a workspace --name took
# any bytes.
source "$(dirname "$0")/lib.sh"
GLIA=$1
ESC=$'\x1b'
no_raw_control() {  # no_raw_control WHAT FILE: no ESC and no line made by a user's newline
  ! grep -q "$ESC" "$2" || fail "$1: a raw escape character: $(cat -v "$2")"
  grep -qF 'x\x1B[2J' "$2" || fail "$1: the escaped text is missing: $(cat -v "$2")"
}
expect_fail_code 2 "$GLIA" workspace init "$WORK/bad" --name $'evil\n\x1b[31mRED'
grep -qF 'workspace name' <<<"$LAST_ERR" || fail "workspace name: $LAST_ERR"
[ ! -e "$WORK/bad" ] || fail "a refused workspace init left a folder"
"$GLIA" workspace init "$WORK/ws" >/dev/null
export GLIA_WORKSPACE=$WORK/ws
printf 'type: command\ncommand: echo ${{inputs.epochs}}\ndisplay_name: "x\\e[2J"\ntags: {k: "x\\e[2J\\nsecond line"}\ndescription: the job\ninputs:\n  epochs: {type: integer, default: 20, description: "passes x\\e[2J"}\n' >"$WORK/esc.yml"
"$GLIA" job submit -f "$WORK/esc.yml" --stream >/dev/null 2>&1 || fail "job submit"
run=$("$GLIA" job list --limit 1 -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$GLIA" job show "$run" >"$WORK/show.txt"
no_raw_control "job show" "$WORK/show.txt"
grep -qF 'k=x\x1B[2J\nsecond line' "$WORK/show.txt" || fail "job show tags: $(cat -v "$WORK/show.txt")"
# Regression: the job's description and its inputs' were not shown (docs/jobs.md says they are).
grep -qxF 'Description:  the job' "$WORK/show.txt" || fail "job show: no description: $(cat -v "$WORK/show.txt")"
grep -qE '^  epochs +20  \(passes x\\x1B\[2J\)$' "$WORK/show.txt" ||
  fail "job show: no input description: $(cat -v "$WORK/show.txt")"
mkdir -p "$WORK/d" && echo 1 >"$WORK/d/f"
"$GLIA" dataset create --name d --path "$WORK/d" --description $'x\x1b[2J' >/dev/null
"$GLIA" dataset list >"$WORK/datasets.txt"
no_raw_control "dataset list" "$WORK/datasets.txt"
"$GLIA" dataset show d >"$WORK/dataset.txt"
no_raw_control "dataset show" "$WORK/dataset.txt"
printf 'name: e\ndependencies:\n  - python=3.11\n' >"$WORK/env.yml"
"$GLIA" environment create --name e --conda-file "$WORK/env.yml" --description $'x\x1b[2J' >/dev/null 2>&1 ||
  fail "environment create"
"$GLIA" environment list >"$WORK/envs.txt"
no_raw_control "environment list" "$WORK/envs.txt"
"$GLIA" environment show e >"$WORK/env.txt"
no_raw_control "environment show" "$WORK/env.txt"
# Names the job itself logged (a metric named with an escape and a quote): escaped in the text
# views, quoted as CSV writes text (review: run show, run metrics and the CSV printed them raw).
mkdir -p "$WORK/m"
cat >"$WORK/m/t.py" <<'PY'
import json, os
with open(os.environ["GLIA_TRACKING_FILE"], "a") as f:
    f.write(json.dumps({"kind": "metric", "name": "x\x1b[2J\"q", "value": 1}) + "\n")
PY
printf 'type: command\ncommand: python3 t.py\ncode: .\n' >"$WORK/m/job.yml"
"$GLIA" job submit -f "$WORK/m/job.yml" --stream >/dev/null 2>&1 || fail "metric job"
mrun=$("$GLIA" job list --limit 1 -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$GLIA" run show "$mrun" >"$WORK/mshow.txt"
no_raw_control "run show metrics" "$WORK/mshow.txt"
"$GLIA" run metrics "$mrun" >"$WORK/mtext.txt"
no_raw_control "run metrics" "$WORK/mtext.txt"
"$GLIA" run metrics "$mrun" -o csv >"$WORK/m.csv"
python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0] == ["name", "step", "value", "wall_time"], rows[0]
assert rows[1][0] == "x\x1b[2J\"q" and len(rows[1]) == 4, rows[1]' "$WORK/m.csv" || fail "run metrics -o csv: $(cat -v "$WORK/m.csv")"
# The JSON views keep the text as it is (JSON escapes it).
"$GLIA" job show "$run" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["display_name"] == "x\x1b[2J", j["display_name"]' || fail "job show -o json changed the text"
echo "PASS terminal_safe"
