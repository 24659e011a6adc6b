#!/usr/bin/env bash
# glia endpoint serve stopped (SIGTERM) while a SIGHUP reload is still loading its model: the
# stop is not held back by the reload (a score.py whose init() takes minutes), a request in
# flight is answered, and the process exits 0 at once; its Python workers do not outlive it.
# The same while the first model loads (nothing served yet).
source "$(dirname "$0")/lib.sh"
GLIA=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$WORK"
mkdir code model
echo 1 >model/weights.txt
cat >code/score.py <<'PY'
import json, time
def init():
    pass
def run(raw_data):
    time.sleep(json.loads(raw_data).get("sleep", 0))
    return [1, 2, 3]
PY
cat >code/slow.py <<'PY'
import time
def init():
    time.sleep(60)
def run(raw_data):
    return "never"
PY
# write_config GENERATION SCRIPT
write_config() {
  python3 - "$@" "$WORK" "$SRC" <<'PY'
import json, sys
gen, script, work, src = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
c = {"name": "svc", "generation": gen, "host": "127.0.0.1", "port": 0, "model_name": "m",
     "model_version": gen, "model_dir": work + "/model", "instances": 1, "threads_per_instance": 1,
     "max_batch_size": 16, "max_queue_delay_us": 0, "max_queue": 1024, "scoring": "python",
     "script": work + "/code/" + script, "code_dir": work + "/code",
     "env": {"PYTHONPATH": src + "/clients/python:" + src + "/clients/azureml-shim"},
     "max_body_bytes": 100000, "max_rows": 20, "auth_mode": "none",
     "status_file": "status.json", "access_log": "access.log"}
json.dump(c, open("config.json.tmp", "w"))
PY
  mv config.json.tmp config.json
}
status() { python3 -c "import json; print(json.load(open('status.json')).get('$1'))"; }
write_config 1 score.py
"$GLIA" endpoint serve --config config.json >serve.out 2>serve.err &
PID=$!
trap 'kill -9 $PID 2>/dev/null || true; stop_agents; rm -rf "$WORK"' EXIT
for ((i = 0; i < 200; i++)); do
  [ -f status.json ] && [ "$(status state)" = ready ] && break
  kill -0 $PID 2>/dev/null || fail "serve exited: $(cat serve.err)"
  sleep 0.05
done
[ "$(status state)" = ready ] || fail "never ready: $(cat status.json serve.err)"
URL=http://127.0.0.1:$(status port)
[ "$(curl -s -d '{}' "$URL/score")" = "[1, 2, 3]" ] || fail "scoring before the reload"
WORKERS=$(pgrep -P $PID | tr '\n' ' ')
[ -n "$WORKERS" ] || fail "no Python worker under the endpoint"

# A reload whose init() sleeps a minute; a request in flight; then SIGTERM.
write_config 2 slow.py
kill -HUP $PID
for ((i = 0; i < 100; i++)); do
  [ "$(status state)" = loading ] && break
  sleep 0.05
done
[ "$(status state)" = loading ] || fail "reload not loading: $(cat status.json)"
curl -s -o inflight.txt -w '%{http_code}' -d '{"sleep": 1}' "$URL/score" >inflight.code &
CURL=$!
sleep 0.3
START=$(date +%s.%N)
kill -TERM $PID
RC=0
for ((i = 0; i < 100; i++)); do
  kill -0 $PID 2>/dev/null || break
  sleep 0.1
done
kill -0 $PID 2>/dev/null && fail "still running 10 s after SIGTERM during a reload: $(cat serve.err)"
wait $PID || RC=$?
ELAPSED=$(python3 -c "import time; print(round(time.time() - $START, 1))")
[ "$RC" -eq 0 ] || fail "exit $RC after SIGTERM during a reload: $(cat serve.err)"
wait $CURL || true
[ "$(cat inflight.code)" = 200 ] && [ "$(cat inflight.txt)" = "[1, 2, 3]" ] ||
  fail "the request in flight: $(cat inflight.code) $(cat inflight.txt)"
# Its workers (the served generation's, and the one still in init()) are gone within seconds.
for ((i = 0; i < 50; i++)); do
  alive=""
  for w in $WORKERS; do kill -0 "$w" 2>/dev/null && alive="$alive $w"; done
  pgrep -f "$WORK/code/slow.py" >/dev/null && alive="$alive slow"
  [ -z "$alive" ] && break
  sleep 0.1
done
[ -z "$alive" ] || fail "workers outlived the endpoint:$alive"

# SIGTERM while the first model loads (init() sleeps a minute): exit 0 at once, no worker left.
rm -f status.json
write_config 3 slow.py
"$GLIA" endpoint serve --config config.json >serve2.out 2>serve2.err &
PID=$!
for ((i = 0; i < 100; i++)); do
  [ -f status.json ] && [ "$(status state)" = loading ] && pgrep -f "$WORK/code/slow.py" >/dev/null &&
    break
  sleep 0.05
done
[ "$(status state)" = loading ] || fail "first load not loading: $(cat status.json serve2.err)"
kill -TERM $PID
for ((i = 0; i < 50; i++)); do
  kill -0 $PID 2>/dev/null || break
  sleep 0.1
done
kill -0 $PID 2>/dev/null && fail "still running 5 s after SIGTERM during the first load"
RC=0
wait $PID || RC=$?
[ "$RC" -eq 0 ] || fail "exit $RC after SIGTERM during the first load: $(cat serve2.err)"
for ((i = 0; i < 50; i++)); do
  pgrep -f "$WORK/code/slow.py" >/dev/null || break
  sleep 0.1
done
pgrep -f "$WORK/code/slow.py" >/dev/null && fail "a worker outlived the endpoint stopped while loading"
echo "OK (stopped ${ELAPSED} s after SIGTERM during a reload; at once during the first load)"
