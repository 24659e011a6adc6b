#!/usr/bin/env bash
# Data-parallel resume: every rank must restore the same checkpoint. When the ranks find
# different ones (a backup_dir that is not on a filesystem they share), fit() fails at once on
# every rank with an error naming the ranks, instead of the ranks running different epochs into
# mismatched collectives (a hang, or garbage).
# Usage: mpi_resume_ranks.sh GLIA_KERAS_MNIST MPI_FOUND
source "$(dirname "$0")/lib.sh"
cd "$WORK"
BIN=$(realpath "$1") MPI_FOUND=${2:-OFF}
if [ "$MPI_FOUND" != "ON" ] || ! command -v mpirun >/dev/null; then
  echo "SKIP mpi_resume_ranks: Glia was built without MPI or mpirun is missing"
  exit 77
fi
MPIRUN=(mpirun --oversubscribe --bind-to none)
[ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)
"$MAKE_SYNTHETIC_MNIST" "$WORK/data" 20000 200 >/dev/null
unset OMPI_COMM_WORLD_SIZE PMI_SIZE PMIX_SIZE SLURM_STEP_NUM_TASKS GLIA_DISTRIBUTED

# A checkpoint in ck0 only: a one-process run killed once the first one is written.
"$BIN" --data-folder "$WORK/data" --epochs 50 --batch-size 64 --threads 1 --seed 5 --verbose 0 \
  --checkpoint-dir "$WORK/ck0" --model-dir "$WORK/m0" >"$WORK/first.txt" 2>&1 &
PID=$!
for _ in $(seq 1200); do
  ls "$WORK"/ck0/epoch-*/training_state.json >/dev/null 2>&1 && break
  sleep 0.05
done
kill -9 "$PID" 2>/dev/null || true
wait "$PID" 2>/dev/null || true
ls -d "$WORK"/ck0/epoch-* >/dev/null 2>&1 || fail "no checkpoint written: $(tail -5 "$WORK/first.txt")"

# Rank 0 finds it in ck0, rank 1 finds none in ck1.
rc=0
timeout -k 5 120 "${MPIRUN[@]}" -np 2 sh -c \
  'exec "$0" --data-folder "$1/data" --epochs 3 --batch-size 64 --threads 1 --seed 5 --verbose 0 --checkpoint-dir "$1/ck$OMPI_COMM_WORLD_RANK" --model-dir "$1/m2"' \
  "$BIN" "$WORK" >"$WORK/two.txt" 2>&1 || rc=$?
[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || fail "ranks resuming from different checkpoints hung: $(tail -5 "$WORK/two.txt")"
[ "$rc" -ne 0 ] || fail "ranks resuming from different epochs trained on: $(tail -5 "$WORK/two.txt")"
grep -q "rank 1 .*epoch 0" "$WORK/two.txt" || fail "the error does not name the ranks' epochs: $(tail -20 "$WORK/two.txt")"
echo "PASS mpi_resume_ranks"
