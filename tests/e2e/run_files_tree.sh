#!/usr/bin/env bash
# A run's path is a file or a folder, never both (docs/runs.md): a tracking record making one
# both is skipped and named; a run that holds such a pair from before (written into the store
# here) is refused whole by `glia run download` (exit 4, nothing written) and by
# `glia model register --run` (exit 4: neither the file nor the folder is taken for the other).
source "$(dirname "$0")/lib.sh"
GLIA=$1
cd "$WORK"
"$GLIA" workspace init "$WORK/ws" >/dev/null
mkdir -p "$WORK/wd"
echo modelbytes >"$WORK/wd/m"

coproc TRACK { "$GLIA" -w "$WORK/ws" run track -o json --experiment e --work-dir "$WORK/wd" 2>"$WORK/track.err"; }
IN=${TRACK[1]}
read -r line <&"${TRACK[0]}"
read -r RUN TFILE < <(python3 -c '
import json, sys
j = json.loads(sys.argv[1]); print(j["id"], j["tracking_file"])' "$line")
printf '%s\n' '{"kind":"file","name":"outputs/model","path":"m"}' \
  '{"kind":"file","name":"outputs/model/model.json","path":"m"}' \
  '{"kind":"file","name":"outputs/x.txt","path":"m"}' >>"$TFILE"
echo complete >&"$IN"
eval "exec $IN>&-"
wait "$TRACK_PID" || fail "run track failed: $(cat "$WORK/track.err")"
grep -q "'outputs/model/model.json' not stored: 'outputs/model' would be a file and a folder" \
  "$WORK/track.err" || fail "clash not named: $(cat "$WORK/track.err")"
[ "$("$GLIA" -w "$WORK/ws" run files "$RUN" | awk '{print $2}' | tr '\n' ' ')" = "outputs/model outputs/x.txt " ] ||
  fail "files: $("$GLIA" -w "$WORK/ws" run files "$RUN")"

# Regression: a job that logged outputs/model as a file (a tracking record, as MLflow's
# log_artifact does) and also left a folder ./outputs/model/ had none of its outputs or logs
# stored, was marked Failed and kept for recovery forever. The clashing file is left out and
# named in the run's system log; the job completes with the rest stored.
mkdir -p "$WORK/clash"
cat >"$WORK/clash/job.yml" <<'YML'
command: >-
  sh -c 'echo bytes > m && printf "{\"kind\":\"file\",\"name\":\"outputs/model\",\"path\":\"m\"}\n" >> "$GLIA_TRACKING_FILE"
  && mkdir -p outputs/model && echo 1 > outputs/model/w.txt && echo 2 > outputs/other.txt'
YML
CRUN=$(submit "$WORK/ws" "$WORK/clash/job.yml")
wait_status "$WORK/ws" "$CRUN" Completed
files=$("$GLIA" -w "$WORK/ws" run files "$CRUN" | awk '{print $2}' | tr '\n' ' ')
grep -q "outputs/other.txt" <<<"$files" || fail "the job's other outputs were not stored: $files"
grep -q "outputs/model " <<<"$files" || fail "the logged file is gone: $files"
! grep -q "outputs/model/w.txt" <<<"$files" || fail "both a file and a folder: $files"
"$GLIA" -w "$WORK/ws" run download "$CRUN" -o "$WORK/clash-dl" >/dev/null || fail "download of the clash run"
grep -q "'outputs/model/w.txt' not stored" "$WORK/clash-dl/user_logs/std_log.txt" ||
  fail "the clash is not in the run's log: $(cat "$WORK/clash-dl/user_logs/std_log.txt")"

# A pair stored before the stores refused it.
python3 - "$WORK/ws/.glia/glia.db" "$RUN" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
sha, = db.execute("SELECT sha256 FROM run_files WHERE run_id = ? AND path = 'outputs/model'",
                  (sys.argv[2],)).fetchone()
db.execute("INSERT INTO run_files(run_id, path, sha256, size, created_at) VALUES (?, ?, ?, 11, 1)",
           (sys.argv[2], "outputs/model/model.json", sha))
db.commit()
PY
expect_fail_code 4 "$GLIA" -w "$WORK/ws" run download "$RUN" -o "$WORK/dl"
grep -q "'outputs/model' would be a file and a folder" <<<"$LAST_ERR" || fail "message: $LAST_ERR"
[ ! -e "$WORK/dl" ] || fail "a failed download left $(find "$WORK/dl")"
mkdir "$WORK/dl2"
expect_fail_code 4 "$GLIA" -w "$WORK/ws" run download "$RUN" outputs -o "$WORK/dl2"
[ -z "$(ls -A "$WORK/dl2")" ] || fail "a failed download left $(find "$WORK/dl2")"
"$GLIA" -w "$WORK/ws" run download "$RUN" outputs/x.txt -o "$WORK/x.txt" >/dev/null
[ "$(cat "$WORK/x.txt")" = modelbytes ] || fail "one file"

expect_fail_code 4 "$GLIA" -w "$WORK/ws" model register --name m --run "$RUN" --path outputs/model
grep -q "'outputs/model' would be a file and a folder" <<<"$LAST_ERR" || fail "message: $LAST_ERR"
[ "$("$GLIA" -w "$WORK/ws" model list -o json)" = "[]" ] || fail "a model was registered"
# Regression: the cleanup after a failed download counted a dangling symlink in the destination
# (followed, so "missing") as a folder it had created, and deleted it.
mkdir "$WORK/dl3"
ln -s "$WORK/nowhere" "$WORK/dl3/outputs"
expect_fail "$GLIA" -w "$WORK/ws" run download "$RUN" outputs/x.txt -o "$WORK/dl3/"
[ -L "$WORK/dl3/outputs" ] || fail "a failed download deleted a dangling symlink it did not make"
# Regression: one file to a path left the folders it had created when the copy failed (here the
# blob, replaced by a folder, cannot be read).
SHA=$(python3 -c '
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(
    "SELECT sha256 FROM run_files WHERE run_id = ? AND path = ?", (sys.argv[2], "outputs/x.txt")
).fetchone()[0])' "$WORK/ws/.glia/glia.db" "$RUN")
BLOB=$(find "$WORK/ws" -path "*/blobs/*" -name "$SHA" | head -n1)
[ -n "$BLOB" ] || fail "blob $SHA not found"
rm "$BLOB" && mkdir "$BLOB"
expect_fail "$GLIA" -w "$WORK/ws" run download "$RUN" outputs/x.txt -o "$WORK/one/a/b/x.txt"
[ ! -e "$WORK/one" ] || fail "a failed one-file download left $(find "$WORK/one")"
echo "run_files_tree: OK"
