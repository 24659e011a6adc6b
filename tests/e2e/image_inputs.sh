#!/usr/bin/env bash
# Image-shaped model inputs end to end (issue 16): a Keras JSON config taking (28, 28, 1) images
# (Input -> Rescaling -> ZeroPadding2D -> Reshape -> Flatten -> Dense) trained by `glia train` on
# MNIST-layout IDX files (28x28 images fed as the model's input shape), evaluated, and predicted
# from IDX, .npy (flat rows) and JSON (flat rows, nested (28, 28, 1) rows and (28, 28) images) to
# the same answers; the scoring service takes the same rows. A model whose input holds another
# number of values is refused with one line.
source "$(dirname "$0")/lib.sh"
GLIA=$1
cd "$WORK"
"$MAKE_SYNTHETIC_MNIST" data 600 200 >/dev/null
cat >cnn.json <<'JSON'
{"class_name": "Sequential", "config": {"name": "images", "layers": [
 {"class_name": "InputLayer", "config": {"batch_shape": [null, 28, 28, 1], "name": "pixels"}},
 {"class_name": "Rescaling", "config": {"name": "rescaling", "scale": 2.0, "offset": -1.0}},
 {"class_name": "ZeroPadding2D", "config": {"name": "pad", "padding": [[1, 1], [2, 2]],
  "data_format": "channels_last"}},
 {"class_name": "Reshape", "config": {"name": "rows", "target_shape": [-1, 32]}},
 {"class_name": "Flatten", "config": {"name": "flatten"}},
 {"class_name": "Dense", "config": {"name": "dense", "units": 10, "activation": "softmax"}}]},
 "keras_version": "3.15.1", "backend": "jax"}
JSON
"$GLIA" train --model cnn.json --data-folder data --epochs 3 --batch-size 50 --optimizer adam \
  --output saved -o json --verbose 0 >train.json || fail "train: $(cat train.json)"
python3 - <<'PY' || fail "train -o json: $(cat train.json)"
import json
t = json.load(open("train.json"))
assert t["parameters"] == 30 * 32 * 10 + 10, t
assert t["test"]["accuracy"] > 0.5, t  # 10 classes: chance is 0.1
PY
for f in model.json model.h5 model.keras; do [ -s "saved/$f" ] || fail "no saved/$f"; done
"$GLIA" evaluate --model saved/model.keras --data-folder data -o json >eval.json ||
  fail "evaluate: $(cat eval.json)"
python3 -c "import json; e = json.load(open('eval.json')); assert e['samples'] == 200 and e['test']['accuracy'] > 0.5, e" ||
  fail "evaluate -o json: $(cat eval.json)"

# The same five test images as IDX, .npy (flat rows) and JSON (flat, nested as the input, and
# 28x28 images without the channel axis).
python3 - <<'PY'
import gzip, json, struct
f32 = lambda v: struct.unpack("f", struct.pack("f", v))[0]
scale = f32(1.0 / 255.0)  # Glia's scaling, exactly: a float32 product, so the answers are equal
raw = gzip.open("data/t10k-images-idx3-ubyte.gz").read()[16:16 + 5 * 784]
rows = [[f32(b * scale) for b in raw[i * 784:(i + 1) * 784]] for i in range(5)]
json.dump({"data": rows}, open("flat.json", "w"))
images = [[r[y * 28:(y + 1) * 28] for y in range(28)] for r in rows]
json.dump({"data": images}, open("images.json", "w"))
json.dump({"data": [[[[v] for v in line] for line in image] for image in images]},
          open("nested.json", "w"))
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 784), }"
header += " " * (127 - 10 - len(header)) + "\n"
with open("five.npy", "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<%df" % (5 * 784), *[v for r in rows for v in r]))
PY
"$GLIA" predict --model saved/model.keras --input data/t10k-images-idx3-ubyte.gz --limit 5 \
  >idx.out || fail "predict idx"
for input in five.npy flat.json images.json nested.json; do
  for model in saved/model.keras saved/model.h5 saved/model.json; do
    "$GLIA" predict --model "$model" --input "$input" >p.out 2>/dev/null ||
      fail "predict $model $input: $(cat p.out)"
    cmp -s p.out idx.out || fail "predict $model $input differs: $(head -c 300 p.out)"
  done
done

# A model taking another number of values than the images hold: one line naming both.
sed 's/\[null, 28, 28, 1\]/[null, 28, 27, 1]/; s/-1, 32/-1, 31/' cnn.json >wrong.json
expect_fail_code 2 "$GLIA" train --model wrong.json --data-folder data --optimizer adam --verbose 0
grep -q "images of 784 values do not fit the model input (None, 28, 27, 1)" <<<"$LAST_ERR" ||
  fail "wrong input: $LAST_ERR"
echo '{"data": [[1, 2, 3]]}' >short.json
expect_fail_code 2 "$GLIA" predict --model saved/model.keras --input short.json
grep -q "expected 784 numbers" <<<"$LAST_ERR" || fail "short row: $LAST_ERR"

# The scoring service takes the same rows (flat, nested, images without the channel axis).
cat >config.json <<JSON
{"name": "svc", "generation": 1, "host": "127.0.0.1", "port": 0, "model_name": "images",
 "model_version": 1, "model_dir": "$WORK/saved", "instances": 1, "threads_per_instance": 1,
 "max_batch_size": 16, "max_queue_delay_us": 0, "max_queue": 64, "max_body_bytes": 10000000,
 "max_rows": 20, "auth_mode": "none", "status_file": "status.json", "access_log": "access.log"}
JSON
"$GLIA" endpoint serve --config config.json >serve.out 2>serve.err &
PID=$!
trap 'kill -9 $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
wait_serve_ready $PID
URL=http://127.0.0.1:$(serve_status port)
want=$(python3 -c "import json; print(json.load(open('idx.out'))['classes'])")
for input in flat.json images.json nested.json; do
  got=$(curl -sS --fail-with-body -H 'Content-Type: application/json' --data-binary "@$input" \
    "$URL/score") || fail "score $input: $got"
  [ "$got" = "${want// /}" ] || fail "score $input: $got, want $want"
done
kill -TERM $PID
wait $PID || fail "serve did not stop cleanly: $(cat serve.err)"
echo "image inputs: ok"
