#!/usr/bin/env bash
# A workspace whose store is PostgreSQL (run through scripts/with-postgres.sh, which sets
# GLIA_TEST_PG_URL): `workspace init --store URL` writes the URL (never a password) in the config,
# and jobs, datasets and models work against the server as against the SQLite file; a URL with a
# password and an unreachable server are refused with nothing written.
source "$(dirname "$0")/lib.sh"
GLIA=$1
[ -n "${GLIA_TEST_PG_URL:-}" ] || fail "GLIA_TEST_PG_URL is not set (run through scripts/with-postgres.sh)"
URL=$GLIA_TEST_PG_URL
WS="$WORK/ws"
g() { "$GLIA" -w "$WS" "$@"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# A password in the URL: refused before anything is written, and not echoed.
WITH_PW=${URL/:\/\/glia@/://glia:pw-s3cret@}
[ "$WITH_PW" != "$URL" ] || fail "could not add a password to $URL"
expect_fail "$GLIA" workspace init "$WORK/pw" --store "$WITH_PW"
grep -q "PGPASSWORD" <<<"$LAST_ERR" || fail "password message: $LAST_ERR"
grep -q "pw-s3cret" <<<"$LAST_ERR" && fail "the password was echoed: $LAST_ERR"
[ "$(wc -l <"$WORK/err")" = 1 ] || fail "not one line: $LAST_ERR"
[ ! -e "$WORK/pw" ] || fail "a refused init wrote $WORK/pw"
# Not a URL at all: refused, nothing written.
expect_fail "$GLIA" workspace init "$WORK/bad" --store mysql://x
[ ! -e "$WORK/bad" ] || fail "a refused init wrote $WORK/bad"
# A server that is not there: Unavailable (exit code of that kind), nothing left behind.
rc=0
"$GLIA" workspace init "$WORK/down" --store "postgresql://glia@127.0.0.1:1/glia_test" >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" -ne 0 ] || fail "init against port 1 succeeded"
grep -q "cannot connect to PostgreSQL" "$WORK/err" || fail "unreachable: $(cat "$WORK/err")"
[ ! -e "$WORK/down" ] || fail "a failed init left $WORK/down"

# The workspace: the config holds the URL as given, `show` the store (no password to mask here).
OUT=$("$GLIA" workspace init "$WS" --store "$URL" -o json)
[ "$(field '["store"]' <<<"$OUT")" = "$URL" ] || fail "init store: $OUT"
# At the schema version a SQLite workspace gets: both stores apply every migration.
V=$("$GLIA" workspace init "$WORK/sqlite-ws" -o json | field '["schema_version"]')
[ "$(field '["schema_version"]' <<<"$OUT")" = "$V" ] || fail "schema version: $OUT (SQLite: $V)"
python3 - "$WS/.glia/config.json" "$URL" <<'PY' || fail "config: $(cat "$WS/.glia/config.json")"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["store"] == {"type": "postgresql", "url": sys.argv[2]}, c
PY
[ ! -e "$WS/.glia/glia.db" ] || fail "a PostgreSQL workspace made a SQLite file"
g workspace show | grep -q "store:     $URL (schema v$V)" || fail "show: $(g workspace show)"

# A job through the agent: queued, run, its log and status in PostgreSQL.
mkdir -p "$WORK/code"
cat >"$WORK/code/job.yml" <<'YML'
command: echo hello-from-postgres && mkdir -p outputs && echo 42 >outputs/answer.txt
code: .
experiment_name: pg-e2e
YML
RUN=$(submit "$WS" "$WORK/code/job.yml")
wait_status "$WS" "$RUN" Completed 60
g job list -o json | grep -q "\"$RUN\"" || fail "job list lacks $RUN"
g job show "$RUN" -o json | field '["experiment"]' | grep -qx pg-e2e || fail "job show"
psql -X -At "$URL" -c "SELECT status FROM runs WHERE id = '$RUN'" | grep -qx Completed \
  || fail "the run is not in PostgreSQL"

# A dataset and a model from local files.
mkdir -p "$WORK/data" "$WORK/model"
echo "a,b" >"$WORK/data/train.csv"
[ "$(g dataset create --name digits --path "$WORK/data" -o json | field '["version"]')" = 1 ] || fail "dataset v1"
[ "$(g dataset create --name digits --path "$WORK/data" -o json | field '["version"]')" = 1 ] || fail "same dataset: v1 kept"
echo '{}' >"$WORK/model/model.json"
[ "$(g model register --name m --path "$WORK/model" --tag stage=dev -o json | field '["version"]')" = 1 ] || fail "model v1"
[ "$(g model register --name m --path "$WORK/model" -o json | field '["version"]')" = 2 ] || fail "model v2"
[ "$(g model list --tag stage=dev -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] \
  || fail "model list --tag"
psql -X -At "$URL" -c "SELECT count(*) FROM models WHERE name = 'm'" | grep -qx 2 || fail "models not in PostgreSQL"

# A config naming an unknown store type is refused (never silently SQLite).
cp -r "$WS" "$WORK/ws-odd"
python3 - "$WORK/ws-odd/.glia/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["store"] = {"type": "mysql"}; json.dump(c, open(sys.argv[1], "w"))
PY
expect_fail "$GLIA" -w "$WORK/ws-odd" job list
grep -q "unknown store type 'mysql'" <<<"$LAST_ERR" || fail "unknown type: $LAST_ERR"
echo "postgres_workspace: ok"
