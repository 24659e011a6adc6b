# Shared helpers for the end-to-end scripts.
set -euo pipefail
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_fail CMD... : the command must exit non-zero with a one-line "error:" message on stderr.
expect_fail() {
  local err rc=0
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [ "$rc" -ne 0 ] || fail "expected failure: $*"
  err=$(cat "$WORK/err")
  [ "$(printf '%s\n' "$err" | grep -c .)" -ge 1 ] || fail "no error message: $*"
  printf '%s\n' "$err" | grep -q "error" || fail "message lacks 'error': $err"
  LAST_ERR=$err
}
# expect_fail_code CODE CMD... : as expect_fail, with that exit code (docs/errors.md).
expect_fail_code() {
  local code=$1 rc=0
  shift
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [ "$rc" -eq "$code" ] || fail "expected exit $code, got $rc: $* ($(cat "$WORK/err"))"
  [ "$(grep -c . "$WORK/err")" -eq 1 ] || fail "not one line: $(cat "$WORK/err")"
  grep -q "error" "$WORK/err" || fail "message lacks 'error': $(cat "$WORK/err")"
  LAST_ERR=$(cat "$WORK/err")
}

# Jobs: agents started by the tests exit soon after they go idle, and are stopped at the end.
export GLIA_AGENT_IDLE_EXIT=${GLIA_AGENT_IDLE_EXIT:-3}
stop_agents() {
  local f
  for f in $(find "$WORK" -path '*/.glia/agent/*/agent.pid' 2>/dev/null); do
    kill "$(cat "$f")" 2>/dev/null || true
  done
}
trap 'stop_agents; rm -rf "$WORK"' EXIT
# Endpoint processes outlive agents by design: the tests that start them stop them at exit.
stop_endpoints() {
  local f
  for f in $(find "$WORK" -path '*/.glia/endpoints/*/status.json' 2>/dev/null); do
    kill -9 "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['pid'])" "$f")" 2>/dev/null || true
  done
}
# run_field WS RUN FIELD: a field of `glia job show -o json`.
run_field() {
  "$GLIA" -w "$1" job show "$2" -o json | python3 -c "import json,sys; v=json.load(sys.stdin).get('$3'); print('' if v is None else v)"
}
# wait_status WS RUN STATUS [SECONDS]: waits until the run has STATUS.
wait_status() {
  local i
  for ((i = 0; i < ${4:-30} * 10; i++)); do
    [ "$(run_field "$1" "$2" status)" = "$3" ] && return 0
    sleep 0.1
  done
  fail "run $2 never reached $3 (is $(run_field "$1" "$2" status))"
}
# submit WS FILE [ARGS...]: submits without streaming, prints the run id.
submit() {
  local ws=$1 file=$2
  shift 2
  "$GLIA" -w "$ws" job submit -f "$file" -o json "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
# start_server WS LOG LISTEN [ARGS...]: `glia -w WS server --listen LISTEN ARGS...` in the
# background (stdout to LOG, stderr appended to LOG.err); sets PID, and PORT from its first line.
start_server() {
  local ws=$1 log=$2 listen=$3 i
  shift 3
  : >"$log"  # before sed reads it: the server opens it only once it runs
  "$GLIA" -w "$ws" server --listen "$listen" "$@" >"$log" 2>>"$log.err" &
  PID=$!
  PORT=
  for ((i = 0; i < 100; i++)); do
    PORT=$(sed -n 's|^glia server: serving workspace .* on https\?://[^:]*:\([0-9]*\)$|\1|p' "$log")
    [ -n "$PORT" ] && return 0
    kill -0 "$PID" 2>/dev/null || fail "server exited: $(cat "$log.err")"
    sleep 0.1
  done
  fail "server did not start: $(cat "$log" "$log.err")"
}
# serve_with_token WS [CLEANUP]: a contributor "lee" and its TOKEN, `glia server` on WS started
# (PID, PORT; its log in $WORK/server.out) and killed at exit, after CLEANUP (a command) if given.
serve_with_token() {
  "$GLIA" -w "$1" user add lee --role contributor >/dev/null
  TOKEN=$("$GLIA" -w "$1" token create --user lee 2>/dev/null)
  start_server "$1" "$WORK/server.out" 127.0.0.1:0
  trap "kill -9 \$PID 2>/dev/null || true; stop_agents; ${2:-true}; rm -rf \"\$WORK\"" EXIT
}
# serve_status KEY: a field of the status.json an endpoint process writes in the current folder.
serve_status() { python3 -c "import json; print(json.load(open('status.json')).get('$1'))"; }
# wait_serve_ready PID: waits (10 s at most) until the endpoint process PID, started in the current
# folder with status_file status.json, reports itself ready; fails naming why otherwise.
wait_serve_ready() {
  for ((i = 0; i < 200; i++)); do
    [ -f status.json ] && [ "$(serve_status state)" = ready ] && return 0
    kill -0 "$1" 2>/dev/null || fail "serve exited: $(cat serve.err)"
    sleep 0.05
  done
  fail "never ready: $(cat status.json serve.err)"
}
