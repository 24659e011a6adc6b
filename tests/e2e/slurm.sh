#!/usr/bin/env bash
# Slurm compute targets end to end, against a real single-node Slurm (run it through
# scripts/with-slurm.sh, which exports SLURM_CONF): targets (flags, YAML, errors), a job submitted
# with sbatch → Completed with its metrics, outputs, log and batch script in run history; the log
# streamed live; cancel (scancel) → Canceled; Slurm's time limit → Failed with the reason; a
# failing job → Failed with its exit code; a 2-task MPI job via srun; max_nodes; an agent
# restarted while its Slurm job runs adopts the job instead of ending it.
source "$(dirname "$0")/lib.sh"
GLIA=$1
[ -n "${SLURM_CONF:-}" ] || fail "no SLURM_CONF: run this through scripts/with-slurm.sh"
PARTITION=${WITH_SLURM_PARTITION:-debug}
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null

# ---- Targets: flags, YAML, show/list, update, errors.
"$GLIA" -w "$WS" compute create --name cpu-cluster --type slurm --partition "$PARTITION" \
  --max-nodes 1 --max-concurrent 8 >"$WORK/out"
grep -q "slurm, partition $PARTITION, max 1 nodes" "$WORK/out" || fail "create: $(cat "$WORK/out")"
"$GLIA" -w "$WS" compute show cpu-cluster -o json | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert t["type"] == "slurm" and t["partition"] == "'"$PARTITION"'" and t["max_nodes"] == 1, t
assert t["time_limit"] == "" and t["account"] == "" and t["max_concurrent"] == 8, t' ||
  fail "compute show -o json"
cat >"$WORK/short.yml" <<YML
\$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json
name: short
type: slurm
partition: $PARTITION
max_instances: 1
min_instances: 0
time_limit: "1"
YML
"$GLIA" -w "$WS" compute create -f "$WORK/short.yml" >/dev/null
"$GLIA" -w "$WS" compute list -o json | python3 -c '
import json, sys
t = {c["name"]: c for c in json.load(sys.stdin)}
assert t["short"]["time_limit"] == "1" and t["short"]["max_nodes"] == 1, t' || fail "compute -f"
"$GLIA" -w "$WS" compute update --name short --qos normal >/dev/null
[ "$("$GLIA" -w "$WS" compute show short -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["qos"])')" = normal ] ||
  fail "compute update --qos"
"$GLIA" -w "$WS" compute update --name short --qos "" >/dev/null
expect_fail "$GLIA" -w "$WS" compute create --name x --type slurm
grep -q "needs a partition" <<<"$LAST_ERR" || fail "no partition: $LAST_ERR"
expect_fail "$GLIA" -w "$WS" compute create --name x --partition p
grep -q "are for --type slurm" <<<"$LAST_ERR" || fail "slurm option on local: $LAST_ERR"
expect_fail "$GLIA" -w "$WS" compute create --name x --type slurm --partition p --time-limit 1h
grep -q "not a Slurm time" <<<"$LAST_ERR" || fail "bad time limit: $LAST_ERR"
printf 'name: x\ntype: amlcompute\n' >"$WORK/aml.yml"
expect_fail "$GLIA" -w "$WS" compute create -f "$WORK/aml.yml"
grep -q "use type: slurm" <<<"$LAST_ERR" || fail "amlcompute: $LAST_ERR"
printf 'name: x\ntype: slurm\npartition: p\nsize: Standard_D2\n' >"$WORK/size.yml"
expect_fail "$GLIA" -w "$WS" compute create -f "$WORK/size.yml"
grep -q "unknown key 'size'" <<<"$LAST_ERR" || fail "unknown key: $LAST_ERR"

# ---- A job: Completed with metrics, outputs, its log and its batch script.
mkdir -p "$WORK/code"
cat >"$WORK/code/train.sh" <<'SH'
#!/bin/sh
echo "training on $SLURM_JOB_PARTITION as slurm job $SLURM_JOB_ID"
echo "a warning" >&2
mkdir -p outputs/model
echo weights >outputs/model/model.h5
python3 - <<'PY'
from glia import Run
run = Run.get_context()
for i in range(3):
    run.log("loss", 1.0 / (i + 1))
PY
SH
chmod +x "$WORK/code/train.sh"
cat >"$WORK/code/job.yml" <<'YML'
command: ./train.sh
code: .
compute: azureml:cpu-cluster
environment_variables:
  GLIA_SECRET_TOKEN: not-in-the-script
YML
(cd "$WORK/code" && "$GLIA" -w "$WS" job submit -f job.yml --stream >"$WORK/out" 2>"$WORK/err") ||
  fail "slurm job failed: $(cat "$WORK/out" "$WORK/err")"
grep -q "training on $PARTITION as slurm job [0-9]" "$WORK/out" || fail "no job output: $(cat "$WORK/out")"
grep -q "a warning" "$WORK/out" || fail "stderr not in the log"
RUN=$("$GLIA" -w "$WS" job list --limit 1 -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
[ "$(run_field "$WS" "$RUN" status)" = Completed ] || fail "status $(run_field "$WS" "$RUN" status)"
[ "$(run_field "$WS" "$RUN" exit_code)" = 0 ] || fail "exit code"
"$GLIA" -w "$WS" job show "$RUN" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["properties"]["slurm_job_id"].isdigit(), j["properties"]
h = [e["status"] for e in j["history"]]
assert h == ["NotStarted", "Queued", "Preparing", "Starting", "Running", "Finalizing", "Completed"], h' ||
  fail "properties or history"
"$GLIA" -w "$WS" run metrics "$RUN" -o json | grep -q loss || fail "metrics not in run history"
FILES=$("$GLIA" -w "$WS" run files "$RUN")
for f in outputs/model/model.h5 user_logs/std_log.txt logs/slurm/job.sbatch; do
  grep -q "$f" <<<"$FILES" || fail "$f not in run history: $FILES"
done
"$GLIA" -w "$WS" run download "$RUN" logs/slurm -o "$WORK/dl" >/dev/null
SCRIPT=$(find "$WORK/dl" -name job.sbatch | head -1)
[ -n "$SCRIPT" ] || fail "job.sbatch not downloadable"
grep -q "^#SBATCH --partition=$PARTITION" "$SCRIPT" || fail "script: $(cat "$SCRIPT")"
grep -q "^#SBATCH --requeue" "$SCRIPT" || fail "no --requeue"
! grep -q "not-in-the-script" "$SCRIPT" || fail "the job's environment written into the script"
"$GLIA" -w "$WS" job show "$RUN" --detail >"$WORK/detail"
grep -q "#SBATCH --partition=$PARTITION" "$WORK/detail" || fail "job show --detail: $(cat "$WORK/detail")"

# ---- Streamed live: the first line arrives while the job still runs.
cat >"$WORK/ticks.yml" <<'YML'
command: for i in 1 2 3 4 5 6; do echo "tick $i"; sleep 1; done
compute: azureml:cpu-cluster
YML
TICKS=$(submit "$WS" "$WORK/ticks.yml")
"$GLIA" -w "$WS" job stream "$TICKS" >"$WORK/stream" 2>&1 &
STREAM=$!
for _ in $(seq 100); do grep -q "tick 2" "$WORK/stream" && break; sleep 0.1; done
grep -q "tick 2" "$WORK/stream" || fail "nothing streamed: $(cat "$WORK/stream")"
[ "$(run_field "$WS" "$TICKS" status)" = Running ] || fail "streamed after the end, not live"
wait $STREAM || fail "stream exit"
grep -q "tick 6" "$WORK/stream" || fail "stream ended early"

# ---- Cancel → scancel → Canceled, the Slurm job gone.
cat >"$WORK/long.yml" <<'YML'
command: sleep 3456.75
compute: azureml:cpu-cluster
YML
CAN=$(submit "$WS" "$WORK/long.yml")
wait_status "$WS" "$CAN" Running 60
JOB=$("$GLIA" -w "$WS" job show "$CAN" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["properties"]["slurm_job_id"])')
"$GLIA" -w "$WS" job cancel "$CAN" >/dev/null
wait_status "$WS" "$CAN" Canceled 30
STATE=$(squeue -h -t all -j "$JOB" -o %T)
[ "$STATE" = CANCELLED ] || fail "Slurm job $JOB after cancel: $STATE"
! pgrep -f "sleep 3456.75" >/dev/null || fail "canceled job still running"

# ---- A failing job: Failed with its exit code.
cat >"$WORK/fail.yml" <<'YML'
command: echo "boom" >&2; exit 3
compute: azureml:cpu-cluster
YML
rc=0
"$GLIA" -w "$WS" job submit -f "$WORK/fail.yml" --stream >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 3 ] || fail "failed job: exit code $rc, expected 3"
FAILED=$("$GLIA" -w "$WS" job list --status Failed -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
grep -q "exit code 3" <<<"$(run_field "$WS" "$FAILED" error)" || fail "error: $(run_field "$WS" "$FAILED" error)"

# ---- A 2-task MPI job via srun (OpenMPI under Slurm's PMIx).
if command -v mpicc >/dev/null; then
  mkdir -p "$WORK/mpi"
  cat >"$WORK/mpi/hello.c" <<'C'
#include <mpi.h>
#include <stdio.h>
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, size, one = 1, sum = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  printf("rank %d of %d: allreduce %d\n", rank, size, sum);
  MPI_Finalize();
  return 0;
}
C
  mpicc -o "$WORK/mpi/hello" "$WORK/mpi/hello.c"
  cat >"$WORK/mpi/job.yml" <<'YML'
command: ./hello; echo "env rank $RANK of $WORLD_SIZE"
code: .
compute: azureml:cpu-cluster
distribution:
  type: mpi
  process_count_per_instance: 2
YML
  (cd "$WORK/mpi" && "$GLIA" -w "$WS" job submit -f job.yml --stream >"$WORK/out" 2>&1) ||
    fail "MPI job: $(cat "$WORK/out")"
  for r in 0 1; do
    grep -q "rank $r of 2: allreduce 2" "$WORK/out" || fail "MPI rank $r: $(cat "$WORK/out")"
  done
  MPIRUN=$("$GLIA" -w "$WS" job list --limit 1 -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
  "$GLIA" -w "$WS" job show "$MPIRUN" --detail | grep -q "srun" || fail "no srun line in the script"
else
  echo "slurm.sh: mpicc not found, MPI part skipped (install libopenmpi-dev)" >&2
  exit 1
fi

# ---- max_nodes: a job asking for more nodes than the target allows is refused.
cat >"$WORK/big.yml" <<'YML'
command: hostname
compute: azureml:cpu-cluster
resources:
  instance_count: 2
YML
rc=0
"$GLIA" -w "$WS" job submit -f "$WORK/big.yml" --stream >"$WORK/out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "instance_count 2 on max_nodes 1 accepted"
grep -q "max_nodes 1" "$WORK/out" || fail "max_nodes message: $(cat "$WORK/out")"

# ---- An agent restarted while its Slurm job runs adopts it (the job is not ended).
cat >"$WORK/adopt.yml" <<'YML'
command: sleep 6; echo adopted-ok
compute: azureml:cpu-cluster
YML
AD=$(submit "$WS" "$WORK/adopt.yml")
wait_status "$WS" "$AD" Running 60
AGENT_PID=$(cat "$(find "$WS/.glia/agent" -name agent.pid | head -1)")
kill -9 "$AGENT_PID"
sleep 0.5
"$GLIA" -w "$WS" job stream "$AD" >"$WORK/out" 2>&1 || fail "adopted job: $(cat "$WORK/out")"
[ "$(run_field "$WS" "$AD" status)" = Completed ] || fail "adopted job ended $(run_field "$WS" "$AD" status): $(run_field "$WS" "$AD" error)"
grep -q "adopted-ok" "$WORK/out" || fail "adopted job's log: $(cat "$WORK/out")"

# ---- Slurm's time limit (the target's, 1 minute): Failed with the reason.
cat >"$WORK/slow.yml" <<'YML'
command: sleep 4567.5
compute: azureml:short
YML
SLOW=$(submit "$WS" "$WORK/slow.yml")
wait_status "$WS" "$SLOW" Failed 180
ERR=$(run_field "$WS" "$SLOW" error)
grep -q "Slurm: time limit reached" <<<"$ERR" || fail "time limit error: $ERR"
! pgrep -f "sleep 4567.5" >/dev/null || fail "timed-out job still running"
echo "slurm.sh: ok"
