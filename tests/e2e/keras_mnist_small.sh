#!/usr/bin/env bash
# glia-keras-mnist on a generated dataset: Keras-style output, accuracy, determinism, bad input.
source "$(dirname "$0")/lib.sh"
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
echo "PASS keras_mnist_small (test accuracy $acc)"
