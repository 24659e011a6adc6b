#!/usr/bin/env bash
# The real MLflow client (mlflow-skinny from PyPI, in the venv scripts/install-mlflow.sh makes)
# against `glia server`: a workspace with a contributor and a reader, the server on a free port,
# then test_client.py logs, searches, uploads and registers through MLflow and checks the same
# data through `glia` (docs/mlflow.md). A missing venv is a FAILURE, never a skip.
# Usage: run.sh GLIA
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
GLIA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
python="$repo/.venv-mlflow/bin/python"
if [ ! -x "$python" ] || ! "$python" -c 'import mlflow' 2>/dev/null; then
  echo "FAIL: $repo/.venv-mlflow is missing or cannot import mlflow: run 'bash scripts/install-mlflow.sh'" >&2
  exit 1
fi
WORK=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

WS="$WORK/team"
"$GLIA" workspace init "$WS" >/dev/null
g() { "$GLIA" -w "$WS" "$@"; }
token_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
g user add cat --role contributor >/dev/null
g user add rex --role reader >/dev/null
CONTRIBUTOR=$(g token create --user cat -o json | token_of)
READER=$(g token create --user rex -o json | token_of)

"$GLIA" -w "$WS" server --listen 127.0.0.1:0 >"$WORK/server.out" 2>"$WORK/server.err" &
PID=$!
PORT=
for _ in $(seq 100); do
  PORT=$(sed -n 's|^glia server: serving workspace .* on http://[^:]*:\([0-9]*\)$|\1|p' "$WORK/server.out")
  [ -n "$PORT" ] && break
  kill -0 "$PID" 2>/dev/null || fail "server exited: $(cat "$WORK/server.err")"
  sleep 0.1
done
[ -n "$PORT" ] || fail "server did not start: $(cat "$WORK/server.out" "$WORK/server.err")"

# Both tracking URIs: the root (one workspace served) and /mlflow/<workspace>.
for uri in "http://127.0.0.1:$PORT" "http://127.0.0.1:$PORT/mlflow/team"; do
  (cd "$WORK" && GLIA="$GLIA" GLIA_WS="$WS" MLFLOW_TRACKING_URI="$uri" \
    MLFLOW_TRACKING_TOKEN="$CONTRIBUTOR" GLIA_READER_TOKEN="$READER" \
    MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 PYTHONPATH="$here" \
    "$python" -W ignore -m unittest -v test_client 2>&1) ||
    fail "the mlflow client against $uri (server log: $(tail -n 5 "$WORK/server.err"))"
done

# Every call the client made is one Glia serves (the server logs the others).
if grep -q "mlflow: not supported" "$WORK/server.err"; then
  fail "the client called endpoints Glia does not serve: $(grep "mlflow: not supported" "$WORK/server.err" | sort -u)"
fi
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
PID=
[ "$rc" -eq 0 ] || fail "server exit after SIGTERM: $rc ($(cat "$WORK/server.err"))"
echo "mlflow: OK"
