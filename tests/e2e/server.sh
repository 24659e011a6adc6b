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

status_of() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; }

start_server "$WS" "$WORK/s1" 127.0.0.1:0
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
[ "$(status_of -H "Authorization: bearer $READER" "$URL/api/v1/workspaces")" = 200 ] ||
  fail "the scheme is case-insensitive (RFC 9110): $(cat "$WORK/body")"
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
# A frame origin that is not a bare origin (it would change the page's security policy).
expect_fail_code 2 g server --listen 127.0.0.1:0 --ui-frame-ancestors "http://x 'unsafe-inline'"
expect_fail_code 2 g server --listen 127.0.0.1:0 --ui-frame-ancestors "http://localhost:8888/path"
expect_fail_code 2 g server --listen 127.0.0.1:0 --ui-frame-ancestors "http://localhost:99999"
expect_fail g server --tls-cert "$WORK/missing.pem" --tls-key "$WORK/missing.pem"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
  -subj /CN=localhost -days 1 2>/dev/null || fail "openssl"
expect_fail g server --tls-cert "$WORK/cert.pem"
rc=0
g server --listen 127.0.0.1:0 --tls-cert "$WORK/cert.pem" --tls-key "$WORK/cert.pem" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "a certificate given as the key: exit $rc, expected 2"

# --store is checked against the workspace's store: used, or refused.
rc=0
g server --listen 127.0.0.1:0 --store postgresql://u@127.0.0.1:1/db >/dev/null 2>"$WORK/err3" || rc=$?
[ "$rc" -eq 4 ] || fail "--store of another store: exit $rc, expected 4: $(cat "$WORK/err3")"
grep -q "uses $WS/.glia/glia.db" "$WORK/err3" || fail "--store message: $(cat "$WORK/err3")"
expect_fail g server --listen 127.0.0.1:0 --store mysql://x

# The access log: a line per request, what the client sent quoted (control bytes decoded from a
# path, such as a terminal's escape sequences, never reach the log raw).
start_server "$WS" "$WORK/s3" 127.0.0.1:0 --access-log
status_of "http://127.0.0.1:$PORT/x%1B%5B2J%07" >/dev/null
status_of "http://127.0.0.1:$PORT/api/v1/health" >/dev/null
kill -TERM "$PID"
wait "$PID" || fail "access-log server exit"
grep -q ' GET /api/v1/health 200 ' "$WORK/s3.err" || fail "no access log line: $(cat "$WORK/s3.err")"
grep -q ' GET /x.*404 ' "$WORK/s3.err" || fail "no access log line for /x: $(cat -A "$WORK/s3.err")"
! grep -q $'[\x1b\x07]' "$WORK/s3.err" || fail "raw control bytes in the log: $(cat -A "$WORK/s3.err")"

# TLS with a given certificate (and --store naming the workspace's own store).
start_server "$WS" "$WORK/s2" 127.0.0.1:0 --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" --store sqlite
grep -q "on https://" "$WORK/s2" || fail "TLS server does not say https: $(cat "$WORK/s2")"
[ "$(status_of --cacert "$WORK/cert.pem" --resolve "localhost:$PORT:127.0.0.1" \
  -H "Authorization: Bearer $OWNER" "https://localhost:$PORT/api/v1/workspaces")" = 200 ] || fail "https"
[ "$(status_of "http://127.0.0.1:$PORT/api/v1/health")" != 200 ] || fail "plain HTTP answered on the TLS port"
kill -TERM "$PID"
wait "$PID" || fail "TLS server exit"
echo "PASS server"
