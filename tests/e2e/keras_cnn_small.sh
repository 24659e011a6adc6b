#!/usr/bin/env bash
# glia-keras-cnn on a small generated image set: it learns in seconds, prints the Keras summary,
# is deterministic, its files load in `glia predict` (--verify), the example's cnn.json trains
# with `glia train`, the example's job file runs as a job, and bad input is a one-line error.
source "$(dirname "$0")/lib.sh"
BIN=$1
GLIA=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$WORK"  # glia-keras-cnn writes outputs/ where it starts
"$MAKE_SYNTHETIC_MNIST" "$WORK/data" 2000 500 >/dev/null
# Batch 16: 375 steps in 3 epochs, enough for BatchNormalization's moving statistics to settle.
run() { "$BIN" --data-folder "$WORK/data" --batch-size 16 --threads 2 "$@"; }

start=$(date +%s)
run --epochs 3 --seed 3 >a.txt 2>a.err || fail "glia-keras-cnn: $(cat a.err)"
seconds=$(($(date +%s) - start))
grep -q '^(2000, 28, 28, 1)$' a.txt || fail "no image shape line: $(head -5 a.txt)"
grep -q 'Total params: 225,322' a.txt || fail "summary: $(grep params a.txt)"
grep -q 'Non-trainable params: 192' a.txt || fail "summary: $(grep params a.txt)"
grep -q '^Epoch 3/3$' a.txt || fail "no 'Epoch 3/3' line"
acc=$(sed -n 's/^Test accuracy: //p' a.txt)
awk -v a="$acc" 'BEGIN { exit !(a >= 0.6) }' || fail "test accuracy $acc < 0.6 (chance 0.1)"
for f in model.json model.h5 model.keras; do
  [ -s "outputs/model/$f" ] || fail "no outputs/model/$f"
done
[ ! -e outputs/checkpoints ] || fail "checkpoints left after training ended"

# The saved model predicts from the IDX images as the model's (28, 28, 1) inputs, and matches
# the reference stored in its file; its classes agree with the labels as the accuracy says.
"$GLIA" predict --model outputs/model/model.keras --input data/t10k-images-idx3-ubyte.gz \
  --verify >p.json 2>verify.txt || fail "predict: $(cat verify.txt)"
grep -q "matches its stored reference" verify.txt || fail "--verify said: $(cat verify.txt)"
python3 - <<'PY' || fail "predictions"
import gzip, json
p = json.load(open("p.json"))
labels = gzip.open("data/t10k-labels-idx1-ubyte.gz").read()[8:]
assert len(p["classes"]) == 500, len(p["classes"])
acc = sum(int(c == l) for c, l in zip(p["classes"], labels)) / 500
assert acc >= 0.6, acc
PY
for model in outputs/model/model.json outputs/model/model.h5; do
  "$GLIA" predict --model "$model" --input data/t10k-images-idx3-ubyte.gz --verify >/dev/null \
    2>&1 || fail "predict $model"
done

# Same seed and threads: identical metrics (timings removed).
run --epochs 1 --seed 3 --model-dir b >b.txt
run --epochs 1 --seed 3 --model-dir c >c.txt
strip() { sed -E 's/ - [0-9]+s - [0-9]+(us|ms|s)\/step//' "$1" | grep -v '^model saved'; }
diff <(strip b.txt) <(strip c.txt) >/dev/null || fail "two runs with the same seed differ"

# The example's Keras config trains with no C++.
"$GLIA" train --model "$ROOT/examples/keras-cnn/cnn.json" --data-folder data --epochs 1 \
  --batch-size 32 --save json/cnn.keras --verbose 0 >train.txt 2>&1 || fail "glia train cnn.json: $(cat train.txt)"
grep -q "225322 parameters" train.txt || fail "glia train cnn.json: $(cat train.txt)"
grep -q "^test: accuracy" train.txt || fail "glia train cnn.json: $(cat train.txt)"

# Bad input: one-line errors, non-zero exit.
expect_fail "$BIN" --data-folder "$WORK/nowhere" --epochs 1
grep -q "nowhere" <<<"$LAST_ERR" || fail "missing folder not named: $LAST_ERR"
expect_fail "$BIN" --data-folder data --batch-size 0

# The example's job file as a job: tracked, completed, with the sample's metrics.
export PATH="$(dirname "$BIN"):$PATH"
"$GLIA" workspace init ws >/dev/null
rc=0
"$GLIA" -w ws job submit -f "$ROOT/examples/keras-cnn/job.yml" --stream \
  --set inputs.data_folder="$WORK/data" --set inputs.epochs=1 >job.txt 2>job.err || rc=$?
[ "$rc" -eq 0 ] || fail "example job failed ($rc): $(cat job.err)"
grep -q "^Test accuracy:" job.txt || fail "example job output: $(cat job.txt)"
jid=$("$GLIA" -w ws job list --experiment keras-cnn --limit 1 -o json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$GLIA" -w ws job show "$jid" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["status"] == "Completed", j["status"]
assert j["inputs"]["batch_size"] == "64", j["inputs"]
for k in ("Loss", "Accuracy", "Final test accuracy", "val_accuracy"):
    assert k in j["metrics"], k
' || fail "example job in run history"
echo "PASS keras_cnn_small (test accuracy $acc, ${seconds}s for 3 epochs of 2000 images)"
