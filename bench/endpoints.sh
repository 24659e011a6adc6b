#!/usr/bin/env bash
# Glia's scoring endpoints against their peers, side by side in one command (bench/README.md,
# "Scoring endpoints"; issue 14, "Performance"). Builds nothing: it uses ./build/bin/glia (build
# it first: cmake --build build --target glia_cli). The peers come from PyPI into the git-ignored
# venv bench/.venv-endpoints (bench/setup-endpoint-peers.sh, run here):
#   mlflow    `mlflow models serve --env-manager local` (3.17.2, uvicorn) of the model saved with
#             MLflow's Keras flavour (Keras 3.15.1 on TensorFlow 2.21) with
#             save_exported_model=True: a SavedModel served by model.serve, MLflow's fastest way
#             to serve a Keras model; requests {"inputs": rows} to /invocations (its reply: the
#             probability rows)
#   mlflow-keras  the same, saved with the flavour's default (.keras, served by model.predict)
#   azureml   the Azure ML inference server (`azmlinfsrv`, azureml-inference-server-http 1.5.1)
#             running the seed's score.py (bench/endpoints/score.py: model_from_json +
#             load_weights, argmax list; Keras on JAX) with AZUREML_MODEL_DIR; requests
#             {"data": rows} to /score
#   glia      through the CLI as issue 14 has it: `glia workspace init`, `glia model register`,
#             `glia endpoint create --name keras-mnist-svc --model keras-mnist@latest --port P
#             --auth key`, `glia endpoint keys -o json`, requests {"data": rows} to /score with
#             the primary key, `glia endpoint delete`
# (TensorFlow Serving's model server is not on PyPI, nor in Debian: not a peer here.)
# One model for all: the seed's MLP (784-300-100-10, relu/relu/softmax) trained once by
# `glia train` (EPOCHS epochs of Fashion-MNIST, RMSprop) into model.json + model.h5 +
# model.keras; MLflow saves the .keras, the seed's score.py and Glia load model.json + model.h5.
# Every server answers the same 100 rows first and their classes must agree.
#
# Each server alone (never two at once), started under `taskset -c CORES`, measured with Debian's
# wrk 4.1.0 and bench/endpoints/post.lua:
#   start       process up -> ready: from the fork to the first 200 of its health route, polled
#               every 2 ms (glia /v2/health/ready, mlflow /ping, azureml /), median of STARTS
#   throughput  CONNECTIONS connections, closed loop, 1-row requests, THROUGHPUT_SECONDS
#   paced       RATE requests/s (post.lua's shared schedule of send slots) over
#               PACED_CONNECTIONS connections, 1-row requests, PACED_SECONDS: p50/p99; the rate
#               reached is reported (a server that cannot keep up falls below RATE)
#   rows100     one connection, closed loop, 100-row requests, ROWS100_SECONDS: latency
#               p50/p99; Glia also its model time from /metrics (the histogram whose name
#               matches MODEL_METRIC, mean and bucket bounds over this part)
#   rss         VmRSS summed over the server's process group (children included), after the load
# Prints the tables, the ratios and the targets' PASS / MISS; exits non-zero only on a failure.
#
#   bash bench/endpoints.sh [--only glia|mlflow|mlflow-keras|azureml]... [--peers-only]
#
# Knobs (environment): CONNECTIONS=16 THROUGHPUT_SECONDS=15 RATE=1000 PACED_SECONDS=20
# PACED_CONNECTIONS=16 ROWS100_SECONDS=10 STARTS=3 WARMUP_SECONDS=3 EPOCHS=2 CORES=0-(nproc-1)
# WRK_THREADS=1 WRK_TIMEOUT=30 (s) MLFLOW_WORKERS=1 (its default) MLFLOW_KERAS_BACKEND=tensorflow
# AZUREML_KERAS_BACKEND=jax AZUREML_WORKERS=1 (its default) GLIA_INSTANCES=
# (empty: the endpoint's default) GLIA_THREADS= (serve mode only: threads_per_instance;
# empty: the config's default) MODEL_METRIC='model.*seconds' GLIA_MODE=cli|serve
# (serve: the endpoint process alone, `glia endpoint serve --config` with a hand-written config
# instead of the CLI: written while `glia endpoint create` had not landed, kept to measure the
# process with settings the CLI does not offer, e.g. GLIA_THREADS) KEEP=1 keeps the temporary
# folder (results.jsonl, logs).
# Run it on an otherwise idle machine: with 2 cores every other busy process shows in the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
SERVERS=()
PEERS_ONLY=0
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --only)
      case "${2:-}" in
        glia | mlflow | mlflow-keras | azureml) SERVERS+=("$2") ;;
        *) echo "endpoints.sh: --only needs glia, mlflow, mlflow-keras or azureml (got '${2:-}')" >&2; exit 2 ;;
      esac
      shift ;;
    --peers-only) PEERS_ONLY=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "endpoints.sh: unknown option '$1' (expected --only NAME, --peers-only, --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ ${#SERVERS[@]} -eq 0 ]; then
  if [ "$PEERS_ONLY" = 1 ]; then SERVERS=(mlflow mlflow-keras azureml); else SERVERS=(glia mlflow mlflow-keras azureml); fi
fi
want() { local s; for s in "${SERVERS[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
if [ "$PEERS_ONLY" = 1 ] && want glia; then
  echo "endpoints.sh: --peers-only and --only glia contradict each other" >&2
  exit 2
fi

CONNECTIONS=${CONNECTIONS:-16}
THROUGHPUT_SECONDS=${THROUGHPUT_SECONDS:-15}
RATE=${RATE:-1000}
PACED_SECONDS=${PACED_SECONDS:-20}
PACED_CONNECTIONS=${PACED_CONNECTIONS:-16}
ROWS100_SECONDS=${ROWS100_SECONDS:-10}
STARTS=${STARTS:-3}
WARMUP_SECONDS=${WARMUP_SECONDS:-3}
EPOCHS=${EPOCHS:-2}
CORES=${CORES:-0-$(($(nproc) - 1))}
WRK_THREADS=${WRK_THREADS:-1}
WRK_TIMEOUT=${WRK_TIMEOUT:-30}  # wrk's default 2 s drops the slow peers' answers from its latencies
MLFLOW_WORKERS=${MLFLOW_WORKERS:-1}
AZUREML_WORKERS=${AZUREML_WORKERS:-1}
GLIA_INSTANCES=${GLIA_INSTANCES:-}
MODEL_METRIC=${MODEL_METRIC:-model.*seconds}
GLIA_MODE=${GLIA_MODE:-cli}
case "$GLIA_MODE" in cli | serve) ;; *) echo "endpoints.sh: GLIA_MODE must be cli or serve (got '$GLIA_MODE')" >&2; exit 2 ;; esac
[ "$STARTS" -ge 1 ] 2>/dev/null || { echo "endpoints.sh: STARTS must be a number >= 1 (got '$STARTS')" >&2; exit 2; }

GLIA=$REPO/build/bin/glia
[ -x "$GLIA" ] || { echo "endpoints.sh: $GLIA not found (this script builds nothing: cmake --build build --target glia_cli)" >&2; exit 1; }
for t in wrk taskset; do
  command -v "$t" >/dev/null || { echo "endpoints.sh: '$t' not found (Debian packages wrk, util-linux: scripts/install-deps.sh)" >&2; exit 1; }
done
if want glia; then
  if [ "$GLIA_MODE" = cli ]; then
    "$GLIA" endpoint create --help 2>&1 | grep -q '^Usage: .*endpoint create' || {
      echo "endpoints.sh: this glia has no 'endpoint create' (run the peers alone with --peers-only, or GLIA_MODE=serve)" >&2
      exit 1
    }
  else
    "$GLIA" endpoint serve --help 2>&1 | grep -q '^Usage: .*endpoint serve' || {
      echo "endpoints.sh: this glia has no 'endpoint serve' (run the peers alone with --peers-only)" >&2
      exit 1
    }
  fi
fi
bash bench/setup-endpoint-peers.sh >/dev/null
VENV=$REPO/bench/.venv-endpoints
PY=$VENV/bin/python
BENCH=$REPO/bench/endpoints/bench.py
LUA=$REPO/bench/endpoints/post.lua
# MLflow's models are saved and served with Keras on TensorFlow (MLFLOW_KERAS_BACKEND), the seed's
# score.py runs on JAX (AZUREML_KERAS_BACKEND): each peer's faster backend that works (README).
MLFLOW_KERAS_BACKEND=${MLFLOW_KERAS_BACKEND:-tensorflow}
AZUREML_KERAS_BACKEND=${AZUREML_KERAS_BACKEND:-jax}
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true PYTHONWARNINGS=ignore TF_CPP_MIN_LOG_LEVEL=3

OUT=$(mktemp -d /tmp/glia-bench-endpoints.XXXXXX)
RESULTS=$OUT/results.jsonl
PGID=         # the server's process group (its own session)
START_S=      # spawn's: the last start's seconds
GLIA_WS=      # the workspace whose endpoint is up (cli mode)
EP_NAME=keras-mnist-svc
stop_group() { # PGID: TERM to the group, KILL after 20 s
  local g=$1 i
  kill -TERM -- "-$g" 2>/dev/null || return 0
  for i in $(seq 200); do
    kill -0 -- "-$g" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$g" 2>/dev/null || true
}
stop_agents() {
  local f
  for f in "$OUT"/*/ws/.glia/agent/*/agent.pid; do
    if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
  done
}
cleanup() {
  if [ -n "$GLIA_WS" ]; then
    "$GLIA" -w "$GLIA_WS" endpoint delete "$EP_NAME" >/dev/null 2>&1 || true
    GLIA_WS=
  fi
  if [ -n "$PGID" ]; then stop_group "$PGID"; PGID=; fi
  stop_agents
}
if [ "${KEEP:-0}" = 1 ]; then
  echo "keeping $OUT" >&2
  trap cleanup EXIT
else
  trap 'cleanup; rm -rf "$OUT"' EXIT
fi
load() { echo "[$(date -u +%H:%M:%S) UTC] load: $(cut -d' ' -f1-3 /proc/loadavg)"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
record() { # SERVER PART JSON
  "$PY" -c 'import json,sys; d=json.loads(sys.argv[3]); d.update(server=sys.argv[1], part=sys.argv[2]); print(json.dumps(d))' "$1" "$2" "$3" >>"$RESULTS"
}
field() { "$PY" "$BENCH" endpoint-field "$@"; }
BENCH_T0=$(now)
PEER_VERSIONS=$("$PY" -c 'import importlib.metadata as m; print(", ".join(p + " " + m.version(p) for p in ("mlflow", "keras", "tensorflow-cpu", "jax", "azureml-inference-server-http")))')
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); $("$GLIA" --version 2>/dev/null | head -1); $PEER_VERSIONS; $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); servers on cores $CORES"
load

# --- the model, once, for every server --------------------------------------------------------
echo "training the seed's MLP with glia train ($EPOCHS epochs)"
mkdir -p "$OUT/trained" "$OUT/model"
(cd "$OUT/trained" && "$GLIA" train --model "$REPO/bench/endpoints/seed_mlp.json" \
  --data-folder /usr/share/datasets/fashion-mnist --epochs "$EPOCHS" --batch-size 50 \
  --optimizer rmsprop --learning-rate 0.001 --loss categorical_crossentropy --metrics accuracy \
  --output . --verbose 0 >train.out 2>&1) || { echo "endpoints.sh: glia train failed: $(tail -n 3 "$OUT/trained/train.out")" >&2; exit 1; }
grep '^test:' "$OUT/trained/train.out" || true
# What the seed registers (outputs/model: model.json + model.h5), for Glia and score.py.
cp "$OUT/trained/model.json" "$OUT/trained/model.h5" "$OUT/model/"
"$PY" "$BENCH" requests "$OUT/requests"
if want mlflow; then
  KERAS_BACKEND=$MLFLOW_KERAS_BACKEND "$PY" "$BENCH" mlflow-model "$OUT/trained/model.keras" "$OUT/mlflow-model" --exported >"$OUT/mlflow-model.log" 2>&1 ||
    { echo "endpoints.sh: saving the MLflow model failed: $(tail -n 3 "$OUT/mlflow-model.log")" >&2; exit 1; }
fi
if want mlflow-keras; then
  KERAS_BACKEND=$MLFLOW_KERAS_BACKEND "$PY" "$BENCH" mlflow-model "$OUT/trained/model.keras" "$OUT/mlflow-keras-model" >"$OUT/mlflow-keras-model.log" 2>&1 ||
    { echo "endpoints.sh: saving the MLflow model (.keras) failed: $(tail -n 3 "$OUT/mlflow-keras-model.log")" >&2; exit 1; }
fi
want azureml && "$PY" "$BENCH" azureml-model "$OUT/model" "$OUT/azureml-models"

# --- one server's measurements ---------------------------------------------------------------
starts_json() { # the STARTS start times as a JSON list
  "$PY" -c 'import json,sys; print(json.dumps([float(x) for x in sys.argv[1:]]))' "$@"
}
spawn() { # NAME READY_URL CMD...: starts it on CORES in a session of its own, waits for READY_URL;
  # sets PGID and START_S (call it directly, not in $(...))
  local name=$1 ready=$2 r
  shift 2
  r=$("$PY" "$BENCH" spawn --ready "$ready" --log "$OUT/$name/server.log" --pgid-file "$OUT/$name/pgid" -- taskset -c "$CORES" "$@") ||
    { [ -s "$OUT/$name/pgid" ] && stop_group "$(cat "$OUT/$name/pgid")"
      echo "endpoints.sh: $name did not start: $(tail -n 5 "$OUT/$name/server.log")" >&2; exit 1; }
  PGID=$(cat "$OUT/$name/pgid")
  START_S=$(field "$r" start_s)
}
measure() { # NAME URL BODY1 BODY100 TOKEN [MLFLOW]: the server is up, PGID set
  local name=$1 url=$2 body1=$3 body100=$4 token=$5 mlflow=${6:-} r before after classes
  classes=$("$PY" "$BENCH" classes "$url" "$body100" ${token:+--token "$token"} ${mlflow:+--mlflow}) ||
    { echo "endpoints.sh: $name: the 100-row request failed" >&2; exit 1; }
  record "$name" classes "{\"classes\": $classes}"
  BODY=$body1 TOKEN=$token wrk --timeout "${WRK_TIMEOUT}s" -t1 -c4 -d"${WARMUP_SECONDS}s" -s "$LUA" "$url" >/dev/null
  load
  echo "$name: throughput, $CONNECTIONS connections, 1 row, ${THROUGHPUT_SECONDS}s"
  r=$(BODY=$body1 TOKEN=$token wrk --timeout "${WRK_TIMEOUT}s" -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${THROUGHPUT_SECONDS}s" -s "$LUA" "$url" | tail -n 1)
  record "$name" throughput "$r"
  echo "$name: paced at $RATE/s, $PACED_CONNECTIONS connections, 1 row, ${PACED_SECONDS}s"
  r=$(BODY=$body1 TOKEN=$token RATE=$RATE wrk --timeout "${WRK_TIMEOUT}s" -t1 -c"$PACED_CONNECTIONS" -d"${PACED_SECONDS}s" -s "$LUA" "$url" | tail -n 1)
  record "$name" paced "$r"
  echo "$name: 100-row requests, 1 connection, ${ROWS100_SECONDS}s"
  if [ "$name" = glia ]; then before=$("$PY" "$BENCH" metrics "${url%/score}/metrics" --token "$token"); fi
  r=$(BODY=$body100 TOKEN=$token wrk --timeout "${WRK_TIMEOUT}s" -t1 -c1 -d"${ROWS100_SECONDS}s" -s "$LUA" "$url" | tail -n 1)
  if [ "$name" = glia ]; then
    after=$("$PY" "$BENCH" metrics "${url%/score}/metrics" --token "$token")
    r=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(json.loads(sys.argv[2])); print(json.dumps(d))' \
      "$r" "$("$PY" "$BENCH" model-time "$before" "$after" --metric "$MODEL_METRIC")")
  fi
  record "$name" rows100 "$r"
  record "$name" rss "$("$PY" "$BENCH" rss "$PGID")"
}

run_mlflow() { # NAME (mlflow: the exported model; mlflow-keras: the .keras one)
  local name=$1 port starts=() i s
  mkdir -p "$OUT/$name"
  for i in $(seq "$STARTS"); do
    port=$(free_port)
    # mlflow runs uvicorn by name: the venv's bin first on PATH.
    KERAS_BACKEND=$MLFLOW_KERAS_BACKEND PATH=$VENV/bin:$PATH spawn "$name" "http://127.0.0.1:$port/ping" \
      "$VENV/bin/mlflow" models serve -m "$OUT/$name-model" --env-manager local -h 127.0.0.1 -p "$port" -w "$MLFLOW_WORKERS"
    s=$START_S
    starts+=("$s")
    echo "$name: start $i: ${s}s"
    [ "$i" = "$STARTS" ] || { stop_group "$PGID"; PGID=; }
  done
  record "$name" start "{\"starts_s\": $(starts_json "${starts[@]}")}"
  measure "$name" "http://127.0.0.1:$port/invocations" "$OUT/requests/mlflow-1.json" "$OUT/requests/mlflow-100.json" "" mlflow
  stop_group "$PGID"
  PGID=
}

run_azureml() {
  local port hport starts=() i s
  mkdir -p "$OUT/azureml"
  for i in $(seq "$STARTS"); do
    port=$(free_port)
    hport=$(free_port)
    KERAS_BACKEND=$AZUREML_KERAS_BACKEND PYTHONPATH=$REPO/bench/endpoints/azureml_shim PATH=$VENV/bin:$PATH spawn azureml "http://127.0.0.1:$port/" \
      "$VENV/bin/azmlinfsrv" --entry_script "$REPO/bench/endpoints/score.py" --model_dir "$OUT/azureml-models" \
      --port "$port" --health_port "$hport" --worker_count "$AZUREML_WORKERS"
    s=$START_S
    starts+=("$s")
    echo "azureml: start $i: ${s}s"
    [ "$i" = "$STARTS" ] || { stop_group "$PGID"; PGID=; }
  done
  record azureml start "{\"starts_s\": $(starts_json "${starts[@]}")}"
  measure azureml "http://127.0.0.1:$port/score" "$OUT/requests/seed-1.json" "$OUT/requests/seed-100.json" ""
  stop_group "$PGID"
  PGID=
}

# Glia's endpoint process alone: `glia endpoint serve --config FILE`, with FILE the config the
# agent wrote (cli mode; port, status and access log moved into $OUT, binding its port itself
# rather than inheriting the agent's socket) or a hand-written one
# (serve mode). STARTS starts; the last is left running when KEEP_LAST=1.
glia_serve_starts() { # CONFIG_TEMPLATE KEEP_LAST
  local template=$1 keep=$2 starts=() i s port conf
  for i in $(seq "$STARTS"); do
    port=$(free_port)
    conf=$OUT/glia/serve-$i.json
    "$PY" - "$template" "$conf" "$port" "$OUT/glia/serve-$i" <<'PY'
import json, os, sys
c = json.load(open(sys.argv[1]))
c.update(port=int(sys.argv[3]), listen_fd=-1, status_file=sys.argv[4] + ".status.json", access_log=sys.argv[4] + ".access.log")
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, json.dumps(c, indent=2).encode())
os.close(fd)
PY
    spawn glia "http://127.0.0.1:$port/v2/health/ready" "$GLIA" endpoint serve --config "$conf"
    s=$START_S
    starts+=("$s")
    echo "glia: start $i (endpoint serve): ${s}s"
    GLIA_PORT=$port
    if [ "$i" != "$STARTS" ] || [ "$keep" != 1 ]; then stop_group "$PGID"; PGID=; fi
  done
  record glia start "{\"starts_s\": $(starts_json "${starts[@]}")}"
}

run_glia_cli() {
  local ws=$OUT/glia/ws port t show state key pid url created
  GLIA_WS=$ws
  "$GLIA" workspace init "$ws" >/dev/null
  "$GLIA" -w "$ws" model register --name keras-mnist --path "$OUT/model" --verify >/dev/null
  port=$(free_port)
  t=$(now)
  taskset -c "$CORES" "$GLIA" -w "$ws" endpoint create --name "$EP_NAME" --model keras-mnist@latest \
    --port "$port" --auth key ${GLIA_INSTANCES:+--instances "$GLIA_INSTANCES"} >"$OUT/glia/create.out" 2>&1 ||
    { echo "endpoints.sh: glia endpoint create failed: $(cat "$OUT/glia/create.out")" >&2; exit 1; }
  state=
  for _ in $(seq 600); do
    show=$("$GLIA" -w "$ws" endpoint show "$EP_NAME" -o json 2>/dev/null) || show='{}'
    state=$(field "$show" state status.state || true)
    case "$state" in Healthy) break ;; Failed) break ;; esac
    sleep 0.05
  done
  created=$(since "$t")
  [ "$state" = Healthy ] || { echo "endpoints.sh: glia endpoint $EP_NAME is '$state', not Healthy, after ${created}s: $(tail -n 5 "$ws/.glia/endpoints/$EP_NAME/endpoint.log" 2>/dev/null)" >&2; exit 1; }
  echo "glia: endpoint create -> Healthy (glia endpoint show): ${created}s"
  record glia create "{\"create_to_healthy_s\": $created}"
  key=$(field "$("$GLIA" -w "$ws" endpoint keys "$EP_NAME" -o json)" primary primaryKey primary_key) ||
    { echo "endpoints.sh: glia endpoint keys -o json has no primary key" >&2; exit 1; }
  pid=$(field "$show" pid) || pid=$(field "$(cat "$ws/.glia/endpoints/$EP_NAME/status.json")" pid)
  url=$(field "$show" scoring_uri scoringUri) || url=http://127.0.0.1:$port/score
  # Its process's start -> ready, measured on the same config run by `glia endpoint serve`
  # (the agent's process idles meanwhile).
  glia_serve_starts "$ws/.glia/endpoints/$EP_NAME/config.json" 0
  # The agent started the endpoint in a session of its own: its process group is its pid.
  PGID=$(ps -o pgid= -p "$pid" | tr -d ' ')
  [ "$PGID" = "$pid" ] || { echo "endpoints.sh: the endpoint process $pid is not its own process group's leader (group $PGID): its RSS would count others" >&2; exit 1; }
  taskset -a -p -c "$CORES" "$pid" >/dev/null
  measure glia "$url" "$OUT/requests/seed-1.json" "$OUT/requests/seed-100.json" "$key"
  PGID=
  "$GLIA" -w "$ws" endpoint delete "$EP_NAME" >/dev/null
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && { echo "endpoints.sh: glia endpoint delete: process $pid still running after 30 s" >&2; exit 1; }
  GLIA_WS=
  stop_agents
}

# GLIA_MODE=serve: the endpoint process run directly with a hand-written config
# (include/glia/platform/endpoint_config.hpp; docs/endpoints.md) and a key of our own, no
# workspace, agent or CLI. Written while `glia endpoint create` had not landed; kept to measure
# the process with settings the CLI does not take (GLIA_THREADS: threads_per_instance).
run_glia_serve() {
  local key
  key=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')
  "$PY" - "$OUT/glia/template.json" "$key" "$OUT/model" "${GLIA_INSTANCES:-1}" "${GLIA_THREADS:-}" <<'PY'
import hashlib, json, sys
path, key, model_dir, instances, threads = sys.argv[1:]
config = {"name": "keras-mnist-svc", "generation": 1, "host": "127.0.0.1", "port": 0,
          "model_name": "keras-mnist", "model_version": 1, "model_dir": model_dir,
          "scoring": "native", "instances": int(instances), "auth_mode": "key",
          "key_sha256": [hashlib.sha256(key.encode()).hexdigest()]}
if threads:
    config["threads_per_instance"] = int(threads)
json.dump(config, open(path, "w"))
PY
  glia_serve_starts "$OUT/glia/template.json" 1
  measure glia "http://127.0.0.1:$GLIA_PORT/score" "$OUT/requests/seed-1.json" "$OUT/requests/seed-100.json" "$key"
  stop_group "$PGID"
  PGID=
}

for s in "${SERVERS[@]}"; do
  load
  case "$s" in
    glia)
      mkdir -p "$OUT/glia"
      if [ "$GLIA_MODE" = cli ]; then run_glia_cli; else run_glia_serve; fi ;;
    mlflow | mlflow-keras) run_mlflow "$s" ;;
    azureml) run_azureml ;;
  esac
done
load
echo "the whole benchmark took $(since "$BENCH_T0") s"
"$PY" bench/endpoints/report.py "$RESULTS" --rate "$RATE" --connections "$CONNECTIONS"
