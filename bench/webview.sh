#!/usr/bin/env bash
# The web view's server-side targets (issue 13; bench/README.md "Web view"), against a real
# `glia server` on 127.0.0.1 with curl, the median of REPEATS requests each:
#   metrics  GET .../runs/{id}/metrics/{name}?max_points=2000&method=minmax of a POINTS-point
#            series (target: < 50 ms on the server)
#   search   GET .../runs/search over RUNS runs (10 experiments, 10 metrics each, all searched):
#            the first page of 100 sorted by a metric, a later page (its token), a filtered page,
#            each with its total
# Builds nothing: it uses ./build/bin/glia and ./build/bin/glia_bench_make_runs
# (cmake --build build --target glia_cli glia_bench_make_runs).
#   bash bench/webview.sh [metrics] [search]
# Knobs (environment): POINTS=1000000 RUNS=100000 REPEATS=15 KEEP=1 (keeps the folder).
set -euo pipefail
cd "$(dirname "$0")/.."
GLIA=$PWD/build/bin/glia
MAKE_RUNS=$PWD/build/bin/glia_bench_make_runs
POINTS=${POINTS:-1000000}
RUNS=${RUNS:-100000}
REPEATS=${REPEATS:-15}
PARTS=("$@")
[ ${#PARTS[@]} -gt 0 ] || PARTS=(metrics search)
for p in "${PARTS[@]}"; do
  case "$p" in metrics | search) ;; *) echo "webview.sh: unknown part '$p' (expected metrics, search)" >&2; exit 2 ;; esac
done
for b in "$GLIA" "$MAKE_RUNS"; do
  [ -x "$b" ] || { echo "webview.sh: $b not found (cmake --build build --target glia_cli glia_bench_make_runs)" >&2; exit 1; }
done
OUT=$(mktemp -d /tmp/glia-bench-webview.XXXXXX)
SERVER=
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [ "${KEEP:-0}" = 1 ] && echo "kept $OUT" || rm -rf "$OUT"
}
trap cleanup EXIT

# serve WS: starts `glia server` on a free port; sets BASE and TOKEN (a reader's).
serve() {
  local ws=$1
  "$GLIA" -w "$ws" user add bench --role reader >/dev/null
  TOKEN=$("$GLIA" -w "$ws" token create --user bench -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  "$GLIA" -w "$ws" server --listen 127.0.0.1:0 >"$OUT/server.out" 2>"$OUT/server.err" &
  SERVER=$!
  for _ in $(seq 100); do grep -q 'serving workspace' "$OUT/server.out" 2>/dev/null && break; sleep 0.1; done
  BASE=$(sed -n 's|.* on \(http://[^ ]*\)$|\1|p' "$OUT/server.out")
  [ -n "$BASE" ] || { echo "webview.sh: the server did not start: $(cat "$OUT/server.err")" >&2; exit 1; }
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=; }

# time_ms URL: the median of REPEATS requests' total time in ms (after one warm-up), the body of
# the last in $OUT/body.
time_ms() {
  local url=$1 t=()
  curl -sf -o "$OUT/body" -H "Authorization: Bearer $TOKEN" "$url" || { echo "webview.sh: GET $url failed" >&2; exit 1; }
  for _ in $(seq "$REPEATS"); do
    t+=("$(curl -sf -o "$OUT/body" -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "$url")")
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]*1000}'
}
field() { python3 -c "import json,sys; d=json.load(open('$OUT/body')); print($1)"; }

for part in "${PARTS[@]}"; do
  ws=$OUT/$part/ws
  "$GLIA" workspace init "$ws" --name bench >/dev/null
  if [ "$part" = metrics ]; then
    echo "metrics: one run with a $POINTS-point series (glia_bench_make_runs)"
    "$MAKE_RUNS" -w "$ws" --runs 1 --names 1 --steps "$POINTS" >/dev/null
    serve "$ws"
    api="$BASE/api/v1/workspaces/bench"
    run=$(curl -sf -H "Authorization: Bearer $TOKEN" "$api/runs" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
    # Cold: the series read and downsampled (each max_points a new answer: nothing kept helps).
    t=()
    for i in $(seq "$REPEATS"); do
      t+=("$(curl -sf -o "$OUT/body" -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "$api/runs/$run/metrics/metric_0?max_points=$((1990 + i))&method=minmax")")
    done
    cold=$(printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]*1000}')
    echo "  cold: history of $(field 'd["total"]') points downsampled to ~2000: median $cold ms (target < 50 ms: $(awk -v m="$cold" 'BEGIN {print (m < 50) ? "PASS" : "MISS"}'))"
    ms=$(time_ms "$api/runs/$run/metrics/metric_0?max_points=2000&method=minmax")
    echo "  again (the answer kept while the series is unchanged): median $ms ms (target < 50 ms: $(awk -v m="$ms" 'BEGIN {print (m < 50) ? "PASS" : "MISS"}'))"
    stop
  else
    echo "search: $RUNS runs (glia_bench_make_runs, 10 metrics each, 10 experiments)"
    "$MAKE_RUNS" -w "$ws" --runs "$RUNS" --names 10 >/dev/null
    serve "$ws"
    search="$BASE/api/v1/workspaces/bench/runs/search"
    ms=$(time_ms "$search?order_by=metrics.metric_3%20DESC&limit=100")
    token=$(field 'd["next_page_token"]')
    echo "  first page of 100 by metrics.metric_3 DESC, total $(field 'd["total"]'): median $ms ms"
    ms=$(time_ms "$search?order_by=metrics.metric_3%20DESC&limit=100&page_token=$token")
    echo "  its second page (keyset token), total $(field 'd["total"]'): median $ms ms"
    ms=$(time_ms "$search?filter=metrics.metric_3%20%3E%200.6&order_by=metrics.metric_3&limit=100")
    echo "  filtered (metrics.metric_3 > 0.6: $(field 'd["total"]') runs), page of 100: median $ms ms"
    ms=$(time_ms "$search?experiment=exp-3&order_by=attributes.start_time&limit=100")
    echo "  one experiment by start time, total $(field 'd["total"]'): median $ms ms"
    stop
  fi
done
