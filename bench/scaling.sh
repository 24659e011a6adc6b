#!/usr/bin/env bash
# Data-parallel scaling of the seed's MLP (bench/README.md, "Data-parallel training"):
# 1 rank x 1 thread vs 2 ranks x 1 thread (mpirun), 256 rows per rank per step, Fashion-MNIST.
# Prints each run's JSON line, then the speed-up and the allreduce time per step.
# Usage: bench/scaling.sh [BUILD_DIR] [extra glia_bench_scaling flags...]
set -euo pipefail
BUILD=${1:-build}
shift || true
BIN=$BUILD/bin/glia_bench_scaling
[ -x "$BIN" ] || { echo "scaling.sh: $BIN is missing: ninja -C $BUILD glia_bench_scaling" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "scaling.sh: mpirun is missing (openmpi-bin)" >&2; exit 1; }
MPIRUN=(mpirun --oversubscribe --bind-to none)
[ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
one=$(GLIA_DISTRIBUTED=0 "$BIN" --threads 1 --batch-per-rank 256 "$@")
echo "$one"
two=$("${MPIRUN[@]}" -np 2 "$BIN" --threads 1 --batch-per-rank 256 "$@")
echo "$two"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$one" "$two" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"speed-up 2 ranks vs 1: {b['samples_per_s'] / a['samples_per_s']:.2f}x "
      f"({a['samples_per_s']:.0f} -> {b['samples_per_s']:.0f} samples/s); "
      f"step {a['step_ms']:.2f} ms -> {b['step_ms']:.2f} ms; "
      f"allreduce per step: {b['allreduce_bytes_per_step']} bytes in {b['buckets']} bucket(s), "
      f"waited {b['allreduce_wait_ms']:.3f} ms, span {b['allreduce_span_ms']:.3f} ms")
PY
