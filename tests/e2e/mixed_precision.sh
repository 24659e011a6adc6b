#!/usr/bin/env bash
# Keras' mixed_bfloat16 policy through the CLI (issue 16): `glia train --dtype-policy
# mixed_bfloat16` trains a float32 Keras config in mixed precision and saves every layer with the
# policy (as Keras 3 writes it in .keras, as a name in model.json); predict and evaluate use the
# file's policy unless --dtype-policy says otherwise, and the two precisions agree within
# bfloat16's tolerance without being equal. An unknown policy, from a flag or in a file, is
# refused with one line and exit code 2.
source "$(dirname "$0")/lib.sh"
GLIA=$1
cd "$WORK"
"$MAKE_SYNTHETIC_MNIST" data 600 200 >/dev/null
cat >mlp.json <<'JSON'
{"class_name": "Sequential", "config": {"name": "mlp", "layers": [
 {"class_name": "InputLayer", "config": {"batch_shape": [null, 784], "name": "pixels"}},
 {"class_name": "Dense", "config": {"name": "hidden", "units": 32, "activation": "relu"}},
 {"class_name": "Dense", "config": {"name": "out", "units": 10, "activation": "softmax"}}]}}
JSON
"$GLIA" train --model mlp.json --data-folder data --epochs 3 --batch-size 50 --optimizer adam \
  --dtype-policy mixed_bfloat16 --output saved -o json --verbose 0 >train.json 2>train.err ||
  fail "train: $(cat train.json train.err)"
python3 - <<'PY' || fail "saved policies: $(cat train.json)"
import json, zipfile
t = json.load(open("train.json"))
assert t["test"]["accuracy"] > 0.5, t
config = json.loads(zipfile.ZipFile("saved/model.keras").read("config.json"))
layers = config["config"]["layers"]
assert layers[0]["config"]["dtype"] == "float32", layers[0]
for layer in layers[1:]:
    assert layer["config"]["dtype"]["config"]["name"] == "mixed_bfloat16", layer
assert config["config"]["dtype"]["config"]["name"] == "mixed_bfloat16", config["config"]
legacy = json.load(open("saved/model.json"))
assert [l["config"]["dtype"] for l in legacy["config"]["layers"][1:]] == ["mixed_bfloat16"] * 2
PY
"$GLIA" predict --model saved/model.keras --input data/t10k-images-idx3-ubyte.gz >bf16.json ||
  fail "predict (the file's mixed_bfloat16)"
"$GLIA" predict --model saved/model.keras --input data/t10k-images-idx3-ubyte.gz \
  --dtype-policy float32 >f32.json || fail "predict --dtype-policy float32"
python3 - <<'PY' || fail "bf16 and float32 predictions"
import json
a = json.load(open("bf16.json"))["probabilities"]
b = json.load(open("f32.json"))["probabilities"]
diff = max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))
assert 0 < diff < 0.05, diff
PY
"$GLIA" evaluate --model saved/model.keras --data-folder data --dtype-policy float32 -o json \
  >eval.json || fail "evaluate: $(cat eval.json)"
python3 - <<'PY' || fail "evaluate in float32: $(cat eval.json) vs $(cat train.json)"
import json
e, t = json.load(open("eval.json")), json.load(open("train.json"))
assert t["dtype_policy"] == "mixed_bfloat16", t
assert abs(e["test"]["accuracy"] - t["test"]["accuracy"]) <= 0.03, (e, t)
PY
expect_fail_code 2 "$GLIA" predict --model saved/model.keras --input data/t10k-images-idx3-ubyte.gz \
  --dtype-policy float16
grep -q "dtype-policy" <<<"$LAST_ERR" || fail "flag not named: $LAST_ERR"
sed 's/"units": 32,/"units": 32, "dtype": "mixed_float16",/' mlp.json >f16.json
expect_fail_code 2 "$GLIA" train --model f16.json --data-folder data --optimizer adam
grep -q "mixed_float16" <<<"$LAST_ERR" || fail "policy not named: $LAST_ERR"
echo "mixed precision OK"
