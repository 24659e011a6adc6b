#!/usr/bin/env bash
# Saving and loading Keras files (issue 5), one command: Glia's save/load of the seed's MLP in
# each format and a 100 MB weights load next to read() of the same file, then Keras 3
# (TensorFlow) doing the same saves and loads of the same model, side by side.
#   bash bench/saving/run.sh        (peers: bash bench/setup-peers.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x build/bin/glia_bench_saving ] || bash scripts/build.sh >/dev/null
build/bin/glia_bench_saving --benchmark_min_time=0.5 2>/dev/null
if [ -x bench/.venv/bin/python ]; then
  bench/.venv/bin/python bench/saving/keras_peer.py 2>/dev/null
else
  echo "(peer skipped: run bash bench/setup-peers.sh for Keras)"
fi
