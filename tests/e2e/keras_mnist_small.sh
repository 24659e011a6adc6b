#!/usr/bin/env bash
# glia-keras-mnist on a generated dataset: Keras-style output, accuracy, determinism, bad input.
source "$(dirname "$0")/lib.sh"
# Its own folder: glia-keras-mnist writes outputs/ (and checkpoints there) where it starts.
cd "$WORK"
BIN=$1
"$MAKE_SYNTHETIC_MNIST" "$WORK/data/nested"
run() { "$BIN" --data-folder "$WORK/data" --epochs 3 --batch-size 32 --threads 2 "$@"; }

run --seed 7 >"$WORK/a.txt"
grep -q '^Epoch 1/3$' "$WORK/a.txt" || fail "no 'Epoch 1/3' line"
grep -Eq '^63/63 - [0-9]+s - [0-9]+(us|ms|s)/step - accuracy: [0-9.]+ - loss: [0-9.e-]+ - val_accuracy: [0-9.]+ - val_loss: [0-9.e-]+$' "$WORK/a.txt" \
  || fail "epoch line not in Keras verbose=2 format: $(grep -m1 '^63/63' "$WORK/a.txt")"
grep -q 'Total params: 266,610\|Total params: 89,610' "$WORK/a.txt" || fail "no model summary"
acc=$(sed -n 's/^Test accuracy: //p' "$WORK/a.txt")
awk -v a="$acc" 'BEGIN { exit !(a >= 0.95) }' || fail "test accuracy $acc < 0.95"

# Same seed and threads: identical metrics (timings removed).
run --seed 7 >"$WORK/b.txt"
strip() { sed -E 's/ - [0-9]+s - [0-9]+(us|ms|s)\/step//' "$1"; }
diff <(strip "$WORK/a.txt") <(strip "$WORK/b.txt") >/dev/null || fail "two runs with the same seed differ"
run --seed 8 >"$WORK/c.txt"
! diff -q <(strip "$WORK/a.txt") <(strip "$WORK/c.txt") >/dev/null || fail "different seeds gave identical runs"

# Bad input: one-line errors, non-zero exit.
expect_fail "$BIN" --data-folder "$WORK/nowhere" --epochs 1
echo "$LAST_ERR" | grep -q "nowhere" || fail "missing folder not named: $LAST_ERR"
mkdir -p "$WORK/broken" && cp "$WORK"/data/nested/* "$WORK/broken/"
head -c 100 "$WORK/data/nested/train-images-idx3-ubyte.gz" >"$WORK/broken/train-images-idx3-ubyte.gz"
expect_fail "$BIN" --data-folder "$WORK/broken" --epochs 1
echo "$LAST_ERR" | grep -q "train-images-idx3-ubyte.gz" || fail "corrupt file not named: $LAST_ERR"
expect_fail "$BIN" --data-folder "$WORK/data" --batch-size 0
# Regression: a --model-dir that cannot be made (a file there) ended in std::terminate (SIGABRT,
# exit 134, no "error:" line) after training; now exit 1 with the folder named.
touch "$WORK/afile"
expect_fail_code 1 "$BIN" --data-folder "$WORK/data" --epochs 1 --verbose 0 --model-dir "$WORK/afile/model"
echo "$LAST_ERR" | grep -q "afile" || fail "the model folder is not named: $LAST_ERR"
# In a workspace the training is tracked as a run with the seed's metrics.
GLIA=$2
"$GLIA" workspace init "$WORK/ws" >/dev/null
(cd "$WORK/ws" && run --seed 7 --epochs 2 >"$WORK/tracked.txt")
id=$(sed -n 's/^Run: //p' "$WORK/tracked.txt")
[ -n "$id" ] || fail "no 'Run:' line in a workspace"
"$GLIA" -w "$WORK/ws" run show "$id" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["status"] == "Completed", j["status"]
for k in ("Loss", "Accuracy", "Final test loss", "Final test accuracy", "val_loss", "loss"):
    assert k in j["metrics"], k
assert [h["status"] for h in j["history"]] == ["NotStarted", "Running", "Completed"], j["history"]
' || fail "tracked run"
[ "$("$GLIA" -w "$WORK/ws" run metrics "$id" --name Accuracy -o csv | wc -l)" -eq 3 ] || fail "Accuracy list"
expect_fail "$GLIA" -w "$WORK/ws" run metrics nope
"$GLIA" -w "$WORK/ws" run metrics "$id" --chart "$WORK/chart.svg" >/dev/null 2>&1 || fail "--chart svg"
grep -q "<svg" "$WORK/chart.svg" || fail "chart.svg is not SVG"
expect_fail "$GLIA" -w "$WORK/ws" run metrics "$id" --chart "$WORK/chart.gif"
# The seed's job file, submitted as a job on synthetic data: the seed's metrics, the
# "Accuracy vs Loss" image (a real PNG) and the log land in run history.
export PATH="$(dirname "$BIN"):$PATH"
JOB_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
rc=0
"$GLIA" -w "$WORK/ws" job submit -f "$JOB_ROOT/examples/keras-mnist/job.yml" --stream \
  --set inputs.data_folder="$WORK/data" --set inputs.epochs=2 >"$WORK/job.txt" 2>"$WORK/job.err" || rc=$?
[ "$rc" -eq 0 ] || fail "example job failed ($rc): $(cat "$WORK/job.err")"
grep -q "^Test accuracy:" "$WORK/job.txt" || fail "example job output: $(cat "$WORK/job.txt")"
jid=$("$GLIA" -w "$WORK/ws" job list --experiment keras-mnist --limit 1 -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$GLIA" -w "$WORK/ws" job show "$jid" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["status"] == "Completed", j
assert j["inputs"]["batch_size"] == "50" and j["inputs"]["learning_rate"] == "0.001", j["inputs"]
for k in ("Loss", "Accuracy", "Final test loss", "Final test accuracy", "val_accuracy"):
    assert k in j["metrics"], k
assert j["metrics"]["Accuracy"]["step"] == 1, j["metrics"]["Accuracy"]
assert j["images"] == [{"name": "Accuracy vs Loss", "step": 0, "path": "images/Accuracy vs Loss.png"}], j.get("images")
' || fail "example job in run history"
"$GLIA" -w "$WORK/ws" run download "$jid" images -o "$WORK/img" >/dev/null
head -c 8 "$WORK/img/images/Accuracy vs Loss.png" | od -An -c | grep -q "P   N   G" || fail "the image is not a PNG"
echo "PASS keras_mnist_small (test accuracy $acc)"
