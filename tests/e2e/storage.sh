#!/usr/bin/env bash
# The store end to end: files kept private to the owner and the workspace's group (modes under
# umask 022 and 002, setgid folders), a second Unix user of the group sharing a workspace, code
# snapshots that never follow links out of the code folder nor widen unreadable files, the
# temporary files of a killed `glia dataset create` removed by the next writer, and
# by-reference datasets whose identity is their bytes, not their URL.
source "$(dirname "$0")/lib.sh"
GLIA=$(realpath "$1")
FIXTURE="$(cd "$(dirname "$0")/.." && pwd)/tools/http_fixture.py"
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
mode() { stat -c %a "$1"; }

# --- Modes under umask 022 and 002: folders 2750/2770 (setgid), blobs 440, the store 640/660.
echo data >"$WORK/data.txt"
for mask in 022 002; do
  ws="$WORK/ws$mask"
  (umask $mask && "$GLIA" workspace init "$ws" >/dev/null &&
    "$GLIA" -w "$ws" dataset create --name d --path "$WORK/data.txt" >/dev/null)
  want_dir=$([ $mask = 022 ] && echo 2750 || echo 2770)
  want_file=$([ $mask = 022 ] && echo 640 || echo 660)
  for d in "$ws/.glia" "$ws/.glia/artifacts" "$ws/.glia/artifacts/blobs" \
    "$(dirname "$(find "$ws/.glia/artifacts/blobs" -type f | head -1)")"; do
    [ "$(mode "$d")" = "$want_dir" ] || fail "umask $mask: $d is $(mode "$d"), expected $want_dir"
  done
  find "$ws/.glia/artifacts/blobs" -type f | while read -r b; do
    [ "$(mode "$b")" = 440 ] || fail "umask $mask: blob $b is $(mode "$b"), expected 440"
  done
  for f in "$ws/.glia/glia.db" "$ws/.glia/config.json"; do
    [ "$(mode "$f")" = "$want_file" ] || fail "umask $mask: $f is $(mode "$f"), expected $want_file"
  done
  [ -z "$(find "$ws/.glia" -perm /o=rwx ! -type l)" ] || fail "umask $mask: other users can reach $(find "$ws/.glia" -perm /o=rwx ! -type l | head -3)"
done
# A workspace made by an older Glia (0755 folders) is tightened when opened by its owner.
chmod 755 "$WORK/ws022/.glia" "$WORK/ws022/.glia/artifacts" "$WORK/ws022/.glia/artifacts/blobs"
"$GLIA" -w "$WORK/ws022" dataset list >/dev/null
[ "$(mode "$WORK/ws022/.glia/artifacts/blobs")" = 2750 ] || fail "old 0755 folder not tightened: $(mode "$WORK/ws022/.glia/artifacts/blobs")"

# --- code: a link to a folder outside the job file's folder is refused, naming both.
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
g() { "$GLIA" -w "$WS" "$@"; }
mkdir -p "$WORK/proj" "$WORK/outside"
echo "not for the snapshot" >"$WORK/outside/private.txt"
ln -s "$WORK/outside" "$WORK/proj/code"
printf 'command: ls -a\ncode: code\n' >"$WORK/proj/job.yml"
expect_fail g job submit -f "$WORK/proj/job.yml"
grep -q "symbolic link" <<<"$LAST_ERR" && grep -qF "$WORK/outside" <<<"$LAST_ERR" &&
  grep -qF "$WORK/proj" <<<"$LAST_ERR" || fail "code link out: $LAST_ERR"
[ "$(printf '%s\n' "$LAST_ERR" | grep -c .)" = 1 ] || fail "not one line: $LAST_ERR"
# A link to a folder inside the job file's folder is followed.
mkdir -p "$WORK/proj/src" && echo 'echo hi' >"$WORK/proj/src/main.sh"
ln -sfn "$WORK/proj/src" "$WORK/proj/code"
g job submit -f "$WORK/proj/job.yml" --stream >"$WORK/inside.out" 2>&1 || fail "code link inside: $(cat "$WORK/inside.out")"
grep -q main.sh "$WORK/inside.out" || fail "the linked code folder was not snapshotted: $(cat "$WORK/inside.out")"

# --- Inside the code folder: a link to /etc/hostname and an unreadable file are skipped with a
# warning (stderr and the run's log); a link to a file inside is stored as that file; nothing
# is chmod-ed. Root reads anything, so as root the submit runs as a user without privileges.
as_user=()
if [ "$(id -u)" = 0 ]; then
  as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  chmod 755 "$WORK"
fi
U="$WORK/u" && mkdir -p "$U/code"
echo 'echo main' >"$U/code/main.sh"
ln -s /etc/hostname "$U/code/hostlink"
ln -s main.sh "$U/code/alias.sh"
echo secret >"$U/code/secret.txt" && chmod 000 "$U/code/secret.txt"
printf 'command: ls\ncode: code\n' >"$U/job.yml"
[ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$U" && chown root:root "$U/code/secret.txt"
"${as_user[@]}" "$GLIA" workspace init "$U/ws" >/dev/null
"${as_user[@]}" "$GLIA" -w "$U/ws" job submit -f "$U/job.yml" --stream >"$U/out" 2>"$U/err" ||
  fail "submit with skipped files: $(cat "$U/out" "$U/err")"
grep -q "warning: .*'hostlink'.*outside the code folder" "$U/err" || fail "no warning for the link out: $(cat "$U/err")"
grep -q "warning: .*'secret.txt'.*cannot read" "$U/err" || fail "no warning for the unreadable file: $(cat "$U/err")"
# The streamed log starts with Glia's own lines ("[glia] warning: ..."), then the job's output.
grep -q '^\[glia\] warning: .*secret.txt' "$U/out" || fail "the run's log lacks the warnings: $(cat "$U/out")"
grep -v '^\[glia\]' "$U/out" >"$U/listing"
grep -q "main.sh" "$U/listing" && grep -q "alias.sh" "$U/listing" || fail "code files missing: $(cat "$U/out")"
! grep -q "hostlink\|secret.txt" "$U/listing" || fail "skipped files reached the job: $(cat "$U/out")"
[ "$(mode "$U/code/secret.txt")" = 0 ] || fail "the unreadable file was chmod-ed"
H=$(sha256sum /etc/hostname | cut -c1-64)
[ ! -e "$U/ws/.glia/artifacts/blobs/${H:0:2}/$H" ] || fail "/etc/hostname was stored"

# --- kill -9 of a dataset create: its temporary files are removed by the next writer.
mkdir -p "$WORK/big"
head -c 200000000 /dev/urandom >"$WORK/big/blob.bin" 2>/dev/null || truncate -s 200M "$WORK/big/blob.bin"
for ((i = 0; i < 40; i++)); do head -c 1000000 /dev/urandom >"$WORK/big/f$i.bin"; done
WSK="$WORK/wsk"  # no agent here: every folder in tmp/ belongs to the writers below
"$GLIA" workspace init "$WSK" >/dev/null
TMP="$WSK/.glia/artifacts/tmp"
"$GLIA" -w "$WSK" dataset create --name big --path "$WORK/big" >/dev/null 2>&1 &  # $! is glia
PID=$!
for ((i = 0; i < 100; i++)); do
  [ -n "$(find "$TMP" -type f 2>/dev/null | head -1)" ] && break
  sleep 0.02
done
kill -9 "$PID" 2>/dev/null || true
wait "$PID" 2>/dev/null || true
DEAD=$(find "$TMP" -mindepth 1 -maxdepth 1 -name 'w-*' 2>/dev/null)
if [ -z "$(find "$TMP" -type f 2>/dev/null)" ]; then
  echo "(the killed registration left no temporary file; the cleanup case was not exercised)"
else
  echo "killed writer left $(find "$TMP" -type f | wc -l) temporary files"
fi
echo small >"$WORK/small.txt"
"$GLIA" -w "$WSK" dataset create --name small --path "$WORK/small.txt" >/dev/null
for d in $DEAD; do [ ! -e "$d" ] || fail "the killed writer's $d is still there"; done
[ -z "$(find "$TMP" -type f)" ] || fail "temporary files left: $(find "$TMP" -type f | head -3)"

# --- By reference: the same bytes from two servers are one version; both URLs are kept.
mkdir -p "$WORK/web1" "$WORK/web2"
echo "the same bytes" | tee "$WORK/web1/same.txt" >"$WORK/web2/same.txt"
python3 "$FIXTURE" "$WORK/web1" >"$WORK/port1" 2>/dev/null &
S1=$!
python3 "$FIXTURE" "$WORK/web2" >"$WORK/port2" 2>/dev/null &
S2=$!
for ((i = 0; i < 50; i++)); do [ -s "$WORK/port1" ] && [ -s "$WORK/port2" ] && break; sleep 0.1; done
URL1="http://127.0.0.1:$(head -1 "$WORK/port1")"
URL2="http://127.0.0.1:$(head -1 "$WORK/port2")"
[ "$(g dataset create --name ref --path "$URL1/same.txt" --by-reference -o json | field '["version"]')" = 1 ] || fail "by-reference version 1"
[ "$(g dataset create --name ref --path "$URL2/same.txt" --by-reference -o json | field '["version"]')" = 1 ] || fail "the same bytes from another server made a new version"
[ "$(g dataset create --name ref --path "$URL2/same.txt" -o json | field '["version"]')" = 1 ] || fail "the same bytes downloaded made a new version"
[ "$(g dataset list -o json | python3 -c 'import json,sys; print(sum(d["name"] == "ref" for d in json.load(sys.stdin)))')" = 1 ] || fail "more than one version of ref"
kill "$S1" "$S2" 2>/dev/null || true

# --- A folder workspace shared by two Unix users of one group (umask 002, setgid folder).
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: sharing a workspace between two Unix users needs root to create the test users"
else
  SUF=$$
  GRP=gliash$SUF U1=gliau1$SUF U2=gliau2$SUF
  cleanup_users() { userdel "$U1" 2>/dev/null || true; userdel "$U2" 2>/dev/null || true; groupdel "$GRP" 2>/dev/null || true; }
  trap 'stop_agents; cleanup_users; rm -rf "$WORK"' EXIT
  groupadd "$GRP"
  useradd -M -N -g "$GRP" -s /bin/sh "$U1"
  useradd -M -N -g "$GRP" -s /bin/sh "$U2"
  chmod 755 "$WORK"
  SH="$WORK/shared" && mkdir -p "$SH" && chgrp "$GRP" "$SH" && chmod 2775 "$SH"
  echo shared-data >"$WORK/shared-data.txt" && chmod 644 "$WORK/shared-data.txt"
  as1=(setpriv --reuid="$U1" --regid="$GRP" --init-groups)
  as2=(setpriv --reuid="$U2" --regid="$GRP" --init-groups)
  (umask 002 && "${as1[@]}" "$GLIA" workspace init "$SH/ws" >/dev/null) || fail "init as $U1"
  (umask 002 && "${as1[@]}" "$GLIA" -w "$SH/ws" dataset create --name one --path "$WORK/data.txt" >/dev/null) || fail "dataset create as $U1"
  # Sharing is the workspace's, not the caller's umask: the owner opening the store with umask
  # 022 leaves glia.db 660, and what a umask-022 member creates (-wal/-shm, blob folders, the
  # runs and agent folders, logs) stays writable by the group.
  (umask 022 && "${as1[@]}" "$GLIA" -w "$SH/ws" job list >/dev/null) || fail "job list as $U1"
  [ "$(mode "$SH/ws/.glia/glia.db")" = 660 ] || fail "opening the store with umask 022 made glia.db $(mode "$SH/ws/.glia/glia.db")"
  rm -f "$SH/ws/.glia/glia.db-wal" "$SH/ws/.glia/glia.db-shm"  # made again by the umask-022 member
  (umask 022 && "${as2[@]}" "$GLIA" -w "$SH/ws" job list >"$WORK/u2.out" 2>&1) || fail "job list as $U2: $(cat "$WORK/u2.out")"
  (umask 022 && "${as2[@]}" "$GLIA" -w "$SH/ws" dataset create --name two --path "$WORK/shared-data.txt" >"$WORK/u2.out" 2>&1) ||
    fail "dataset create as $U2: $(cat "$WORK/u2.out")"
  [ "$(stat -c %G "$SH/ws/.glia/glia.db")" = "$GRP" ] || fail "glia.db is not the group's"
  [ "$(mode "$SH/ws/.glia/glia.db")" = 660 ] || fail "glia.db is $(mode "$SH/ws/.glia/glia.db")"
  [ -z "$(find "$SH/ws/.glia" ! -group "$GRP")" ] || fail "not the workspace's group: $(find "$SH/ws/.glia" ! -group "$GRP" | head -3)"
  (umask 002 && "${as1[@]}" "$GLIA" -w "$SH/ws" dataset show two >/dev/null) || fail "$U1 cannot read $U2's dataset"
  # Jobs run as their submitter: each user's own agent takes only that user's jobs.
  printf 'command: sleep 1; id -un\n' >"$WORK/whoami.yml" && chmod 644 "$WORK/whoami.yml"
  (umask 002 && "${as1[@]}" "$GLIA" -w "$SH/ws" job submit -f "$WORK/whoami.yml" -o json >"$WORK/j1.json") || fail "submit as $U1"
  (umask 022 && "${as2[@]}" "$GLIA" -w "$SH/ws" job submit -f "$WORK/whoami.yml" -o json >"$WORK/j2.json") || fail "submit as $U2"
  J1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/j1.json")
  J2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/j2.json")
  wait_status "$SH/ws" "$J1" Completed 30
  wait_status "$SH/ws" "$J2" Completed 30
  [ "$(run_field "$SH/ws" "$J1" submitted_by | python3 -c 'import ast,sys; print(ast.literal_eval(sys.stdin.read())["name"])')" = "$U1" ] ||
    fail "run of $U1 records $(run_field "$SH/ws" "$J1" submitted_by)"
  "$GLIA" -w "$SH/ws" job stream "$J1" 2>/dev/null | grep -qx "$U1" || fail "$U1's job did not run as $U1"
  "$GLIA" -w "$SH/ws" job stream "$J2" 2>/dev/null | grep -qx "$U2" || fail "$U2's job did not run as $U2"
  [ -f "$SH/ws/.glia/agent/$(id -u "$U1")/agent.log" ] && [ -f "$SH/ws/.glia/agent/$(id -u "$U2")/agent.log" ] ||
    fail "each user did not get an agent of their own: $(ls "$SH/ws/.glia/agent")"
  # A running job's folder, made by the agent of a umask-022 member: the workspace's modes too.
  printf 'command: sleep 3\n' >"$WORK/sleep.yml" && chmod 644 "$WORK/sleep.yml"
  (umask 022 && "${as2[@]}" "$GLIA" -w "$SH/ws" job submit -f "$WORK/sleep.yml" -o json >"$WORK/j3.json") || fail "submit as $U2"
  J3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/j3.json")
  wait_status "$SH/ws" "$J3" Running 30
  R3="$SH/ws/.glia/runs/$J3"
  for d in "$R3" "$R3/user_logs" "$R3/scratch" "$R3/wd/outputs" "$R3/wd/logs"; do
    [ "$(mode "$d")" = 2770 ] || fail "run folder $d is $(mode "$d"), expected 2770"
  done
  for f in "$R3/user_logs/std_log.txt" "$R3/tracking.jsonl"; do
    [ "$(mode "$f")" = 660 ] || fail "run file $f is $(mode "$f"), expected 660"
  done
  wait_status "$SH/ws" "$J3" Completed 30
  # Every folder the workspace's mode (2770), every file 660 (blobs 440), whoever made them.
  bad=$(find "$SH/ws/.glia" -path '*/runs/*/wd' -prune -o -type d ! -perm 2770 -print)
  [ -z "$bad" ] || fail "folders narrower than the workspace's: $(for f in $bad; do echo "$f $(mode "$f")"; done | head -5)"
  bad=$(find "$SH/ws/.glia" -path '*/runs/*/wd' -prune -o \( -type f -o -type p \) ! -path '*/blobs/*' ! -perm 660 -print)
  [ -z "$bad" ] || fail "files not 660: $(for f in $bad; do echo "$f $(mode "$f")"; done | head -5)"
  bad=$(find "$SH/ws/.glia/artifacts/blobs" -type f ! -perm 440)
  [ -z "$bad" ] || fail "blobs not 440: $(echo "$bad" | head -3)"
  # The owner, with umask 002 again, writes where the umask-022 member created things first.
  echo third >"$WORK/third.txt" && chmod 644 "$WORK/third.txt"
  (umask 002 && "${as1[@]}" "$GLIA" -w "$SH/ws" dataset create --name three --path "$WORK/third.txt" >"$WORK/u1.out" 2>&1) ||
    fail "dataset create as $U1 after $U2 (umask 022): $(cat "$WORK/u1.out")"
  echo "shared workspace: each user's job ran as that user, by that user's agent"

  # max_concurrent holds across users: 2 jobs each at once on a target of 1, never overlapping.
  (umask 002 && "${as1[@]}" "$GLIA" -w "$SH/ws" compute create --name one --max-concurrent 1 >/dev/null)
  printf 'command: date +%%s.%%N; sleep 0.5; date +%%s.%%N\ncompute: one\n' >"$WORK/span.yml"
  chmod 644 "$WORK/span.yml"
  SPANS=()
  for who in 1 2 1 2; do
    if [ "$who" = 1 ]; then as=("${as1[@]}"); else as=("${as2[@]}"); fi
    (umask 002 && "${as[@]}" "$GLIA" -w "$SH/ws" job submit -f "$WORK/span.yml" -o json) >"$WORK/spanout.$who.${#SPANS[@]}" &
    SPANS+=($!)
  done
  for p in "${SPANS[@]}"; do wait "$p" || fail "a submit to 'one' failed"; done
  for f in "$WORK"/spanout.*; do
    id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$f")
    wait_status "$SH/ws" "$id" Completed 30
    "$GLIA" -w "$SH/ws" job stream "$id" 2>/dev/null | tr '\n' ' ' >>"$WORK/intervals"
    echo >>"$WORK/intervals"
  done
  python3 - "$WORK/intervals" <<'PY' || fail "jobs of two users overlapped on a target of max_concurrent 1: $(cat "$WORK/intervals")"
import sys
spans = sorted(tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip())
assert len(spans) == 4, spans
assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), spans
PY
  echo "max_concurrent 1 across two users: 4 jobs, none overlapping"

  # A user's dead agent holds no slot: its run waits for that user, the others' jobs go on.
  printf 'command: sleep 300\ncompute: one\n' >"$WORK/long.yml" && chmod 644 "$WORK/long.yml"
  L=$( (umask 002 && "${as2[@]}" "$GLIA" -w "$SH/ws" job submit -f "$WORK/long.yml" -o json) |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  wait_status "$SH/ws" "$L" Running 30
  kill -9 "$(cat "$SH/ws/.glia/agent/$(id -u "$U2")/agent.pid")"
  pkill -9 -u "$U2" -f "sleep 300" || true
  S=$( (umask 002 && "${as1[@]}" "$GLIA" -w "$SH/ws" job submit -f "$WORK/whoami.yml" --set compute=one -o json) |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  wait_status "$SH/ws" "$S" Completed 30
  rc=0
  (umask 002 && timeout 20 "${as1[@]}" "$GLIA" -w "$SH/ws" job stream "$L") >/dev/null 2>"$WORK/stream.err" || rc=$?
  [ "$rc" -ne 124 ] || fail "following another user's run whose agent is gone never ends"
  grep -q "agent is not running" "$WORK/stream.err" || fail "stream of an orphaned run: $(cat "$WORK/stream.err")"
  (umask 002 && "${as2[@]}" "$GLIA" -w "$SH/ws" job list >/dev/null)  # its user comes back
  [ "$(run_field "$SH/ws" "$L" status)" = Failed ] || fail "the dead agent's run was not reconciled by its user"
  echo "a dead agent of another user: its run blocked nobody, its user's next command ended it"
fi
echo "PASS storage"
