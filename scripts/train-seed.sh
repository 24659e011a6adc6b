#!/usr/bin/env bash
# README command 1: install what is needed, build, and train the seed's model (the Azure ML
# sample's Keras MLP) on Fashion-MNIST with the sample's arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
exec ./build/bin/glia-keras-mnist --data-folder /usr/share/datasets/fashion-mnist \
  --batch-size 50 --first-layer-neurons 300 --second-layer-neurons 100 --learning-rate 0.001 "$@"
