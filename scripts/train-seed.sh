#!/usr/bin/env bash
# README command 1: install what is needed, build, and train the seed's model (the Azure ML
# sample's Keras MLP) on Fashion-MNIST with the sample's arguments, tracked as a run in the
# workspace ./ws (created on first use; GLIA_WORKSPACE overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
export GLIA_WORKSPACE=${GLIA_WORKSPACE:-$PWD/ws}
[ -f "$GLIA_WORKSPACE/.glia/config.json" ] || ./build/bin/glia workspace init "$GLIA_WORKSPACE"
./build/bin/glia-keras-mnist --data-folder /usr/share/datasets/fashion-mnist \
  --batch-size 50 --first-layer-neurons 300 --second-layer-neurons 100 --learning-rate 0.001 "$@" |
  tee /dev/stderr | sed -n 's/^Run: //p' >"$GLIA_WORKSPACE/.glia/last-run"
echo
./build/bin/glia run show "$(cat "$GLIA_WORKSPACE/.glia/last-run")"
