#!/usr/bin/env bash
# The REST API against a live `glia server`: auth (401/403), errors (404, 400 traversal, 413),
# uploads and ranged downloads, downsampled metric history, then schemathesis (PyPI, from the
# venv scripts/install-schemathesis.sh makes) over the whole OpenAPI document: no 5xx, every
# response matching its schema. Ends with SIGTERM, which must stop the server with exit 0.
# Usage: server_api.sh GLIA [SCHEMATHESIS]
GLIA=$1
ST=${2:-$(cd "$(dirname "$0")/../.." && pwd)/.venv-schemathesis/bin/schemathesis}
source "$(dirname "$0")/lib.sh"
[ -x "$ST" ] || fail "schemathesis not found at $ST (run scripts/install-schemathesis.sh)"

WS="$WORK/ws"
"$GLIA" workspace init "$WS" --name team >/dev/null
g() { "$GLIA" -w "$WS" "$@"; }
g user add alice --role owner >/dev/null
g user add rita --role reader >/dev/null
OWNER=$(g token create --user alice -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
READER=$(g token create --user rita -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# A finished job to read, before the server starts.
mkdir -p "$WORK/code"
cat >"$WORK/code/job.yml" <<'YML'
command: echo hello from the job
code: .
experiment_name: api
YML
(cd "$WORK/code" && g job submit -f job.yml --stream >"$WORK/job.out" 2>"$WORK/job.err") \
  || fail "job failed: $(cat "$WORK/job.err")"
RUN=$(g run list -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

"$GLIA" server --workspace "$WS" --listen 127.0.0.1:0 >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; stop_agents; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do
  grep -q "serving workspace" "$WORK/server.out" 2>/dev/null && break
  sleep 0.1
done
BASE=$(head -n 1 "$WORK/server.out" | sed -n 's|.* on \(http://[^ ]*\).*|\1|p')
[ -n "$BASE" ] || fail "no address in the server's first line: $(cat "$WORK/server.out" "$WORK/server.err")"
API="$BASE/api/v1/workspaces/team"

# status METHOD URL TOKEN [curl args...]: prints the HTTP status; the body goes to $WORK/body.
status() {
  local method=$1 url=$2 token=$3
  shift 3
  local auth=()
  [ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
  curl -s -o "$WORK/body" -w '%{http_code}' -X "$method" "${auth[@]}" "$@" "$url"
}
expect() {  # expect STATUS METHOD URL TOKEN [curl args...]
  local want=$1 got
  shift
  got=$(status "$@")
  [ "$got" = "$want" ] || fail "$1 $2: HTTP $got, expected $want: $(head -c 300 "$WORK/body")"
}

expect 200 GET "$BASE/api/v1/openapi.json" ""
expect 401 GET "$API/runs" ""
grep -q '"unauthenticated"' "$WORK/body" || fail "401 body: $(cat "$WORK/body")"
expect 401 GET "$API/runs" "glia_nope_nope"
expect 200 GET "$API/runs/$RUN" "$READER"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["status"]=="Completed", j' "$WORK/body" \
  || fail "run body"
# The API's body is what `glia run show -o json` prints (but the duration, computed at the call).
g run show "$RUN" -o json >"$WORK/cli.json"
python3 - "$WORK/body" "$WORK/cli.json" <<'PY' || fail "API and CLI views differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
raise SystemExit(0 if a == b else 1)
PY
expect 403 POST "$API/runs/$RUN/metrics" "$READER" -H 'Content-Type: application/json' \
  -d '[{"name":"loss","value":1}]'
grep -q '"permission_denied"' "$WORK/body" || fail "403 body: $(cat "$WORK/body")"
expect 404 GET "$API/runs/no_such_run" "$READER"
expect 404 GET "$BASE/api/v1/workspaces/other/runs" "$OWNER"

# Metrics: a batch, all or none; a long series downsampled.
python3 -c 'import json; print(json.dumps([{"name":"loss","value":1.0/(i+1),"step":i} for i in range(5000)]))' >"$WORK/batch.json"
expect 201 POST "$API/runs/$RUN/metrics" "$OWNER" -H 'Content-Type: application/json' --data-binary "@$WORK/batch.json"
expect 400 POST "$API/runs/$RUN/metrics" "$OWNER" -H 'Content-Type: application/json' \
  -d '[{"name":"acc","value":1},{"name":"acc","value":"x"}]'
expect 404 GET "$API/runs/$RUN/metrics/acc" "$OWNER"  # nothing of the refused batch was stored
expect 200 GET "$API/runs/$RUN/metrics/loss?max_points=100&method=lttb" "$READER"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["total"]==5000 and len(j["points"])==100 and j["downsampled"], j["total"]' "$WORK/body" \
  || fail "downsampled history"
head -c 5000000 /dev/zero | tr '\0' ' ' >"$WORK/big.json"
expect 413 POST "$API/runs/$RUN/metrics" "$OWNER" -H 'Content-Type: application/json' --data-binary "@$WORK/big.json"

# Files: upload, traversal refused with nothing written, ranged download.
head -c 300000 /dev/urandom >"$WORK/blob.bin"
expect 201 PUT "$API/runs/$RUN/files/outputs/blob.bin" "$OWNER" --data-binary "@$WORK/blob.bin"
BEFORE=$(g run files "$RUN" -o json)
expect 400 PUT "$API/runs/$RUN/files/outputs/..%2F..%2Fescape.txt" "$OWNER" --data-binary "x"
expect 400 PUT "$API/runs/$RUN/files/..%2Fescape.txt" "$OWNER" --data-binary "x"
[ "$(g run files "$RUN" -o json)" = "$BEFORE" ] || fail "a refused upload changed the run's files"
[ ! -e "$WS/escape.txt" ] && [ ! -e "$WS/.glia/escape.txt" ] || fail "traversal wrote a file"
expect 403 PUT "$API/runs/$RUN/files/outputs/r.txt" "$READER" --data-binary "x"
expect 200 GET "$API/runs/$RUN/files/outputs/blob.bin" "$READER"
cmp -s "$WORK/body" "$WORK/blob.bin" || fail "downloaded file differs"
expect 206 GET "$API/runs/$RUN/files/outputs/blob.bin" "$READER" -H 'Range: bytes=1000-1999'
cmp -s "$WORK/body" <(tail -c +1001 "$WORK/blob.bin" | head -c 1000) || fail "range bytes differ"
expect 416 GET "$API/runs/$RUN/files/outputs/blob.bin" "$READER" -H 'Range: bytes=900000-'
# The log of the finished job, whole.
expect 200 GET "$API/runs/$RUN/log" "$READER"
grep -q "hello from the job" "$WORK/body" || fail "log: $(cat "$WORK/body")"

# POST /jobs: a job sent as its YAML, its code folder's snapshot uploaded before (here: the one the
# CLI stored for the first job), runs on the server's compute like a CLI submit.
SNAP=$(g run show "$RUN" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["code_snapshot"])')
job_body() {  # job_body YAML [SNAPSHOT] [SET...]: the request body
  python3 -c 'import json,sys; b={"job": sys.argv[1]}
if len(sys.argv) > 2 and sys.argv[2]: b["code_snapshot"] = sys.argv[2]
if len(sys.argv) > 3: b["set"] = sys.argv[3:]
print(json.dumps(b))' "$@" >"$WORK/job.json"
}
job_body "$(cat "$WORK/code/job.yml")" "$SNAP" "experiment_name=api-rest"
expect 201 POST "$API/jobs" "$OWNER" -H 'Content-Type: application/json' --data-binary "@$WORK/job.json"
JOB=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["experiment"]=="api-rest", j; print(j["id"])' "$WORK/body") ||
  fail "POST /jobs answer: $(cat "$WORK/body")"
wait_status "$WS" "$JOB" Completed 60
expect 200 GET "$API/runs/$JOB/log" "$READER"
grep -q "hello from the job" "$WORK/body" || fail "the REST job's log: $(cat "$WORK/body")"
[ "$(run_field "$WS" "$JOB" code_snapshot)" = "$SNAP" ] || fail "the REST job's code snapshot differs"
# Refused, with nothing queued: a code folder with no snapshot, a snapshot the server lacks, a
# path on the submitter's machine as input, a reader.
job_body "$(cat "$WORK/code/job.yml")"
expect 400 POST "$API/jobs" "$OWNER" -H 'Content-Type: application/json' --data-binary "@$WORK/job.json"
job_body "$(cat "$WORK/code/job.yml")" "$(printf '0%.0s' $(seq 64))"
expect 404 POST "$API/jobs" "$OWNER" -H 'Content-Type: application/json' --data-binary "@$WORK/job.json"
job_body "$(printf 'command: cat ${{inputs.f}}\ninputs:\n  f:\n    type: uri_file\n    path: /etc/hostname\n')"
expect 400 POST "$API/jobs" "$OWNER" -H 'Content-Type: application/json' --data-binary "@$WORK/job.json"
grep -q "path on the submitting machine" "$WORK/body" || fail "local input: $(cat "$WORK/body")"
# A control character in a path (a NUL would make the folder its own child) or a server file as the
# environment's conda file: refused.
job_body "$(printf 'command: ls\ncode: "a\\0b"\n')" "$SNAP"
expect 400 POST "$API/jobs" "$OWNER" -H 'Content-Type: application/json' --data-binary "@$WORK/job.json"
printf 'dependencies:\n  - python=3.11\n' >"$WORK/server-secret.yml"
job_body "$(printf 'command: echo hi\nenvironment:\n  conda_file: %s\n' "$WORK/server-secret.yml")"
expect 400 POST "$API/jobs" "$OWNER" -H 'Content-Type: application/json' --data-binary "@$WORK/job.json"
grep -q "conda_file must be a file in the job's code folder" "$WORK/body" || fail "conda file: $(cat "$WORK/body")"
job_body "command: echo hi"
expect 403 POST "$API/jobs" "$READER" -H 'Content-Type: application/json' --data-binary "@$WORK/job.json"
[ "$(g run list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
  fail "a refused POST /jobs queued a run"

# schemathesis over every operation, as the owner (writes included), examples capped.
# The served workspace's name is given, so the routes behind it are reached (other names are
# 404s and test little); run ids, names and paths are schemathesis' own.
# The remote store protocol's arguments are typed per call (docs/server.md), a job's YAML is checked
# as a job file, and a blob is stored only under its own hash: data valid by the document alone may
# be refused there with a 400 (every other check, 5xx included, still runs on all three).
cat >"$WORK/st.toml" <<'TOML'
[parameters]
"path.ws" = "team"

[[operations]]
include-name = "POST /api/v1/workspaces/{ws}/store/{method}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

[[operations]]
include-name = "POST /api/v1/workspaces/{ws}/jobs"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

[[operations]]
include-name = "POST /api/v1/workspaces/{ws}/endpoints"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

[[operations]]
include-name = "PATCH /api/v1/workspaces/{ws}/endpoints/{name}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

# A compute target's Slurm settings follow its type: a Slurm target needs a partition and Slurm's
# time format, a local one takes none of them (and a PATCH body cannot see the target's type), so
# schema-valid bodies may be refused with a 400 (docs/slurm.md).
[[operations]]
include-name = "POST /api/v1/workspaces/{ws}/computes"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

[[operations]]
include-name = "PATCH /api/v1/workspaces/{ws}/computes/{name}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

# A filter, an order and a page token are a grammar and the server's own text the document cannot
# state: schema-valid strings may be refused with a 400 (an unknown experiment is a 404).
[[operations]]
include-name = "GET /api/v1/workspaces/{ws}/runs/search"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

[[operations]]
include-name = "PUT /api/v1/workspaces/{ws}/blobs/{sha256}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
TOML
(cd "$WORK" && timeout 240 "$ST" --no-color --config-file "$WORK/st.toml" run "$BASE/api/v1/openapi.json" \
  --url "$BASE" -H "Authorization: Bearer $OWNER" --checks all --max-examples 25 \
  --phases examples,coverage,fuzzing --workers 1 --generation-database none \
  --report har --report-har-path "$WORK/st.har") \
  >"$WORK/st.out" 2>&1 || { cp "$WORK/st.out" /tmp/glia-schemathesis.out 2>/dev/null; cp "$WORK/st.har" /tmp/glia-schemathesis.har 2>/dev/null; tail -n 80 "$WORK/st.out"; fail "schemathesis found problems (all of its output: /tmp/glia-schemathesis.out)"; }

kill -TERM $SERVER
rc=0
wait $SERVER || rc=$?
[ "$rc" = 0 ] || fail "server exit code after SIGTERM: $rc ($(tail -n 3 "$WORK/server.err"))"
echo "server_api: OK"
