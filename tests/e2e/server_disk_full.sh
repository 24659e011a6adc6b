#!/usr/bin/env bash
# glia server on a full disk: an upload is answered 507 (no_space) in one line and leaves
# nothing (no run file, no temporary file), a log-batch is answered 503 and stores nothing, and
# both succeed once space is back. The workspace lives on a small tmpfs in a private mount
# namespace (a user namespace of its own when not root), as in disk_full.sh.
if [ -z "${GLIA_DISK_FULL_NS:-}" ]; then
  userns=()
  [ "$(id -u)" -eq 0 ] || userns=(--user --map-root-user)
  exec unshare "${userns[@]}" --mount --propagation private env GLIA_DISK_FULL_NS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
GLIA=$1
DISK="$WORK/disk"
mkdir -p "$DISK"
mount -t tmpfs -o size=64m tmpfs "$DISK"
WS="$DISK/ws"
"$GLIA" workspace init "$WS" >/dev/null
g() { "$GLIA" -w "$WS" "$@"; }
serve_with_token "$WS" 'umount -l "$DISK" 2>/dev/null || true'
BASE="http://127.0.0.1:$PORT"
AUTH=(-H "Authorization: Bearer $TOKEN")
post() {  # post PATH JSON: the status; the body in $WORK/body
  curl -s -o "$WORK/body" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
    -X POST --data "$2" "$BASE/api/2.0/mlflow/$1"
}
[ "$(post runs/create '{"experiment_id": "0"}')" = 200 ] || fail "runs/create: $(cat "$WORK/body")"
RUN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["info"]["run_id"])' "$WORK/body")
head -c 20000000 /dev/urandom >"$WORK/big.bin"
upload() {
  curl -s -o "$WORK/body" -w '%{http_code}' "${AUTH[@]}" -X PUT --data-binary @"$WORK/big.bin" \
    -H 'Content-Type: application/octet-stream' "$BASE/api/v1/workspaces/ws/runs/$RUN/files/outputs/big.bin"
}
batch='{"run_id": "'"$RUN"'", "metrics": [{"key": "m", "value": 1, "timestamp": 1, "step": 0}]}'

# Fill the disk but for a few MB: the 20 MB upload cannot fit.
dd if=/dev/zero of="$DISK/hog" bs=1M count=60 status=none 2>/dev/null || true
# The server reads the rest of the refused body before answering, so curl (still sending) gets
# the 507 rather than a reset connection (curl exit 55/56: the bug this once had).
code=$(upload) || fail "upload on a full disk: no answer (curl exit $?, HTTP '$code')"
[ "$code" = 507 ] || fail "upload on a full disk: HTTP $code, expected 507: $(head -c 300 "$WORK/body")"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e["kind"]=="no_space" and "\n" not in e["message"], e' \
  "$WORK/body" || fail "507 body: $(cat "$WORK/body")"
[ "$(g run files "$RUN" -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] ||
  fail "a run file was recorded after a failed upload"
! find "$WS/.glia/artifacts" -type f -newer "$WORK/big.bin" -size +1M | grep -q . ||
  fail "a partial file was left: $(find "$WS/.glia/artifacts" -type f -size +1M)"
# The store's last free pages gone too: a log-batch is refused (503, nothing written).
dd if=/dev/zero of="$DISK/hog2" bs=64k status=none 2>/dev/null || true
code=$(post runs/log-batch "$batch")
case "$code" in
  200) ;;  # SQLite's WAL had room for it: then it is stored (checked below)
  503) grep -q TEMPORARILY_UNAVAILABLE "$WORK/body" || fail "503 body: $(cat "$WORK/body")" ;;
  *) fail "log-batch on a full disk: HTTP $code: $(cat "$WORK/body")" ;;
esac
FULL_CODE=$code
kill -0 "$PID" || fail "the server died on a full disk: $(cat "$WORK/server.out.err")"

# Space back: both go through.
rm -f "$DISK/hog" "$DISK/hog2"
[ "$(upload)" = 201 ] || fail "upload once space is back: $(cat "$WORK/body")"
[ "$(post runs/log-batch "$batch")" = 200 ] || fail "log-batch once space is back: $(cat "$WORK/body")"
want=$([ "$FULL_CODE" = 200 ] && echo 2 || echo 1)
got=$(g run metrics "$RUN" --name m -o json | python3 -c 'import json,sys; j=json.load(sys.stdin); p=j if isinstance(j,list) else j.get("m", j.get("points", j)); print(len(p))')
[ "$got" = "$want" ] || fail "values stored: $got, expected $want (full-disk answer $FULL_CODE)"
kill -TERM "$PID"
wait "$PID" || fail "server exit"
echo "PASS server_disk_full (log-batch on the full disk: $FULL_CODE)"
