#!/usr/bin/env bash
# glia_bench_scaling's flags: every option has help text, and values that would make it divide
# by zero (no measured epoch, no rows) are refused before it trains.
# Usage: bench_scaling_cli.sh GLIA_BENCH_SCALING
source "$(dirname "$0")/lib.sh"
BIN=$1
"$BIN" --help >"$WORK/help.txt" || fail "--help failed"
# Every long option the program declares (read from its --help), not a second list.
opts=$(grep -oE '^ +--[a-z-]+' "$WORK/help.txt" | tr -d ' ' | grep -v '^--help$')
[ "$(echo "$opts" | wc -l)" -ge 6 ] || fail "--help lists too few options: $opts"
for opt in $opts; do
  grep -qE "^ +$opt " "$WORK/help.txt" || grep -qE "^ +$opt\$" "$WORK/help.txt" || fail "$opt is not in --help"
  # After the flag and its TYPE[:CHECK]=default, or on the next line when the flag is long.
  desc=$(awk -v o="$opt" '
    found { if ($1 ~ /^-/) exit; sub(/^ +/, ""); print; exit }
    $1 == o { sub(/^ +[^ ]+( [A-Z:]+(=[^ ]*)?)? */, ""); if ($0 != "") { print; exit } found = 1 }
  ' "$WORK/help.txt")
  [ -n "$desc" ] || fail "$opt has no help text"
done
for bad in "--epochs 0" "--batch-per-rank 0" "--threads -1" "--bucket-bytes -5" "--probe-calls -1"; do
  # shellcheck disable=SC2086
  if "$BIN" $bad --data-folder "$WORK/none" >"$WORK/out.txt" 2>&1; then fail "$bad accepted"; fi
  grep -q -- "$(echo "$bad" | cut -d' ' -f1)" "$WORK/out.txt" || fail "$bad: the error does not name the flag: $(cat "$WORK/out.txt")"
done
echo "PASS bench_scaling_cli"
