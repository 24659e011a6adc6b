#!/usr/bin/env bash
# Run tracking and jobs, side by side in one command (bench/README.md, "Run tracking and jobs"):
#  1. logging throughput from inside a job, Glia's C++ and Python clients end to end (first log
#     call -> every value queryable in the store) vs MLflow's log_batch into SQLite;
#  2. `glia job list` over 10,000 runs with 10 metric names each;
#  3. submit -> Running of a trivial job, cold (the CLI starts the agent) and warm.
#
#   bash bench/tracking/run.sh [--repeat 3] [--only logging|list|submit] ...   (args: bench.py)
#
# Run it on an otherwise idle machine (results.json records other busy processes). Workspaces
# and stores live in a temporary folder, removed at the end (KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -f build/CMakeCache.txt ]; then
  cmake --build build --target glia_cli glia_python_client glia_bench_cpp_logger \
    glia_bench_make_runs >/dev/null
else
  bash scripts/build.sh >/dev/null
fi
OUT=$(mktemp -d /tmp/glia-bench-tracking.XXXXXX)
[ "${KEEP:-0}" = 1 ] && echo "keeping $OUT" >&2 || trap 'rm -rf "$OUT"' EXIT
bash bench/setup-peers.sh >"$OUT/setup.log" 2>&1 || { cat "$OUT/setup.log" >&2; exit 1; }
PY=bench/.venv/bin/python   # runs the Python jobs, MLflow and the driver: one interpreter
# Agents exit 2 s after going idle, so none lingers after the benchmark.
export GLIA_AGENT_IDLE_EXIT=${GLIA_AGENT_IDLE_EXIT:-2}
"$PY" bench/tracking/bench.py --out "$OUT" "$@" >/dev/null
"$PY" bench/tracking/report.py "$OUT/results.json"
