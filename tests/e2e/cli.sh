#!/usr/bin/env bash
# The glia binary: help, version, info, data inspect, and its errors.
source "$(dirname "$0")/lib.sh"
GLIA=$1
KM=$2
"$GLIA" --help | grep -q "Subcommands" || fail "glia --help lists no subcommands"
"$GLIA" --version | grep -Eq '^glia [0-9]+\.[0-9]+\.[0-9]+$' || fail "glia --version"
"$KM" --help | grep -q -- "--first-layer-neurons" || fail "glia-keras-mnist --help"
"$GLIA" info -o json | python3 -c 'import json,sys; j=json.load(sys.stdin); assert "cpu" in j["backends"]' \
  || fail "glia info -o json"
"$MAKE_SYNTHETIC_MNIST" "$WORK/d" 100 20
"$GLIA" data inspect "$WORK/d/train-labels-idx1-ubyte.gz" -o json >"$WORK/j"
python3 - "$WORK/j" <<'PY' || fail "data inspect json"
import json, sys
j = json.load(open(sys.argv[1]))[0]
assert j["dims"] == [100] and j["count"] == 100 and sum(j["classes"]) == 100, j
PY
"$GLIA" data inspect "$WORK/d/train-images-idx3-ubyte.gz" | grep -q "100×28×28" || fail "data inspect text"
expect_fail "$GLIA" data inspect "$WORK/missing.idx"
echo "$LAST_ERR" | grep -q "missing.idx" || fail "missing file not named"
[ "$(echo "$LAST_ERR" | wc -l)" -eq 1 ] || fail "error is not one line: $LAST_ERR"
expect_fail "$GLIA" nosuchcommand
expect_fail "$GLIA" info -o yaml
# Workspaces: init, discovery from a subfolder, -w, errors.
"$GLIA" workspace init "$WORK/ws" -o json | python3 -c 'import json,sys; assert json.load(sys.stdin)["schema_version"] >= 1'
mkdir -p "$WORK/ws/sub/dir"
(cd "$WORK/ws/sub/dir" && "$GLIA" workspace show | grep -q "root:      $WORK/ws") || fail "workspace not found from a subfolder"
"$GLIA" -w "$WORK/ws" workspace show -o json >/dev/null || fail "-w"
expect_fail "$GLIA" workspace init "$WORK/ws"
echo "$LAST_ERR" | grep -q "already holds" || fail "second init: $LAST_ERR"
# Paths are printed normalized and absolute: no "/./", no "..", no trailing "/".
(cd "$WORK" && "$GLIA" workspace init ./ws2 -o json) | python3 -c 'import json,sys,os; j=json.load(sys.stdin); assert j["root"] == os.path.realpath(sys.argv[1]) + "/ws2" and j["name"] == "ws2", j' "$WORK" ||
  fail "workspace init ./ws2 root"
(cd "$WORK/ws/sub" && "$GLIA" workspace init ../../ws3/ -o json) | python3 -c 'import json,sys,os; j=json.load(sys.stdin); assert j["root"] == os.path.realpath(sys.argv[1]) + "/ws3" and j["name"] == "ws3", j' "$WORK" ||
  fail "workspace init ../../ws3/ root"
(cd "$WORK" && "$GLIA" -w ./ws2/ workspace show) | grep -q "root:      $(realpath "$WORK")/ws2\$" || fail "-w ./ws2/ root"
# Bytes users or files give are escaped in messages: never raw non-UTF-8 or control characters.
expect_fail "$GLIA" data inspect "$WORK/bad"$'\xff\x1b'"name.idx"
grep -q 'bad\\xFF\\x1Bname.idx' <<<"$LAST_ERR" || fail "escaped path: $LAST_ERR"
! LC_ALL=C grep -q $'[\x80-\xff\x1b]' "$WORK/err" || fail "raw bytes in: $LAST_ERR"
expect_fail "$GLIA" -w "$WORK/ws" dataset create --name $'bad\xffname' --path "$WORK/d"
grep -qF "'bad\\xFFname'" <<<"$LAST_ERR" || fail "escaped dataset name: $LAST_ERR"
(cd "$WORK" && expect_fail env -u GLIA_WORKSPACE "$GLIA" workspace show)
# Exit codes follow the error kind (docs/errors.md): usage 2, bad input 2, not found 3, conflict 4.
exit_code() { local rc=0; "$@" >/dev/null 2>&1 || rc=$?; echo "$rc"; }
[ "$(exit_code "$GLIA" nosuchcommand)" -eq 2 ] || fail "usage error is not exit 2"
[ "$(exit_code "$GLIA" -w "$WORK/ws" job show nosuchrun)" -eq 3 ] || fail "unknown run is not exit 3"
[ "$(exit_code "$GLIA" -w "$WORK/ws" dataset create --name '../x' --path "$WORK/d")" -eq 2 ] ||
  fail "bad dataset name is not exit 2"
[ "$(exit_code "$GLIA" workspace init "$WORK/ws")" -eq 4 ] || fail "second init is not exit 4"
mkdir -p "$WORK/not-a-ws"
[ "$(exit_code "$GLIA" -w "$WORK/not-a-ws" job list)" -eq 3 ] || fail "a folder without a workspace is not exit 3"
[ "$(cd "$WORK/not-a-ws" && exit_code env -u GLIA_WORKSPACE "$GLIA" job list)" -eq 3 ] || fail "no workspace found is not exit 3"
echo "PASS cli"
