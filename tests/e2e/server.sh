#!/usr/bin/env bash
# glia server: listening, tokens (401 without, at once after a revoke), roles (403), TLS, a port
# in use, bad flags, and a graceful stop on SIGTERM (exit 0).
source "$(dirname "$0")/lib.sh"
GLIA=$1
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
g() { "$GLIA" -w "$WS" "$@"; }
g user add ann --role owner >/dev/null
g user add rex --role reader >/dev/null
OWNER=$(g token create --user ann -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
READER_JSON=$(g token create --user rex -o json)
READER=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["token"])' "$READER_JSON")
READER_ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$READER_JSON")

# start_server LOG ARGS...: starts it in the background, sets PID and PORT from its first line.
start_server() {
  local log=$1
  shift
  "$GLIA" -w "$WS" server --listen 127.0.0.1:0 "$@" >"$log" 2>"$log.err" &
  PID=$!
  for _ in $(seq 100); do
    PORT=$(sed -n 's|^glia server: serving workspace .* on https\?://[^:]*:\([0-9]*\)$|\1|p' "$log")
    [ -n "$PORT" ] && return 0
    kill -0 "$PID" 2>/dev/null || fail "server exited: $(cat "$log.err")"
    sleep 0.1
  done
  fail "server did not start: $(cat "$log" "$log.err")"
}
status_of() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; }

start_server "$WORK/s1"
URL="http://127.0.0.1:$PORT"
[ "$(status_of "$URL/api/v1/health")" = 200 ] || fail "health"
grep -q '"status":"ok"' "$WORK/body" || fail "health body: $(cat "$WORK/body")"
[ "$(status_of "$URL/api/v1/workspaces")" = 401 ] || fail "no token is not 401"
grep -q '"kind":"unauthenticated"' "$WORK/body" || fail "401 body: $(cat "$WORK/body")"
[ "$(status_of -H "Authorization: Bearer glia_0123456789abcdef_nope" "$URL/api/v1/workspaces")" = 401 ] ||
  fail "a made-up token is not 401"
[ "$(status_of -H "Authorization: Bearer $OWNER" "$URL/api/v1/workspaces")" = 200 ] || fail "owner token"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["workspaces"]==[{"name":"ws","role":"owner"}], j' \
  "$WORK/body" || fail "workspaces body: $(cat "$WORK/body")"
[ "$(status_of -H "Authorization: Bearer $READER" "$URL/api/v1/workspaces")" = 200 ] || fail "reader token"
# A revoke from the CLI (another process) takes effect on the very next request.
g token revoke "$READER_ID" >/dev/null
[ "$(status_of -H "Authorization: Bearer $READER" "$URL/api/v1/workspaces")" = 401 ] ||
  fail "a revoked token still works"
[ "$(status_of "$URL/no/such/thing")" = 404 ] || fail "unknown path is not 404"
[ "$(status_of -X DELETE "$URL/api/v1/health")" = 405 ] || fail "wrong method is not 405"
# A second server on the same port: unavailable (exit 7), a clear line.
rc=0
g server --listen "127.0.0.1:$PORT" >/dev/null 2>"$WORK/err2" || rc=$?
[ "$rc" -eq 7 ] || fail "port in use: exit $rc, expected 7: $(cat "$WORK/err2")"
grep -q "cannot listen on 127.0.0.1:$PORT" "$WORK/err2" || fail "port in use message: $(cat "$WORK/err2")"
# SIGTERM: a graceful stop, exit 0.
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
[ "$rc" -eq 0 ] || fail "server exit after SIGTERM: $rc ($(cat "$WORK/s1.err"))"
grep -q "stopped" "$WORK/s1.err" || fail "no stop line: $(cat "$WORK/s1.err")"

# Bad flags: one line, exit 2, nothing started.
expect_fail g server --listen nonsense
expect_fail g server --listen 127.0.0.1:99999
expect_fail g server --tls-cert "$WORK/missing.pem" --tls-key "$WORK/missing.pem"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
  -subj /CN=localhost -days 1 2>/dev/null || fail "openssl"
expect_fail g server --tls-cert "$WORK/cert.pem"
rc=0
g server --listen 127.0.0.1:0 --tls-cert "$WORK/cert.pem" --tls-key "$WORK/cert.pem" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "a certificate given as the key: exit $rc, expected 2"

# TLS with a given certificate.
start_server "$WORK/s2" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem"
grep -q "on https://" "$WORK/s2" || fail "TLS server does not say https: $(cat "$WORK/s2")"
[ "$(status_of --cacert "$WORK/cert.pem" --resolve "localhost:$PORT:127.0.0.1" \
  -H "Authorization: Bearer $OWNER" "https://localhost:$PORT/api/v1/workspaces")" = 200 ] || fail "https"
[ "$(status_of "http://127.0.0.1:$PORT/api/v1/health")" != 200 ] || fail "plain HTTP answered on the TLS port"
kill -TERM "$PID"
wait "$PID" || fail "TLS server exit"
echo "PASS server"
