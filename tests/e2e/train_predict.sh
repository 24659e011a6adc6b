#!/usr/bin/env bash
# glia train and glia predict end to end: a Keras config trained with no C++ and saved in all
# three formats; predictions from IDX, NPY and the scoring service's JSON agree across formats
# and with a registered model; --verify passes on Glia's files and catches an edited one;
# training continues from a .keras with its optimizer state; a config takes only its own weights
# and says which on stderr; bad input is a one-line error (exit 1), bad usage exit 2.
source "$(dirname "$0")/lib.sh"
GLIA=$1
cd "$WORK"
"$MAKE_SYNTHETIC_MNIST" data 600 200 >/dev/null
# A tf.keras 2.x to_json() of a small MLP with Dropout (no C++ involved).
cat >model.json <<'JSON'
{"class_name": "Sequential", "config": {"name": "sequential", "layers": [
 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 784], "dtype": "float32", "name": "dense_input"}},
 {"class_name": "Dense", "config": {"name": "dense", "units": 32, "activation": "relu",
  "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.001}}}},
 {"class_name": "Dropout", "config": {"name": "dropout", "rate": 0.2}},
 {"class_name": "Dense", "config": {"name": "dense_1", "units": 10, "activation": "softmax"}}]},
 "keras_version": "2.15.0", "backend": "tensorflow"}
JSON
"$GLIA" train --model model.json --data-folder data --epochs 2 --batch-size 50 --optimizer adam \
  --output saved --verbose 0 >train.txt || fail "train: $(cat train.txt)"
for f in model.json model.h5 model.keras; do [ -s "saved/$f" ] || fail "train did not write saved/$f"; done
grep -q "^test: accuracy" train.txt || fail "train output: $(cat train.txt)"

# No optimizer in the file and none given: refused (never a silent RMSprop), with no file written;
# the same for a compile_config that names no optimizer.
expect_fail "$GLIA" train --model model.json --data-folder data --save noopt/m.keras --verbose 0
grep -q "no compile_config; pass --optimizer" <<<"$LAST_ERR" || fail "no optimizer: $LAST_ERR"
[ "$(wc -l <"$WORK/err")" = 1 ] || fail "more than one line: $LAST_ERR"
[ ! -e noopt ] || fail "a refused train wrote noopt/"
python3 - <<'PY'
import json
m = json.load(open("model.json"))
m["compile_config"] = {"loss": "categorical_crossentropy", "metrics": ["accuracy"]}
json.dump(m, open("noopt.json", "w"))
PY
expect_fail "$GLIA" train --model noopt.json --data-folder data --verbose 0
grep -q "compile_config names no optimizer; pass --optimizer" <<<"$LAST_ERR" ||
  fail "compile_config without optimizer: $LAST_ERR"
"$GLIA" train --model noopt.json --data-folder data --optimizer sgd --save noopt/m.keras \
  --verbose 0 >/dev/null || fail "noopt.json with --optimizer sgd"

# -o json: the history per epoch, the test scores and the files written.
"$GLIA" train --model model.json --data-folder data --epochs 2 --optimizer rmsprop --save json/m.keras \
  -o json --verbose 0 >train.json
python3 - <<'PY' || fail "train -o json: $(cat train.json)"
import json
t = json.load(open("train.json"))
assert len(t["history"]["loss"]) == 2 and "accuracy" in t["test"], t
assert t["saved"] == ["json/m.keras"] and t["parameters"] == 784 * 32 + 32 + 330, t
PY

# Inputs: IDX images, .npy float32 and the scoring service's {"data": [[...]]}, same rows.
python3 - <<'PY'
import gzip, json, struct
raw = gzip.open("data/t10k-images-idx3-ubyte.gz").read()[16:16 + 5 * 784]
rows = [[b * (1.0 / 255.0) for b in raw[i * 784:(i + 1) * 784]] for i in range(5)]
json.dump({"data": rows}, open("five.json", "w"))
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 784), }"
header += " " * (63 - len(header)) + "\n"
with open("five.npy", "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<%df" % (5 * 784), *[struct.unpack("f", struct.pack("f", v))[0] for r in rows for v in r]))
PY
probs() { python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["classes"]) == len(d["probabilities"]); print(json.dumps(d["probabilities"]))'; }
"$GLIA" predict --model saved/model.keras --input data/t10k-images-idx3-ubyte.gz --limit 5 --verify \
  >p_keras.json 2>verify.txt || fail "predict .keras: $(cat verify.txt)"
grep -q "matches its stored reference" verify.txt || fail "--verify said: $(cat verify.txt)"
REF=$(probs <p_keras.json)
for model in saved/model.json saved/model.h5 saved; do
  [ "$("$GLIA" predict --model "$model" --input data/t10k-images-idx3-ubyte.gz --limit 5 --verify 2>/dev/null | probs)" = "$REF" ] ||
    fail "predictions from $model differ from model.keras"
done
for input in five.npy five.json; do
  OUT=$("$GLIA" predict --model saved/model.keras --input "$input" | probs)
  python3 - "$REF" "$OUT" <<'PY' || fail "predictions from $input differ"
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb)) < 1e-6
PY
done

# The activation layers, new activation strings, bias/activity regularizers and constraints
# train from a tf.keras 2 config (LeakyReLU's slope spelled alpha) and survive every format:
# predictions agree, --verify passes, and the written config keeps them; glu is refused.
cat >acts.json <<'JSON'
{"class_name": "Sequential", "config": {"name": "acts", "layers": [
 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 784]}},
 {"class_name": "Dense", "config": {"name": "d1", "units": 16, "activation": "swish",
  "bias_regularizer": {"class_name": "L2", "config": {"l2": 0.001}},
  "activity_regularizer": {"class_name": "L1", "config": {"l1": 0.0001}},
  "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 1.5, "axis": 0}},
  "bias_constraint": {"class_name": "NonNeg", "config": {}}}},
 {"class_name": "PReLU", "config": {"name": "p", "alpha_initializer": {"class_name": "Constant", "config": {"value": 0.25}},
  "alpha_constraint": {"class_name": "MinMaxNorm", "config": {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}}}},
 {"class_name": "LeakyReLU", "config": {"name": "leaky", "alpha": 0.1}},
 {"class_name": "ReLU", "config": {"name": "relu", "max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}},
 {"class_name": "Dense", "config": {"name": "d2", "units": 12, "activation": "hard_swish"}},
 {"class_name": "ELU", "config": {"name": "elu", "alpha": 0.5}},
 {"class_name": "Dense", "config": {"name": "d3", "units": 10}},
 {"class_name": "Softmax", "config": {"name": "probs", "axis": -1}}]},
 "keras_version": "2.15.0", "backend": "tensorflow"}
JSON
"$GLIA" train --model acts.json --data-folder data --epochs 1 --optimizer adam --output acts \
  --verbose 0 >acts.txt || fail "train acts.json: $(cat acts.txt)"
ACTS=$("$GLIA" predict --model acts/model.keras --input five.npy --verify 2>/dev/null | probs) ||
  fail "predict acts/model.keras"
for model in acts/model.json acts/model.h5; do
  [ "$("$GLIA" predict --model "$model" --input five.npy --verify 2>/dev/null | probs)" = "$ACTS" ] ||
    fail "predictions from $model differ from acts/model.keras"
done
python3 - <<'PY' || fail "acts/model.json: $(head -c 400 acts/model.json)"
import json
layers = json.load(open("acts/model.json"))["config"]["layers"]
by = {l["config"].get("name"): l for l in layers}
assert by["d1"]["config"]["activation"] == "silu", by["d1"]
assert by["d1"]["config"]["kernel_constraint"]["class_name"] == "MaxNorm", by["d1"]
assert by["leaky"]["config"]["alpha"] == 0.1 and by["elu"]["config"]["alpha"] == 0.5
assert by["p"]["class_name"] == "PReLU" and by["probs"]["class_name"] == "Softmax"
PY
sed 's/"swish"/"glu"/' acts.json >glu.json
expect_fail "$GLIA" train --model glu.json --data-folder data --optimizer adam --verbose 0
grep -q "activation 'glu' is not supported" <<<"$LAST_ERR" || fail "glu: $LAST_ERR"

# A registered model predicts the same, by NAME:VERSION.
"$GLIA" workspace init ws >/dev/null
"$GLIA" -w ws model register --name mlp --path saved >/dev/null
[ "$("$GLIA" -w ws predict --model mlp:1 --input five.npy --verify 2>/dev/null | probs)" = "$("$GLIA" predict --model saved/model.keras --input five.npy | probs)" ] ||
  fail "registered model predicts differently"
expect_fail "$GLIA" -w ws predict --model mlp:7 --input five.npy

# Training continues from a .keras: weights and optimizer state come back.
"$GLIA" train --model saved/model.keras --data-folder data --epochs 1 --no-shuffle --save more.keras \
  --verbose 0 >more.txt || fail "continue: $(cat more.txt)"
grep -q "optimizer state restored" more.txt || fail "continue: $(cat more.txt)"

# An edited architecture still loads the weights, but --verify catches it.
mkdir edited && cp saved/model.h5 edited/ && sed 's/"relu"/"tanh"/' saved/model.json >edited/model.json
expect_fail "$GLIA" predict --model edited/model.json --input five.npy --verify
grep -q "verification failed" <<<"$LAST_ERR" || fail "edited model: $LAST_ERR"

# Weights are never silently missing. A config alone (the tf.keras to_json above, no weights
# beside it) is refused by predict and evaluate, naming the files looked for.
expect_fail "$GLIA" predict --model model.json --input five.npy
grep -q "model.weights.h5" <<<"$LAST_ERR" && grep -q "model.h5" <<<"$LAST_ERR" ||
  fail "config alone: $LAST_ERR"
[ ! -s "$WORK/out" ] || fail "predicted without weights: $(cat "$WORK/out")"
expect_fail "$GLIA" evaluate --model model.json --data-folder data
# Nor does a config get another model's weights: model.h5 beside a copy of saved/model.json is
# model.json's, so untrained.json is refused (naming what it looked for), not predicted with it.
cp saved/model.json saved/untrained.json
expect_fail "$GLIA" predict --model saved/untrained.json --input five.npy
grep -q "untrained.weights.h5, untrained.h5 beside it; model.h5 there belongs to model.json" \
  <<<"$LAST_ERR" || fail "untrained.json: $LAST_ERR"
[ "$(wc -l <"$WORK/err")" = 1 ] || fail "more than one line: $LAST_ERR"
[ ! -s "$WORK/out" ] || fail "untrained.json predicted with model.json's weights: $(cat "$WORK/out")"
expect_fail "$GLIA" evaluate --model saved/untrained.json --data-folder data \
  --loss categorical_crossentropy -o json
grep -q "untrained.h5" <<<"$LAST_ERR" || fail "evaluate untrained.json: $LAST_ERR"
[ ! -s "$WORK/out" ] || fail "untrained.json evaluated: $(cat "$WORK/out")"
rm saved/untrained.json
# The weights a config took are never silent: predict and evaluate name them on stderr.
"$GLIA" predict --model saved/model.json --input five.npy >/dev/null 2>weights.err ||
  fail "predict saved/model.json: $(cat weights.err)"
[ "$(cat weights.err)" = "glia: weights: saved/model.h5" ] || fail "predict stderr: $(cat weights.err)"
"$GLIA" evaluate --model saved/model.json --data-folder data --loss categorical_crossentropy -o json \
  >eval_pair.json 2>weights.err ||
  fail "evaluate saved/model.json: $(cat weights.err)"
[ "$(cat weights.err)" = "glia: weights: saved/model.h5" ] || fail "evaluate stderr: $(cat weights.err)"
python3 -c 'import json; w = json.load(open("eval_pair.json"))["weights"]; assert w == "saved/model.h5", w' ||
  fail "evaluate -o json weights: $(cat eval_pair.json)"
# Keras 3 can only save_weights() to *.weights.h5: model.json + model.weights.h5 (the weights
# file inside the .keras archive has that layout) is found from the config and from the folder.
mkdir k3 && cp saved/model.json k3/model.json
python3 -c 'import zipfile; zipfile.ZipFile("saved/model.keras").extract("model.weights.h5", "k3")'
for model in k3/model.json k3 k3/model.weights.h5; do
  [ "$("$GLIA" predict --model "$model" --input data/t10k-images-idx3-ubyte.gz --limit 5 --verify 2>/dev/null | probs)" = "$REF" ] ||
    fail "Keras 3 pair: predictions from $model differ from model.keras"
done
# --weights names them explicitly (any name); a file holding its own weights refuses it.
mkdir k3b && cp saved/model.json k3b/net.json && cp k3/model.weights.h5 k3b/trained-weights.h5
expect_fail "$GLIA" predict --model k3b/net.json --input five.npy
[ "$("$GLIA" predict --model k3b/net.json --weights k3b/trained-weights.h5 --input data/t10k-images-idx3-ubyte.gz --limit 5 2>weights.err | probs)" = "$REF" ] ||
  fail "--weights: predictions differ"
[ "$(cat weights.err)" = "glia: weights: k3b/trained-weights.h5" ] || fail "--weights stderr: $(cat weights.err)"
expect_fail "$GLIA" predict --model saved/model.keras --weights k3b/trained-weights.h5 --input five.npy
grep -q "holds its own weights" <<<"$LAST_ERR" || fail "--weights with .keras: $LAST_ERR"

# glia evaluate: Keras' model.evaluate on the test split, the same numbers train reported.
"$GLIA" evaluate --model json/m.keras --data-folder data -o json >eval.json || fail "evaluate: $(cat eval.json)"
python3 - <<'PY' || fail "evaluate -o json: $(cat eval.json) vs $(cat train.json)"
import json
e, t = json.load(open("eval.json")), json.load(open("train.json"))
assert e["samples"] == 200, e
assert set(e["test"]) == set(t["test"]) == {"loss", "accuracy"}, (e, t)
assert all(abs(e["test"][k] - t["test"][k]) < 1e-6 for k in t["test"]), (e, t)
PY
"$GLIA" evaluate --model k3 --data-folder data --loss categorical_crossentropy --metrics accuracy \
  >eval.txt || fail "evaluate k3: $(cat eval.txt)"
grep -q "^test: accuracy [0-9.]* loss [0-9.]* (200 samples)" eval.txt || fail "evaluate text: $(cat eval.txt)"
expect_fail "$GLIA" evaluate --model k3 --data-folder data
grep -q "compile config" <<<"$LAST_ERR" || fail "evaluate without a compile config: $LAST_ERR"

# model register --verify: the registered files must load with weights (and match their
# reference sample); otherwise nothing is registered.
expect_fail "$GLIA" -w ws model register --name bare --path k3/model.json --verify
grep -q "not registered" <<<"$LAST_ERR" || fail "register --verify config alone: $LAST_ERR"
expect_fail "$GLIA" -w ws model register --name bare --path edited --verify
grep -q "verification failed" <<<"$LAST_ERR" || fail "register --verify edited: $LAST_ERR"
[ "$("$GLIA" -w ws model list --name bare -o json)" = "[]" ] || fail "a refused model was registered"
"$GLIA" -w ws model register --name k3 --path k3 --verify -o json >reg.json 2>reg.err || fail "register --verify: $(cat reg.err)"
python3 -c 'import json; v = json.load(open("reg.json"))["verified"]; assert v == {"file": "model.json", "weights": "model.weights.h5", "reference_checked": True}, v' ||
  fail "register --verify: $(cat reg.json)"
[ "$("$GLIA" -w ws predict --model k3:1 --input data/t10k-images-idx3-ubyte.gz --limit 5 | probs)" = "$REF" ] ||
  fail "registered Keras 3 pair predicts differently"

# Bad input: one line naming the file and the problem, exit 1; usage errors exit 2.
head -c 1000 saved/model.keras >broken.keras
expect_fail "$GLIA" predict --model broken.keras --input five.npy
[ "$(wc -l <"$WORK/err")" = 1 ] || fail "more than one line: $LAST_ERR"
grep -q "broken.keras" <<<"$LAST_ERR" || fail "broken.keras: $LAST_ERR"
sed 's/"Dropout"/"SpatialDropout1D"/' model.json >unsupported.json
expect_fail "$GLIA" train --model unsupported.json --data-folder data --verbose 0
grep -q "SpatialDropout1D" <<<"$LAST_ERR" || fail "unsupported layer: $LAST_ERR"
expect_fail "$GLIA" predict --model saved/model.keras --input data/train-labels-idx1-ubyte.gz
grep -q "does not fit the model input" <<<"$LAST_ERR" || fail "wrong input: $LAST_ERR"
rc=0
"$GLIA" predict --input five.npy >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "missing --model: exit $rc, expected 2"
[ -z "$(find . -name '.*.tmp-*')" ] || fail "temporary files left behind: $(find . -name '.*.tmp-*')"
echo "PASS train_predict"
