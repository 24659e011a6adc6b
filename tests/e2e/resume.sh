#!/usr/bin/env bash
# Checkpoint and resume: glia-keras-mnist as a job, its training process killed with kill -9 at
# a random point of epoch k (after the checkpoint of the epochs before it), the run Failed with
# its checkpoint stored; `glia job resume` → a new run that restores it and goes on from epoch k
# → Completed, with final weights bit-identical to a run that was never interrupted. With MPI,
# the same for mpirun -np 2 killed and started again in its folder.
source "$(dirname "$0")/lib.sh"
GLIA=$1
KM=$2
: "${COMPARE_WEIGHTS:?set by ctest: the compare_weights tool}"
export PATH="$(dirname "$KM"):$PATH"
EPOCHS=6
"$MAKE_SYNTHETIC_MNIST" "$WORK/data" 20000 500
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
# One thread in every run: bit-identical results are promised at the same thread count.
cat >"$WORK/job.yml" <<YML
command: >-
  glia-keras-mnist --data-folder \${{inputs.data}} --epochs $EPOCHS --batch-size 32
  --first-layer-neurons 300 --second-layer-neurons 100 --seed 3 --threads 1
inputs:
  data:
    type: uri_folder
    path: $WORK/data
experiment_name: resume
YML

# The interrupted run: killed in epoch k (0-based, k >= 1) at a random point, after the
# checkpoint of epochs 0..k-1 (the folder epoch-k) is in place.
ID=$(submit "$WS" "$WORK/job.yml")
CKPT="$WS/.glia/runs/$ID/wd/outputs/checkpoints"
wait_for() {  # wait_for PATH SECONDS: until PATH exists
  local i
  for ((i = 0; i < $2 * 100; i++)); do
    [ -e "$1" ] && return 0
    sleep 0.01
  done
  fail "$1 never appeared ($(run_field "$WS" "$ID" status): $(run_field "$WS" "$ID" error))"
}
wait_for "$CKPT/epoch-1" 120
T1=$(date +%s.%N)
LEADER=$(run_field "$WS" "$ID" pid)
TRAINER=
for p in $(pgrep -g "$LEADER"); do  # the program itself, not the shell that started it
  [ "$(basename "$(readlink "/proc/$p/exe")")" = glia-keras-mnist ] && TRAINER=$p
done
[ -n "$TRAINER" ] || fail "no training process in the job's group $LEADER"
wait_for "$CKPT/epoch-2" 60
T2=$(date +%s.%N)
K=2
# A random point of epoch 2: between 10% and 80% of the last epoch's duration.
DELAY=$(python3 -c "import random; print(($T2 - $T1) * random.uniform(0.1, 0.8))")
sleep "$DELAY"
kill -9 "$TRAINER"
wait_status "$WS" "$ID" Failed 30
# On a loaded machine epoch 2 may have ended before the kill: then it died in epoch 3.
FILES=$("$GLIA" -w "$WS" run files "$ID" -o json)
K=$(python3 -c '
import json, re, sys
print(max(int(m.group(1)) for f in json.loads(sys.argv[1])
          for m in [re.match(r"outputs/checkpoints/epoch-(\d+)/", f["path"])] if m))
' "$FILES") || fail "no checkpoint stored: $FILES"
[ "$K" -ge 2 ] && [ "$K" -lt "$EPOCHS" ] || fail "killed after epoch $K"
echo "killed the training in epoch $K, ${DELAY}s into it (epoch time $(python3 -c "print(round($T2 - $T1, 2))")s)"

# Its stored files hold the last checkpoint, whole. (A kill during a save may also leave the
# save's .tmp-epoch-* folder, or the checkpoint before it not yet removed: both are ignored.)
python3 -c '
import json, sys
k = sys.argv[1]
paths = {f["path"] for f in json.loads(sys.argv[2])}
want = {"outputs/checkpoints/epoch-%s/model.weights.h5" % k,
        "outputs/checkpoints/epoch-%s/training_state.json" % k}
assert want <= paths, sorted(paths)
' "$K" "$FILES" || fail "the killed run's checkpoint files: $FILES"
N_CKPT=$(python3 -c '
import json, sys
print(sum(f["path"].startswith("outputs/checkpoints/") for f in json.loads(sys.argv[1])))
' "$FILES")

# Resume: a new run of the same job, starting from that checkpoint.
OUT=$("$GLIA" -w "$WS" job resume "$ID")
R=$(sed -n "s/^Resumed $ID as \([^ ]*\) .* with $N_CKPT checkpoint file(s)\.$/\1/p" <<<"$OUT")
[ -n "$R" ] || fail "glia job resume: $OUT"
wait_status "$WS" "$R" Completed 180
"$GLIA" -w "$WS" job show "$R" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["properties"]["resumed_from"] == sys.argv[1], j["properties"]
assert "'"$WS"'/.glia/runs/" + j["id"] + "/inputs/data" in j["command"], j["command"]
' "$ID" || fail "the resumed run's record"
LOG="$WORK/resumed.log"
"$GLIA" -w "$WS" run download "$R" user_logs/std_log.txt -o "$LOG" >/dev/null
grep -q "^\[glia\] resumed from run $ID: $N_CKPT checkpoint file(s) restored" "$LOG" || fail "log: $(head -3 "$LOG")"
grep -q "^Restored the training state of epoch $K from outputs/checkpoints/epoch-$K$" "$LOG" \
  || fail "the program did not restore the checkpoint: $(grep -m3 -i 'epoch' "$LOG")"
! grep -q "^Epoch $K/$EPOCHS$" "$LOG" || fail "epochs before the checkpoint ran again"
grep -q "^Epoch $((K + 1))/$EPOCHS$" "$LOG" || fail "epoch $((K + 1)) did not run"
! "$GLIA" -w "$WS" run files "$R" -o json | grep -q '"outputs/checkpoints/' \
  || fail "a completed run keeps no checkpoint"

# The run never interrupted: the same final weights, bit for bit.
U=$(submit "$WS" "$WORK/job.yml")
wait_status "$WS" "$U" Completed 180
"$GLIA" -w "$WS" run download "$R" outputs/model -o "$WORK/resumed" >/dev/null
"$GLIA" -w "$WS" run download "$U" outputs/model -o "$WORK/straight" >/dev/null
for f in model.json model.keras; do
  "$COMPARE_WEIGHTS" "$WORK/resumed/outputs/model/$f" "$WORK/straight/outputs/model/$f" 0 \
    || fail "$f: the resumed run's weights differ from the uninterrupted run's"
done
# The tool can fail: another seed's weights differ.
sed -e "s/--seed 3/--seed 4/" -e "s/--epochs $EPOCHS/--epochs 1/" "$WORK/job.yml" >"$WORK/other.yml"
D=$(submit "$WS" "$WORK/other.yml")
wait_status "$WS" "$D" Completed 120
"$GLIA" -w "$WS" run download "$D" outputs/model -o "$WORK/other" >/dev/null
! "$COMPARE_WEIGHTS" "$WORK/other/outputs/model/model.json" "$WORK/straight/outputs/model/model.json" \
  0 >/dev/null || fail "compare_weights found different weights identical"

# What cannot be resumed: a completed job, an unknown run, a run not ended.
expect_fail "$GLIA" -w "$WS" job resume "$U"
grep -q "Completed: nothing to resume" <<<"$LAST_ERR" || fail "resume of a completed job: $LAST_ERR"
expect_fail "$GLIA" -w "$WS" job resume nope_1_2
cat >"$WORK/sleep.yml" <<'YML'
command: sleep 3456.5
YML
S=$(submit "$WS" "$WORK/sleep.yml")
wait_status "$WS" "$S" Running
expect_fail "$GLIA" -w "$WS" job resume "$S"
grep -q "is Running: a job is resumed once it has ended" <<<"$LAST_ERR" || fail "$LAST_ERR"
"$GLIA" -w "$WS" job cancel "$S" >/dev/null
# A canceled job with no checkpoint resumes from the beginning, with a warning.
"$GLIA" -w "$WS" job resume "$S" >"$WORK/out" 2>"$WORK/err" || fail "resume of a canceled job"
grep -q "stored no files under outputs/checkpoints/: the job starts from the beginning" "$WORK/err" \
  || fail "no warning: $(cat "$WORK/err")"
NEW=$(sed -n "s/^Resumed $S as \([^ ]*\) .*/\1/p" "$WORK/out")
"$GLIA" -w "$WS" job cancel "$NEW" >/dev/null

# glia train --checkpoint-dir: the same callback (removed once training ends); the killed run's
# checkpoint is another fit's (other optimizer state, batch size): refused, naming its folder.
TRAIN=("$GLIA" train --model "$WORK/straight/outputs/model/model.json" --data-folder "$WORK/data"
  --optimizer rmsprop --epochs 1 --batch-size 64 --verbose 0)
"${TRAIN[@]}" --checkpoint-dir "$WORK/tc" --save "$WORK/t.keras" >/dev/null || fail "glia train --checkpoint-dir"
[ ! -e "$WORK/tc" ] || fail "glia train kept its checkpoints after training ended"
"$GLIA" -w "$WS" run download "$ID" outputs/checkpoints -o "$WORK/old" >/dev/null
expect_fail "${TRAIN[@]}" --checkpoint-dir "$WORK/old/outputs/checkpoints" --save "$WORK/t.keras"
grep -q "epoch-$K: the checkpoint was written by another fit" <<<"$LAST_ERR" || fail "$LAST_ERR"

# Under mpirun -np 2 (built with MPI): both ranks restore the checkpoint rank 0 wrote, and the
# resumed training ends with the weights of an uninterrupted 2-rank run.
if [ "${3:-OFF}" = ON ] && command -v mpirun >/dev/null; then
  MPIRUN=(mpirun --oversubscribe --bind-to none -np 2)
  [ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)
  unset OMPI_COMM_WORLD_SIZE PMI_SIZE PMIX_SIZE SLURM_STEP_NUM_TASKS GLIA_DISTRIBUTED
  mkdir -p "$WORK/mpi_a" "$WORK/mpi_b"
  train() { "${MPIRUN[@]}" "$KM" --data-folder "$WORK/data" --epochs 4 --batch-size 64 --threads 1 --seed 5 "$@"; }
  (cd "$WORK/mpi_a" && train >log 2>&1) || fail "mpirun: $(tail -5 "$WORK/mpi_a/log")"
  cd "$WORK/mpi_b"
  train >log1 2>&1 &
  MPI_PID=$!
  for ((i = 0; i < 1200; i++)); do [ -d outputs/checkpoints/epoch-2 ] && break; sleep 0.05; done
  [ -d outputs/checkpoints/epoch-2 ] || { kill -9 "$MPI_PID"; fail "no checkpoint under mpirun"; }
  # The ranks are mpirun's children (MPI_PID is the subshell running train, or mpirun itself):
  # killing mpirun alone would leave them to finish and delete the checkpoint.
  MPIRUN_PID=$(pgrep -P "$MPI_PID" -x mpirun || echo "$MPI_PID")
  for p in $(pgrep -P "$MPIRUN_PID"); do kill -9 "$p"; done
  wait "$MPI_PID" 2>/dev/null || true
  train >log2 2>&1 || fail "resumed mpirun: $(tail -5 log2)"
  [ "$(grep -c "^Restored the training state of epoch" log2)" = 1 ] || fail "rank 0 alone says it restored: $(cat log2)"
  "$COMPARE_WEIGHTS" "$WORK/mpi_a/outputs/model/model.json" outputs/model/model.json 0 \
    || fail "2 ranks resumed: weights differ from an uninterrupted 2-rank run"
  [ ! -e outputs/checkpoints ] || fail "the checkpoints outlived the completed run"
  cd "$WORK"
fi
echo "PASS resume"
