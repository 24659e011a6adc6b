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
serve_with_token "$WS"

# Each client (log_batch_client.py): its own run, then BATCHES batches of 20 values, each sent
# until it is answered; every acknowledged batch is recorded.
for i in $(seq "$CLIENTS"); do
  python3 "$(dirname "$0")/log_batch_client.py" "$PORT" "$TOKEN" "$i" "$BATCHES" "$WORK/acked.$i" 2>"$WORK/client.$i.err" &
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
start_server "$WS" "$WORK/server.out" "127.0.0.1:$PORT"
for i in "${!CPIDS[@]}"; do
  wait "${CPIDS[$i]}" || fail "client $((i + 1)) did not finish: $(cat "$WORK/client.$((i + 1)).err")"
done
[ "$ACKED_AT_KILL" -lt $((CLIENTS * (BATCHES + 1))) ] || fail "every batch was acknowledged before the kill"
# Every acknowledged batch is stored: each step of it, with its value.
for i in $(seq "$CLIENTS"); do
  RUN=$(head -n 1 "$WORK/acked.$i")
  g run metrics "$RUN" --name m -o json >"$WORK/m.$i.json" || fail "metrics of client $i's run"
  python3 "$(dirname "$0")/check_acked.py" "$WORK/m.$i.json" "$WORK/acked.$i" ||
    fail "client $i: acknowledged values missing"
done
kill -TERM "$PID"
wait "$PID" || fail "server exit after SIGTERM"
echo "PASS server_kill9 ($ACKED_AT_KILL of $((CLIENTS * (BATCHES + 1))) calls acknowledged before the kill)"
