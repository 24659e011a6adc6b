#!/usr/bin/env bash
# Runs one tests/keras module with the venv made by scripts/install-keras.sh. A missing venv is a
# FAILURE (exit 1), never a skip: these tests are the proof that Glia's files work in real Keras.
# Usage: run.sh MODULE   (env GLIA and MAKE_SYNTHETIC_MNIST point at the built binaries)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="$repo/.venv-keras/bin/python"
if [ ! -x "$python" ]; then
  echo "FAIL: $repo/.venv-keras is missing: run 'bash scripts/install-keras.sh' (installs Keras 3 + JAX from PyPI)" >&2
  exit 1
fi
export KERAS_BACKEND=jax
if ! "$python" -c 'import keras, h5py, numpy' 2>/dev/null; then
  echo "FAIL: $repo/.venv-keras cannot import keras/h5py/numpy: run 'bash scripts/install-keras.sh'" >&2
  exit 1
fi
cd "$here"
exec "$python" -W ignore::DeprecationWarning -m unittest -v "$@"
