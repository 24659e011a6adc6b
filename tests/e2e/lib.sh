# Shared helpers for the end-to-end scripts.
set -euo pipefail
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_fail CMD... : the command must exit non-zero with a one-line "error:" message on stderr.
expect_fail() {
  local err rc=0
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [ "$rc" -ne 0 ] || fail "expected failure: $*"
  err=$(cat "$WORK/err")
  [ "$(printf '%s\n' "$err" | grep -c .)" -ge 1 ] || fail "no error message: $*"
  printf '%s\n' "$err" | grep -q "error" || fail "message lacks 'error': $err"
  LAST_ERR=$err
}
