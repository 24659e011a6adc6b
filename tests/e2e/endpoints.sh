#!/usr/bin/env bash
# Online endpoints end to end, through the agent: create from a registered Keras model (waits
# until Healthy), score with the seed's wire format (the same classes as `glia predict`), keys
# (primary and secondary, 401 without, regenerate while the other keeps working), invoke, list
# and show (-o json with the state history), bad requests refused, a zero-downtime update to
# another model version under load (no failed request), kill -9 of the endpoint's process
# (restarted), the agent killed (the endpoint keeps serving; a new agent adopts it), the served
# model version's delete refused, YAML files (Azure CLI v2 endpoint + deployment), delete.
source "$(dirname "$0")/lib.sh"
GLIA=$1
WS="$WORK/ws"
cd "$WORK"
"$GLIA" workspace init "$WS" >/dev/null
g() { "$GLIA" -w "$WS" "$@"; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
trap 'stop_agents; stop_endpoints; rm -rf "$WORK"' EXIT

# Two trained versions of a small MLP, registered.
"$MAKE_SYNTHETIC_MNIST" data 600 200 >/dev/null
cat >model.json <<'JSON'
{"class_name": "Sequential", "config": {"name": "mlp", "layers": [
 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 784], "dtype": "float32", "name": "in"}},
 {"class_name": "Dense", "config": {"name": "h", "units": 32, "activation": "relu"}},
 {"class_name": "Dense", "config": {"name": "out", "units": 10, "activation": "softmax"}}]}}
JSON
"$GLIA" train --model model.json --data-folder data --epochs 1 --optimizer adam --output v1 --verbose 0 >/dev/null
"$GLIA" train --model model.json --data-folder data --epochs 3 --optimizer adam --seed 7 --output v2 --verbose 0 >/dev/null
g model register --name mnist --path v1/model.keras >/dev/null
g model register --name mnist --path v2/model.keras >/dev/null
python3 - <<'PY'
import gzip, json, struct
with gzip.open("data/t10k-images-idx3-ubyte.gz") as f:
    _, n, r, c = struct.unpack(">IIII", f.read(16))
    px = f.read(5 * r * c)
rows = [[px[i * 784 + j] / 255.0 for j in range(784)] for i in range(5)]
json.dump({"data": rows}, open("sample.json", "w"))
json.dump({"data": rows[:1]}, open("one.json", "w"))
json.dump({"data": [rows[0][:783]]}, open("narrow.json", "w"))
PY
classes() { "$GLIA" -w "$WS" predict --model "$1" --input sample.json | field '["classes"]'; }
EXPECT1=$(classes mnist:1)
EXPECT2=$(classes mnist:2)

# Create: returns once Healthy, with a scoring URI.
OUT=$(g endpoint create --name svc --model mnist:1 -o json)
[ "$(field '["state"]' <<<"$OUT")" = Healthy ] || fail "create: $OUT"
URI=$(field '["scoring_uri"]' <<<"$OUT")
[[ "$URI" == http://127.0.0.1:*/score ]] || fail "scoring uri: $URI"
BASE=${URI%/score}
KEYS=$(g endpoint keys svc -o json)
K1=$(field '["primaryKey"]' <<<"$KEYS")
K2=$(field '["secondaryKey"]' <<<"$KEYS")
[ ${#K1} -ge 32 ] && [ "$K1" != "$K2" ] || fail "keys: $KEYS"
grep -rqF "$K1" "$WS/.glia" && fail "a key is stored in clear under .glia"
score() {  # score KEY FILE [PATH]: prints "STATUS BODY"
  curl -s -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/json' --data-binary "@$2" "$BASE${3:-/score}"
  echo " $(cat "$WORK/body")"
}
R=$(score "$K1" sample.json)
[ "${R%% *}" = 200 ] || fail "score: $R"
[ "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]))' "${R#* }")" = "$EXPECT1" ] ||
  fail "score: $R (predict says $EXPECT1)"
[ "$(score "$K2" sample.json | cut -d' ' -f1)" = 200 ] || fail "secondary key"
[ "$(score wrong sample.json | cut -d' ' -f1)" = 401 ] || fail "a wrong key is not 401"
[ "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @sample.json "$BASE/score")" = 401 ] || fail "no key is not 401"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v2/health/ready")" = 200 ] || fail "readiness"
[ "$(g endpoint invoke svc --request-file sample.json | python3 -c 'import json,sys; print(json.load(sys.stdin))')" = "$EXPECT1" ] ||
  fail "invoke"

# Bad requests: 4xx with a JSON error, never the model; the endpoint goes on serving.
echo '{"data": [[1, 2' >bad.json
[ "$(score "$K1" bad.json | cut -d' ' -f1)" = 400 ] || fail "malformed JSON"
[ "$(score "$K1" narrow.json | cut -d' ' -f1)" = 400 ] || fail "row width"
echo '{"data": [["x"]]}' >str.json
[ "$(score "$K1" str.json | cut -d' ' -f1)" = 400 ] || fail "non-numeric"
score "$K1" narrow.json | grep -q '"error"' || fail "no JSON error body"
[ "$(score "$K1" sample.json | cut -d' ' -f1)" = 200 ] || fail "bad requests disturbed the endpoint"

# Listing and showing.
[ "$(g endpoint list -o json | field '[0]["name"]')" = svc ] || fail "list"
SHOW=$(g endpoint show svc -o json)
[ "$(field '["events"][-1]["state"]' <<<"$SHOW")" = Healthy ] || fail "show events: $SHOW"
g endpoint show svc | grep -q "^State: *Healthy" || fail "show text"

# The served model version cannot be deleted.
expect_fail_code 4 g model delete mnist:1

# Zero-downtime update to version 2 under load: every request answered 200.
python3 - "$BASE" "$K1" >load.txt 2>&1 <<'PY' &
import http.client, json, sys, time, urllib.parse
base, key = sys.argv[1], sys.argv[2]
u = urllib.parse.urlparse(base)
body = open("one.json", "rb").read()
ok = bad = 0
end = time.time() + 1e9
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
import os
while not os.path.exists("stop-load"):
    try:
        conn.request("POST", "/score", body, {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
        r = conn.getresponse(); r.read()
        ok, bad = (ok + 1, bad) if r.status == 200 else (ok, bad + 1)
    except Exception as e:
        bad += 1
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
print(ok, bad)
PY
LOAD=$!
sleep 0.5
OUT=$(g endpoint update svc --model mnist:2 -o json)
sleep 0.5
touch stop-load
wait $LOAD
rm -f stop-load
read -r OK BAD <load.txt
[ "$OK" -gt 20 ] && [ "$BAD" = 0 ] || fail "update under load: $(cat load.txt)"
[ "$(field '["served_model_version"]' <<<"$OUT")" = 2 ] || fail "update: $OUT"
[ "$(score "$K1" sample.json | cut -d' ' -f2- | python3 -c 'import json,sys; print(json.load(sys.stdin))')" = "$EXPECT2" ] ||
  fail "version 2's classes"
g model delete mnist:1 >/dev/null || fail "the version no longer served could not be deleted"

# Regenerating the secondary key: the primary works throughout, the old secondary no longer.
NEW=$(g endpoint keys svc --regenerate secondary -o json)
K2NEW=$(field '["secondaryKey"]' <<<"$NEW")
[ "$K2NEW" != "$K2" ] && [ "$(field '["primaryKey"]' <<<"$NEW")" = "$K1" ] || fail "regenerate: $NEW"
[ "$(score "$K2" one.json | cut -d' ' -f1)" = 401 ] || fail "the old secondary key still works"
[ "$(score "$K2NEW" one.json | cut -d' ' -f1)" = 200 ] || fail "the new secondary key"

# kill -9 of the endpoint's process under load: restarted by the agent on the same port, whose
# listening socket the agent holds meanwhile (connections wait in its backlog, none refused):
# the client sees an error only for the request in flight.
cat >load.py <<'PY'
import errno, http.client, os, socket, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); key = sys.argv[2]
body = open("one.json", "rb").read()
ok = failed = refused = 0
conn = None
while not os.path.exists("stop-load"):
    try:
        if conn is None:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            conn.connect()
    except ConnectionRefusedError:  # counted apart (the agent's socket should make it never)
        refused += 1; conn = None; time.sleep(0.01); continue
    try:
        conn.request("POST", "/score", body, {"Authorization": "Bearer " + key})
        r = conn.getresponse(); r.read()
        if r.status == 200: ok += 1
        else: failed += 1
    except Exception:  # the request in flight when the process died
        failed += 1; conn = None
print(ok, failed, refused)
PY
rm -f stop-load
python3 load.py "$BASE" "$K1" >load.txt 2>&1 &
LOAD=$!
sleep 0.5
PID=$(g endpoint show svc -o json | field '["pid"]')
kill -9 "$PID"
for ((i = 0; i < 100; i++)); do
  S=$(g endpoint show svc -o json)
  [ "$(field '["pid"]' <<<"$S")" != "$PID" ] && [ "$(field '["state"]' <<<"$S")" = Healthy ] && break
  sleep 0.1
done
sleep 0.5
touch stop-load
wait $LOAD
read -r OK BAD REFUSED <load.txt
[ "$(field '["restarts"]' <<<"$S")" -ge 1 ] && [ "$(field '["state"]' <<<"$S")" = Healthy ] || fail "not restarted: $S"
[ "$BAD" -le 1 ] && [ "$OK" -gt 20 ] || fail "kill -9 under load: $OK answered, $BAD failed (more than the one in flight)"
# The agent holds the listening socket across the restart: no connection is ever refused.
[ "$REFUSED" = 0 ] || fail "kill -9 under load: $REFUSED connections refused while the process restarted"
echo "kill -9 under load: $OK answered, $BAD failed in flight, $REFUSED connects refused during the restart"
[ "$(score "$K1" one.json | cut -d' ' -f1)" = 200 ] || fail "after the restart"
# Stopped by someone else's SIGTERM (a graceful stop shuts the listening socket down for every
# copy): restarted too, on a socket made anew on the same port.
PID=$(g endpoint show svc -o json | field '["pid"]')
kill -TERM "$PID"
for ((i = 0; i < 100; i++)); do
  S=$(g endpoint show svc -o json)
  [ "$(field '["pid"]' <<<"$S")" != "$PID" ] && [ "$(field '["state"]' <<<"$S")" = Healthy ] && break
  sleep 0.1
done
[ "$(field '["state"]' <<<"$S")" = Healthy ] && [ "$(field '["scoring_uri"]' <<<"$S")" = "$BASE/score" ] || fail "after SIGTERM: $S"
[ "$(score "$K1" one.json | cut -d' ' -f1)" = 200 ] || fail "after SIGTERM"

# The agent killed: the endpoint keeps serving; the next agent adopts it (same process).
PID=$(g endpoint show svc -o json | field '["pid"]')
kill -9 "$(cat "$WS/.glia/agent/$(id -u)/agent.pid")"
sleep 0.3
[ "$(score "$K1" one.json | cut -d' ' -f1)" = 200 ] || fail "the agent's death took the endpoint down"
g endpoint update svc --max-batch-size 16 >/dev/null  # starts a new agent, which applies it
[ "$(g endpoint show svc -o json | field '["pid"]')" = "$PID" ] || fail "the new agent restarted the endpoint"

# YAML files as Azure CLI v2 writes them.
cat >endpoint.yml <<'YML'
$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json
name: yaml-svc
auth_mode: key
YML
cat >deployment.yml <<'YML'
$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
name: blue
endpoint_name: yaml-svc
model: azureml:mnist:2
instance_type: Standard_DS3_v2
instance_count: 1
YML
OUT=$(g endpoint create -f endpoint.yml -f deployment.yml -o json 2>"$WORK/notes")
[ "$(field '["state"]' <<<"$OUT")" = Healthy ] || fail "yaml create: $OUT"
grep -q "instance_type" "$WORK/notes" || fail "instance_type not noted"
printf 'name: x\nauth_mode: aml_token\n' >badauth.yml
expect_fail_code 2 g endpoint create -f badauth.yml --model mnist:2
printf 'name: x\nsurprise: 1\n' >unknown.yml
expect_fail_code 2 g endpoint create -f unknown.yml --model mnist:2
grep -q "surprise" <<<"$LAST_ERR" || fail "unknown key not named: $LAST_ERR"
[ "$(g endpoint list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
  fail "a refused create left an endpoint"

# Input errors: one line, the right code, nothing recorded.
expect_fail_code 3 g endpoint create --name nomodel --model nosuch:1
expect_fail_code 4 g endpoint create --name svc --model mnist:2
expect_fail_code 3 g endpoint show nosuch
expect_fail_code 2 g endpoint create --name 'bad name' --model mnist:2

# The seed's way: a Python score.py with init()/run(raw_data) finding the model through
# azureml.core's Model.get_model_path (standard library only here; the seed's own score.py with
# real Keras is tests/unit/test_script_scorer.cpp's).
mkdir -p score
cat >score/score.py <<'PY'
import json, os
from azureml.core.model import Model

def init():
    global files
    files = sorted(os.listdir(Model.get_model_path("mnist")))
    print("init: model files", files)

def run(raw_data):
    rows = json.loads(raw_data)["data"]
    return {"rows": len(rows), "width": len(rows[0]), "files": files}
PY
OUT=$(g endpoint create --name py-svc --model mnist:2 --scoring-script score.py --code score --instances 2 -o json)
[ "$(field '["state"]' <<<"$OUT")" = Healthy ] || fail "python create: $OUT"
R=$(g endpoint invoke py-svc --request-file sample.json)
[ "$(field '["rows"]' <<<"$R")" = 5 ] && [ "$(field '["width"]' <<<"$R")" = 784 ] || fail "python scoring: $R"
[ "$(field '["files"]' <<<"$R")" = "['model.keras']" ] || fail "Model.get_model_path: $R"
g endpoint logs py-svc | grep -q "init: model files" || fail "the script's output is not in the endpoint log"
# In a registered environment (built by create, its pip output shown): the script runs on the
# environment's interpreter, imports what it installed and gets its conda `variables:` (as
# KERAS_BACKEND=jax for the seed's score.py; they were left out before).
cat >env.yml <<'YML'
dependencies:
  - pip:
      - six==1.17.0
variables:
  SCORING_COLOUR: blue
YML
g environment create --name scoring-env --conda-file env.yml >/dev/null
mkdir -p score-env
cat >score-env/score.py <<'PY'
import json, os, sys
import six

def init():
    pass

def run(raw_data):
    return {"six": six.__version__, "prefix": sys.prefix, "colour": os.environ.get("SCORING_COLOUR")}
PY
OUT=$(g endpoint create --name env-svc --model mnist:2 --scoring-script score.py --code score-env \
  --environment scoring-env@latest -o json 2>"$WORK/build.err")
[ "$(field '["state"]' <<<"$OUT")" = Healthy ] || fail "environment create: $OUT $(cat "$WORK/build.err")"
R=$(g endpoint invoke env-svc --request-file one.json)
[ "$(field '["six"]' <<<"$R")" = 1.17.0 ] || fail "the environment's package: $R"
[[ "$(field '["prefix"]' <<<"$R")" == "$WS/.glia/envs/"* ]] || fail "not the environment's interpreter: $R"
[ "$(field '["colour"]' <<<"$R")" = blue ] || fail "the environment's conda variables: $R"
g endpoint delete env-svc >/dev/null
expect_fail_code 3 g endpoint create --name py-bad --model mnist:2 --scoring-script missing.py --code score
g endpoint delete py-svc >/dev/null
# Regression: the workers' interpreter is `python3` on their own PATH, not the agent's. An agent
# started where another python3 comes first (a pyenv shim) ran that one, which then loaded the
# wrong standard library; here a python3 that cannot score comes first on the agent's PATH.
stop_agents
mkdir -p fakebin
printf '#!/bin/sh\necho "not the workers python3" >&2\nexit 3\n' >fakebin/python3
chmod +x fakebin/python3
OUT=$(PATH="$WORK/fakebin:$PATH" g endpoint create --name path-svc --model mnist:2 --scoring-script score.py --code score -o json)
[ "$(field '["state"]' <<<"$OUT")" = Healthy ] || fail "the agent's PATH chose the workers' python3: $OUT"
g endpoint delete path-svc >/dev/null

# Logs, then delete: the process stops, the port closes, the record goes.
g endpoint logs svc --access --tail 3 | grep -q "POST /score" || fail "access log"
[ "$(g endpoint logs svc --access --tail 2 -o json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["lines"]), d["log"])')" = "2 access" ] ||
  fail "logs -o json"
g endpoint delete svc >/dev/null
[ "$(g endpoint delete yaml-svc -o json | field '["state"]')" = Deleted ] || fail "delete -o json"
[ "$(g endpoint list -o json)" = "[]" ] || fail "delete left: $(g endpoint list -o json)"
kill -0 "$PID" 2>/dev/null && fail "the deleted endpoint's process still runs"
curl -s -o /dev/null "$BASE/v2/health/live" && fail "the port still answers"

# Over the REST API of `glia server`: the server's agent runs the endpoint.
serve_with_token "$WS" stop_endpoints
api() {  # api METHOD PATH [BODY]: prints "STATUS BODY"
  curl -s -o "$WORK/api" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' ${3:+--data "$3"} "http://127.0.0.1:$PORT/api/v1/workspaces/ws$2"
  echo " $(cat "$WORK/api")"
}
R=$(api POST /endpoints '{"name": "rest-svc", "model": "mnist:2"}')
[ "${R%% *}" = 201 ] || fail "REST create: $R"
for ((i = 0; i < 100; i++)); do
  R=$(api GET /endpoints/rest-svc)
  [ "$(field '["state"]' <<<"${R#* }")" = Healthy ] && break
  sleep 0.1
done
[ "$(field '["state"]' <<<"${R#* }")" = Healthy ] || fail "REST endpoint not Healthy: $R"
BASE=$(field '["scoring_uri"]' <<<"${R#* }")
BASE=${BASE%/score}
K=$(api GET /endpoints/rest-svc/keys | cut -d' ' -f2- | field '["primaryKey"]')
[ "$(score "$K" one.json | cut -d' ' -f1)" = 200 ] || fail "REST endpoint scoring"
# The server killed and started again: the endpoint serves throughout.
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
[ "$(score "$K" one.json | cut -d' ' -f1)" = 200 ] || fail "the server's death took the endpoint down"
start_server "$WS" "$WORK/server2.out" 127.0.0.1:0
[ "$(api GET /endpoints/rest-svc | cut -d' ' -f2- | field '["state"]')" = Healthy ] || fail "after the server's restart"
[ "$(api POST /endpoints '{"name": "x", "model": "mnist:2", "colour": 1}' | cut -d' ' -f1)" = 400 ] || fail "unknown key"
[ "$(api GET /endpoints/nosuch | cut -d' ' -f1)" = 404 ] || fail "unknown endpoint"
[ "$(api DELETE /endpoints/rest-svc | cut -d' ' -f1)" = 202 ] || fail "REST delete"
for ((i = 0; i < 100; i++)); do
  [ "$(api GET /endpoints/rest-svc | cut -d' ' -f1)" = 404 ] && break
  sleep 0.1
done
[ "$(api GET /endpoints | cut -d' ' -f2-)" = "[]" ] || fail "REST delete left: $(api GET /endpoints)"

# From a connected folder (`glia workspace connect`): the same commands, through the server.
GLIA_TOKEN=$TOKEN "$GLIA" workspace connect "http://127.0.0.1:$PORT" "$WORK/remote" >/dev/null
r() { GLIA_TOKEN=$TOKEN "$GLIA" -w "$WORK/remote" "$@"; }
OUT=$(r endpoint create --name remote-svc --model mnist:2 -o json 2>/dev/null)
[ "$(field '["state"]' <<<"$OUT")" = Healthy ] || fail "remote create: $OUT"
[ "$(r endpoint invoke remote-svc --request-file sample.json | python3 -c 'import json,sys; print(json.load(sys.stdin))')" = "$EXPECT2" ] ||
  fail "remote invoke"
RK=$(r endpoint keys remote-svc -o json | field '["primaryKey"]')
[ "$RK" = "$(g endpoint keys remote-svc -o json | field '["primaryKey"]')" ] || fail "remote keys differ"
r endpoint keys remote-svc --regenerate primary >/dev/null 2>&1
[ "$(r endpoint keys remote-svc -o json | field '["primaryKey"]')" != "$RK" ] || fail "remote regenerate"
r endpoint logs remote-svc --access | grep -q "POST /score" || fail "remote access log"
grep -rqF "$(r endpoint keys remote-svc -o json | field '["secondaryKey"]')" "$WORK/remote" && fail "a key stored in the connected folder"
r endpoint delete remote-svc >/dev/null 2>&1
[ "$(r endpoint list -o json)" = "[]" ] || fail "remote delete"
echo "endpoints: OK"
