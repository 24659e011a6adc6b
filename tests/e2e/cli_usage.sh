#!/usr/bin/env bash
# Usage errors name what was wrong and the command whose help to read, for every command and
# every number option `glia --help` lists (walked from the help texts, not from a second list).
# Regressions: "glia workspace create" and "glia job lsit" said "A subcommand is required";
# "--limit 0" said "Value 0 not in range 0.000000 to 1797693..." (309 digits); every usage error
# pointed at 'glia --help'; an int option took 3000000000 to "Could not convert"; --seed -1
# wrapped to 2^64-1.
source "$(dirname "$0")/lib.sh"
GLIA=$1
ROOT=$2
"$GLIA" workspace init "$WORK/ws" >/dev/null
export GLIA_WORKSPACE=$WORK/ws
usage_error() {  # usage_error PATTERN CMD...: exit 2 with one line holding PATTERN (fixed text)
  local pattern=$1 rc=0
  shift
  "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
  [ "$rc" = 2 ] || fail "expected exit 2, got $rc: $* ($(cat "$WORK/err"))"
  [ "$(wc -l <"$WORK/err")" = 1 ] || fail "not one line: $* ($(cat "$WORK/err"))"
  grep -qF -- "$pattern" "$WORK/err" || fail "'$pattern' not in: $(cat "$WORK/err") ($*)"
  [ ! -s "$WORK/out" ] || fail "a usage error printed to stdout: $*"
}
commands_of() {  # the command names under "Subcommands:" in a help text
  awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^[^ ]/ { on = 0 }'
}
groups=0 numbers=0
walk() {  # walk WORDS...: check the command they name, then the commands under it
  local help sub opt kind
  help=$("$GLIA" "$@" --help) || fail "glia $* --help failed"
  if grep -q '^Subcommands:' <<<"$help"; then
    groups=$((groups + 1))
    usage_error "unknown command 'no-such-command' for 'glia${*:+ $*}' (expected one of: " \
      "$GLIA" "$@" no-such-command
    usage_error "unknown command 'no-such-command' for 'glia${*:+ $*}'" \
      "$GLIA" "$@" no-such-command --help
    [ $# -eq 0 ] || usage_error "'glia $*' needs a command: " "$GLIA" "$@"
    for sub in $(commands_of <<<"$help"); do walk "$@" "$sub"; done
    return
  fi
  # Every integer or number option with a sign check: the value, what was expected, the help.
  while read -r opt kind; do
    numbers=$((numbers + 1))
    case $kind in
      POSITIVE) usage_error "$opt: expected a positive" "$GLIA" "$@" "$opt" 0 ;;
      NONNEGATIVE) usage_error "$opt: expected " "$GLIA" "$@" "$opt=-1" ;;
    esac
    grep -qF "(try 'glia $* --help')" "$WORK/err" || fail "not the command's help: $(cat "$WORK/err")"
    usage_error "$opt: expected " "$GLIA" "$@" "$opt" abc
    # A value the option's own type cannot hold: its bound, not CLI11's "Could not convert"
    # (review: an int option checked as a 64-bit one).
    case $opt in --learning-rate | --timeout | --idle-exit) ;; *)
      usage_error "(at most " "$GLIA" "$@" "$opt" 99999999999999999999999 ;;
    esac
  done < <(grep -oE '^ +(-[a-z],)?--[a-z-]+ [A-Z]+:(POSITIVE|NONNEGATIVE)' <<<"$help" |
    sed -E 's/^ +(-[a-z],)?(--[a-z-]+) [A-Z]+:/\2 /')
}
walk
[ "$groups" -ge 10 ] || fail "only $groups command groups found in the help texts"
[ "$numbers" -ge 10 ] || fail "only $numbers number options found in the help texts"
# CLI11's own sign checks print the 309-digit range: none is left in the sources.
! grep -rnE 'CLI::(PositiveNumber|NonNegativeNumber)' "$ROOT/src" "$ROOT/examples" "$ROOT/bench" ||
  fail "use glia::cli::positive_int() and friends (src/cli/checks.hpp)"
echo "PASS cli_usage ($groups command groups, $numbers number options)"
