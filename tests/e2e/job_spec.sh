#!/usr/bin/env bash
# Job files a user (or an attacker) can write: nothing silently dropped, experiment names that
# would become paths outside the workspace, alias bombs and huge files. Every refusal is one
# line, fast, and leaves nothing behind.
source "$(dirname "$0")/lib.sh"
GLIA=$1
WS="$WORK/a/b/c/ws"  # deep enough that ../../../escaped stays inside $WORK
mkdir -p "$WORK/a/b/c"
"$GLIA" workspace init "$WS" >/dev/null
mkdir -p "$WORK/my code"
cat >"$WORK/my code/job.yml" <<'YML'
command: echo hello from the job
code: .
YML
no_runs() {
  [ "$("$GLIA" -w "$WS" job list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] ||
    fail "a refused submit left a run: $1"
}
one_line() {
  [ "$(printf '%s\n' "$LAST_ERR" | wc -l)" = 1 ] || fail "not one line: $LAST_ERR"
}

# Regression: experiment_name became a path: the run's folder, tracking file and scratch went to
# <ws>/.glia/runs/../../../escaped_... and were removed there afterwards.
for name in '../../../escaped' '../../../../../../../../../../tmp/escaped' 'a/b' '.hidden' \
  "$(printf 'e%.0s' $(seq 300))"; do
  printf 'command: echo hi\nexperiment_name: "%s"\n' "$name" >"$WORK/bad.yml"
  expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/bad.yml"
  one_line
  grep -q "experiment name" <<<"$LAST_ERR" || fail "message does not name the experiment: $LAST_ERR"
  expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/my code/job.yml" --set "experiment_name=$name"
  one_line
  grep -q "experiment name" <<<"$LAST_ERR" || fail "--set: $LAST_ERR"
done
no_runs "bad experiment names"
[ ! -e "$WORK/a/escaped" ] && [ -z "$(ls "$WORK/a" | grep -v '^b$')" ] || fail "something escaped"
[ -z "$(find "$WORK" -maxdepth 4 -name 'escaped*' -print -quit)" ] || fail "escaped folder made"

# The longest name allowed, and a name derived from a code folder with a space, both run.
LONG=$(printf 'x%.0s' $(seq 235))
RUN=$(submit "$WS" "$WORK/my code/job.yml" --set "experiment_name=$LONG")
wait_status "$WS" "$RUN" Completed
RUN=$(submit "$WS" "$WORK/my code/job.yml")
[ "$(run_field "$WS" "$RUN" experiment)" = my_code ] || fail "derived experiment name"
wait_status "$WS" "$RUN" Completed
"$GLIA" -w "$WS" job stream "$RUN" | grep -q "hello from the job" || fail "the job did not run"

# Regression: environment: was accepted and ignored, even with a conda file that does not exist.
cat >"$WORK/env.yml" <<'YML'
command: echo hi
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04
  conda_file: does-not-exist.yml
YML
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/env.yml"
one_line
grep -q "environment.conda_file: 'does-not-exist.yml' is not a file" <<<"$LAST_ERR" ||
  fail "environment: $LAST_ERR"
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/my code/job.yml" --set environment=azureml:x:1
one_line
grep -q "unknown environment 'x'" <<<"$LAST_ERR" || fail "--set environment: $LAST_ERR"

# Regression: a sweep was refused as "unknown key 'trial'". The command-job reader names the
# type and points at job files; read as a job file, the sweep's own checks apply.
cat >"$WORK/sweep.yml" <<'YML'
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
trial:
  command: echo ${{search_space.lr}}
sampling_algorithm: random
type: sweep
YML
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/sweep.yml"
one_line
# (submit reads job files once the CLI calls load_job_file: then the sweep's missing
# search_space is named.)
grep -Eq "job type 'sweep': a sweep is submitted as a job file|sweep.yml: search_space: required" \
  <<<"$LAST_ERR" || fail "sweep: $LAST_ERR"

# Regression: a 348-byte alias bomb under environment: grew memory until std::bad_alloc (7-12 s).
python3 - "$WORK/bomb.yml" <<'PY'
import sys
lines = ["command: echo hi", "environment:", "  a: &a [x,x,x,x,x,x,x,x,x]"]
for prev, cur in zip("abcdefgh", "bcdefghi"):
    lines.append("  %s: &%s [%s]" % (cur, cur, ",".join(["*" + prev] * 9)))
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
START=$(date +%s%N)
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/bomb.yml"
ELAPSED_MS=$((($(date +%s%N) - START) / 1000000))
one_line
grep -q "more than 100000 nodes" <<<"$LAST_ERR" || fail "bomb: $LAST_ERR"
[ "$ELAPSED_MS" -lt 1000 ] || fail "the bomb took ${ELAPSED_MS} ms to refuse"

# Regression: a 5 MB job file was accepted (357 MB of memory, 20 MB of store).
python3 - "$WORK/big.yml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("command: echo hi\ntags:\n")
    i = 0
    while f.tell() < 5_000_000:
        f.write("  t%d: %s\n" % (i, "v" * 64))
        i += 1
PY
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/big.yml"
one_line
grep -q "larger than 1048576 bytes" <<<"$LAST_ERR" || fail "5 MB file: $LAST_ERR"

# Regression: without code: a relative program was submitted and failed with exit 127 ("not
# found"); the working folder starts empty, so it is refused at submit (exit 2).
printf 'type: command\ncommand: ./missing.sh\n' >"$WORK/rel.yml"
expect_fail_code 2 "$GLIA" -w "$WS" job submit -f "$WORK/rel.yml" --stream
grep -q "^glia: error: rel.yml: the command's program './missing.sh'.*code:" <<<"$LAST_ERR" ||
  fail "relative program without code: $LAST_ERR"

# Regression: names the workspace lacks exited 3 (not_found), a code: link out of the job file's
# folder 5 (permission_denied): they are job-file errors, exit 2, naming the file and the key.
printf 'type: command\ncommand: echo hi\ncompute: nope\n' >"$WORK/c.yml"
expect_fail_code 2 "$GLIA" -w "$WS" job submit -f "$WORK/c.yml"
grep -q "^glia: error: c.yml: compute: unknown compute 'nope' (known: local" <<<"$LAST_ERR" ||
  fail "unknown compute: $LAST_ERR"
expect_fail_code 2 "$GLIA" -w "$WS" job submit -f "$WORK/my code/job.yml" --set compute=nope
expect_fail_code 2 "$GLIA" -w "$WS" job submit -f "$WORK/my code/job.yml" --set environment=nope@latest
grep -q "^glia: error: job.yml: environment: unknown environment 'nope'" <<<"$LAST_ERR" ||
  fail "unknown environment: $LAST_ERR"
printf 'type: command\ncommand: ls ${{inputs.d}}\ninputs:\n  d: {type: uri_folder, path: glia:nope@latest}\n' >"$WORK/d.yml"
expect_fail_code 2 "$GLIA" -w "$WS" job submit -f "$WORK/d.yml"
grep -q "^glia: error: d.yml: inputs.d.path: unknown dataset 'nope'" <<<"$LAST_ERR" ||
  fail "unknown dataset: $LAST_ERR"
mkdir -p "$WORK/linked"
ln -s /etc "$WORK/linked/linkcode"
printf 'type: command\ncommand: ls\ncode: ./linkcode\n' >"$WORK/linked/l.yml"
expect_fail_code 2 "$GLIA" -w "$WS" job submit -f "$WORK/linked/l.yml"
grep -q "^glia: error: l.yml: code: code folder .* is a symbolic link to '/etc', outside" <<<"$LAST_ERR" ||
  fail "code link out: $LAST_ERR"

[ "$("$GLIA" -w "$WS" job list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
  fail "only the two good jobs are runs"
echo "job_spec e2e: OK"
