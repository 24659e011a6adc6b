#!/usr/bin/env bash
# glia endpoint serve end to end, from a config written by hand (as the agent writes it): the
# status file, scoring in the seed's format, MLflow's and KServe v2's; keys (401 with
# WWW-Authenticate, health open); 413, 400 and 429 (settings changed by SIGHUP at once);
# /metrics and the access log; a SIGHUP reload to another model version under load with no
# failed request; a reload that fails keeps serving; a port in use exits 69; SIGTERM stops
# gracefully (exit 0).
source "$(dirname "$0")/lib.sh"
GLIA=$1
cd "$WORK"
"$MAKE_SYNTHETIC_MNIST" data 300 100 >/dev/null
cat >model.json <<'JSON'
{"class_name": "Sequential", "config": {"name": "sequential", "layers": [
 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 784], "dtype": "float32", "name": "dense_input"}},
 {"class_name": "Dense", "config": {"name": "dense", "units": 32, "activation": "relu"}},
 {"class_name": "Dense", "config": {"name": "dense_1", "units": 10, "activation": "softmax"}}]},
 "keras_version": "2.15.0", "backend": "tensorflow"}
JSON
for v in 1 2; do
  "$GLIA" train --model model.json --data-folder data --epochs 1 --optimizer adam --seed "$v" \
    --output "m$v" --verbose 0 >/dev/null || fail "train m$v"
  rm "m$v/model.keras"  # the seed's layout: model.json + model.h5
done
KEY=primary-key-for-tests
# write_config GENERATION VERSION MODEL_DIR [KEY=VALUE...]: config.json as the agent writes it.
write_config() {
  python3 - "$@" <<'PY'
import hashlib, json, sys
gen, version, model_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
c = {"name": "svc", "generation": gen, "host": "127.0.0.1", "port": 0, "model_name": "mnist",
     "model_version": version, "model_dir": model_dir, "instances": 2, "threads_per_instance": 1,
     "max_batch_size": 16, "max_queue_delay_us": 0, "max_queue": 1024,
     "max_body_bytes": 1000000, "max_rows": 20, "auth_mode": "key",
     "key_sha256": [hashlib.sha256(b"primary-key-for-tests").hexdigest()],
     "status_file": "status.json", "access_log": "access.log"}
for kv in sys.argv[4:]:
    k, v = kv.split("=", 1)
    c[k] = json.loads(v)
json.dump(c, open("config.json.tmp", "w"))
PY
  mv config.json.tmp config.json
}
status() { python3 -c "import json; print(json.load(open('status.json')).get('$1'))"; }
write_config 1 1 "$WORK/m1"
"$GLIA" endpoint serve --config config.json >serve.out 2>serve.err &
PID=$!
trap 'kill -9 $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for ((i = 0; i < 100; i++)); do
  [ -f status.json ] && [ "$(status state)" = ready ] && break
  kill -0 $PID 2>/dev/null || fail "serve exited: $(cat serve.err)"
  sleep 0.05
done
[ "$(status state)" = ready ] || fail "never ready: $(cat status.json serve.err)"
[ "$(status generation)" = 1 ] && [ "$(status model_version)" = 1 ] && [ "$(status pid)" = $PID ] ||
  fail "status: $(cat status.json)"
PORT=$(status port)
grep -q "serving model mnist:1 (generation 1) on http://127.0.0.1:$PORT" serve.out ||
  fail "serve.out: $(cat serve.out)"
URL=http://127.0.0.1:$PORT
AUTH="Authorization: Bearer $KEY"
# post PATH FILE [CURL ARGS]: prints the status code; the body goes to body.txt.
post() {
  local path=$1 file=$2
  shift 2
  curl -s -o body.txt -w '%{http_code}' -H "$AUTH" -H 'Content-Type: application/json' \
    --data-binary "@$file" "$@" "$URL$path"
}
python3 - <<'PY'
import json, random
random.seed(1)
rows = [[random.random() for _ in range(784)] for _ in range(3)]
json.dump({"data": rows}, open("seed.json", "w"))
json.dump({"inputs": rows}, open("inputs.json", "w"))
json.dump({"dataframe_split": {"columns": [f"p{i}" for i in range(784)], "data": rows}},
          open("split.json", "w"))
json.dump({"id": "req-1", "inputs": [{"name": "dense_input", "shape": [3, 784],
           "datatype": "FP32", "data": sum(rows, [])}]}, open("v2.json", "w"))
json.dump({"data": [rows[0][:783]]}, open("narrow.json", "w"))
json.dump({"data": [rows[0]] * 21}, open("many.json", "w"))
json.dump({"data": [rows[0]] * 200}, open("huge.json", "w"))  # > max_body_bytes
json.dump({"data": [rows[0]]}, open("one.json", "w"))
json.dump({"data": [rows[0], rows[1]]}, open("two.json", "w"))
bad = [rows[0][:]]
bad[0][5] = "NaN"
json.dump({"data": bad}, open("nan.json", "w"))
PY

# Scoring: the seed's classes, with probabilities; MLflow's and v2 agree with them.
[ "$(post /score seed.json)" = 200 ] || fail "/score: $(cat body.txt)"
CLASSES=$(cat body.txt)
python3 -c "import json,sys; c=json.loads(sys.argv[1]); assert len(c)==3 and all(isinstance(x,int) and 0<=x<10 for x in c), c" "$CLASSES" ||
  fail "/score reply: $CLASSES"
[ "$(post '/score?probabilities=true' seed.json)" = 200 ] || fail "probabilities: $(cat body.txt)"
python3 - "$CLASSES" <<'PY' || fail "probabilities reply: $(cat body.txt)"
import json, sys
r = json.load(open("body.txt"))
assert r["classes"] == json.loads(sys.argv[1])
for row, c in zip(r["probabilities"], r["classes"]):
    assert len(row) == 10 and abs(sum(row) - 1) < 1e-4 and row.index(max(row)) == c
PY
cp body.txt probabilities.json
for f in inputs.json split.json; do
  [ "$(post /invocations $f)" = 200 ] || fail "/invocations $f: $(cat body.txt)"
  python3 -c "
import json
p = json.load(open('probabilities.json'))['probabilities']
r = json.load(open('body.txt'))['predictions']
assert len(r) == 3 and all(abs(a - b) < 1e-6 for x, y in zip(p, r) for a, b in zip(x, y)), r
" || fail "/invocations $f reply: $(head -c 300 body.txt)"
done
[ "$(post /v2/models/mnist/infer v2.json)" = 200 ] || fail "v2 infer: $(cat body.txt)"
python3 - "$CLASSES" <<'PY' || fail "v2 reply: $(head -c 300 body.txt)"
import json, sys
r = json.load(open("body.txt"))
assert r["id"] == "req-1" and r["model_name"] == "mnist" and r["model_version"] == "1", r
out = {o["name"]: o for o in r["outputs"]}
assert out["classes"]["data"] == json.loads(sys.argv[1])
assert out["predictions"]["shape"] == [3, 10] and out["predictions"]["datatype"] == "FP32"
PY
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/v2/health/live")" = 200 ] || fail "live"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/v2/health/ready")" = 200 ] || fail "ready"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/v2/models/mnist/ready")" = 200 ] || fail "model ready"
[ "$(curl -s -o body.txt -w '%{http_code}' -H "$AUTH" "$URL/v2/models/mnist")" = 200 ] &&
  grep -q '"dense_input"' body.txt || fail "v2 metadata: $(cat body.txt)"

# Keys: none or a wrong one is 401 with WWW-Authenticate, on /metrics too.
code=$(curl -s -D headers.txt -o body.txt -w '%{http_code}' --data-binary @seed.json "$URL/score")
[ "$code" = 401 ] && grep -qi '^WWW-Authenticate: Bearer' headers.txt || fail "no key: $code $(cat headers.txt)"
grep -q '"unauthenticated"' body.txt || fail "401 body: $(cat body.txt)"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' --data-binary @seed.json "$URL/score")" = 401 ] ||
  fail "a wrong key was accepted"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/metrics")" = 401 ] || fail "/metrics without a key"

# Bad requests never reach the model: 400 naming the row, 413 for a large body.
[ "$(post /score narrow.json)" = 400 ] && grep -q 'data\[0\]: expected 784 numbers' body.txt ||
  fail "narrow row: $(cat body.txt)"
[ "$(post /score nan.json)" = 400 ] && grep -q 'data\[0\]\[5\]: expected a number' body.txt ||
  fail "NaN: $(cat body.txt)"
[ "$(post /score many.json)" = 400 ] && grep -q 'max_rows' body.txt || fail "max_rows: $(cat body.txt)"
[ "$(curl -s -o body.txt -w '%{http_code}' -H "$AUTH" -d '{"data": [[1,2' "$URL/score")" = 400 ] &&
  grep -q 'not valid JSON' body.txt || fail "malformed: $(cat body.txt)"
[ "$(post /score huge.json)" = 413 ] || fail "large body: $(cat body.txt)"
[ "$(post /score one.json)" = 200 ] || fail "after the refusals: $(cat body.txt)"

# 429: settings changed by SIGHUP apply at once (same model): a batch waits 3 s for more rows
# and the queue holds 2; a 2-row request fills it, the next is refused at once.
write_config 2 1 "$WORK/m1" max_queue=2 max_queue_delay_us=3000000 max_batch_size=64
kill -HUP $PID
for ((i = 0; i < 100; i++)); do [ "$(status generation)" = 2 ] && break; sleep 0.05; done
[ "$(status generation)" = 2 ] || fail "settings reload: $(cat status.json)"
curl -s -o held.txt -w '%{http_code}' -H "$AUTH" --data-binary @two.json "$URL/score" >held.code &
HELD=$!
for ((i = 0; i < 100; i++)); do
  curl -s -H "$AUTH" "$URL/metrics" | grep -q '^glia_endpoint_queue_depth 2$' && break
  sleep 0.05
done
code=$(curl -s -D headers.txt -o body.txt -w '%{http_code}' -H "$AUTH" --data-binary @one.json "$URL/score")
[ "$code" = 429 ] && grep -qi '^Retry-After:' headers.txt || fail "full queue: $code $(cat body.txt)"
wait $HELD
[ "$(cat held.code)" = 200 ] || fail "the held request: $(cat held.code) $(cat held.txt)"
write_config 3 1 "$WORK/m1"
kill -HUP $PID
for ((i = 0; i < 100; i++)); do [ "$(status generation)" = 3 ] && break; sleep 0.05; done
[ "$(status generation)" = 3 ] || fail "settings reload back: $(cat status.json)"

# /metrics and the access log.
curl -s -H "$AUTH" "$URL/metrics" >metrics.txt
for want in 'glia_endpoint_requests_total{route="/score",code="200"}' \
  'glia_endpoint_requests_total{route="/score",code="429"} 1' \
  'glia_endpoint_requests_total{route="/score",code="413"} 1' \
  'glia_endpoint_request_duration_seconds_bucket{route="/score",le="+Inf"}' \
  'glia_endpoint_queue_seconds_count' 'glia_endpoint_batch_size_bucket' \
  'glia_endpoint_model_version{endpoint="svc",model="mnist",version="1",generation="3"} 1' \
  'glia_endpoint_queue_depth 0'; do
  grep -qF "$want" metrics.txt || fail "/metrics lacks $want"
done
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z POST /score 200 [0-9.]+ 3$' access.log ||
  fail "access log: $(head -3 access.log)"
grep -qE ' POST /score 429 [0-9.]+ 1$' access.log || fail "access log 429: $(cat access.log)"

# Reload to model version 2 under load: no request fails, the status follows.
python3 - "$PORT" "$KEY" >load.txt <<'PY' &
import http.client, json, sys, threading, time
port, key = int(sys.argv[1]), sys.argv[2]
body = open("one.json").read()
stop = time.time() + 3.0
codes, lock = {}, threading.Lock()
def client():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while time.time() < stop:
        try:
            c.request("POST", "/score", body, {"Authorization": "Bearer " + key})
            r = c.getresponse()
            r.read()
            code = r.status
        except Exception as e:
            code = type(e).__name__
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with lock:
            codes[code] = codes.get(code, 0) + 1
ts = [threading.Thread(target=client) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(json.dumps(codes))
PY
LOAD=$!
sleep 1
write_config 4 2 "$WORK/m2"
kill -HUP $PID
wait $LOAD
python3 -c "
import json
c = json.load(open('load.txt'))
assert list(c) == ['200'] and c['200'] > 50, c
" || fail "requests failed during the reload: $(cat load.txt)"
[ "$(status generation)" = 4 ] && [ "$(status model_version)" = 2 ] && [ "$(status state)" = ready ] ||
  fail "status after the reload: $(cat status.json)"
[ "$(post /v2/models/mnist/infer v2.json)" = 200 ] && grep -q '"model_version":"2"' body.txt ||
  fail "v2 after the reload: $(head -c 200 body.txt)"

# A reload whose model does not load: the old generation goes on, the status says why.
write_config 5 3 "$WORK/missing"
kill -HUP $PID
for ((i = 0; i < 100; i++)); do [ "$(status failed_generation)" = 5 ] && break; sleep 0.05; done
[ "$(status failed_generation)" = 5 ] && [ "$(status generation)" = 4 ] &&
  [ "$(status state)" = ready ] && [ -n "$(status error)" ] || fail "failed reload: $(cat status.json)"
[ "$(post /score one.json)" = 200 ] || fail "serving after a failed reload: $(cat body.txt)"

# A second process on the same port: status failed, exit 69.
mkdir other && cd other
sed "s/\"port\": 0/\"port\": $PORT/; s/\"status_file\": \"status.json\"/\"status_file\": \"other.json\"/" \
  ../config.json >config.json
sed -i "s|$WORK/missing|$WORK/m1|" config.json
rc=0
"$GLIA" endpoint serve --config config.json >out.txt 2>err.txt || rc=$?
[ "$rc" = 69 ] || fail "port in use: exit $rc ($(cat err.txt))"
grep -q '"state":"failed"' other.json || fail "port in use status: $(cat other.json)"
cd ..

# A config that is not valid: one line, no serving.
echo '{"name": "svc", "instances": "two"}' >bad.json
expect_fail "$GLIA" endpoint serve --config bad.json

# SIGTERM: graceful, exit 0.
kill -TERM $PID
rc=0
wait $PID || rc=$?
[ "$rc" = 0 ] || fail "SIGTERM: exit $rc ($(cat serve.err))"
grep -q "glia endpoint: stopped" serve.err || fail "serve.err: $(cat serve.err)"
echo "endpoint_serve: OK"
