#!/usr/bin/env bash
# Data-parallel training under a real Open MPI: mpirun -np 2 of glia-keras-mnist on synthetic
# data reaches the weights of one process at the same global batch (within float tolerance), two
# runs with 2 ranks are bit-identical, only rank 0 prints and tracks the run, and kill -9 of one
# rank fails the job naming the rank with no process left behind.
# Usage: mpi_training.sh GLIA_KERAS_MNIST COMPARE_WEIGHTS MPI_FOUND [GLIA_CLI]
source "$(dirname "$0")/lib.sh"
# Its own folder: glia-keras-mnist checkpoints into ./outputs/checkpoints, which the killed run
# would leave behind for the next test started in the same folder to resume.
cd "$WORK"
BIN=$1 COMPARE=$2 MPI_FOUND=${3:-OFF} GLIA=${4:-}
BIN=$(realpath "$BIN") COMPARE=$(realpath "$COMPARE")
[ -z "$GLIA" ] || GLIA=$(realpath "$GLIA")
if [ "$MPI_FOUND" != "ON" ] || ! command -v mpirun >/dev/null; then
  echo "SKIP mpi_training: Glia was built without MPI or mpirun is missing"
  exit 77
fi
MPIRUN=(mpirun --oversubscribe --bind-to none)
[ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)
"$MAKE_SYNTHETIC_MNIST" "$WORK/data" >/dev/null
unset OMPI_COMM_WORLD_SIZE PMI_SIZE PMIX_SIZE SLURM_STEP_NUM_TASKS GLIA_DISTRIBUTED
# --batch-size is the global batch: 64 rows per step whatever the number of ranks.
train() { "$BIN" --data-folder "$WORK/data" --epochs 2 --batch-size 64 --threads 1 --seed 5 "$@"; }

train --model-dir "$WORK/one" >"$WORK/one.txt" 2>&1 || fail "1 process: $(tail -5 "$WORK/one.txt")"
"${MPIRUN[@]}" -np 2 "$BIN" --data-folder "$WORK/data" --epochs 2 --batch-size 64 --threads 1 \
  --seed 5 --model-dir "$WORK/two_a" >"$WORK/two_a.txt" 2>&1 || fail "mpirun -np 2: $(tail -20 "$WORK/two_a.txt")"
"${MPIRUN[@]}" -np 2 "$BIN" --data-folder "$WORK/data" --epochs 2 --batch-size 64 --threads 1 \
  --seed 5 --model-dir "$WORK/two_b" >"$WORK/two_b.txt" 2>&1 || fail "mpirun -np 2 (again): $(tail -20 "$WORK/two_b.txt")"

# Rank 0 alone prints: one summary, one set of epoch lines, one result.
[ "$(grep -c '^Test accuracy:' "$WORK/two_a.txt")" -eq 1 ] || fail "not exactly one 'Test accuracy' line: $(cat "$WORK/two_a.txt")"
[ "$(grep -c '^Epoch 1/2$' "$WORK/two_a.txt")" -eq 1 ] || fail "epoch lines printed by more than one rank"
# Same number of steps per epoch as one process: the batch is global, not per rank.
steps1=$(grep -Eo '^[0-9]+/[0-9]+ ' "$WORK/one.txt" | head -1)
steps2=$(grep -Eo '^[0-9]+/[0-9]+ ' "$WORK/two_a.txt" | head -1)
[ -n "$steps1" ] && [ "$steps1" = "$steps2" ] || fail "steps per epoch differ: '$steps1' vs '$steps2'"

out=$("$COMPARE" "$WORK/two_a/model.json" "$WORK/two_b/model.json" 0) \
  || fail "two runs with 2 ranks are not bit-identical: $out"
out=$("$COMPARE" "$WORK/one/model.json" "$WORK/two_a/model.json" 1e-4) \
  || fail "2 ranks vs 1 process: weights differ beyond 1e-4: $out"
echo "1 vs 2 processes: $out"
# The test accuracies agree too (both are global: each rank evaluates half the test set).
a1=$(sed -n 's/^Test accuracy: //p' "$WORK/one.txt")
a2=$(sed -n 's/^Test accuracy: //p' "$WORK/two_a.txt")
awk -v a="$a1" -v b="$a2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.002) }' \
  || fail "test accuracy 1 process $a1 vs 2 ranks $a2"

# In a workspace only rank 0 creates and logs the run.
if [ -n "$GLIA" ]; then
  "$GLIA" workspace init "$WORK/ws" >/dev/null
  (cd "$WORK/ws" && "${MPIRUN[@]}" -np 2 "$BIN" --data-folder "$WORK/data" --epochs 1 \
    --batch-size 64 --threads 1 --model-dir "$WORK/ws_model" >"$WORK/ws.txt" 2>&1) \
    || fail "mpirun in a workspace: $(tail -20 "$WORK/ws.txt")"
  runs=$("$GLIA" -w "$WORK/ws" run list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  [ "$runs" -eq 1 ] || fail "$runs runs created by 2 ranks (expected 1)"
fi

# kill -9 of rank 1 mid-training: mpirun ends non-zero naming the rank, nothing survives.
"${MPIRUN[@]}" -np 2 "$BIN" --data-folder "$WORK/data" --epochs 200 --batch-size 64 --threads 1 \
  --model-dir "$WORK/killed" >"$WORK/kill.txt" 2>&1 &
MPI_PID=$!
rank1=""
for _ in $(seq 1 100); do
  for p in $(pgrep -P "$MPI_PID" || true); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then rank1=$p; fi
  done
  [ -n "$rank1" ] && break
  sleep 0.1
done
[ -n "$rank1" ] || { kill -9 "$MPI_PID"; fail "rank 1 of the mpirun never appeared"; }
ranks=$(pgrep -P "$MPI_PID" | tr '\n' ' ')
sleep 2  # in the training loop (the data set loads in well under a second)
kill -9 "$rank1"
rc=0
for _ in $(seq 1 300); do kill -0 "$MPI_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$MPI_PID" 2>/dev/null; then
  kill -9 "$MPI_PID" $ranks 2>/dev/null || true
  fail "mpirun still running 30 s after rank 1 was killed: $(tail -5 "$WORK/kill.txt")"
fi
wait "$MPI_PID" || rc=$?
[ "$rc" -ne 0 ] || fail "mpirun exited 0 after rank 1 was killed"
grep -Eq 'rank 1 .*(signal 9|Killed)' "$WORK/kill.txt" || fail "the killed rank is not named: $(cat "$WORK/kill.txt")"
for p in $ranks; do
  for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$p" 2>/dev/null || fail "rank process $p survived the failed job"
done
! pgrep -f -- "--model-dir $WORK/killed" >/dev/null || fail "a process of the killed job is left"
echo "PASS mpi_training (1 vs 2 ranks: $out; kill -9 → exit $rc, rank named)"
