#!/usr/bin/env bash
# Distributed (MPI) jobs on the local target: `distribution: {type: mpi,
# process_count_per_instance: N}` runs N processes with OpenMPI's mpirun in the job's place, each
# with its rank variables (OMPI_COMM_WORLD_* and the aliases of docs/jobs.md) and a share of the
# job's threads; the ranks log to the same run through the Python client without interleaving; a
# failed rank fails the run naming the rank; cancel leaves no process; what the local target
# cannot run (more than one instance, pytorch/tensorflow) is refused at submit.
source "$(dirname "$0")/lib.sh"
GLIA=$1
command -v "${GLIA_MPIRUN:-mpirun}" >/dev/null || { echo "distributed_jobs: skipped (no mpirun)"; exit 0; }
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
TOKEN="glia-dist-$$-$RANDOM"  # names this test's processes (pgrep) and nothing else's
mkdir -p "$WORK/code"
cat >"$WORK/code/rank.sh" <<'SH'
#!/bin/sh
# rank.sh MODE TOKEN: prints its rank variables, logs 300 metrics through the Python client,
# then per MODE: ok | fail (rank 1 exits 3) | kill (rank 1 kills itself with SIGKILL) | hang.
echo "rank=$RANK size=$WORLD_SIZE local=$LOCAL_RANK local_size=$LOCAL_WORLD_SIZE node=$NODE_RANK" \
  "ompi=$OMPI_COMM_WORLD_RANK/$OMPI_COMM_WORLD_SIZE master=$MASTER_ADDR" \
  "threads=$OMP_NUM_THREADS/$GLIA_THREADS"
mkdir -p outputs
echo "$RANK" >"outputs/rank-$RANK.txt"
case "$1" in
  ok)
    python3 -c '
import os
from azureml.core import Run
run = Run.get_context()
rank = os.environ["RANK"]
for i in range(300):
    run.log("loss_rank" + rank, i, description="x" * (i % 50))
    if i % 100 == 0:  # lines of ~60 KB from both ranks at once
        run.log_list("list_rank" + rank, list(range(10000)))
' ;;
  fail) [ "$RANK" = 1 ] && { echo "rank 1: giving up" >&2; exit 3; } ;;
  kill) [ "$RANK" = 1 ] && kill -9 $$ ;;
  hang) exec sleep "3$(echo "$2" | cksum | cut -c1-6)" ;;
esac
# The other ranks wait for MPI to end them (as a blocked allreduce would).
[ "$1" = ok ] || exec sleep "3$(echo "$2" | cksum | cut -c1-6)"
SH
chmod +x "$WORK/code/rank.sh"
cat >"$WORK/code/job.yml" <<YML
command: ./rank.sh \${{inputs.mode}} $TOKEN
code: .
experiment_name: distributed
inputs:
  mode: ok
distribution:
  type: mpi
  process_count_per_instance: 2
resources:
  instance_count: 1
  threads: 4
YML
left() {  # this test's rank processes still running
  pgrep -f "rank.sh [a-z]* $TOKEN" || true
  pgrep -f "sleep 3$(echo "$TOKEN" | cksum | cut -c1-6)" || true
}
no_process_left() {  # within 10 s (a rank's watchdog looks every second)
  local i
  for ((i = 0; i < 100; i++)); do [ -z "$(left)" ] && return 0; sleep 0.1; done
  fail "processes left $1: $(ps -o pid,pgid,args -p "$(left | paste -sd,)")"
}

# Two ranks: both in the log with their variables, the thread share halved, their metrics whole.
RUN=$(cd "$WORK/code" && submit "$WS" job.yml)
wait_status "$WS" "$RUN" Completed 60
"$GLIA" -w "$WS" job stream "$RUN" >"$WORK/log" 2>/dev/null || fail "stream: $(cat "$WORK/log")"
for r in 0 1; do
  grep -q "^rank=$r size=2 local=$r local_size=2 node=0 ompi=$r/2 master=127.0.0.1 threads=2/2$" \
    "$WORK/log" || fail "rank $r's line: $(cat "$WORK/log")"
done
"$GLIA" -w "$WS" job show "$RUN" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
p = j["properties"]
assert p["processes"] == "2" and p["threads_per_process"] == "2" and p["threads"] == "4", p
assert j["job"]["distribution"] == {"type": "mpi", "process_count_per_instance": 2}, j["job"]
assert j["metrics"]["loss_rank0"]["step"] == 299 and j["metrics"]["loss_rank1"]["step"] == 299, j["metrics"]
' || fail "job show: processes, distribution or metrics"
for r in 0 1; do
  CSV=$("$GLIA" -w "$WS" run metrics "$RUN" --name "loss_rank$r" -o csv)
  [ "$(grep -c "loss_rank$r" <<<"$CSV")" = 300 ] || fail "rank $r's metrics: $(head -3 <<<"$CSV")"
  CSV=$("$GLIA" -w "$WS" run metrics "$RUN" --name "list_rank$r" -o csv)
  [ "$(grep -c "list_rank$r" <<<"$CSV")" = 30000 ] || fail "rank $r's lists: $(grep -c . <<<"$CSV")"
done
"$GLIA" -w "$WS" run files "$RUN" -o json | python3 -c '
import json, sys
paths = [f["path"] for f in json.load(sys.stdin)]
assert "outputs/rank-0.txt" in paths and "outputs/rank-1.txt" in paths, paths
assert not any("ranks/" in p for p in paths), paths
' || fail "run files"
"$GLIA" -w "$WS" job show "$RUN" | grep -q "^Distribution: mpi, 2 process(es) per instance x 1 instance(s), 2 thread(s) each$" || fail "job show text lacks the distribution"

# --set: three processes.
RUN3=$(cd "$WORK/code" && submit "$WS" job.yml --set distribution.process_count_per_instance=3)
wait_status "$WS" "$RUN3" Completed 60
"$GLIA" -w "$WS" job stream "$RUN3" 2>/dev/null | grep -c "^rank=. size=3 " | grep -qx 3 \
  || fail "--set distribution.process_count_per_instance=3"

# A rank that exits 3: the run fails naming it.
F=$(cd "$WORK/code" && submit "$WS" job.yml --set inputs.mode=fail)
wait_status "$WS" "$F" Failed 60
ERR=$(run_field "$WS" "$F" error)
grep -q "^rank 1 of 2 exited with code 3" <<<"$ERR" || fail "failed rank not named: $ERR"
grep -q "rank 1: giving up" <<<"$ERR" || fail "the error lacks stderr's tail: $ERR"
no_process_left "after a failed rank"

# A rank killed with SIGKILL: named with the signal, the other rank ended too.
K=$(cd "$WORK/code" && submit "$WS" job.yml --set inputs.mode=kill)
wait_status "$WS" "$K" Failed 60
ERR=$(run_field "$WS" "$K" error)
grep -q "^rank 1 of 2 was killed by signal 9 (SIGKILL)" <<<"$ERR" || fail "killed rank: $ERR"
no_process_left "after a killed rank"

# Cancel of a 2-rank job: Canceled, and no rank survives (OpenMPI gives each rank a process
# group of its own, out of reach of the job's).
C=$(cd "$WORK/code" && submit "$WS" job.yml --set inputs.mode=hang)
wait_status "$WS" "$C" Running 60
for ((i = 0; i < 100; i++)); do [ "$(left | wc -l)" -ge 2 ] && break; sleep 0.1; done
[ "$(left | wc -l)" -ge 2 ] || fail "the ranks never started"
"$GLIA" -w "$WS" job cancel "$C" >/dev/null
wait_status "$WS" "$C" Canceled 30
no_process_left "after cancel"

# What the local target cannot run is refused at submit, and nothing is created.
BEFORE=$("$GLIA" -w "$WS" job list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/code/job.yml" --set resources.instance_count=2
grep -q "resources.instance_count: 2" <<<"$LAST_ERR" && grep -q "one machine" <<<"$LAST_ERR" \
  || fail "instance_count 2 on local: $LAST_ERR"
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/code/job.yml" --set distribution.type=pytorch
grep -q "use type: mpi" <<<"$LAST_ERR" || fail "pytorch: $LAST_ERR"
sed 's/type: mpi/type: tensorflow/' "$WORK/code/job.yml" >"$WORK/code/tf.yml"
expect_fail "$GLIA" -w "$WS" job submit -f "$WORK/code/tf.yml"
grep -q "distribution.type: type 'tensorflow' is not supported" <<<"$LAST_ERR" || fail "tensorflow: $LAST_ERR"
AFTER=$("$GLIA" -w "$WS" job list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$BEFORE" = "$AFTER" ] || fail "a refused job created a run"

# No mpirun: a clear error naming what to install (GLIA_MPIRUN is read by the agent, which the
# submit starts: stop the one still idling).
stop_agents
agents_alive() {
  local f
  for f in $(find "$WS/.glia/agent" -name agent.pid 2>/dev/null); do
    kill -0 "$(cat "$f")" 2>/dev/null && return 0
  done
  return 1
}
for ((i = 0; i < 50; i++)); do agents_alive || break; sleep 0.1; done
M=$(cd "$WORK/code" && GLIA_MPIRUN=/nonexistent/mpirun submit "$WS" job.yml)
wait_status "$WS" "$M" Failed 30
grep -q "mpirun was not found" <<<"$(run_field "$WS" "$M" error)" || fail "no mpirun: $(run_field "$WS" "$M" error)"
echo "distributed_jobs: ok"
