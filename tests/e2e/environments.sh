#!/usr/bin/env bash
# Environments against the real pip and package index: registering (the same spec keeps its
# version), a job building its environment once (the build is its Preparing log) and the next
# job reusing it, a misspelt package failing the run with pip's own message and publishing
# nothing, four jobs on one new environment building it once, kill -9 of the agent mid-build
# followed by a clean rebuild, inline environments (image recorded, not used), conda variables,
# the azureml.core shim logging every kind of record (and turned off per job), prune.
source "$(dirname "$0")/lib.sh"
GLIA=$1
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
"$GLIA" -w "$WS" compute create --name quad --max-concurrent 4 >/dev/null
ENVS="$WS/.glia/envs"
PY=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
mkdir -p "$WORK/code"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
log_of() { "$GLIA" -w "$WS" job stream "$1" 2>/dev/null || true; }
builds_of() { ls "$ENVS/builds" 2>/dev/null | grep -c "^$1-" || true; }

# ---- Registering: a spec's identity ignores order, comments and spelling of names ----
printf 'six==1.17.0\n# a comment\n\n' >"$WORK/req-a.txt"
printf '  Six == 1.17.0   # pinned\n' >"$WORK/req-b.txt"
"$GLIA" -w "$WS" environment create --name tiny --pip-requirements "$WORK/req-a.txt" \
  --description "six only" -o json >"$WORK/c1.json"
[ "$(json 'd["version"]' <"$WORK/c1.json")" = 1 ] || fail "first version is not 1"
[ "$(json 'd["created"]' <"$WORK/c1.json")" = True ] || fail "first create did not create"
"$GLIA" -w "$WS" environment create --name tiny --pip-requirements "$WORK/req-b.txt" -o json \
  >"$WORK/c2.json"
[ "$(json 'd["version"]' <"$WORK/c2.json")" = 1 ] || fail "the same spec made a new version"
[ "$(json 'd["created"]' <"$WORK/c2.json")" = False ] || fail "the same spec reported created"
cat >"$WORK/env1.yml" <<YML
name: e
channels: [conda-forge]
dependencies:
  - python=$PY
  - pip:
    - tomli==2.0.1
    - six==1.17.0
YML
cat >"$WORK/env2.yml" <<YML
# the same environment, keys and packages in another order
dependencies:
  - pip:
      - six == 1.17.0
      - Tomli==2.0.1
  - python=$PY
channels:
  - conda-forge
name: e
YML
"$GLIA" -w "$WS" environment create --name pair --conda-file "$WORK/env1.yml" >/dev/null
"$GLIA" -w "$WS" environment create --name pair --conda-file "$WORK/env2.yml" -o json \
  >"$WORK/c3.json"
[ "$(json 'd["version"]' <"$WORK/c3.json")" = 1 ] || fail "a reordered conda file made a new version"
# A python version no interpreter has: refused, listing those found; nothing registered.
sed "s/python=$PY/python=3.2/" "$WORK/env1.yml" >"$WORK/env-old.yml"
expect_fail "$GLIA" -w "$WS" environment create --name old --conda-file "$WORK/env-old.yml"
printf '%s\n' "$LAST_ERR" | grep -q "3.2" || fail "python error lacks the version: $LAST_ERR"
printf '%s\n' "$LAST_ERR" | grep -q "found" || fail "python error lists nothing: $LAST_ERR"
"$GLIA" -w "$WS" environment list -o json | json '[e["name"] for e in d]' | grep -q old &&
  fail "a refused environment was registered"
# Bad files: one line each, nothing registered.
printf -- '-r other.txt\n' >"$WORK/req-bad.txt"
expect_fail "$GLIA" -w "$WS" environment create --name bad --pip-requirements "$WORK/req-bad.txt"
printf 'dependencies: [python=3.11]\nbogus: 1\n' >"$WORK/env-bad.yml"
expect_fail "$GLIA" -w "$WS" environment create --name bad --conda-file "$WORK/env-bad.yml"
printf '%s\n' "$LAST_ERR" | grep -q bogus || fail "unknown key not named: $LAST_ERR"

# ---- A job builds its environment once (the Preparing log); the next one reuses it ----
cat >"$WORK/code/job.yml" <<'YML'
command: python -c "import six, sys; print('six', six.__version__, sys.prefix)"
code: .
environment: glia:tiny@latest
experiment_name: envs
YML
R1=$(submit "$WS" "$WORK/code/job.yml")
wait_status "$WS" "$R1" Completed 240
log_of "$R1" >"$WORK/log1"
grep -q "\[glia\] building environment 'tiny:1'" "$WORK/log1" || fail "no build in the log: $(cat "$WORK/log1")"
grep -q "six 1.17.0 $ENVS" "$WORK/log1" ||
  grep -q "six 1.17.0 $(cd "$ENVS" && pwd -P)" "$WORK/log1" || fail "the job did not run in the venv: $(cat "$WORK/log1")"
"$GLIA" -w "$WS" job show "$R1" -o json | json 'd["properties"]["environment"]' | grep -qx "tiny:1" ||
  fail "the run does not record its environment"
HASH=$("$GLIA" -w "$WS" environment show tiny:1 -o json | json 'd["build_hash"]')
[ -L "$ENVS/$HASH" ] || fail "no published build for tiny"
[ "$(builds_of "$HASH")" = 1 ] || fail "expected one build of tiny"
"$GLIA" -w "$WS" environment show tiny -o json | json 'd["built"]' | grep -qx True || fail "show: not built"
R2=$(submit "$WS" "$WORK/code/job.yml")
wait_status "$WS" "$R2" Completed 60
log_of "$R2" >"$WORK/log2"
grep -q "building" "$WORK/log2" && fail "the second job built again: $(cat "$WORK/log2")"
grep -q "six 1.17.0" "$WORK/log2" || fail "second job output: $(cat "$WORK/log2")"
[ "$(builds_of "$HASH")" = 1 ] || fail "a second build of tiny appeared"
# Regression: build --force removed the old venv under a job still running in it.
cat >"$WORK/code/slow.yml" <<YML
command: python -c "import time; open('$WORK/slow-started', 'w').close(); time.sleep(8); import six; print('late six', six.__version__)"
code: .
environment: glia:tiny@latest
experiment_name: envs
YML
RS=$(submit "$WS" "$WORK/code/slow.yml")
for ((i = 0; i < 300; i++)); do [ -e "$WORK/slow-started" ] && break; sleep 0.1; done
"$GLIA" -w "$WS" environment build tiny:1 --force >"$WORK/force.log" 2>&1 || fail "build --force: $(cat "$WORK/force.log")"
grep -q "in use by a job" "$WORK/force.log" || fail "build --force did not leave the build in use: $(cat "$WORK/force.log")"
wait_status "$WS" "$RS" Completed 60
log_of "$RS" | grep -q "late six 1.17.0" || fail "the job lost its venv: $(log_of "$RS")"
[ "$(builds_of "$HASH")" = 2 ] || fail "expected the new build and the one in use"
"$GLIA" -w "$WS" environment prune >/dev/null
[ "$(builds_of "$HASH")" = 1 ] || fail "prune did not remove the replaced build once unused"
[ -L "$ENVS/$HASH" ] || fail "prune removed the published build"
grep -q "\[glia\] package index: " "$WORK/force.log" || fail "the build log does not say which index"

# Regression: the submitter's PYTHONPATH shadowed the environment's packages.
mkdir -p "$WORK/fake"
echo "__version__ = 'FAKE'" >"$WORK/fake/six.py"
R2B=$(PYTHONPATH="$WORK/fake" submit "$WS" "$WORK/code/job.yml")
wait_status "$WS" "$R2B" Completed 60
log_of "$R2B" | grep -q "six 1.17.0" || fail "the submitter's PYTHONPATH won: $(log_of "$R2B")"
# ... and the submitter's own venv stayed on PATH behind it.
mkdir -p "$WORK/myvenv/bin"
printf '#!/bin/sh\necho mine\n' >"$WORK/myvenv/bin/glia-my-tool" && chmod +x "$WORK/myvenv/bin/glia-my-tool"
cat >"$WORK/code/mytool.yml" <<'YML'
command: sh -c 'command -v glia-my-tool || echo "no tool"'
environment: glia:tiny@latest
experiment_name: envs
YML
R2C=$(VIRTUAL_ENV="$WORK/myvenv" PATH="$WORK/myvenv/bin:$PATH" submit "$WS" "$WORK/code/mytool.yml")
wait_status "$WS" "$R2C" Completed 60
log_of "$R2C" | grep -q "no tool" || fail "the submitter's venv is on the job's PATH: $(log_of "$R2C")"

# Regression: a job setting PATH lost the folder of Glia's programs.
cat >"$WORK/code/path.yml" <<'YML'
command: glia --version
environment_variables: {PATH: /usr/bin:/bin}
experiment_name: envs
YML
RP=$(submit "$WS" "$WORK/code/path.yml")
wait_status "$WS" "$RP" Completed 60

# --set environment= names a registered version; an unknown one is refused before any run.
N_BEFORE=$("$GLIA" -w "$WS" job list -o json | json 'len(d)')
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/code/job.yml" --set environment=nosuch:1
printf '%s\n' "$LAST_ERR" | grep -q nosuch || fail "unknown environment not named: $LAST_ERR"
N_RUNS=$("$GLIA" -w "$WS" job list -o json | json 'len(d)')
[ "$N_RUNS" = "$N_BEFORE" ] || fail "a refused submit left a run ($N_RUNS runs, $N_BEFORE before)"

# Regression: an inline environment whose python is missing was refused only after the job's
# local input had been registered as an anonymous dataset.
mkdir -p "$WORK/code/data"
echo x >"$WORK/code/data/x.txt"
cat >"$WORK/code/badpy.yml" <<'YML'
command: python -c pass
code: .
inputs:
  data: {type: uri_folder, path: data}
environment:
  conda_file:
    dependencies: [python=3.2]
experiment_name: envs
YML
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/code/badpy.yml"
printf '%s\n' "$LAST_ERR" | grep -q "no Python 3.2 interpreter" || fail "python 3.2: $LAST_ERR"
"$GLIA" -w "$WS" dataset list -o json | grep -q anonymous && fail "a refused submit registered its input"
# GLIA_AZUREML_SHIM: any spelling of off turns it off; a value meaning neither is refused.
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/code/job.yml" --set environment_variables.GLIA_AZUREML_SHIM=maybe
printf '%s\n' "$LAST_ERR" | grep -q "GLIA_AZUREML_SHIM" || fail "shim value: $LAST_ERR"
# --python is a version, nothing else.
expect_fail "$GLIA" -w "$WS" environment create --name p --pip-requirements "$WORK/req-a.txt" --python "3.11, numpy"
printf '%s\n' "$LAST_ERR" | grep -q "expected X.Y or X.Y.Z" || fail "--python: $LAST_ERR"
"$GLIA" -w "$WS" environment archive tiny:1 -o json | json 'd["archived"]' | grep -qx True || fail "archive -o json"
"$GLIA" -w "$WS" environment unarchive tiny:1 -o json | json 'd["archived"]' | grep -qx False || fail "unarchive -o json"

# ---- A misspelt package: Failed with pip's own message, nothing published ----
printf 'glia-no-such-package-zzqx==1.0\n' >"$WORK/req-typo.txt"
"$GLIA" -w "$WS" environment create --name typo --pip-requirements "$WORK/req-typo.txt" >/dev/null
R3=$(submit "$WS" "$WORK/code/job.yml" --set environment=typo:1)
wait_status "$WS" "$R3" Failed 240
ERR=$(run_field "$WS" "$R3" error)
printf '%s\n' "$ERR" | grep -q "No matching distribution found for glia-no-such-package-zzqx" ||
  fail "the run's error is not pip's: $ERR"
THASH=$("$GLIA" -w "$WS" environment show typo:1 -o json | json 'd["build_hash"]')
[ -e "$ENVS/$THASH" ] && fail "a failed build was published"
[ "$(builds_of "$THASH")" = 0 ] || fail "a failed build left its folder"
# `glia environment build` says the same, in one line, exit non-zero.
expect_fail "$GLIA" -w "$WS" environment build typo:1
printf '%s\n' "$LAST_ERR" | tail -1 | grep -q "No matching distribution" || fail "build error: $LAST_ERR"

# A plain conda package pip has no such name for: the failure names it.
cat >"$WORK/env-conda-only.yml" <<YML
dependencies:
  - python=$PY
  - glia-conda-only-zzqx=1.0
  - pip:
    - six==1.17.0
YML
"$GLIA" -w "$WS" environment create --name condaonly --conda-file "$WORK/env-conda-only.yml" >/dev/null
R3B=$(submit "$WS" "$WORK/code/job.yml" --set environment=condaonly:1)
wait_status "$WS" "$R3B" Failed 240
ERR=$(run_field "$WS" "$R3B" error)
printf '%s\n' "$ERR" | grep -q "conda packages pip cannot install under the same name: glia-conda-only-zzqx==1.0" ||
  fail "the conda package pip cannot install is not named: $ERR"

# ---- Four jobs at once on one new environment: exactly one build ----
printf 'tomli==2.0.1\n' >"$WORK/req-four.txt"
"$GLIA" -w "$WS" environment create --name four --pip-requirements "$WORK/req-four.txt" >/dev/null
FOUR=()
for i in 1 2 3 4; do
  FOUR+=("$(submit "$WS" "$WORK/code/job.yml" --set environment=four:1 --set compute=quad \
    --set command="python -c 'import tomli; print(tomli.__name__)'")")
done
for r in "${FOUR[@]}"; do wait_status "$WS" "$r" Completed 240; done
BUILT=0
for r in "${FOUR[@]}"; do
  log_of "$r" >"$WORK/log-$r"
  grep -q "^tomli$" "$WORK/log-$r" || fail "job $r did not import tomli: $(cat "$WORK/log-$r")"
  if grep -q "\[glia\] building environment" "$WORK/log-$r"; then BUILT=$((BUILT + 1)); fi
done
[ "$BUILT" = 1 ] || fail "four jobs built their environment $BUILT times"
FHASH=$("$GLIA" -w "$WS" environment show four:1 -o json | json 'd["build_hash"]')
[ "$(builds_of "$FHASH")" = 1 ] || fail "four jobs left $(builds_of "$FHASH") builds"

# ---- kill -9 of the agent mid-build: the run fails naming it, the next job rebuilds cleanly ----
printf 'tomli==2.0.1\nsix==1.17.0\n' >"$WORK/req-kill.txt"
"$GLIA" -w "$WS" environment create --name killed --pip-requirements "$WORK/req-kill.txt" >/dev/null
KHASH=$("$GLIA" -w "$WS" environment show killed:1 -o json | json 'd["build_hash"]')
R4=$(submit "$WS" "$WORK/code/job.yml" --set environment=killed:1)
for ((i = 0; i < 600; i++)); do
  [ -d "$ENVS/builds" ] && [ "$(builds_of "$KHASH")" = 1 ] && break
  sleep 0.05
done
[ "$(builds_of "$KHASH")" = 1 ] || fail "the build never started"
kill -9 "$(cat "$WS/.glia/agent/$(id -u)/agent.pid")"
sleep 0.5
"$GLIA" -w "$WS" job show "$R4" -o json >/dev/null  # reconciles the dead agent's run
wait_status "$WS" "$R4" Failed 30
run_field "$WS" "$R4" error | grep -q "agent" || fail "the killed build's run does not name the agent"
[ -e "$ENVS/$KHASH" ] && fail "a killed build was published"
R5=$(submit "$WS" "$WORK/code/job.yml" --set environment=killed:1)
wait_status "$WS" "$R5" Completed 240
[ -L "$ENVS/$KHASH" ] || fail "the rebuild was not published"
[ "$(builds_of "$KHASH")" = 1 ] || fail "the killed build's folder is still there"

# ---- Inline environments (Azure CLI v2): image recorded, reported, not used ----
cat >"$WORK/code/conda.yml" <<YML
name: inline
dependencies:
  - python=$PY
  - pip:
    - six==1.17.0
variables:
  FROM_CONDA: conda-value
  OMP_NUM_THREADS: "99"
YML
cat >"$WORK/code/inline.yml" <<'YML'
command: python -c "import os, six; print('var', os.environ['FROM_CONDA'], os.environ['MINE'], 'omp', os.environ['OMP_NUM_THREADS'])"
code: .
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
  conda_file: conda.yml
environment_variables:
  MINE: job-value
experiment_name: envs
YML
"$GLIA" -w "$WS" job submit -f "$WORK/code/inline.yml" -o json >"$WORK/inline.json" 2>"$WORK/inline.err"
grep -q "image 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest' is recorded, not used" \
  "$WORK/inline.err" || fail "the image was not reported: $(cat "$WORK/inline.err")"
[ "$(grep -c "not used" "$WORK/inline.err")" = 1 ] || fail "the image was reported more than once"
R6=$(json 'd["id"]' <"$WORK/inline.json")
wait_status "$WS" "$R6" Completed 240
log_of "$R6" | grep -q "var conda-value job-value" || fail "conda variables / job variables: $(log_of "$R6")"
# Regression: a conda variable overrode the job's thread share.
SHARE=$("$GLIA" -w "$WS" job show "$R6" -o json | json 'd["properties"]["threads"]')
log_of "$R6" | grep -q "omp $SHARE\$" || fail "OMP_NUM_THREADS is not the share ($SHARE): $(log_of "$R6")"
ANON=$("$GLIA" -w "$WS" job show "$R6" -o json | json 'd["properties"]["environment"]')
printf '%s\n' "$ANON" | grep -q "^anonymous-env-[0-9a-f]*:1$" || fail "inline environment not registered: $ANON"
"$GLIA" -w "$WS" environment show "$ANON" -o json | json 'd["image"]' | grep -q openmpi ||
  fail "the image is not recorded on the environment"

# ---- The azureml.core shim: every kind of record from a job, and off per job ----
cat >"$WORK/code/shim.py" <<'PY'
import os
from azureml.core import Run
from azureml.core.run import Run as SameRun
run = Run.get_context()
assert SameRun.get_context() is run or SameRun.get_context().id == run.id
run.log("lr", 0.001)
for v in (0.5, 0.25):
    run.log("Loss", v)
run.log_list("accs", [0.1, 0.2, 0.3])
run.log_row("Y over X", x=1, y=0.5)
run.log_table("tbl", {"a": [1, 2], "b": [3, 4]})
with open("pic.svg", "w") as f:
    f.write('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
run.log_image("picture", path="pic.svg")
with open("note.txt", "w") as f:
    f.write("uploaded")
run.upload_file("outputs/note.txt", "note.txt")
run.tag("stage", "test")
run.set_tags({"a": "1", "b": "2"})
assert run.get_metrics()["Loss"] == [0.5, 0.25]
try:
    run.register_model("m", "outputs/model")
    raise SystemExit("register_model did not raise")
except NotImplementedError as e:
    assert "register_model" in str(e)
print("shim", run.id, run.experiment.name, sorted(run.input_datasets))
PY
cat >"$WORK/code/shim.yml" <<'YML'
command: python3 shim.py
code: .
experiment_name: shim
YML
R7=$(submit "$WS" "$WORK/code/shim.yml")
wait_status "$WS" "$R7" Completed 60
log_of "$R7" | grep -q "shim $R7 shim" || fail "shim job output: $(log_of "$R7")"
"$GLIA" -w "$WS" run show "$R7" -o json >"$WORK/shim.json"
python3 - "$WORK/shim.json" <<'PY' || fail "shim records: $(cat "$WORK/shim.json")"
import json, sys
d = json.load(open(sys.argv[1]))
m = d["metrics"]
assert m["lr"]["value"] == 0.001, m
assert m["Loss"] == {"step": 1, "value": 0.25}, m  # latest values
assert m["accs"] == {"step": 2, "value": 0.3}, m
assert d["tags"]["stage"] == "test" and d["tags"]["a"] == "1" and d["tags"]["b"] == "2", d["tags"]
PY
"$GLIA" -w "$WS" run files "$R7" -o json >"$WORK/shim-files.json"
grep -q '"outputs/note.txt"' "$WORK/shim-files.json" || fail "upload_file: $(cat "$WORK/shim-files.json")"
grep -qi 'picture' "$WORK/shim-files.json" || fail "log_image: $(cat "$WORK/shim-files.json")"
"$GLIA" -w "$WS" run metrics "$R7" -o json >"$WORK/shim-metrics.json"
grep -q "Y over X" "$WORK/shim-metrics.json" || fail "log_row missing: $(cat "$WORK/shim-metrics.json")"
grep -q '"tbl"' "$WORK/shim-metrics.json" || fail "log_table missing"
cat >"$WORK/code/off.yml" <<'YML'
command: python3 -c "import importlib.util, sys; sys.exit(3 if importlib.util.find_spec('azureml') else 0)"
code: .
experiment_name: shim
environment_variables:
  GLIA_AZUREML_SHIM: "0"
YML
R8=$(submit "$WS" "$WORK/code/off.yml")
wait_status "$WS" "$R8" Completed 60
R9=$(submit "$WS" "$WORK/code/off.yml" --set environment_variables.GLIA_AZUREML_SHIM=No)
wait_status "$WS" "$R9" Completed 60

# ---- prune: builds of archived versions go, what is needed stays ----
"$GLIA" -w "$WS" environment archive tiny:1 >/dev/null
"$GLIA" -w "$WS" environment prune --dry-run -o json >"$WORK/dry.json"
json 'd["removed"]' <"$WORK/dry.json" | grep -q "$HASH" || fail "dry run would not remove tiny: $(cat "$WORK/dry.json")"
[ -L "$ENVS/$HASH" ] || fail "a dry run removed something"
"$GLIA" -w "$WS" environment prune >/dev/null
[ -e "$ENVS/$HASH" ] && fail "prune kept the archived environment's build"
[ "$(builds_of "$HASH")" = 0 ] || fail "prune left the archived build's folder"
[ -L "$ENVS/$FHASH" ] || fail "prune removed a needed build"
"$GLIA" -w "$WS" environment list -o json | json '[e["name"] for e in d]' | grep -q four ||
  fail "environment list -o json"
"$GLIA" -w "$WS" environment list | grep -q "^four " || fail "environment list"
# prune --dry-run writes nothing (no lock files, no removals); prune removes the link a builder
# killed between making it and renaming it left (it holds the spec's lock: no builder is alive).
ln -s builds/none "$ENVS/.$FHASH.link-0123456789abcdef"
LOCKS_BEFORE=$(ls "$ENVS/locks" | wc -l)
"$GLIA" -w "$WS" environment prune --dry-run >/dev/null
[ "$(ls "$ENVS/locks" | wc -l)" = "$LOCKS_BEFORE" ] || fail "prune --dry-run made lock files"
[ -L "$ENVS/.$FHASH.link-0123456789abcdef" ] || fail "prune --dry-run removed something"
"$GLIA" -w "$WS" environment prune >/dev/null
[ -L "$ENVS/.$FHASH.link-0123456789abcdef" ] && fail "prune left a dead builder's link"
[ -L "$ENVS/$FHASH" ] || fail "prune removed a needed build"
# A spec being built (its lock held) is skipped and said so.
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); print("held", flush=True); time.sleep(30)' \
  "$ENVS/locks/$FHASH.lock" >"$WORK/held" 2>/dev/null &
HOLDER=$!
for ((i = 0; i < 50; i++)); do [ -s "$WORK/held" ] && break; sleep 0.1; done
"$GLIA" -w "$WS" environment prune -o json | json 'd["busy"]' | grep -q "$FHASH" || fail "prune did not say a spec was busy"
kill "$HOLDER" 2>/dev/null || true

# Regression: venvs were made under the builder's umask, unreadable to the workspace's group.
printf 'six==1.16.0\n' >"$WORK/req-shared.txt"
"$GLIA" -w "$WS" environment create --name shared --pip-requirements "$WORK/req-shared.txt" >/dev/null
(umask 077 && "$GLIA" -w "$WS" environment build shared:1 >/dev/null)
SIX=$(find "$(cd "$ENVS" && pwd -P)/builds" -path "*site-packages/six.py" -newer "$WORK/req-shared.txt" | head -1)
[ -n "$SIX" ] || fail "no six.py in the shared build"
MODE=$(stat -c %a "$SIX")
[ $((8#$MODE & 8#040)) -ne 0 ] || fail "the workspace's group cannot read the venv ($MODE)"

# Regression: an index that cannot be reached read like a misspelt package.
printf 'six==1.17.0\n' >"$WORK/req-net.txt"
"$GLIA" -w "$WS" environment create --name net --pip-requirements "$WORK/req-net.txt" >/dev/null
expect_fail env -u PIP_FIND_LINKS PIP_RETRIES=0 PIP_INDEX_URL=http://127.0.0.1:9/simple \
  "$GLIA" -w "$WS" environment build net:1
printf '%s\n' "$LAST_ERR" | tail -1 | grep -q "an index it could not reach: PIP_INDEX_URL=http://127.0.0.1:9/simple" ||
  fail "unreachable index: $LAST_ERR"

# Regression: a build that hangs (an index that never answers) ran past limits.timeout.
python3 -c 'import socket, time, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True); time.sleep(300)' >"$WORK/port" 2>/dev/null &
HANG=$!
trap 'kill "$HANG" 2>/dev/null || true; stop_agents; rm -rf "$WORK"' EXIT
for ((i = 0; i < 50; i++)); do [ -s "$WORK/port" ] && break; sleep 0.1; done
WS2="$WORK/ws2"
"$GLIA" workspace init "$WS2" >/dev/null
printf 'glia-hang-zzqx==1.0\n' >"$WORK/req-hang.txt"
"$GLIA" -w "$WS2" environment create --name hang --pip-requirements "$WORK/req-hang.txt" >/dev/null
cat >"$WORK/code/hang.yml" <<'YML'
command: python -c pass
environment: hang:1
limits: {timeout: 5}
experiment_name: envs
YML
RH=$(env -u PIP_FIND_LINKS PIP_INDEX_URL="http://user:secret@127.0.0.1:$(cat "$WORK/port")/simple" \
  bash -c "source '$(dirname "$0")/lib.sh'; GLIA='$GLIA'; submit '$WS2' '$WORK/code/hang.yml'")
wait_status "$WS2" "$RH" Failed 60
run_field "$WS2" "$RH" error | grep -q "timed out after 5 s (limits.timeout) while building its environment" ||
  fail "hung build: $(run_field "$WS2" "$RH" error)"
log_of_ws2=$("$GLIA" -w "$WS2" job stream "$RH" 2>/dev/null || true)
printf '%s\n' "$log_of_ws2" | grep -q "PIP_INDEX_URL=http://\*\*\*@127.0.0.1" || fail "index not shown redacted: $log_of_ws2"
printf '%s\n' "$log_of_ws2" | grep -q secret && fail "the index password reached the log"
kill "$HANG" 2>/dev/null || true
echo "environments OK"
