#!/usr/bin/env bash
# Side-by-side benchmark of the examples/keras-cnn CNN on Fashion-MNIST: Glia (and the oneDNN
# floor of the model's convolutions and GEMMs), Keras 3 on TensorFlow and tuned PyTorch, with
# the same model, data, batch size, optimizer (Adam 1e-3), epochs and thread count. Reports
# seconds per epoch (median of the epochs after the first), samples/s, the final test accuracy
# and the ratios.
#
#   bash bench/cnn.sh                          # batch 64, 5 epochs, 2 threads
#   EPOCHS=3 BATCH=128 THREADS=2 bash bench/cnn.sh
#   KEEP=1 bash bench/cnn.sh                   # keep the JSON lines (path printed at the end)
#   PEERS_ONLY=1 bash bench/cnn.sh             # Keras and PyTorch only
#   FREEZE_BASE=1 bash bench/cnn.sh            # fine-tuning: convolutions and batch norms frozen
#
# Run it on an otherwise idle machine: with 2 cores any other busy process distorts every
# number (OpenMP pools spin against the intruder); the load average is printed with the table.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
EPOCHS=${EPOCHS:-5}
BATCH=${BATCH:-64}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
bash scripts/install-deps.sh >/dev/null
if [ -z "${PEERS_ONLY:-}" ]; then
  [ -f build/CMakeCache.txt ] || bash scripts/build.sh >/dev/null
  cmake --build build --target glia_bench_cnn >/dev/null
fi
bash bench/setup-peers.sh cnn >/dev/null 2>&1
PY=bench/.venv/bin/python
OUT=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$OUT"' EXIT
peer() {
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" "bench/peers/$1" --data-folder "$DATA" \
    --batch-size "$BATCH" --threads "$THREADS" --epochs "$EPOCHS" "${@:2}" 2>>"$OUT/peers.log"
}
FREEZE=()
[ -z "${FREEZE_BASE:-}" ] || FREEZE=(--freeze-base)
load() { echo "{\"peer\": \"load\", \"when\": \"$1\", \"loadavg\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"; }

load start >>"$OUT/cnn.jsonl"
[ -n "${PEERS_ONLY:-}" ] ||
  ./build/bin/glia_bench_cnn --data-folder "$DATA" --batch-size "$BATCH" --threads "$THREADS" \
    --epochs "$EPOCHS" "${FREEZE[@]}" >>"$OUT/cnn.jsonl"
peer keras_cnn.py "${FREEZE[@]}" >>"$OUT/cnn.jsonl"
peer torch_cnn.py "${FREEZE[@]}" >>"$OUT/cnn.jsonl"
load end >>"$OUT/cnn.jsonl"
"$PY" bench/cnn_report.py "$OUT/cnn.jsonl"
[ -z "${KEEP:-}" ] || echo "results: $OUT"
