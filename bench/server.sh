#!/usr/bin/env bash
# `glia server` against `mlflow server`, side by side in one command (bench/README.md, "Server
# (issue 12)"). Builds nothing: it uses ./build/bin/glia (and ./build/bin/glia_bench_make_runs for
# --search); build them first: cmake --build build --target glia_cli glia_bench_make_runs.
# The peer is the full `mlflow` from PyPI (bench/setup-mlflow-server.sh, run here: the venv
# bench/.venv-mlflow-server), on a SQLite store with its artifact proxy (--serve-artifacts) into
# a local folder, on this machine. Glia gets a fresh workspace with a contributor and a token,
# `glia server --listen 127.0.0.1:0`. Both get the same clients, the same token header, the same
# cores (clients and server share them, identically for both):
#   --logging    CLIENTS processes, each the real mlflow client (MlflowClient().log_batch of
#                METRICS metrics per call into a run of its own) for LOG_SECONDS; values/s
#   --get        `GET /api/2.0/mlflow/runs/get?run_id=` paced at RATE requests/s for GET_SECONDS
#                with wrk 4.1.0 (bench/server/paced_get.lua): latency p50/p99
#   --artifacts  an ARTIFACT_MB upload (PUT) and download (GET) through the mlflow-artifacts proxy
#                with curl, against dd of the same size on the same filesystem (with fsync; reads
#                cold: the files' pages are dropped first), and the server's peak-RSS growth
#   --search     Glia only: search_runs (filter on a metric, order by a metric, pages of 50)
#                over SEARCH_RUNS runs (glia_bench_make_runs: 10 metrics each, in 10
#                experiments, all searched)
# With no part named, all four run. Prints the tables and the targets' PASS / MISS; exits
# non-zero only when something fails.
#
#   bash bench/server.sh [--logging] [--get] [--artifacts] [--search] [--nodelay-shim]
#
# --nodelay-shim: also measure a second Glia server started with LD_PRELOAD of
# bench/server/nodelay.c (compiled here with cc), which sets TCP_NODELAY on every accepted
# socket: a diagnosis of the ~40 ms stalls (bench/README.md), not a fix.
# Knobs (environment): CLIENTS=16 METRICS=100 LOG_SECONDS=15 RATE=200 GET_SECONDS=20
# GET_CONNECTIONS=8 ARTIFACT_MB=1024 SEARCH_RUNS="10000 100000" SEARCH_REPEATS=5
# SEARCH_STORE= (a PostgreSQL URL for the search part's workspace; SQLite when empty)
# MLFLOW_WORKERS=4 (mlflow server's default) KEEP=1 keeps the temporary folder (results.jsonl).
# Run it on an otherwise idle machine: with 2 cores every other busy process shows in the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PARTS=()
SHIM=0
usage() { sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --logging | --get | --artifacts | --search) PARTS+=("${1#--}") ;;
    --nodelay-shim) SHIM=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "server.sh: unknown option '$1' (expected --logging, --get, --artifacts, --search, --nodelay-shim)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#PARTS[@]} -gt 0 ] || PARTS=(logging get artifacts search)
want() { local p; for p in "${PARTS[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

CLIENTS=${CLIENTS:-16}
METRICS=${METRICS:-100}
LOG_SECONDS=${LOG_SECONDS:-15}
RATE=${RATE:-200}
GET_SECONDS=${GET_SECONDS:-20}
GET_CONNECTIONS=${GET_CONNECTIONS:-8}
ARTIFACT_MB=${ARTIFACT_MB:-1024}
SEARCH_RUNS=${SEARCH_RUNS:-10000 100000}
SEARCH_REPEATS=${SEARCH_REPEATS:-5}
SEARCH_STORE=${SEARCH_STORE:-}  # the search part's store: SQLite, or this PostgreSQL URL
MLFLOW_WORKERS=${MLFLOW_WORKERS:-4}

GLIA=$REPO/build/bin/glia
MAKE_RUNS=$REPO/build/bin/glia_bench_make_runs
need=("$GLIA")
want search && need+=("$MAKE_RUNS")
for b in "${need[@]}"; do
  [ -x "$b" ] || { echo "server.sh: $b not found (this script builds nothing: cmake --build build --target glia_cli glia_bench_make_runs)" >&2; exit 1; }
done
for t in wrk curl; do
  command -v "$t" >/dev/null || { echo "server.sh: '$t' not found (Debian packages wrk, curl: scripts/install-deps.sh)" >&2; exit 1; }
done
bash bench/setup-mlflow-server.sh >/dev/null
PY=$REPO/bench/.venv-mlflow-server/bin/python
MLFLOW=$REPO/bench/.venv-mlflow-server/bin/mlflow
BENCH=$REPO/bench/server/bench.py
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true PYTHONWARNINGS=ignore

OUT=$(mktemp -d /tmp/glia-bench-server.XXXXXX)
RESULTS=$OUT/results.jsonl
SERVER_PID=
SERVER_KIND=
# `glia server` wakes the workspace's agent (a process of its own): it exits 2 s after going idle,
# and is stopped with its server, so none lingers (or takes the store's queued runs: the runs
# glia_bench_make_runs makes are queued, then run and completed by it).
export GLIA_AGENT_IDLE_EXIT=${GLIA_AGENT_IDLE_EXIT:-2}
stop_agents() {
  local f
  for f in "$OUT"/*/ws/.glia/agent/*/agent.pid; do
    if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
  done
}
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    if [ "$SERVER_KIND" = mlflow ]; then
      kill -TERM -- "-$SERVER_PID" 2>/dev/null || true  # its own process group (setsid)
    else
      kill -TERM "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
  stop_agents
}
if [ "${KEEP:-0}" = 1 ]; then
  echo "keeping $OUT" >&2
  trap stop_server EXIT
else
  trap 'stop_server; rm -rf "$OUT"' EXIT
fi
load() { echo "[$(date -u +%H:%M:%S) UTC] load: $(cut -d' ' -f1-3 /proc/loadavg)"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
last_json() { tail -n 1; }  # the mlflow client prints "View run ..." lines before bench.py's JSON
record() { # SERVER PART JSON
  "$PY" -c 'import json,sys; d=json.loads(sys.argv[3]); d.update(server=sys.argv[1], part=sys.argv[2]); print(json.dumps(d))' "$1" "$2" "$3" >>"$RESULTS"
}
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); $("$GLIA" --version 2>/dev/null | head -1); mlflow $("$PY" -c 'import mlflow; print(mlflow.__version__)'); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
load

# --- servers -----------------------------------------------------------------------------------
TOKEN=
start_glia() { # NAME [PRELOAD]
  local ws=$OUT/$1/ws
  mkdir -p "$OUT/$1"
  "$GLIA" workspace init "$ws" >/dev/null
  "$GLIA" -w "$ws" user add bench --role contributor >/dev/null
  TOKEN=$("$GLIA" -w "$ws" token create --user bench -o json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  DATA=$ws
  if [ -n "${2:-}" ]; then
    LD_PRELOAD=$2 "$GLIA" -w "$ws" server --listen 127.0.0.1:0 >"$OUT/$1/server.out" 2>"$OUT/$1/server.err" &
  else
    "$GLIA" -w "$ws" server --listen 127.0.0.1:0 >"$OUT/$1/server.out" 2>"$OUT/$1/server.err" &
  fi
  SERVER_PID=$!
  SERVER_KIND=glia
  local port=
  for _ in $(seq 100); do
    port=$(sed -n 's|^glia server: serving workspace .* on http://[^:]*:\([0-9]*\)$|\1|p' "$OUT/$1/server.out")
    [ -n "$port" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server.sh: glia server exited: $(cat "$OUT/$1/server.err")" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { echo "server.sh: glia server did not start: $(cat "$OUT/$1/server.err")" >&2; exit 1; }
  URI=http://127.0.0.1:$port
}
start_mlflow() {
  mkdir -p "$OUT/mlflow"
  local port
  port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  DATA=$OUT/mlflow
  # The same token header as for Glia, so the clients' requests are the same; mlflow ignores it.
  TOKEN=unused-by-mlflow-server
  (cd "$OUT/mlflow" && exec setsid "$MLFLOW" server --backend-store-uri "sqlite:///$OUT/mlflow/mlflow.db" \
    --serve-artifacts --artifacts-destination "$OUT/mlflow/artifacts" --host 127.0.0.1 \
    --port "$port" --workers "$MLFLOW_WORKERS" >"$OUT/mlflow/server.out" 2>"$OUT/mlflow/server.err") &
  SERVER_PID=$!
  SERVER_KIND=mlflow
  URI=http://127.0.0.1:$port
  for _ in $(seq 600); do
    curl -sf "$URI/health" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server.sh: mlflow server exited: $(tail -n 5 "$OUT/mlflow/server.err")" >&2; exit 1; }
    sleep 0.2
  done
  echo "server.sh: mlflow server did not answer /health in 120 s" >&2
  exit 1
}

# --- parts ---------------------------------------------------------------------------------------
SRC=$OUT/artifact.bin
make_source() {
  echo "making a ${ARTIFACT_MB} MB file of random bytes"
  head -c "$((ARTIFACT_MB * 1024 * 1024))" /dev/urandom >"$SRC"
  sync -f "$OUT"
}
DD_WRITE_S=
DD_READ_S=
disk_speed() { # dd of the same file on the same filesystem, just before each server's transfers
  local t
  t=$(now)
  dd if="$SRC" of="$OUT/dd.bin" bs=1M conv=fsync status=none
  DD_WRITE_S=$(since "$t")
  "$PY" "$BENCH" evict "$OUT/dd.bin" >/dev/null
  t=$(now)
  dd if="$OUT/dd.bin" of=/dev/null bs=1M status=none
  DD_READ_S=$(since "$t")
  rm -f "$OUT/dd.bin"
}

run_parts() { # NAME (a server is up: URI, TOKEN, SERVER_PID, DATA)
  local name=$1 info exp_run apath
  export MLFLOW_TRACKING_TOKEN=$TOKEN
  info=$("$PY" "$BENCH" prepare "$URI" bench-get | last_json)
  if want logging; then
    load
    echo "$name: logging, $CLIENTS clients x log_batch($METRICS metrics) for ${LOG_SECONDS}s"
    local before after r
    before=$("$PY" "$BENCH" proc "$SERVER_PID")
    r=$("$PY" "$BENCH" log "$URI" bench-log --clients "$CLIENTS" --seconds "$LOG_SECONDS" --metrics "$METRICS" | last_json)
    after=$("$PY" "$BENCH" proc "$SERVER_PID")
    r=$("$PY" -c 'import json,sys; r,b,a=(json.loads(x) for x in sys.argv[1:]); r["server_cpu_s"]=a["cpu_s"]-b["cpu_s"]; print(json.dumps(r))' "$r" "$before" "$after")
    record "$name" logging "$r"
  fi
  if want get; then
    load
    echo "$name: GET runs/get at $RATE/s for ${GET_SECONDS}s ($GET_CONNECTIONS connections)"
    local run_id r
    run_id=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["run_id"])' "$info")
    r=$(RATE=$RATE TOKEN=$TOKEN wrk -t1 -c"$GET_CONNECTIONS" -d"${GET_SECONDS}s" -s bench/server/paced_get.lua \
      "$URI/api/2.0/mlflow/runs/get?run_id=$run_id" | last_json)
    record "$name" get "$r"
  fi
  if want artifacts; then
    load
    echo "$name: ${ARTIFACT_MB} MB artifact up and down"
    apath=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["artifact_uri"].split(":", 1)[1].lstrip("/"))' "$info")
    local url="$URI/api/2.0/mlflow-artifacts/artifacts/$apath/big.bin" b a t up_s down_s size b2 a2
    disk_speed
    b=$("$PY" "$BENCH" proc "$SERVER_PID" --reset-peak)
    t=$(now)
    curl -sSf -H "Authorization: Bearer $TOKEN" -H 'Expect:' -T "$SRC" -o /dev/null "$url"
    sync -f "$DATA"  # mlflow does not fsync, Glia does: both durable, as dd conv=fsync
    up_s=$(since "$t")
    a=$("$PY" "$BENCH" proc "$SERVER_PID")
    "$PY" "$BENCH" evict "$DATA" >/dev/null
    b2=$("$PY" "$BENCH" proc "$SERVER_PID" --reset-peak)
    t=$(now)
    size=$(curl -sSf -H "Authorization: Bearer $TOKEN" -o /dev/null -w '%{size_download}' "$url")
    down_s=$(since "$t")
    a2=$("$PY" "$BENCH" proc "$SERVER_PID")
    [ "$size" = "$((ARTIFACT_MB * 1024 * 1024))" ] || { echo "server.sh: $name: downloaded $size bytes, uploaded $((ARTIFACT_MB * 1024 * 1024))" >&2; exit 1; }
    record "$name" artifacts "$("$PY" -c '
import json, sys
b, a, b2, a2 = (json.loads(x) for x in sys.argv[1:5])
print(json.dumps({"mb": int(sys.argv[5]), "up_s": float(sys.argv[6]), "down_s": float(sys.argv[7]),
                  "dd_write_s": float(sys.argv[8]), "dd_read_s": float(sys.argv[9]),
                  "up_rss_growth_mb": a["hwm_mb"] - b["rss_mb"], "down_rss_growth_mb": a2["hwm_mb"] - b2["rss_mb"],
                  "rss_before_mb": b["rss_mb"]}))' "$b" "$a" "$b2" "$a2" "$ARTIFACT_MB" "$up_s" "$down_s" "$DD_WRITE_S" "$DD_READ_S")"
  fi
}

want artifacts && make_source
if want logging || want get || want artifacts; then
  GLIAS=(glia)
  [ "$SHIM" = 1 ] && GLIAS+=(glia-nodelay)
  if [ "$SHIM" = 1 ]; then
    cc -O2 -shared -fPIC -o "$OUT/nodelay.so" bench/server/nodelay.c -ldl
  fi
  for g in "${GLIAS[@]}"; do
    if [ "$g" = glia-nodelay ]; then start_glia "$g" "$OUT/nodelay.so"; else start_glia "$g"; fi
    run_parts "$g"
    stop_server
  done
  echo "starting mlflow server ($MLFLOW_WORKERS workers)"
  start_mlflow
  run_parts mlflow
  stop_server
fi

if want search; then
  ws=$OUT/search/ws
  mkdir -p "$OUT/search"
  if [ -n "$SEARCH_STORE" ]; then
    "$GLIA" workspace init "$ws" --store "$SEARCH_STORE" >/dev/null
  else
    "$GLIA" workspace init "$ws" >/dev/null
  fi
  "$GLIA" -w "$ws" user add bench --role contributor >/dev/null
  STOKEN=$("$GLIA" -w "$ws" token create --user bench -o json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  made=0
  for n in $SEARCH_RUNS; do
    [ "$n" -gt "$made" ] || { echo "server.sh: SEARCH_RUNS must grow ($SEARCH_RUNS)" >&2; exit 1; }
    load
    echo "search: filling the store to $n runs (glia_bench_make_runs)"
    "$MAKE_RUNS" -w "$ws" --runs "$((n - made))" --names 10 >/dev/null
    made=$n
    GLIAS=(glia)
    [ "$SHIM" = 1 ] && GLIAS+=(glia-nodelay)
    for g in "${GLIAS[@]}"; do
      if [ "$g" = glia-nodelay ]; then
        LD_PRELOAD=$OUT/nodelay.so "$GLIA" -w "$ws" server --listen 127.0.0.1:0 >"$OUT/search/server.out" 2>"$OUT/search/server.err" &
      else
        "$GLIA" -w "$ws" server --listen 127.0.0.1:0 >"$OUT/search/server.out" 2>"$OUT/search/server.err" &
      fi
      SERVER_PID=$!
      SERVER_KIND=glia
      port=
      for _ in $(seq 100); do
        port=$(sed -n 's|^glia server: serving workspace .* on http://[^:]*:\([0-9]*\)$|\1|p' "$OUT/search/server.out")
        [ -n "$port" ] && break
        sleep 0.1
      done
      [ -n "$port" ] || { echo "server.sh: glia server did not start: $(cat "$OUT/search/server.err")" >&2; exit 1; }
      echo "$g: search_runs over $n runs"
      r=$(MLFLOW_TRACKING_TOKEN=$STOKEN "$PY" "$BENCH" search "http://127.0.0.1:$port" --repeats "$SEARCH_REPEATS" | last_json)
      record "$g" search "$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); d["runs"]=int(sys.argv[2]); d["store"]=sys.argv[3] or "SQLite"; print(json.dumps(d))' "$r" "$n" "${SEARCH_STORE:+PostgreSQL}")"
      stop_server
    done
  done
fi
load
"$PY" bench/server/report.py "$RESULTS"
