#!/usr/bin/env bash
# Data-parallel scaling of the seed's MLP (bench/README.md, "Data-parallel training"):
# 1 rank x 1 thread vs 2 ranks x 1 thread (mpirun), 256 rows per rank per step, Fashion-MNIST.
# Prints each run's JSON line, then the median speed-up of GLIA_BENCH_REPS (3) alternated
# pairs and the allreduce time per step.
# Usage: bench/scaling.sh [BUILD_DIR] [extra glia_bench_scaling flags...]
set -euo pipefail
BUILD=${1:-build}
shift || true
BIN=$BUILD/bin/glia_bench_scaling
[ -x "$BIN" ] || { echo "scaling.sh: $BIN is missing: ninja -C $BUILD glia_bench_scaling" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "scaling.sh: mpirun is missing (openmpi-bin)" >&2; exit 1; }
MPIRUN=(mpirun --oversubscribe --bind-to none)
[ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)
REPS=${GLIA_BENCH_REPS:-3}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
runs=()
for ((i = 0; i < REPS; ++i)); do  # alternated, so a change in load hits both sides
  one=$(GLIA_DISTRIBUTED=0 "$BIN" --threads 1 --batch-per-rank 256 "$@")
  echo "$one"
  two=$("${MPIRUN[@]}" -np 2 "$BIN" --threads 1 --batch-per-rank 256 "$@")
  echo "$two"
  runs+=("$one" "$two")
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "${runs[@]}" <<'PY'
import json, statistics, sys
rows = [json.loads(r) for r in sys.argv[1:]]
ones, twos = rows[0::2], rows[1::2]
ratios = [b["samples_per_s"] / a["samples_per_s"] for a, b in zip(ones, twos)]
med = lambda rs, k: statistics.median(r[k] for r in rs)
b = twos[0]
print(f"speed-up 2 ranks vs 1 (median of {len(ratios)} alternated pairs): "
      f"{statistics.median(ratios):.2f}x (each: {', '.join(f'{r:.2f}' for r in ratios)}; "
      f"{med(ones, 'samples_per_s'):.0f} -> {med(twos, 'samples_per_s'):.0f} samples/s); "
      f"step {med(ones, 'step_ms'):.2f} ms -> {med(twos, 'step_ms'):.2f} ms; "
      f"allreduce per step: {b['allreduce_bytes_per_step']} bytes in {b['buckets']} bucket(s), "
      f"waited {med(twos, 'allreduce_wait_ms'):.3f} ms, span {med(twos, 'allreduce_span_ms'):.3f} ms")
# The link between the ranks, timed by each 2-rank run before and after its epochs: a bare
# blocking allreduce of the same bytes. On a VM it moves with the host, not with Glia.
links = [max(t["link_ms_before"], t["link_ms_after"]) for t in twos]
print("link (bare allreduce of the gradients, slower of before/after) per pair: "
      + ", ".join(f"{l:.3f} ms -> {r:.2f}x" for l, r in zip(links, ratios)))
PY
