#!/usr/bin/env bash
# Online endpoints recovering from failures, through the agent (review of issue 14): an update of
# a Failed endpoint (its port was taken) starts it again and `glia endpoint update` waits for it
# rather than reporting the old failure; an update fixing a failed update (a script whose init()
# raised) is judged on its own generation; a port another endpoint holds is refused at create;
# `glia endpoint invoke` reaches an endpoint on an IPv6 address; a process a killed agent had
# not yet recorded is adopted by the next one; MLflow's delete of a registered model an endpoint
# serves removes none of its versions.
source "$(dirname "$0")/lib.sh"
GLIA=$1
WS="$WORK/ws"
cd "$WORK"
"$GLIA" workspace init "$WS" >/dev/null
g() { "$GLIA" -w "$WS" "$@"; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
stop_test() {  # the endpoints (outliving agents by design) and the port blocker
  stop_endpoints
  [ -z "${BLOCKER:-}" ] || kill "$BLOCKER" 2>/dev/null || true
}
trap 'stop_agents; stop_test; rm -rf "$WORK"' EXIT
# waited CODE CMD...: the command exits CODE, its last line on stderr the error (the states it
# waited through come before it); LAST_ERR is that line.
waited() {
  local code=$1 rc=0
  shift
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  LAST_ERR=$(tail -n 1 "$WORK/err")
  [ "$rc" -eq "$code" ] || fail "expected exit $code, got $rc: $* ($(cat "$WORK/err"))"
  grep -q "error" <<<"$LAST_ERR" || fail "no error line: $(cat "$WORK/err")"
}

"$MAKE_SYNTHETIC_MNIST" data 300 100 >/dev/null
cat >model.json <<'JSON'
{"class_name": "Sequential", "config": {"name": "mlp", "layers": [
 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 784], "dtype": "float32", "name": "in"}},
 {"class_name": "Dense", "config": {"name": "out", "units": 10, "activation": "softmax"}}]}}
JSON
"$GLIA" train --model model.json --data-folder data --epochs 1 --optimizer adam --output v1 --verbose 0 >/dev/null
g model register --name mnist --path v1/model.keras >/dev/null
python3 -c 'import json; json.dump({"data": [[0.5] * 784]}, open("one.json", "w"))'

# A port taken by another program: five failed starts leave the endpoint Failed (exit 7).
python3 - >port.txt <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(600)
PY
BLOCKER=$!
for ((i = 0; i < 50; i++)); do [ -s port.txt ] && break; sleep 0.1; done
P=$(cat port.txt)
waited 7 g endpoint create --name svc --model mnist:1 --port "$P" --timeout 60
[ "$(g endpoint show svc -o json | field '["state"]')" = Failed ] || fail "not Failed"
# The port freed, an update starts it again: the command waits until it serves.
kill "$BLOCKER"
wait "$BLOCKER" 2>/dev/null || true
BLOCKER=
OUT=$(g endpoint update svc --instances 2 --timeout 60 -o json) || fail "update of a Failed endpoint: $OUT"
[ "$(field '["state"]' <<<"$OUT")" = Healthy ] && [ "$(field '["served_generation"]' <<<"$OUT")" = 2 ] ||
  fail "update of a Failed endpoint: $OUT"
g endpoint invoke svc --request-file one.json >/dev/null || fail "scoring after the update"

# Its port cannot be given to another endpoint: refused at once (4), nothing recorded.
expect_fail_code 4 g endpoint create --name dup --model mnist:1 --port "$P" --host 0.0.0.0
grep -q "svc" <<<"$LAST_ERR" || fail "the endpoint holding the port not named: $LAST_ERR"
expect_fail_code 3 g endpoint show dup

# An endpoint on an IPv6 address: glia endpoint invoke reaches it.
g endpoint create --name v6 --model mnist:1 --host ::1 >/dev/null
[[ "$(g endpoint show v6 -o json | field '["scoring_uri"]')" == "http://[::1]:"*/score ]] || fail "v6 uri"
g endpoint invoke v6 --request-file one.json >/dev/null || fail "invoke of an IPv6 endpoint"
g endpoint delete v6 >/dev/null

# A failed update keeps the old generation serving (exit 7); the update that fixes it succeeds.
mkdir good bad
printf 'def init():\n    pass\ndef run(raw):\n    return "good"\n' >good/score.py
printf 'def init():\n    raise RuntimeError("boom")\ndef run(raw):\n    return "bad"\n' >bad/score.py
g endpoint create --name py --model mnist:1 --scoring-script score.py --code good >/dev/null
waited 7 g endpoint update py --code bad --timeout 120
grep -q "boom" <<<"$LAST_ERR" || fail "the failed update's reason: $LAST_ERR"
[ "$(g endpoint invoke py --request-file one.json)" = '"good"' ] || fail "the old generation stopped"
OUT=$(g endpoint update py --code good --description fixed --timeout 120 -o json) ||
  fail "the fixing update reported the last one's failure: $OUT"
[ "$(field '["served_generation"]' <<<"$OUT")" = 3 ] && [ "$(field '["reason"]' <<<"$OUT")" = "" ] ||
  fail "the fixing update: $OUT"

# The agent killed after starting an endpoint's process but before recording it (the state it
# leaves made here: the agent killed, the pid erased from the record): the next agent adopts
# that process instead of starting others that cannot bind its port, and a delete stops it.
PID=$(g endpoint show svc -o json | field '["pid"]')
RESTARTS=$(g endpoint show svc -o json | field '["restarts"]')
kill -9 "$(cat "$WS/.glia/agent/$(id -u)/agent.pid")"
sleep 0.3
python3 - "$WS/.glia/glia.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
db.execute("UPDATE endpoints SET pid = 0, pid_start = '' WHERE name = 'svc'")
db.commit()
PY
g endpoint list >/dev/null  # starts an agent
for ((i = 0; i < 50; i++)); do
  S=$(g endpoint show svc -o json)
  [ "$(field '["pid"]' <<<"$S")" = "$PID" ] && break
  sleep 0.1
done
sleep 3  # a second process would have failed on the port by now
S=$(g endpoint show svc -o json)
[ "$(field '["pid"]' <<<"$S")" = "$PID" ] && [ "$(field '["state"]' <<<"$S")" = Healthy ] &&
  [ "$(field '["restarts"]' <<<"$S")" = "$RESTARTS" ] || fail "the unrecorded process not adopted: $S"
g endpoint invoke svc --request-file one.json >/dev/null || fail "scoring after the adoption"
g endpoint delete svc >/dev/null
kill -0 "$PID" 2>/dev/null && fail "the adopted process outlived its endpoint's delete"

# MLflow's registered-model delete of a model whose version 2 an endpoint serves: refused before
# any version goes (version 1 was deleted, then version 2 refused).
g model register --name mnist --path v1/model.keras >/dev/null
g endpoint update py --model mnist:2 >/dev/null
serve_with_token "$WS" stop_test
R=$(curl -s -o "$WORK/api" -w '%{http_code}' -X DELETE -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' --data '{"name": "mnist"}' \
  "http://127.0.0.1:$PORT/api/2.0/mlflow/registered-models/delete")
[ "${R:0:1}" = 4 ] || fail "the registered model's delete was not refused: $R $(cat "$WORK/api")"
[ "$(g model list -o json | python3 -c 'import json,sys; print(len([m for m in json.load(sys.stdin) if m["name"] == "mnist"]))')" = 2 ] ||
  fail "a refused delete removed versions: $(g model list)"
g endpoint delete py >/dev/null
echo "endpoint_recovery: OK"
