#!/usr/bin/env bash
# Sweeps (issue 11), side by side in one command, through the real CLI and agent
# (bench/README.md, "Sweeps (issue 11)"):
#   --seed-sweep  the seed's HyperDrive sweep (20 trials x up to 10 epochs of glia-keras-mnist on
#                 Fashion-MNIST, 4 at a time, fixed sampling seed and training --seed) as Glia
#                 sweeps: random with no policy, Bandit(evaluation_interval 2, slack_factor 0.1),
#                 ASHA(grace_period 1, reduction_factor 3, max_t 10), bayesian (TPE, no policy);
#   --peers       the same space, budget, concurrency and binary under Optuna: TPE + MedianPruner,
#                 and random search (RandomSampler, no pruning); with --seed-sweep also Optuna
#                 running Glia random's 20 trials (their parameters enqueued): the same work;
#   --overhead    scheduling overhead: sweeps of `true` trials (100 and 1,000), 8 at a time.
# With no part named, all three run (the overhead last). Prints the tables and the targets' PASS /
# MISS; exits non-zero only when something fails.
#
#   bash bench/sweeps.sh [--seed-sweep] [--peers] [--overhead] [--bin DIR]
#
# Knobs (environment): TRIALS=20 EPOCHS=10 CONCURRENT=4 SEEDS="1 2 3" (sampling seeds: every method
# runs once per seed, the report sums them) TRIAL_SEED=1 (every training's --seed)
# DATA=/usr/share/datasets/fashion-mnist OVERHEAD_TRIALS="100 1000" OVERHEAD_CONCURRENT=8
# KEEP=1 keeps the temporary folder (workspaces and results *.jsonl).
# Run it on an otherwise idle machine: with 2 cores every other busy process shows in the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/bin
PARTS=()
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seed-sweep | --peers | --overhead) PARTS+=("${1#--}") ;;
    --bin) [ $# -ge 2 ] || { echo "sweeps.sh: --bin needs a folder" >&2; exit 2; }; BIN=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "sweeps.sh: unknown option '$1' (expected --seed-sweep, --peers, --overhead, --bin DIR)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#PARTS[@]} -gt 0 ] || PARTS=(seed-sweep peers overhead)
want() { local p; for p in "${PARTS[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

TRIALS=${TRIALS:-20}
EPOCHS=${EPOCHS:-10}
CONCURRENT=${CONCURRENT:-4}
SEEDS=${SEEDS:-1 2 3}
TRIAL_SEED=${TRIAL_SEED:-1}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
OVERHEAD_TRIALS=${OVERHEAD_TRIALS:-100 1000}
OVERHEAD_CONCURRENT=${OVERHEAD_CONCURRENT:-8}

if [ "$BIN" = build/bin ] && [ -f build/CMakeCache.txt ]; then
  cmake --build build --target glia_cli glia-keras-mnist >/dev/null
fi
BIN=$(cd "$BIN" && pwd)
GLIA=$BIN/glia
for b in "$GLIA" "$BIN/glia-keras-mnist"; do
  [ -x "$b" ] || { echo "sweeps.sh: $b not found (build it, or give --bin DIR)" >&2; exit 1; }
done
export PATH="$BIN:$PATH"
OUT=$(mktemp -d /tmp/glia-bench-sweeps.XXXXXX)
export GLIA_AGENT_IDLE_EXIT=${GLIA_AGENT_IDLE_EXIT:-2}  # no agent outlives the benchmark
stop_agents() {
  local f
  for f in "$OUT"/*/.glia/agent/*/agent.pid; do
    if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
  done
}
if [ "${KEEP:-0}" = 1 ]; then
  echo "keeping $OUT" >&2
  trap stop_agents EXIT
else
  trap 'stop_agents; rm -rf "$OUT"' EXIT
fi
unset GLIA_WORKSPACE
PY=python3
if want peers || want seed-sweep; then  # Optuna and Debian's Fashion-MNIST
  bash bench/setup-peers.sh sweeps >"$OUT/setup.log" 2>&1 || { cat "$OUT/setup.log" >&2; exit 1; }
  PY=bench/.venv/bin/python
  [ -f "$DATA/train-images-idx3-ubyte.gz" ] || { echo "sweeps.sh: no Fashion-MNIST in $DATA (DATA=...)" >&2; exit 1; }
fi
load() { echo "[$(date -u +%H:%M:%S) UTC] load: $(cut -d' ' -f1-3 /proc/loadavg)"; }
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); $("$GLIA" --version 2>/dev/null | head -1)"

# ---- the seed's sweep, as Glia sweeps ------------------------------------------------------------
# The seed's space; learning_rate loguniform(-6, -1) is exp(uniform(-6, -1)), in [0.0025, 0.37].
space() {
  cat <<'YML'
search_space:
  batch_size: {type: choice, values: [25, 50, 100]}
  first_layer_neurons: {type: choice, values: [10, 50, 200, 300, 500]}
  second_layer_neurons: {type: choice, values: [10, 50, 200, 500]}
YML
}
# $1: sampling algorithm; $2: the learning rate's expression; $3: how the command passes it.
seed_sweep_yaml() {
  cat <<YML
\$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
experiment_name: bench-seed-sweep
compute: local
trial:
  command: >-
    glia-keras-mnist --data-folder \${{inputs.data_folder}}
    --batch-size \${{search_space.batch_size}}
    --first-layer-neurons \${{search_space.first_layer_neurons}}
    --second-layer-neurons \${{search_space.second_layer_neurons}}
    --learning-rate $3
    --epochs \${{inputs.epochs}} --seed \${{inputs.trial_seed}} --verbose 2
inputs:
  data_folder: {type: uri_folder, path: 'glia:mnist-dataset@latest', mode: ro_mount}
  epochs: $EPOCHS
  trial_seed: $TRIAL_SEED
sampling_algorithm: {type: $1, seed: 1}  # each sweep: --set sampling_algorithm.seed=N
$(space)
  $2
objective: {primary_metric: Accuracy, goal: maximize}
limits: {max_total_trials: $TRIALS, max_concurrent_trials: $CONCURRENT, timeout: 7200}
YML
}

glia_sweep() {  # FILE LABEL SEED
  "$PY" bench/peers/glia_sweep.py --glia "$GLIA" --workspace "$WS" --file "$1" --label "$2" \
    --seed "$3" >>"$SEED_RESULTS"
  tail -1 "$SEED_RESULTS" | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print("   %s: %s, best %s, %d trial-epochs, %.1f s" % (r["method"], r["status"], r["best_accuracy"], r["trial_epochs"], r["wall_s"]))'
}
optuna_sweep() {  # SAMPLER PRUNER SEED [ARGS...]
  "$PY" bench/peers/optuna_sweep.py --binary "$BIN/glia-keras-mnist" --data-folder "$DATA" \
    --sampler "$1" --pruner "$2" --trials "$TRIALS" --epochs "$EPOCHS" --n-jobs "$CONCURRENT" \
    --seed "$3" --trial-seed "$TRIAL_SEED" "${@:4}" >>"$SEED_RESULTS"
  tail -1 "$SEED_RESULTS" | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print("   %s: best %s, %d trial-epochs, %.1f s (%d threads a trial)" % (r["method"], r["best_accuracy"], r["trial_epochs"], r["wall_s"], r["threads"]))'
}

SEED_RESULTS=$OUT/seed.jsonl
: >"$SEED_RESULTS"
if want seed-sweep; then
  WS=$OUT/seed-ws
  "$GLIA" workspace init "$WS" >/dev/null
  "$GLIA" -w "$WS" compute update --name local --max-concurrent "$CONCURRENT" >/dev/null
  "$GLIA" -w "$WS" dataset create --name mnist-dataset --path "$DATA/" >/dev/null
  LR_SEED='learning_rate: {type: loguniform, min_value: -6, max_value: -1}'
  # shellcheck disable=SC2016 # glia's placeholder, not the shell's
  LR_ARG='${{search_space.learning_rate}}'
  seed_sweep_yaml random "$LR_SEED" "$LR_ARG" >"$OUT/seed-random.yml"
  { cat "$OUT/seed-random.yml"
    echo "early_termination: {type: bandit, evaluation_interval: 2, slack_factor: 0.1}"; } >"$OUT/seed-bandit.yml"
  { cat "$OUT/seed-random.yml"
    echo "early_termination: {type: asha, grace_period: 1, reduction_factor: 3, max_t: $EPOCHS}"; } >"$OUT/seed-asha.yml"
  # Bayesian sampling takes choice, uniform and quniform only (as Azure's): the same log-uniform
  # learning rate as uniform(-6, -1) on its logarithm, exponentiated in the trial's shell.
  seed_sweep_yaml bayesian 'log_learning_rate: {type: uniform, min_value: -6, max_value: -1}' \
    "\"\$(awk 'BEGIN { printf \"%.17g\", exp(\${{search_space.log_learning_rate}}) }')\"" >"$OUT/seed-bayesian.yml"
fi
if want seed-sweep || want peers; then
  echo
  echo "== the seed's sweep: $TRIALS trials x up to $EPOCHS epochs, $CONCURRENT at a time, training --seed $TRIAL_SEED, sampling seeds $SEEDS"
  want peers && echo "   (Optuna $("$PY" -c 'import optuna; print(optuna.__version__)'), n_jobs=$CONCURRENT, the same binary and thread share)"
  # Per seed, methods back to back; Optuna replaying Glia random's trials right after it, so
  # that the two runs of the same 20 trainings see the same machine.
  for seed in $SEEDS; do
    if want seed-sweep; then
      load
      glia_sweep "$OUT/seed-random.yml" "Glia random (no policy)" "$seed"
      if want peers; then
        "$PY" -c 'import json,sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["method"] == "Glia random (no policy)" and r["seed"] == int(sys.argv[2]): last = line
print(last, end="")' "$SEED_RESULTS" "$seed" >"$OUT/glia-random-$seed.json"
        load
        optuna_sweep random none "$seed" --replay "$OUT/glia-random-$seed.json"
      fi
      for m in bandit:"Glia Bandit" asha:"Glia ASHA" bayesian:"Glia bayesian (TPE, no policy)"; do
        load
        glia_sweep "$OUT/seed-${m%%:*}.yml" "${m#*:}" "$seed"
      done
    fi
    if want peers; then
      for m in tpe:median random:none; do
        load
        optuna_sweep "${m%%:*}" "${m#*:}" "$seed"
      done
    fi
  done
  echo
  "$PY" bench/peers/sweep_report.py seed "$SEED_RESULTS"
fi

# ---- scheduling overhead -------------------------------------------------------------------------
if want overhead; then
  WS=$OUT/overhead-ws
  "$GLIA" workspace init "$WS" >/dev/null
  "$GLIA" -w "$WS" compute update --name local --max-concurrent "$OVERHEAD_CONCURRENT" >/dev/null
  cat >"$OUT/overhead.yml" <<YML
\$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
experiment_name: bench-overhead
compute: local
trial:
  command: "true \${{search_space.x}}"
sampling_algorithm: {type: random, seed: 1}
search_space:
  x: {type: uniform, min_value: 0, max_value: 1}
objective: {primary_metric: m, goal: maximize}
limits: {max_total_trials: 1, max_concurrent_trials: $OVERHEAD_CONCURRENT}
YML
  echo
  echo "== scheduling overhead: sweeps of \`true\` trials, $OVERHEAD_CONCURRENT at a time (compute target $OVERHEAD_CONCURRENT)"
  OVERHEAD_RESULTS=$OUT/overhead.jsonl
  : >"$OVERHEAD_RESULTS"
  for n in $OVERHEAD_TRIALS; do
    load
    "$PY" bench/peers/glia_sweep.py --glia "$GLIA" --workspace "$WS" --file "$OUT/overhead.yml" \
      --label "$n trials" --set "limits.max_total_trials=$n" --poll 2 >>"$OVERHEAD_RESULTS"
  done
  load
  "$PY" bench/peers/sweep_report.py overhead "$OVERHEAD_RESULTS"
fi
