#!/usr/bin/env bash
# README command 2: install what is needed, build with warnings as errors, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/install-keras.sh
bash scripts/install-mlflow.sh
bash scripts/install-schemathesis.sh
bash scripts/install-selenium.sh
bash scripts/install-notebook.sh
bash scripts/build.sh -DGLIA_WERROR=ON
cd build
ctest --output-on-failure --parallel "$(nproc)" --timeout 600
