#!/usr/bin/env bash
# Flags a command would accept and then ignore are refused (usage error, exit 2, one line).
source "$(dirname "$0")/lib.sh"
GLIA=$1
"$GLIA" workspace init "$WORK/ws" >/dev/null
usage_error() {  # usage_error PATTERN CMD...: exit 2 with one line matching PATTERN
  local pattern=$1 rc=0
  shift
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [ "$rc" = 2 ] || fail "expected exit 2, got $rc: $* ($(cat "$WORK/err"))"
  [ "$(wc -l <"$WORK/err")" = 1 ] || fail "not one line: $(cat "$WORK/err")"
  grep -q -- "$pattern" "$WORK/err" || fail "'$pattern' not in: $(cat "$WORK/err")"
}
# Regression: -w was accepted and ignored by commands that use no workspace given on the command
# line (glia train logged to the workspace found from the current folder instead).
usage_error "'glia info' uses no workspace" "$GLIA" -w "$WORK/ws" info
usage_error "'glia data' uses no workspace" "$GLIA" -w "$WORK/ws" data inspect "$WORK/x"
usage_error "'glia train' logs to the workspace" "$GLIA" -w "$WORK/ws" train --model m.json \
  --data-folder "$WORK"
# Regression: --output was ignored when --save was given.
usage_error "excludes" "$GLIA" train --model m.json --data-folder "$WORK" --save a.keras \
  --output "$WORK/out-folder"
# Regression: --by-reference was ignored for a local path (its files were stored anyway).
mkdir -p "$WORK/data" && echo 1 >"$WORK/data/a.txt"
expect_fail "$GLIA" -w "$WORK/ws" dataset create --name d --path "$WORK/data" --by-reference
grep -q "by-reference applies to http(s) URLs only" <<<"$LAST_ERR" || fail "by-reference: $LAST_ERR"
[ "$("$GLIA" -w "$WORK/ws" dataset list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] ||
  fail "a refused dataset create registered a version"
"$GLIA" -w "$WORK/ws" dataset create --name d --path "$WORK/data" >/dev/null || fail "dataset create"
# Regression: --chart was ignored when --name named a table.
mkdir -p "$WORK/code"
cat >"$WORK/code/job.yml" <<'YML'
command: python3 -c "from glia import Run; r = Run.get_context(); r.log_row('table', a=1); r.log('loss', 0.5)"
code: .
YML
RUN=$(submit "$WORK/ws" "$WORK/code/job.yml")
wait_status "$WORK/ws" "$RUN" Completed
expect_fail "$GLIA" -w "$WORK/ws" run metrics "$RUN" --name table --chart "$WORK/t.png"
grep -q "'table' is a table" <<<"$LAST_ERR" || fail "--chart on a table: $LAST_ERR"
[ ! -e "$WORK/t.png" ] || fail "a chart was written"
"$GLIA" -w "$WORK/ws" run metrics "$RUN" --name loss --chart "$WORK/l.png" >/dev/null 2>&1 &&
  [ -s "$WORK/l.png" ] || fail "--chart of a metric"
# Regression: a chart that could not be written failed the command after the listing was printed.
for out in text json csv; do
  expect_fail "$GLIA" -w "$WORK/ws" run metrics "$RUN" -o "$out" --chart "$WORK/no-such-folder/c.png"
  [ ! -s "$WORK/out" ] || fail "-o $out: a failed --chart printed the listing: $(cat "$WORK/out")"
done
# An unknown metric is refused before a chart of nothing is written.
expect_fail "$GLIA" -w "$WORK/ws" run metrics "$RUN" --name nope --chart "$WORK/nope.png"
[ ! -e "$WORK/nope.png" ] || fail "a chart of an unknown metric was written"
# An update that changes nothing is refused rather than reported as done.
expect_fail "$GLIA" -w "$WORK/ws" compute update --name local
grep -q "nothing to change" <<<"$LAST_ERR" || fail "compute update: $LAST_ERR"
"$GLIA" -w "$WORK/ws" compute update --name local --description d >/dev/null || fail "update"
# Regression: a negative --tail printed the whole log (the REST route refuses tail=-1).
usage_error "^glia: error: --tail: expected a number of lines, 0 (all) or more; got -5$" \
  "$GLIA" -w "$WORK/ws" endpoint logs ep --tail -5
usage_error "--tail: expected" "$GLIA" -w "$WORK/ws" endpoint logs ep --tail -1 --follow
# Without the refused flag, the same commands run (or fail for their own reasons).
"$GLIA" info >/dev/null || fail "glia info"
"$GLIA" -w "$WORK/ws" workspace show >/dev/null || fail "-w on a workspace command"
echo "cli_flags e2e: OK"
