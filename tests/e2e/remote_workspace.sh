#!/usr/bin/env bash
# Remote workspaces (`glia workspace connect`): the same workflow — register a dataset, submit a
# job that reads it and logs metrics and outputs, stream it, read its history, download its files,
# register and download a model, train with `glia train` (RunLogger over HTTP) — runs on a local
# workspace and on a remote one, and prints the same thing (ids, times and folders aside). Then
# what is the remote mode's own: the token is never on disk, a reader cannot submit (exit 5), no
# token is a clear exit 6, an agent is not started for a remote workspace, and a bad config or
# URL is a one-line error.
source "$(dirname "$0")/lib.sh"
GLIA=$1
cd "$WORK"
"$MAKE_SYNTHETIC_MNIST" data 300 100 >/dev/null
cat >model.json <<'JSON'
{"class_name": "Sequential", "config": {"name": "sequential", "layers": [
 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 784], "dtype": "float32", "name": "dense_input"}},
 {"class_name": "Dense", "config": {"name": "dense", "units": 16, "activation": "relu"}},
 {"class_name": "Dense", "config": {"name": "dense_1", "units": 10, "activation": "softmax"}}]},
 "keras_version": "2.15.0", "backend": "tensorflow"}
JSON
mkdir -p job/src
cat >job/src/train.py <<'PY'
import os, sys
from glia.run import Run
run = Run.get_context()
files = sorted(os.listdir(sys.argv[1]))
for i in range(4):
    run.log("loss", 1.0 / (i + 1))
run.log("files", len(files))
os.makedirs("outputs/model", exist_ok=True)
with open("outputs/model/weights.txt", "w") as f:
    f.write("lr=%s files=%s\n" % (sys.argv[2], ",".join(files)))
print("trained on", len(files), "files with lr", sys.argv[2])
PY
cat >job/job.yml <<'YAML'
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: python3 train.py ${{inputs.data}} ${{inputs.lr}}
code: src
inputs:
  data:
    type: uri_folder
    path: azureml:digits@latest
  lr: 0.01
experiment_name: remote-e2e
YAML

# The workflow, run inside workspace folder $1; its output (made comparable) goes to $2.
workflow() {
  local ws=$1 out=$2 id
  (
    cd "$ws"
    set -e
    g() { "$GLIA" "$@"; }
    g dataset create --name digits --path "$WORK/data" --description "synthetic digits"
    g dataset list
    g dataset files digits
    g job submit -f "$WORK/job/job.yml" --stream
    id=$(g run list -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
    g run list
    g run show "$id" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
# Who: the Unix user here, the token user there; the job process ids differ run to run.
for k in ("submitted_by", "duration_seconds", "pid", "pid_start", "agent_pid"):
    j.pop(k, None)
print(json.dumps(j, indent=1, sort_keys=True))'
    g run metrics "$id"
    g run files "$id"
    g run download "$id" outputs -o "dl"
    cat dl/outputs/model/weights.txt
    g model register --name digits-model --run "$id" --path outputs/model --tag stage=dev
    g model list
    g model download digits-model -o mdl
    cat mdl/weights.txt
    g train --model "$WORK/model.json" --data-folder "$WORK/data" --epochs 3 --batch-size 50 \
      --optimizer adam --verbose 0 --seed 1
    tid=$(g run list --experiment glia-train -o json |
      python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
    g run metrics "$tid" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)  # three epochs: three values each, logged exactly once
print(sorted((k, len(v)) for k, v in j.items()))'
    g compute list
  ) >"$out" 2>"$out.err" || fail "workflow in $ws: $(tail -5 "$out.err")"
  local f
  for f in "$out" "$out.err"; do normalize "$ws" "$f"; done
}

# Ids, times, durations and folders differ between any two runs of the workflow, and which of a
# job's passing statuses a follower sees depends on timing.
normalize() {
  local ws=$1 out=$2
  sed -E -i "s#$ws#WS#g; s#$WORK/srv#WS#g; s#$WORK#WORK#g" "$out"
  sed -E -i 's#[A-Za-z0-9._-]+_[0-9]{10}_[0-9a-f]{8}#RUN#g; s#[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z#TIME#g' "$out"
  sed -E -i 's#[0-9]+(\.[0-9]+)?(ms|s)\b#DUR#g; s#"(created_at|started_at|ended_at|wall_time|at)": [0-9.e+]+#"\1": T#g' "$out"
  sed -E -i 's#(accuracy|loss)( *[:=] *)[0-9.e+-]+#\1\2X#g; s#"(accuracy|loss|val_[a-z]+)": [0-9.e+-]+#"\1": X#g' "$out"
  sed -E -i '/^glia: RUN: (Queued|Preparing|Starting|Running|Finalizing)$/d' "$out"
}

# A local workspace.
"$GLIA" workspace init "$WORK/local" >/dev/null
workflow "$WORK/local" "$WORK/local.out"

# The same on a remote one: a server over another workspace, connected from a fresh folder.
"$GLIA" workspace init "$WORK/srv" >/dev/null
s() { "$GLIA" -w "$WORK/srv" "$@"; }
s user add ann --role contributor >/dev/null
s user add rex --role reader >/dev/null
token_of() { s token create --user "$1" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
ANN=$(token_of ann)
REX=$(token_of rex)
start_server "$WORK/srv" "$WORK/server.log" 127.0.0.1:0
trap 'kill "$PID" 2>/dev/null || true; stop_agents; rm -rf "$WORK"' EXIT
URL="http://127.0.0.1:$PORT"
export GLIA_TOKEN=$ANN
"$GLIA" workspace connect "$URL" "$WORK/remote" >"$WORK/connect.out" || fail "connect: $(cat "$WORK/connect.out")"
grep -q "server: *$URL (workspace srv)" "$WORK/connect.out" || fail "connect output: $(cat "$WORK/connect.out")"
workflow "$WORK/remote" "$WORK/remote.out"
for f in out out.err; do
  diff -u "$WORK/local.$f" "$WORK/remote.$f" >"$WORK/diff" ||
    fail "the remote workspace printed something else: $(cat "$WORK/diff")"
done
# The records and files are the server's: its own workspace shows them.
[ "$(s run list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
  fail "the server's workspace does not hold the two runs"
s model download digits-model -o "$WORK/srv-model" >/dev/null
cmp -s "$WORK/srv-model/weights.txt" "$WORK/remote/mdl/weights.txt" || fail "model files differ"
# No agent was started for the remote folder (the server's ran the job).
[ -z "$(find "$WORK/remote" -name 'agent*.pid')" ] || fail "an agent was started for a remote workspace"

# The token is never on disk: not in the config, not anywhere under the folder.
if grep -rqF "$ANN" "$WORK/remote"; then fail "the token was written under the remote workspace"; fi
unset GLIA_TOKEN

# No token at all: a clear one-line error, exit 6 (unauthenticated).
expect_fail_code 6 "$GLIA" -w "$WORK/remote" run list
grep -q "no API token for $URL" <<<"$LAST_ERR" || fail "no token: $LAST_ERR"
# A token command in the config gives it (and the command, not the token, is recorded).
printf '#!/bin/sh\necho %s\n' "$REX" >"$WORK/token.sh"
chmod +x "$WORK/token.sh"
"$GLIA" workspace connect "$URL" "$WORK/reader" --token-command "$WORK/token.sh" >/dev/null ||
  fail "connect with a token command"
grep -q token.sh "$WORK/reader/.glia/config.json" || fail "the token command is not recorded"
"$GLIA" -w "$WORK/reader" run list >/dev/null || fail "reader: run list"
# A reader cannot submit: exit 5 (permission), nothing queued.
(cd "$WORK/reader" && expect_fail_code 5 "$GLIA" job submit -f "$WORK/job/job.yml")
[ "$(s run list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
  fail "a reader's submit created a run"
# --token keeps it in the kernel keyring (where the system allows one).
if GLIA_TOKEN= "$GLIA" workspace connect "$URL" "$WORK/keyring" --token "$ANN" >/dev/null 2>"$WORK/kr.err"; then
  "$GLIA" -w "$WORK/keyring" run list >/dev/null || fail "keyring token"
  if grep -rqF "$ANN" "$WORK/keyring"; then fail "--token wrote the token to disk"; fi
else
  grep -q "kernel keyring" "$WORK/kr.err" || fail "connect --token: $(cat "$WORK/kr.err")"
  [ ! -e "$WORK/keyring" ] || fail "a refused connect left a folder"
fi
# A wrong token is refused before anything is written; so is a folder holding a workspace.
expect_fail_code 6 env GLIA_TOKEN=glia_0123456789abcdef_wrong "$GLIA" workspace connect "$URL" "$WORK/bad"
[ ! -e "$WORK/bad" ] || fail "a refused connect left a folder"
expect_fail_code 4 env GLIA_TOKEN="$ANN" "$GLIA" workspace connect "$URL" "$WORK/remote"
# What only the server's machine does is refused for a remote workspace: an agent, serving it,
# building or pruning environments.
expect_fail_code 4 "$GLIA" -w "$WORK/reader" agent run
grep -q "is a remote workspace ($URL): its agent runs on its server" <<<"$LAST_ERR" || fail "agent: $LAST_ERR"
expect_fail_code 4 "$GLIA" -w "$WORK/reader" server --listen 127.0.0.1:0
expect_fail_code 4 "$GLIA" -w "$WORK/reader" environment prune
expect_fail_code 4 "$GLIA" -w "$WORK/reader" environment build anything
# An owner manages users and tokens from a remote folder as on the server (the hash stays there).
s user add olga --role owner >/dev/null
OLGA=$(token_of olga)
GLIA_TOKEN=$OLGA "$GLIA" workspace connect "$URL" "$WORK/owner" >/dev/null || fail "owner connect"
o() { GLIA_TOKEN=$OLGA "$GLIA" -w "$WORK/owner" "$@"; }
o user add zed --role reader >/dev/null || fail "remote user add"
o user list -o json | python3 -c 'import json,sys; names=[u["name"] for u in json.load(sys.stdin)]; assert "zed" in names, names' ||
  fail "remote user list"
ZED_ID=$(o token create --user zed -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
o token list -o json | grep -q "$ZED_ID" || fail "remote token list"
if o token list -o json | grep -q argon2; then fail "a token hash left the server"; fi
o token revoke "$ZED_ID" >/dev/null || fail "remote token revoke"
# The store protocol checks what a client sends as the CLI checks its own input: nothing the CLI
# could not write gets in (traversal, a blob the server lacks, the agent's fields, a costly hash).
store_call() {  # store_call TOKEN METHOD JSON: prints the HTTP status; the body goes to $WORK/body
  curl -s -o "$WORK/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/json' --data-binary "$3" "$URL/api/v1/workspaces/srv/store/$2"
}
want() {  # want STATUS TOKEN METHOD JSON
  local got
  got=$(store_call "$2" "$3" "$4")
  [ "$got" = "$1" ] || fail "store call $3 $4: HTTP $got, expected $1: $(head -c 300 "$WORK/body")"
}
want 400 "$ANN" create_run '{"run": {"id": "../../x", "experiment": "e"}}'
want 400 "$ANN" create_run '{"run": {"experiment": "e", "inputs": [{"input": "/tmp/x", "manifest": "'"$(printf 'a%.0s' $(seq 64))"'", "mode": "download"}]}}'
want 404 "$ANN" create_run '{"run": {"experiment": "e", "code_snapshot": "'"$(printf 'b%.0s' $(seq 64))"'"}}'
want 403 "$ANN" create_run '{"run": {"experiment": "e", "parent_id": "x", "trial_index": 0}}'
want 403 "$ANN" create_run '{"run": {"experiment": "e", "properties": {"threads": "64"}}}'
JOB_RUN=$(s run list --experiment remote-e2e -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
want 403 "$ANN" set_status '{"id": "'"$JOB_RUN"'", "status": "Failed"}'
want 403 "$ANN" apply_tracking '{"run_id": "'"$JOB_RUN"'", "batch": {}, "new_offset": 0, "expected_offset": 0}'
want 400 "$ANN" add_run_files '{"run_id": "'"$JOB_RUN"'", "files": [{"path": "../../etc/passwd", "sha256": "'"$(printf 'c%.0s' $(seq 64))"'"}]}'
want 400 "$ANN" set_dataset_archived '{"name": "digits", "version": 1.7, "archived": true}'
want 400 "$ANN" find_run '{"id": "x", "extra": 1}'
want 403 "$ANN" set_process '{}'
want 403 "$ANN" create_token '{"token": {"id": "0123456789abcdef", "user": "ann"}}'
want 400 "$OLGA" create_token '{"token": {"id": "0123456789abcdef", "user": "ann", "secret_hash": "$argon2id$v=19$m=262144,t=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"}}'
# A job is queued with its spec and type, and only its agent moves it; a program's run is started
# and ended, never queued; JSON fields are JSON; a run's file has its bytes on the server.
want 400 "$ANN" create_run '{"run": {"experiment": "e", "command": "echo hi", "queue": true}}'
want 400 "$ANN" create_run '{"run": {"experiment": "e", "command": "echo hi", "spec": "{}"}}'
PROG_RUN=$(s run list --experiment glia-train -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
want 400 "$ANN" set_status '{"id": "'"$PROG_RUN"'", "status": "Queued"}'
want 200 "$ANN" apply_tracking '{"run_id": "'"$PROG_RUN"'", "batch": {}, "new_offset": 0, "expected_offset": null}'
want 400 "$ANN" apply_tracking '{"run_id": "'"$PROG_RUN"'", "batch": {"rows": [{"name": "t", "row_json": "nope"}]}, "new_offset": 0}'
want 400 "$ANN" create_environment_version '{"environment": {"name": "env1", "spec": "garbage", "source_kind": "pip"}}'
MANIFEST=$(s dataset show digits -o json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j.get("manifest") or j["content_hash"])')
want 400 "$ANN" create_dataset_version '{"dataset": {"name": "d2", "manifest": "'"$MANIFEST"'", "sources": "not json"}, "force_new": true}'
URL_ONLY=$(printf 'd%.0s' $(seq 64))
curl -s -o /dev/null -X POST -H "Authorization: Bearer $ANN" -H 'Content-Type: application/json' \
  --data-binary '{"url": "http://127.0.0.1:9/nothing"}' "$URL/api/v1/workspaces/srv/blobs/$URL_ONLY/urls"
want 404 "$ANN" add_run_files '{"run_id": "'"$PROG_RUN"'", "files": [{"path": "outputs/x", "sha256": "'"$URL_ONLY"'"}]}'
want 200 "$REX" list_runs '{"filter": {"limit": 1}}'
[ "$(s run list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
  fail "a refused store call created a run"

# A remote config someone else could change is not followed (it says where the token goes).
chmod g+w "$WORK/owner/.glia/config.json"
expect_fail_code 5 env GLIA_TOKEN="$OLGA" "$GLIA" -w "$WORK/owner" run list
chmod g-w "$WORK/owner/.glia/config.json"
# A server that is gone: unavailable (exit 7), one line.
kill -TERM "$PID"
wait "$PID" || true
expect_fail_code 7 "$GLIA" -w "$WORK/reader" run list
echo "remote workspace OK"
