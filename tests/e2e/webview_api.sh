#!/usr/bin/env bash
# The web view's server side against a live `glia server` (docs/webview.md): the /ui/ pages and
# assets (ETag → 304), the runs search, a run's Server-Sent Events followed with curl -N while a
# real job logs metrics and prints (hello first, the points pushed, the log, end last), and
# `glia ui` (prints a working login URL; a connected folder refused; SIGTERM stops it, exit 0).
# Usage: webview_api.sh GLIA
GLIA=$1
source "$(dirname "$0")/lib.sh"

WS="$WORK/ws"
"$GLIA" workspace init "$WS" --name team >/dev/null
g() { "$GLIA" -w "$WS" "$@"; }
g user add rita --role reader >/dev/null
READER=$(g token create --user rita -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

start_server "$WS" "$WORK/server.out" 127.0.0.1:0
SERVER=$PID
UI=
trap 'kill $SERVER $UI 2>/dev/null || true; stop_agents; rm -rf "$WORK"' EXIT
BASE="http://127.0.0.1:$PORT"
API="$BASE/api/v1/workspaces/team"
get() { curl -s -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $READER" "$@"; }
json() { python3 -c "import json,sys; d=json.load(open('$WORK/body')); print($1)"; }

# ---- /ui/: the shell for every page, assets with a strong ETag (304 when it matches) ----
case "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$BASE/")" in
  30[12378]" $BASE/ui/") ;;
  *) fail "/ does not redirect to /ui/" ;;
esac
for page in /ui/ /ui/login /ui/w/team/experiments "/ui/w/team/runs/x?tab=metrics"; do
  code=$(curl -s -o "$WORK/page" -w '%{http_code}' "$BASE$page")
  [ "$code" = 200 ] || fail "GET $page: HTTP $code"
  grep -qi '<!doctype html>' "$WORK/page" || fail "GET $page: not the app shell"
done
curl -s -D "$WORK/headers" -o /dev/null "$BASE/ui/static/js/app.js"
ETAG=$(sed -n 's/^[Ee][Tt]ag: *\(.*\)\r$/\1/p' "$WORK/headers")
[ -n "$ETAG" ] || fail "app.js has no ETag: $(cat "$WORK/headers")"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$BASE/ui/static/js/app.js")" = 304 ] ||
  fail "app.js with its ETag is not a 304"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "other"' "$BASE/ui/static/js/app.js")" = 200 ] ||
  fail "app.js with another ETag is not a 200"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/ui/static/nothing.js")" = 404 ] || fail "a missing asset is not a 404"

# ---- a job that logs metrics once the events stream is open (it waits for $WORK/go) ----
mkdir -p "$WORK/code"
cat >"$WORK/code/train.sh" <<SH
for _ in \$(seq 300); do [ -e "$WORK/go" ] && break; sleep 0.1; done
for i in 1 2 3 4 5; do
  echo "{\"kind\":\"metric\",\"name\":\"loss\",\"value\":0.\$i,\"step\":\$i}" >>"\$GLIA_TRACKING_FILE"
  echo "training step \$i"
  sleep 0.4
done
SH
cat >"$WORK/code/job.yml" <<'YML'
command: bash train.sh
code: .
experiment_name: live
YML
(cd "$WORK/code" && g job submit -f job.yml >"$WORK/submit.out" 2>"$WORK/submit.err") || fail "submit: $(cat "$WORK/submit.err")"
RUN=$(g run list -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

curl -s -N --max-time 120 -H "Authorization: Bearer $READER" "$API/runs/$RUN/events" >"$WORK/events" 2>&1 &
CURL=$!
for _ in $(seq 100); do grep -q '^event: hello' "$WORK/events" && break; sleep 0.1; done
grep -q '^event: hello' "$WORK/events" || fail "no hello event: $(cat "$WORK/events")"
touch "$WORK/go"
wait $CURL || fail "the events stream did not end by itself: $(tail -c 2000 "$WORK/events")"
python3 - "$WORK/events" <<'PY' || fail "events: $(tail -c 3000 "$WORK/events")"
import json, sys
events, steps, log = [], [], ""
for block in open(sys.argv[1]).read().split("\n\n"):
    lines = [l for l in block.split("\n") if l and not l.startswith(":")]
    if not lines:
        continue
    name = lines[0].removeprefix("event: ")
    data = json.loads(lines[1].removeprefix("data: "))
    events.append(name)
    if name == "metrics":
        steps += [p["step"] for p in data["points"].get("loss", [])]
    if name == "log":
        log += data["text"]
    if name == "end":
        assert data["status"] == "Completed", data
assert events[0] == "hello" and events[1] == "run", events
assert events[-1] == "end", events
assert steps == [1, 2, 3, 4, 5], steps
assert "training step 5" in log, log
PY

# ---- the runs search ----
[ "$(get "$API/runs/search?experiment=live&order_by=metrics.loss%20DESC")" = 200 ] || fail "search: $(cat "$WORK/body")"
[ "$(json 'd["total"]')" = 1 ] || fail "search total: $(cat "$WORK/body")"
[ "$(json 'd["runs"][0]["metrics"]["loss"]')" = 0.5 ] || fail "search metrics: $(cat "$WORK/body")"
[ "$(get "$API/runs/search?filter=metrics.loss%20%3E%200.9")" = 200 ] && [ "$(json 'd["total"]')" = 0 ] ||
  fail "filtered search: $(cat "$WORK/body")"
[ "$(get "$API/runs/search?filter=metrics.loss%20%3E")" = 400 ] || fail "a bad filter is not a 400"
[ "$(get "$API/runs/search?limit=5000")" = 400 ] || fail "limit 5000 is not a 400"

# ---- glia ui: the login URL works; SIGTERM stops it ----
"$GLIA" -w "$WS" ui --no-open >"$WORK/ui.out" 2>"$WORK/ui.err" &
UI=$!
for _ in $(seq 100); do grep -q '^Glia studio: ' "$WORK/ui.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's|^Glia studio: \(http://127\.0\.0\.1:[0-9]*/ui/login?token=.*\)$|\1|p' "$WORK/ui.out")
[ -n "$URL" ] || fail "glia ui printed no URL: $(cat "$WORK/ui.out" "$WORK/ui.err")"
ORIGIN=${URL%%/ui/*}
TOKEN=${URL#*token=}
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL")" = 200 ] || fail "GET $URL is not a 200"
curl -s -D "$WORK/login.headers" -o "$WORK/body" -H 'Content-Type: application/json' -H 'X-Glia-UI: 1' \
  -d "{\"token\": \"$TOKEN\"}" "$ORIGIN/ui/login" >/dev/null
# Named by port: two servers on 127.0.0.1 (cookies are not kept apart by port) keep their sessions.
PORT=${ORIGIN##*:}
grep -qi "^set-cookie: glia_session_$PORT=" "$WORK/login.headers" || fail "login set no cookie named by its port: $(cat "$WORK/login.headers" "$WORK/body")"
COOKIE=$(sed -n 's/^[Ss]et-[Cc]ookie: \(glia_session_[0-9]*=[^;]*\).*/\1/p' "$WORK/login.headers")
[ "$(curl -s -o "$WORK/body" -w '%{http_code}' -b "$COOKIE" "$ORIGIN/api/v1/workspaces/team/runs/search")" = 200 ] ||
  fail "the session cookie does not open the API: $(cat "$WORK/body")"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer glia_ui_$(printf '0%.0s' $(seq 64))" "$ORIGIN/api/v1/workspaces/team/runs")" = 401 ] ||
  fail "a made-up session token opens the API"
# Regression: the cookie was the token itself, and still worked after signing out.
! grep -qiF "$TOKEN" "$WORK/login.headers" || fail "the token was set as the cookie"
grep -qi '^set-cookie: .*Max-Age=' "$WORK/login.headers" || fail "the cookie has no Max-Age"
curl -s -o /dev/null -H 'X-Glia-UI: 1' -X POST -b "$COOKIE" "$ORIGIN/ui/logout"
[ "$(curl -s -o /dev/null -w '%{http_code}' -b "$COOKIE" "$ORIGIN/api/v1/workspaces/team/runs/search")" = 401 ] ||
  fail "the session cookie still opens the API after signing out"
kill -TERM $UI
rc=0
wait $UI || rc=$?
UI=
[ "$rc" = 0 ] || fail "glia ui exited $rc on SIGTERM: $(cat "$WORK/ui.err")"
grep -q 'stopped' "$WORK/ui.err" || fail "glia ui did not say it stopped: $(cat "$WORK/ui.err")"
# The token was in memory only: nowhere in the workspace.
! grep -rqF "$TOKEN" "$WS" || fail "the session token was written into the workspace"

# ---- glia ui opening the browser: the token never in a command line (world-readable in
# /proc/PID/cmdline, for the browser's whole life when xdg-open starts it) ----
mkdir -p "$WORK/bin"
cat >"$WORK/bin/xdg-open" <<SH
#!/bin/sh
printf '%s\n' "\$@" >"$WORK/xdg-open.args"
[ -f "\$1" ] && cp "\$1" "$WORK/xdg-open.page"
exit 0
SH
chmod +x "$WORK/bin/xdg-open"
DISPLAY=:99 PATH="$WORK/bin:$PATH" "$GLIA" -w "$WS" ui >"$WORK/ui.out" 2>"$WORK/ui.err" &
UI=$!
for _ in $(seq 100); do [ -s "$WORK/xdg-open.args" ] && break; sleep 0.1; done
[ -s "$WORK/xdg-open.args" ] || fail "glia ui did not run xdg-open: $(cat "$WORK/ui.out" "$WORK/ui.err")"
URL=$(sed -n 's|^Glia studio: \(http://.*\)$|\1|p' "$WORK/ui.out")
TOKEN=${URL#*token=}
[ -n "$TOKEN" ] || fail "glia ui printed no URL: $(cat "$WORK/ui.out")"
! grep -qF "$TOKEN" "$WORK/xdg-open.args" || fail "the session token is in xdg-open's command line"
OPENED=$(head -n 1 "$WORK/xdg-open.args")
[ "$(stat -c %a "$OPENED")" = 600 ] || fail "the page opened is not private: $(stat -c %a "$OPENED")"
grep -qF "$URL" "$WORK/xdg-open.page" || fail "the page opened does not lead to $URL: $(cat "$WORK/xdg-open.page")"
kill -TERM $UI
rc=0
wait $UI || rc=$?
UI=
[ "$rc" = 0 ] || fail "glia ui exited $rc on SIGTERM: $(cat "$WORK/ui.err")"
[ ! -e "$OPENED" ] || fail "the page holding the session token outlived glia ui"

# No usable temporary folder for that page: glia ui serves all the same and says why it did not
# open the browser.
: >"$WORK/not-a-folder"
rm -f "$WORK/xdg-open.args"
DISPLAY=:99 PATH="$WORK/bin:$PATH" XDG_RUNTIME_DIR="$WORK/not-a-folder" TMPDIR="$WORK/not-a-folder" \
  "$GLIA" -w "$WS" ui >"$WORK/ui.out" 2>"$WORK/ui.err" &
UI=$!
for _ in $(seq 100); do grep -q '^Glia studio: ' "$WORK/ui.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^Glia studio: ' "$WORK/ui.out" || fail "glia ui did not serve without a temporary folder: $(cat "$WORK/ui.err")"
for _ in $(seq 50); do grep -q 'browser is not opened' "$WORK/ui.err" && break; sleep 0.1; done
grep -q 'browser is not opened' "$WORK/ui.err" || fail "glia ui did not say why no browser opened: $(cat "$WORK/ui.err")"
[ ! -e "$WORK/xdg-open.args" ] || fail "xdg-open ran without the page"
kill -TERM $UI
rc=0
wait $UI || rc=$?
UI=
[ "$rc" = 0 ] || fail "glia ui exited $rc on SIGTERM: $(cat "$WORK/ui.err")"

# A connected folder: its server has the web view.
export GLIA_TOKEN=$READER
"$GLIA" workspace connect "$BASE" "$WORK/remote" >/dev/null || fail "connect failed"
expect_fail "$GLIA" -w "$WORK/remote" ui --no-open
echo "$LAST_ERR" | grep -q "$BASE/ui/" || fail "the refusal does not point to the server's /ui/: $LAST_ERR"

kill -TERM $SERVER
wait $SERVER || fail "glia server exited non-zero on SIGTERM"
echo "webview_api: OK"
