#!/usr/bin/env bash
# glia server killed with SIGKILL while 16 clients log metrics through MLflow's log-batch:
# restarted on the same port, the clients retry what got no answer and finish, and every batch
# the server acknowledged (HTTP 200) is in the store afterwards.
source "$(dirname "$0")/lib.sh"
GLIA=$1
CLIENTS=${CLIENTS:-16}
BATCHES=${BATCHES:-60}
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
g() { "$GLIA" -w "$WS" "$@"; }
g user add lee --role contributor >/dev/null
TOKEN=$(g token create --user lee 2>/dev/null)

start_server() {  # start_server LISTEN: sets PID and PORT
  "$GLIA" -w "$WS" server --listen "$1" >"$WORK/server.out" 2>>"$WORK/server.err" &
  PID=$!
  for _ in $(seq 100); do
    PORT=$(sed -n 's|^glia server: serving workspace .* on http://[^:]*:\([0-9]*\)$|\1|p' "$WORK/server.out" 2>/dev/null)
    [ -n "$PORT" ] && return 0
    kill -0 "$PID" 2>/dev/null || fail "server exited: $(cat "$WORK/server.err")"
    sleep 0.1
  done
  fail "server did not start"
}
start_server 127.0.0.1:0
trap 'kill -9 $PID 2>/dev/null || true; stop_agents; rm -rf "$WORK"' EXIT

# Each client: its own run, then BATCHES batches of 20 values (steps 20k..20k+19), each sent
# until it is answered; the steps of every acknowledged batch are recorded.
cat >"$WORK/client.py" <<'PY'
import http.client, json, sys, time
port, token, n, batches, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

def call(path, body, deadline):
    while True:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("POST", "/api/2.0/mlflow/" + path, json.dumps(body), headers)
            r = c.getresponse()
            data = r.read()
            c.close()
            if r.status == 200:
                return json.loads(data or b"{}")
            if r.status < 500:
                sys.exit(f"client {n}: {path}: HTTP {r.status}: {data[:200]!r}")
        except (OSError, http.client.HTTPException):
            pass  # no answer: the server is down; try again
        if time.time() > deadline:
            sys.exit(f"client {n}: {path}: no answer before the deadline")
        time.sleep(0.1)

deadline = time.time() + 90
run = call("runs/create", {"experiment_id": "0", "run_name": f"client-{n}"}, deadline)["run"]["info"]["run_id"]
with open(out, "w") as f:
    f.write(run + "\n")
    f.flush()
    for b in range(batches):
        metrics = [{"key": "m", "value": float(20 * b + i), "timestamp": 1000 * b, "step": 20 * b + i}
                   for i in range(20)]
        call("runs/log-batch", {"run_id": run, "metrics": metrics}, deadline)
        f.write(f"{b}\n")
        f.flush()
PY
for i in $(seq "$CLIENTS"); do
  python3 "$WORK/client.py" "$PORT" "$TOKEN" "$i" "$BATCHES" "$WORK/acked.$i" 2>"$WORK/client.$i.err" &
  CPIDS+=($!)
done
# Kill the server while they log, then start it again on the same port.
for _ in $(seq 100); do
  [ "$(cat "$WORK"/acked.* 2>/dev/null | wc -l)" -ge $((CLIENTS * 5)) ] && break
  sleep 0.05
done
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
ACKED_AT_KILL=$(cat "$WORK"/acked.* | wc -l)
sleep 0.5
start_server "127.0.0.1:$PORT"
for i in "${!CPIDS[@]}"; do
  wait "${CPIDS[$i]}" || fail "client $((i + 1)) did not finish: $(cat "$WORK/client.$((i + 1)).err")"
done
[ "$ACKED_AT_KILL" -lt $((CLIENTS * (BATCHES + 1))) ] || fail "every batch was acknowledged before the kill"
# Every acknowledged batch is stored: each step of it, with its value.
for i in $(seq "$CLIENTS"); do
  RUN=$(head -n 1 "$WORK/acked.$i")
  g run metrics "$RUN" --name m -o json >"$WORK/m.$i.json" || fail "metrics of client $i's run"
  python3 - "$WORK/m.$i.json" "$WORK/acked.$i" <<'PY' || fail "client $i: acknowledged values missing"
import json, sys
j = json.load(open(sys.argv[1]))
points = j if isinstance(j, list) else j.get("m", j.get("points", j))
got = {}
for p in points:
    got.setdefault(int(p["step"]), set()).add(float(p["value"]))
acked = [int(line) for line in open(sys.argv[2]).read().split()[1:]]
missing = [20 * b + i for b in acked for i in range(20) if float(20 * b + i) not in got.get(20 * b + i, set())]
assert not missing, f"missing steps {missing[:10]} of {len(missing)}"
PY
done
kill -TERM "$PID"
wait "$PID" || fail "server exit after SIGTERM"
echo "PASS server_kill9 ($ACKED_AT_KILL of $((CLIENTS * (BATCHES + 1))) calls acknowledged before the kill)"
