#!/usr/bin/env bash
# The model registry end to end: register from a finished job's outputs (lineage: its dataset
# and code snapshot) and from local files, a missing path or an active run refused with nothing
# created, list/show (text and JSON) and filters, download byte for byte (no silent overwrite),
# delete with numbers never reused, and a register killed after storing its blobs leaving no
# version behind.
source "$(dirname "$0")/lib.sh"
GLIA=$1
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
g() { "$GLIA" -w "$WS" "$@"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
versions() { python3 -c 'import json,sys; print(" ".join(str(m["version"]) for m in json.load(sys.stdin)))'; }

# A dataset and a job that uses it, writing a model folder (copied from its code) to outputs/.
mkdir -p "$WORK/data" "$WORK/code/model_src/weights"
echo "training data" >"$WORK/data/train.csv"
g dataset create --name digits --path "$WORK/data" >/dev/null
echo '{"layers": [784, 300, 10]}' >"$WORK/code/model_src/model.json"
head -c 100000 /dev/urandom >"$WORK/code/model_src/weights/model.h5"
cat >"$WORK/code/job.yml" <<'YML'
command: test -s ${{inputs.data}}/train.csv && mkdir -p outputs && cp -r model_src outputs/model && echo 0.5 >outputs/notes.txt
code: .
inputs:
  data: {type: uri_folder, path: glia:digits:1}
experiment_name: models-e2e
YML
RUN=$(submit "$WS" "$WORK/code/job.yml")
wait_status "$WS" "$RUN" Completed

# From the run: version 1, with tags, properties and lineage.
OUT=$(g model register --name keras-mnist --run "$RUN" --path outputs/model --tag framework=keras \
  --tag stage=dev --property accuracy=0.89 --description "the MLP" -o json)
[ "$(field '["version"]' <<<"$OUT")" = 1 ] || fail "version 1: $OUT"
# A path the run does not have: one line naming the run and what it has; exit 3 (not_found); no version.
rc=0
g model register --name keras-mnist --run "$RUN" --path outputs/modle >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" = 3 ] || fail "missing path: exit $rc"
[ "$(wc -l <"$WORK/err")" = 1 ] || fail "missing path: not one line: $(cat "$WORK/err")"
grep -q "run '$RUN' has no file or folder 'outputs/modle' (its top-level paths: outputs/, user_logs/; outputs/ holds: model/, notes.txt" "$WORK/err" \
  || fail "missing path message: $(cat "$WORK/err")"
expect_fail g model register --name keras-mnist --run nope --path outputs/model
grep -q "unknown run 'nope'" <<<"$LAST_ERR" || fail "unknown run: $LAST_ERR"
[ "$(g model list -o json | versions)" = 1 ] || fail "a failed register created a version"

# A run still active is refused (its outputs are not collected yet).
printf 'command: sleep 30\n' >"$WORK/slow.yml"
SLOW=$(submit "$WS" "$WORK/slow.yml")
expect_fail g model register --name keras-mnist --run "$SLOW" --path outputs
grep -Eq "run '$SLOW' is (Queued|Preparing|Starting|Running): its outputs are collected when it ends" <<<"$LAST_ERR" \
  || fail "active run: $LAST_ERR"
g job cancel "$SLOW" >/dev/null

# From local files: a folder, then a single file; identical content still makes a new version.
mkdir -p "$WORK/local/sub"
echo "local weights" >"$WORK/local/sub/w.bin"
echo "{}" >"$WORK/local/config.json"
[ "$(g model register --name keras-mnist --path "$WORK/local" --tag framework=glia -o json | field '["version"]')" = 2 ] || fail "local folder"
[ "$(g model register --name keras-mnist --path "$WORK/local" -o json | field '["version"]')" = 3 ] || fail "same content: new version"
OUT=$(g model register --name single --path "$WORK/local/config.json")
grep -q "^Registered single:1 (1 files" <<<"$OUT" || fail "single file: $OUT"

# list: every version; filters AND together.
[ "$(g model list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 4 ] || fail "list -o json"
[ "$(g model list --name keras-mnist -o json | versions)" = "1 2 3" ] || fail "list --name"
[ "$(g model list --tag framework=keras -o json | versions)" = 1 ] || fail "list --tag"
[ "$(g model list --tag framework=keras --tag stage=dev -o json | versions)" = 1 ] || fail "list --tag --tag"
[ "$(g model list --tag framework=keras --tag stage=prod -o json | versions)" = "" ] || fail "tags AND"
[ "$(g model list --tag framework -o json | versions)" = "1 2" ] || fail "list --tag KEY"
[ "$(g model list --property accuracy=0.89 -o json | versions)" = 1 ] || fail "list --property"
[ "$(g model list --run "$RUN" -o json | versions)" = 1 ] || fail "list --run"
[ "$(g model list --latest -o json | versions)" = "3 1" ] || fail "list --latest"
g model list | grep -q "^keras-mnist  *1  .*$RUN  *framework=keras, stage=dev" || fail "list text: $(g model list)"

# show: files, source run, lineage (dataset digits:1, the run's code snapshot).
CODE=$(run_field "$WS" "$RUN" code_snapshot)
g model show glia:keras-mnist:1 -o json | python3 -c "
import json, sys
j = json.load(sys.stdin)
assert j['name'] == 'keras-mnist' and j['version'] == 1 and j['description'] == 'the MLP', j
assert j['tags'] == {'framework': 'keras', 'stage': 'dev'} and j['properties'] == {'accuracy': '0.89'}, j
assert j['run'] == '$RUN' and j['path'] == 'outputs/model', j
assert [f['path'] for f in j['file_list']] == ['model.json', 'weights/model.h5'], j['file_list']
assert j['file_list'][1]['size'] == 100000, j['file_list']
l = j['lineage']
assert l['run'] == '$RUN' and l['experiment'] == 'models-e2e' and l['run_status'] == 'Completed', l
assert l['code_snapshot'] == '$CODE' and len(l['code_snapshot']) == 64, l
assert [d['ref'] for d in l['datasets']] == ['digits:1'] and l['datasets'][0]['input'] == 'data', l
" || fail "show -o json"
SHOW=$(g model show keras-mnist:1)
for want in "Model:        keras-mnist:1" "Tags:         framework=keras, stage=dev" \
  "Properties:   accuracy=0.89" "weights/model.h5" "Source:       run $RUN, outputs/model" \
  "Code:       $CODE" "digits:1 (input data"; do
  grep -qF "$want" <<<"$SHOW" || fail "show text lacks '$want': $SHOW"
done
[ "$(g model show keras-mnist -o json | field '["version"]')" = 3 ] || fail "show NAME is the latest"
[ "$(g model show azureml:keras-mnist@latest -o json | field '["lineage"]["run"]')" = None ] || fail "local: no run"

# download: the folder's structure, byte for byte; no silent overwrite.
g model download keras-mnist:1 -o "$WORK/dl" >/dev/null
cmp "$WORK/dl/model.json" "$WORK/code/model_src/model.json" || fail "download model.json"
cmp "$WORK/dl/weights/model.h5" "$WORK/code/model_src/weights/model.h5" || fail "download model.h5"
[ "$(find "$WORK/dl" -type f | wc -l)" = 2 ] || fail "download: other files"
g model download keras-mnist:1 -o "$WORK/dl" >/dev/null || fail "download onto identical files"
echo changed >"$WORK/dl/model.json"
expect_fail g model download keras-mnist:1 -o "$WORK/dl"
grep -q "model.json' already exists and differs" <<<"$LAST_ERR" || fail "overwrite refused: $LAST_ERR"
[ "$(cat "$WORK/dl/model.json")" = changed ] || fail "a refused download wrote"
g model download keras-mnist:1 -o "$WORK/dl" --overwrite >/dev/null
cmp "$WORK/dl/model.json" "$WORK/code/model_src/model.json" || fail "--overwrite"
g model download single -o "$WORK/dl1" >/dev/null
cmp "$WORK/dl1/config.json" "$WORK/local/config.json" || fail "single-file download"

# delete: an explicit version; the number is never given again.
expect_fail g model delete keras-mnist
grep -q "name the version" <<<"$LAST_ERR" || fail "delete needs a version: $LAST_ERR"
[ "$(g model delete keras-mnist:3)" = "deleted keras-mnist:3" ] || fail "delete"
expect_fail g model show keras-mnist:3
grep -q "model 'keras-mnist' has no version 3 (versions: 1, 2)" <<<"$LAST_ERR" || fail "deleted version: $LAST_ERR"
expect_fail g model delete keras-mnist:3
[ "$(g model register --name keras-mnist --path "$WORK/local" -o json | field '["version"]')" = 4 ] || fail "version reused"

# Bad input: one line, exit 1; usage errors exit 2.
expect_fail g model register --name "../x" --path "$WORK/local"
grep -q '\[A-Za-z0-9\]' <<<"$LAST_ERR" || fail "name rule: $LAST_ERR"
expect_fail g model register --name ok --path "$WORK/nothing-here"
expect_fail g model register --name ok --path "$WORK/local" --tag novalue
grep -q "expected KEY=VALUE" <<<"$LAST_ERR" || fail "tag syntax: $LAST_ERR"
expect_fail g model show nope
rc=0
g model register --path "$WORK/local" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "usage error: exit $rc"
[ "$(g model list --name ok -o json | versions)" = "" ] || fail "bad input created a version"

# kill -9 after the blobs are stored, while the version's transaction waits for the store's
# write lock (taken by another connection as soon as register starts storing): no version, and
# a re-run succeeds.
head -c 100000000 /dev/zero >"$WORK/big.bin"
SHA=$(sha256sum "$WORK/big.bin" | cut -c1-64)
python3 - "$WS/.glia" >"$WORK/locked" <<'PY' &
import os, sqlite3, sys, time
root = sys.argv[1]
db = sqlite3.connect(os.path.join(root, "glia.db"), isolation_level=None, timeout=30)
tmp = os.path.join(root, "artifacts", "tmp")
open(root + "/../polling", "w").close()
for _ in range(20000):  # up to 20 s: until register is copying the file into the store
    # each writer keeps its temporary files in a folder of its own, tmp/w-*
    if any(n.startswith("batch-") for _, _, names in os.walk(tmp) for n in names):
        break
    time.sleep(0.001)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(20)
PY
LOCKER=$!
# Start register only once python polls (a loaded machine can take seconds to start it).
for ((i = 0; i < 600; i++)); do [ -e "$WS/polling" ] && break; sleep 0.05; done
"$GLIA" -w "$WS" model register --name big --path "$WORK/big.bin" >/dev/null 2>&1 &  # not g: $! must be glia
PID=$!
BLOB="$WS/.glia/artifacts/blobs/${SHA:0:2}/$SHA"
for ((i = 0; i < 300; i++)); do [ -e "$BLOB" ] && [ -s "$WORK/locked" ] && break; sleep 0.05; done
[ -e "$BLOB" ] && [ -s "$WORK/locked" ] || fail "register never stored its blob under the lock"
sleep 0.3
kill -9 "$PID" 2>/dev/null || fail "register ended before the kill (the store was not locked in time)"
wait "$PID" 2>/dev/null || true
kill "$LOCKER"
wait "$LOCKER" 2>/dev/null || true
[ "$(g model list --name big -o json | versions)" = "" ] || fail "a killed register left a version"
OUT=$(g model register --name big --path "$WORK/big.bin" -o json 2>&1) || fail "re-run after kill: $OUT"
[ "$(field '["version"]' <<<"$OUT")" = 1 ] || fail "re-run after kill: $OUT"
echo "PASS models"
