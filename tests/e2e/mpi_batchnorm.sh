#!/usr/bin/env bash
# Data-parallel BatchNormalization: each rank moves its moving statistics on its own rows of
# every batch; at each epoch end they are averaged across the ranks, so the validation, the
# checkpoint and the saved model are one model on every rank (a resumed fit then validates as
# an uninterrupted one). Two ranks must end with bit-identical moving statistics and validation
# loss. Then frozen layers under 3 ranks.
# Usage: mpi_batchnorm.sh MPI_BATCHNORM MPI_FOUND
source "$(dirname "$0")/lib.sh"
BIN=$(realpath "$1") MPI_FOUND=${2:-OFF}
cd "$WORK"
if [ "$MPI_FOUND" != "ON" ] || ! command -v mpirun >/dev/null; then
  echo "SKIP mpi_batchnorm: Glia was built without MPI or mpirun is missing"
  exit 77
fi
MPIRUN=(mpirun --oversubscribe --bind-to none)
[ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)
unset OMPI_COMM_WORLD_SIZE PMI_SIZE PMIX_SIZE SLURM_STEP_NUM_TASKS GLIA_DISTRIBUTED

timeout -k 5 120 "${MPIRUN[@]}" -np 2 "$BIN" "$WORK/rank" >"$WORK/two.txt" 2>&1 \
  || fail "mpirun -np 2: $(tail -20 "$WORK/two.txt")"
[ -s "$WORK/rank0.txt" ] && [ -s "$WORK/rank1.txt" ] || fail "a rank wrote no statistics"
cmp -s "$WORK/rank0.txt" "$WORK/rank1.txt" \
  || fail "the ranks' moving statistics differ: $(diff "$WORK/rank0.txt" "$WORK/rank1.txt" | head -6)"

# Frozen layers under 3 ranks: a frozen batch norm's statistics and a frozen Dense's weights are
# left alone (the program checks them bit for bit; the epoch-end average skips them), and every
# rank ends with the same weights.
timeout -k 5 120 "${MPIRUN[@]}" -np 3 "$BIN" "$WORK/frozen" frozen >"$WORK/three.txt" 2>&1 \
  || fail "mpirun -np 3 (frozen layers): $(tail -20 "$WORK/three.txt")"
for r in 1 2; do
  cmp -s "$WORK/frozen0.txt" "$WORK/frozen$r.txt" \
    || fail "frozen layers: ranks 0 and $r differ: $(diff "$WORK/frozen0.txt" "$WORK/frozen$r.txt" | head -6)"
done
echo "PASS mpi_batchnorm"
