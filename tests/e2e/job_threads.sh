#!/usr/bin/env bash
# Jobs share the cores and keep no secrets: concurrent jobs get cores / jobs threads through
# OMP_NUM_THREADS and GLIA_THREADS (a target's --threads-per-job and a job's resources.threads
# win; the job's environment_variables win over both), the share is shown by `glia job show`,
# Glia's programs honour the variables, a token in the submitter's environment never reaches the
# store, and each run names who submitted it.
source "$(dirname "$0")/lib.sh"
GLIA=$1
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
CORES=$(nproc)  # the CPU affinity, as the agent counts
HALF=$((CORES / 2 > 0 ? CORES / 2 : 1))
mkdir -p "$WORK/code"
cat >"$WORK/code/t.sh" <<'SH'
#!/bin/sh
mkdir -p outputs
echo "$OMP_NUM_THREADS $GLIA_THREADS ${MY_SECRET_TOKEN:-unset}" >outputs/t.txt
# Hold the core share until told to finish (so the next job starts while this one runs).
while [ -n "${1:-}" ] && [ ! -e "$1" ]; do sleep 0.05; done
SH
chmod +x "$WORK/code/t.sh"
cat >"$WORK/code/job.yml" <<YML
command: ./t.sh $WORK/go
code: .
compute: quad
experiment_name: threads
YML
cat >"$WORK/code/quick.yml" <<YML
command: ./t.sh
code: .
compute: pinned
experiment_name: threads
YML
seen() {  # the t.txt a run wrote
  "$GLIA" -w "$WS" run download "$1" outputs/t.txt -o "$WORK/dl-$1.txt" >/dev/null
  cat "$WORK/dl-$1.txt"
}

# Two jobs at once: the first started alone (all the cores), the second while it runs (half).
"$GLIA" -w "$WS" compute create --name quad --max-concurrent 4 >/dev/null
A=$(cd "$WORK/code" && MY_SECRET_TOKEN=tok-5e1f0a9b submit "$WS" job.yml)
wait_status "$WS" "$A" Running
B=$(cd "$WORK/code" && submit "$WS" job.yml)
wait_status "$WS" "$B" Running
touch "$WORK/go"
wait_status "$WS" "$A" Completed
wait_status "$WS" "$B" Completed
[ "$(seen "$A")" = "$CORES $CORES unset" ] || fail "first job: $(seen "$A") (cores $CORES)"
[ "$(seen "$B")" = "$HALF $HALF unset" ] || fail "second job: $(seen "$B") (half of $CORES)"
"$GLIA" -w "$WS" job show "$B" -o json | python3 -c "
import json, os, sys
j = json.load(sys.stdin)
assert j['properties']['threads'] == '$HALF', j['properties']
assert j['properties']['threads_from'] == '$CORES cores shared by 2 jobs', j['properties']
assert j['submitted_by']['uid'] == os.getuid(), j['submitted_by']
" || fail "job show: threads or submitter"
"$GLIA" -w "$WS" job show "$B" | grep -q "^Threads:      $HALF ($CORES cores shared by 2 jobs)" \
  || fail "job show text lacks the threads"
"$GLIA" -w "$WS" job show "$B" | grep -q "^Submitted by: .*(uid $(id -u))" \
  || fail "job show text lacks the submitter"

# The submitter's token is nowhere in the store.
python3 - "$WS/.glia/glia.db" <<'PY' || fail "the token is in the store"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (spec,) in db.execute("SELECT spec FROM runs"):
    assert "tok-5e1f0a9b" not in spec and "MY_SECRET_TOKEN" not in spec, spec
PY
if grep -qa "tok-5e1f0a9b" "$WS/.glia/glia.db"* 2>/dev/null; then fail "the token is in the db files"; fi

# A target's threads per job; the job's own resources.threads; the user's variables win.
"$GLIA" -w "$WS" compute create --name pinned --max-concurrent 2 --threads-per-job 3 >/dev/null
[ "$("$GLIA" -w "$WS" compute show pinned -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["threads_per_job"])')" = 3 ] \
  || fail "compute show: threads_per_job"
P=$(cd "$WORK/code" && submit "$WS" quick.yml)
J=$(cd "$WORK/code" && submit "$WS" quick.yml --set environment_variables.OMP_NUM_THREADS=7)
printf 'resources: {threads: 2}\n' >>"$WORK/code/quick.yml"
R=$(cd "$WORK/code" && submit "$WS" quick.yml)
for run in "$P" "$J" "$R"; do wait_status "$WS" "$run" Completed; done
[ "$(seen "$P")" = "3 3 unset" ] || fail "target threads: $(seen "$P")"
[ "$(seen "$J")" = "7 3 unset" ] || fail "user's OMP_NUM_THREADS: $(seen "$J")"
[ "$(seen "$R")" = "2 2 unset" ] || fail "resources.threads: $(seen "$R")"
"$GLIA" -w "$WS" compute update --name pinned --threads-per-job 0 >/dev/null
[ "$("$GLIA" -w "$WS" compute show pinned -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["threads_per_job"])')" = "share of the cores" ] \
  || fail "compute update --threads-per-job 0 keeps the count"

# Bad counts are refused, and nothing is created.
expect_fail "$GLIA" -w "$WS" compute create --name bad --threads-per-job 0
"$GLIA" -w "$WS" compute show bad >/dev/null 2>&1 && fail "a refused target was created"
printf 'command: echo hi\nresources: {threads: 0}\n' >"$WORK/zero.yml"
BEFORE=$("$GLIA" -w "$WS" job list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/zero.yml"
grep -q "resources.threads" <<<"$LAST_ERR" || fail "message does not name resources.threads: $LAST_ERR"
AFTER=$("$GLIA" -w "$WS" job list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$BEFORE" = "$AFTER" ] || fail "a refused job created a run"

# Glia's programs: --threads 0 means GLIA_THREADS, else OMP_NUM_THREADS, else the cores.
[ "$(env -u GLIA_THREADS OMP_NUM_THREADS=1 "$GLIA" info -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["threads"])')" = 1 ] \
  || fail "OMP_NUM_THREADS ignored"
[ "$(GLIA_THREADS=2 OMP_NUM_THREADS=1 "$GLIA" info -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["threads"])')" = 2 ] \
  || fail "GLIA_THREADS does not win"
[ "$(env -u GLIA_THREADS -u OMP_NUM_THREADS "$GLIA" info -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["threads"])')" = "$CORES" ] \
  || fail "the default is not the usable cores"
expect_fail env GLIA_THREADS=lots "$GLIA" info
grep -q "GLIA_THREADS" <<<"$LAST_ERR" || fail "bad GLIA_THREADS: $LAST_ERR"
echo "job_threads: ok"
