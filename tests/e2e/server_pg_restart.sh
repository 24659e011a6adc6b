#!/usr/bin/env bash
# glia server on a PostgreSQL store, PostgreSQL restarted while 8 clients log through MLflow's
# log-batch: the server stays up and reconnects, the clients see at most answers to retry
# (503), finish, and every acknowledged batch is stored. Run through scripts/with-postgres.sh
# (GLIA_TEST_PG_URL, GLIA_TEST_PG_RESTART).
source "$(dirname "$0")/lib.sh"
GLIA=$1
CLIENTS=${CLIENTS:-8}
BATCHES=${BATCHES:-80}
[ -n "${GLIA_TEST_PG_URL:-}" ] && [ -n "${GLIA_TEST_PG_RESTART:-}" ] ||
  fail "run through scripts/with-postgres.sh (GLIA_TEST_PG_URL and GLIA_TEST_PG_RESTART unset)"
WS="$WORK/ws"
DB_URL="${GLIA_TEST_PG_URL%/*}/glia_restart_$$"
psql "${GLIA_TEST_PG_URL}" -qc "CREATE DATABASE glia_restart_$$" >/dev/null || fail "createdb"
"$GLIA" workspace init "$WS" --store "$DB_URL" >/dev/null || fail "workspace init on PostgreSQL"
g() { "$GLIA" -w "$WS" "$@"; }
serve_with_token "$WS"

for i in $(seq "$CLIENTS"); do
  python3 "$(dirname "$0")/log_batch_client.py" "$PORT" "$TOKEN" "$i" "$BATCHES" "$WORK/acked.$i" \
    2>"$WORK/client.$i.err" &
  CPIDS+=($!)
done
for _ in $(seq 200); do
  [ "$(cat "$WORK"/acked.* 2>/dev/null | wc -l)" -ge $((CLIENTS * 5)) ] && break
  sleep 0.05
done
eval "$GLIA_TEST_PG_RESTART" >/dev/null || fail "PostgreSQL restart"
for i in "${!CPIDS[@]}"; do
  wait "${CPIDS[$i]}" || fail "client $((i + 1)) did not finish: $(cat "$WORK/client.$((i + 1)).err")"
done
kill -0 "$PID" 2>/dev/null || fail "the server died with PostgreSQL's restart: $(cat "$WORK/server.out.err")"
for i in $(seq "$CLIENTS"); do
  RUN=$(head -n 1 "$WORK/acked.$i")
  g run metrics "$RUN" --name m -o json >"$WORK/m.$i.json" || fail "metrics of client $i's run"
  python3 "$(dirname "$0")/check_acked.py" "$WORK/m.$i.json" "$WORK/acked.$i" ||
    fail "client $i: acknowledged values missing"
done
kill -TERM "$PID"
wait "$PID" || fail "server exit after SIGTERM"
RETRIES=$(cat "$WORK"/client.*.err | sed -n 's/^retries=//p' | awk '{s += $1} END {print s + 0}')
echo "PASS server_pg_restart (the clients retried $RETRIES calls)"
