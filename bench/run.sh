#!/usr/bin/env bash
# Side-by-side benchmark of the seed's MLP: Glia (and its GEMM+update floor) against Keras 3 on
# TensorFlow and tuned PyTorch, same model, optimizer, data, batch size and thread count.
#
#   bash bench/run.sh                 # speed: batch 50 and 256, 2 threads
#   bash bench/run.sh --accuracy      # + final test accuracy after 20 epochs, median of 3 seeds
#
# Run it on an otherwise idle machine: with 2 cores, any other busy process distorts every number.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
EPOCHS=${EPOCHS:-5}
DATA=/usr/share/datasets/fashion-mnist
bash scripts/install-deps.sh >/dev/null
bash scripts/build.sh >/dev/null
bash bench/setup-peers.sh >/dev/null
PY=bench/.venv/bin/python
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
peer() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" "bench/peers/$1" --data-folder "$DATA" "${@:2}" 2>/dev/null; }

for bs in 50 256; do
  ./build/bin/glia_bench_mlp --data-folder "$DATA" --batch-size $bs --threads "$THREADS" --epochs "$EPOCHS" >>"$OUT/speed.jsonl"
done
peer keras_mlp.py --batch-size 50 --threads "$THREADS" --epochs 3 >>"$OUT/speed.jsonl"
peer torch_mlp.py --batch-size 50 --threads "$THREADS" --epochs 3 >>"$OUT/speed.jsonl"

# Peak RSS of the full 20-epoch seed job, and CLI start-up time.
/usr/bin/time -f '%M' -o "$OUT/rss" ./build/bin/glia-keras-mnist --data-folder "$DATA" --batch-size 50 \
  --first-layer-neurons 300 --second-layer-neurons 100 --threads "$THREADS" --verbose 0 >"$OUT/job.txt"
start=$(date +%s%N); for _ in $(seq 100); do ./build/bin/glia --help >/dev/null; done; end=$(date +%s%N)
echo "{\"peer\": \"glia-job\", \"peak_rss_mb\": $(( $(cat "$OUT/rss") / 1024 )), \"help_ms\": $(( (end - start) / 10000000 ))e-1, \"test_accuracy\": $(sed -n 's/^Test accuracy: //p' "$OUT/job.txt")}" >>"$OUT/speed.jsonl"

if [ "${1:-}" = "--accuracy" ]; then
  for seed in 1 2 3; do
    ./build/bin/glia-keras-mnist --data-folder "$DATA" --batch-size 50 --first-layer-neurons 300 \
      --second-layer-neurons 100 --threads "$THREADS" --verbose 0 --seed $seed |
      sed -n "s/^Test accuracy: \(.*\)/{\"peer\": \"glia\", \"seed\": $seed, \"acc20\": \1}/p" >>"$OUT/acc.jsonl"
    peer keras_mlp.py --batch-size 50 --threads "$THREADS" --epochs 20 --seed $seed |
      "$PY" -c "import json,sys; j=json.load(sys.stdin); print(json.dumps({'peer':'keras-tf','seed':$seed,'acc20':j['test_accuracy']}))" >>"$OUT/acc.jsonl"
  done
fi
"$PY" bench/report.py "$OUT"
