#!/usr/bin/env bash
# Users and API tokens through the real CLI: add/list/update users (bad names, roles and
# duplicates refused with their exit codes, nothing created), tokens shown once and stored only
# hashed (the secret is in no file of the workspace), listed without secrets, revoked (by id or
# by the token itself), expiry, and --help everywhere.
source "$(dirname "$0")/lib.sh"
GLIA=$1
WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
g() { "$GLIA" -w "$WS" "$@"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
# expect_exit CODE CMD...: fails unless CMD exits CODE with one line on stderr.
expect_exit() {
  local want=$1 rc=0
  shift
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [ "$rc" = "$want" ] || fail "exit $rc (expected $want): $* : $(cat "$WORK/err")"
  [ "$(wc -l <"$WORK/err")" = 1 ] || fail "not one line: $* : $(cat "$WORK/err")"
}

# ---- users ----
[ "$(g user add bo --role contributor)" = "added user 'bo' (contributor)" ] || fail "user add"
g user add al --role owner -o json >"$WORK/al.json"
[ "$(field '["role"]' <"$WORK/al.json")" = owner ] || fail "user add -o json: $(cat "$WORK/al.json")"
expect_exit 4 g user add bo --role reader              # exists: conflict
expect_exit 2 g user add ../x --role reader            # the asset name rule
grep -q "user name '../x' is not valid" "$WORK/err" || fail "bad name message: $(cat "$WORK/err")"
expect_exit 2 g user add 'a b' --role reader
expect_exit 2 g user add cy --role admin               # not a role
expect_exit 2 g user add cy                            # --role is required
[ "$(g user list -o json | python3 -c 'import json,sys; print(" ".join(u["name"] + ":" + u["role"] for u in json.load(sys.stdin)))')" = "al:owner bo:contributor" ] \
  || fail "user list: $(g user list -o json)"
g user list | grep -q '^bo  *contributor  *enabled  *0 ' || fail "user list text: $(g user list)"

expect_exit 2 g user update bo                         # nothing to change
expect_exit 2 g user update bo --disable --enable
expect_exit 3 g user update cy --role owner            # unknown user
[ "$(g user update bo --role reader --disable)" = "updated user 'bo' (reader, disabled)" ] \
  || fail "user update"
[ "$(g user list -o json | field '[1]["disabled"]')" = True ] || fail "not disabled"

# ---- tokens ----
expect_exit 4 g token create --user bo                 # disabled: no new token
[ "$(g token list -o json)" = "[]" ] || fail "a token was created for a disabled user"
g user update bo --enable >/dev/null
expect_exit 3 g token create --user nobody
expect_exit 2 g token create --user bo --expires-in 0
expect_exit 2 g token create --user bo --expires-in -1
expect_exit 2 g token create --user bo --expires-in abc
expect_exit 2 g token create --user bo --expires-in 40000
expect_exit 2 g token create --user bo --expires-in nan
expect_exit 2 g token create --user bo --description "$(head -c 1001 /dev/zero | tr '\0' d)"
[ "$(g token list -o json)" = "[]" ] || fail "a refused create stored a token"

# Text mode: the token alone on stdout, the note on stderr.
TOKEN=$(g token create --user bo --description laptop 2>"$WORK/note")
[[ "$TOKEN" =~ ^glia_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$ ]] || fail "token text: $TOKEN"
grep -q "cannot be shown again" "$WORK/note" || fail "no note: $(cat "$WORK/note")"
ID=${TOKEN:5:16}
SECRET=${TOKEN:22}
grep -q "created token $ID for user 'bo' (never expires)" "$WORK/note" || fail "$(cat "$WORK/note")"

g token create --user al --expires-in 1.5 -o json >"$WORK/t2.json"
T2=$(field '["token"]' <"$WORK/t2.json")
ID2=$(field '["id"]' <"$WORK/t2.json")
[ "${T2:5:16}" = "$ID2" ] || fail "json token and id differ: $(cat "$WORK/t2.json")"
[ "$(field '["user"]' <"$WORK/t2.json")" = al ] || fail "json user"
[ "$(field '["status"]' <"$WORK/t2.json")" = active ] || fail "json status"
python3 - "$WORK/t2.json" <<'PY' || fail "expiry: $(cat "$WORK/t2.json")"
import datetime, json, sys
t = json.load(open(sys.argv[1]))
c = datetime.datetime.fromisoformat(t["created_at"].replace("Z", "+00:00"))
e = datetime.datetime.fromisoformat(t["expires_at"].replace("Z", "+00:00"))
assert abs((e - c).total_seconds() - 1.5 * 86400) <= 2, (c, e)
PY

# Listings never hold a secret or a hash.
for out in "$(g token list)" "$(g token list -o json)" "$(g user list -o json)"; do
  case "$out" in *"$SECRET"* | *"${T2:22}"* | *argon2* | *secret*) fail "a listing shows a secret: $out" ;; esac
done
[ "$(g token list -o json | python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)[0]))')" \
  = "['created_at', 'description', 'expires_at', 'id', 'revoked_at', 'status', 'user']" ] \
  || fail "token list fields: $(g token list -o json)"
[ "$(g token list --user bo -o json | field '[0]["id"]')" = "$ID" ] || fail "token list --user"
[ "$(g token list --user bo -o json | field '.__len__()')" = 1 ] || fail "token list --user: one"
g token list | grep -q "^$ID  *bo  *active .* never  *laptop$" || fail "token list text: $(g token list)"
expect_exit 3 g token list --user nobody
[ "$(g user list -o json | field '[1]["active_tokens"]')" = 1 ] || fail "active_tokens"

# The secrets are in no file of the workspace (only their argon2id hashes are).
if grep -rqF -e "$SECRET" -e "${T2:22}" "$WS"; then fail "a token secret is stored in clear"; fi
grep -rqF "$ID" "$WS/.glia" || fail "the token id is not where the test looks"

# ---- revoke ----
[ "$(g token revoke "$ID")" = "revoked token $ID (user 'bo')" ] || fail "revoke"
[ "$(g token list --user bo -o json | field '[0]["status"]')" = revoked ] || fail "not revoked"
g token revoke "$ID" | grep -q "was already revoked at" || fail "revoke twice"
[ "$(g token revoke "$T2")" = "revoked token $ID2 (user 'al')" ] || fail "revoke by token text"
expect_exit 3 g token revoke 0123456789abcdef
expect_exit 2 g token revoke not-an-id
expect_exit 2 g token revoke "glia_${ID}x"
case "$(cat "$WORK/err")" in *"$SECRET"*) fail "a secret in a message" ;; esac
[ "$(g user list -o json | field '[1]["active_tokens"]')" = 0 ] || fail "active_tokens after revoke"

# ---- help, and no workspace ----
for cmd in "user" "user add" "user list" "user update" "token" "token create" "token list" \
  "token revoke"; do
  # shellcheck disable=SC2086
  "$GLIA" $cmd --help >"$WORK/help" || fail "$cmd --help"
  grep -q "Usage" "$WORK/help" || fail "$cmd --help: $(cat "$WORK/help")"
done
expect_exit 2 "$GLIA" user
expect_fail "$GLIA" -w "$WORK/none" user list
echo "access e2e: OK"
