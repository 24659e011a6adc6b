#!/usr/bin/env bash
# Installs the peer frameworks for the side-by-side training benchmark into a
# git-ignored venv at bench/.venv. Idempotent: re-running only fills gaps.
#
# Why this layout (only Debian and PyPI are reachable here):
#  * PyTorch comes from Debian (python3-torch 1.13.1, CPU-only, USE_CUDA=OFF,
#    oneDNN on, BLAS via libblas.so.3). PyPI's Linux x86_64 `torch` wheel is
#    the CUDA build: 0.5 GB itself plus ~3 GB of nvidia-*/triton/cuda-* deps,
#    and `--no-deps` fails at import (libtorch_global_deps needs CUDA libs);
#    the CPU-only wheels live on an index we cannot reach.
#    libopenblas0-openmp makes libblas.so.3 OpenBLAS built on GNU OpenMP, the
#    same runtime as torch's ATen pool, so there is one thread pool (with the
#    reference libblas3 torch's GEMMs would be unoptimised).
#  * The venv is made from Debian's /usr/bin/python3 with
#    --system-site-packages so it sees that torch; TensorFlow (CPU-only wheel
#    `tensorflow-cpu`, half the size of `tensorflow`, same CPU kernels) and
#    Keras 3 come from PyPI into the venv. numpy stays <2 because Debian's
#    torch 1.13 was compiled against numpy 1.x.
#  * MLflow (the tracking benchmark's peer, bench/tracking/) comes from PyPI into the same
#    venv, with numpy kept <2: unconstrained, pip would upgrade numpy to 2.x for MLflow's
#    pandas/scipy/pyarrow and break Debian's torch. With the pin every MLflow dependency
#    resolves without touching what TensorFlow, Keras or torch use.
#  * Optuna (the sweeps benchmark's peer, bench/sweeps.sh) comes from PyPI into the same venv,
#    numpy kept <2 for the same reason. `bash bench/setup-peers.sh sweeps` installs only what
#    the sweeps benchmark needs (the venv and Optuna: its trials run Glia's own binary), not
#    torch, TensorFlow or MLflow. `bash bench/setup-peers.sh cnn` installs only what the CNN
#    benchmark (bench/cnn.sh) needs: torch and TensorFlow + Keras, not MLflow or Optuna.
#  * Side effect: installing libopenblas0-openmp switches the system-wide
#    libblas.so.3 alternative to OpenBLAS (Glia itself does not use BLAS).
set -euo pipefail
cd "$(dirname "$0")"
TF_VERSION=2.21.0
MLFLOW_VERSION=3.17.2
OPTUNA_VERSION=5.1.0
fashion_mnist() {
  if ! dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist || {
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; }
  fi
}
MODE=${1:-all}
case "$MODE" in
  all|cnn) ;;
  sweeps)
    if ! dpkg -s python3-venv >/dev/null 2>&1; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv
    fi
    fashion_mnist
    [ -x .venv/bin/python ] || /usr/bin/python3 -m venv --system-site-packages .venv
    if ! .venv/bin/python -c "import optuna; assert optuna.__version__ == '$OPTUNA_VERSION'" 2>/dev/null; then
      .venv/bin/python -m pip install -q "optuna==$OPTUNA_VERSION" "numpy<2"
    fi
    .venv/bin/python -c 'import optuna, numpy; print(f"sweeps peers ready: optuna {optuna.__version__}, numpy {numpy.__version__}")'
    exit 0 ;;
  *) echo "usage: bash bench/setup-peers.sh [all|sweeps|cnn]" >&2; exit 2 ;;
esac

if ! /usr/bin/python3 -c 'import torch' 2>/dev/null ||
   ! dpkg -s libopenblas0-openmp python3-venv >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3-torch libopenblas0-openmp python3-venv
fi
fashion_mnist

[ -x .venv/bin/python ] || /usr/bin/python3 -m venv --system-site-packages .venv
if ! .venv/bin/python -c "import tensorflow as tf, keras; assert tf.__version__ == '$TF_VERSION'" 2>/dev/null; then
  .venv/bin/python -m pip install -q "tensorflow-cpu==$TF_VERSION" "numpy<2"
fi
if [ "$MODE" = cnn ]; then
  .venv/bin/python -c 'import torch, tensorflow as tf, keras, numpy; print(f"cnn peers ready: torch {torch.__version__}, tensorflow {tf.__version__}, keras {keras.__version__}, numpy {numpy.__version__}")'
  exit 0
fi
if ! .venv/bin/python -c "import mlflow; assert mlflow.__version__ == '$MLFLOW_VERSION'" 2>/dev/null; then
  .venv/bin/python -m pip install -q "mlflow==$MLFLOW_VERSION" "numpy<2"
fi
if ! .venv/bin/python -c "import optuna; assert optuna.__version__ == '$OPTUNA_VERSION'" 2>/dev/null; then
  .venv/bin/python -m pip install -q "optuna==$OPTUNA_VERSION" "numpy<2"
fi
.venv/bin/python - <<'PY'
import torch, tensorflow as tf, keras, numpy, mlflow, optuna
print(f"peers ready: torch {torch.__version__}, tensorflow {tf.__version__}, "
      f"keras {keras.__version__}, numpy {numpy.__version__}, mlflow {mlflow.__version__}, "
      f"optuna {optuna.__version__}")
PY
