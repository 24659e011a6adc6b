#!/usr/bin/env bash
# Installs the peers of the scoring-endpoint benchmark (bench/endpoints.sh) from PyPI into the
# git-ignored venv bench/.venv-endpoints. Idempotent: does nothing when the venv already has the
# pinned versions.
#   * mlflow 3.17.2 (`mlflow models serve`, its pyfunc scoring server on uvicorn): the newest full
#     mlflow that installs here (bench/setup-mlflow-server.sh says why not 3.18.0).
#   * keras 3.15.1 (the Keras the project's tests use, scripts/install-keras.sh) with two
#     backends: TensorFlow (tensorflow-cpu 2.21.0, as bench/setup-peers.sh; it pins h5py 3.14.0)
#     for MLflow, whose exported-model format (a SavedModel served by model.serve) needs it and
#     whose pyfunc server fails concurrent requests on JAX (bench/README.md, "Scoring
#     endpoints"); JAX 0.10.2 (CPU) for the seed's score.py, where it is the faster of the two.
#   * azureml-inference-server-http 1.5.1 (`azmlinfsrv`: Flask on gunicorn), Azure ML's server
#     for a score.py with init()/run(raw_data). azureml-core is not installed: score.py's one use
#     of it, Model.get_model_path, comes from bench/endpoints/azureml_shim (see there).
# TensorFlow Serving's model server is not on PyPI (only its client API, tensorflow-serving-api):
# it is not a peer here.
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv-endpoints
PINS=(mlflow==3.17.2 keras==3.15.1 tensorflow-cpu==2.21.0 "jax[cpu]==0.10.2" h5py==3.14.0 azureml-inference-server-http==1.5.1)
check() {
  "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m
want = {"mlflow": "3.17.2", "keras": "3.15.1", "tensorflow-cpu": "2.21.0", "jax": "0.10.2",
        "jaxlib": "0.10.2", "h5py": "3.14.0", "azureml-inference-server-http": "1.5.1"}
raise SystemExit(1 if any(m.version(k) != v for k, v in want.items()) else 0)
PY
}
if [ -x "$VENV/bin/azmlinfsrv" ] && [ -x "$VENV/bin/mlflow" ] && check; then
  echo "setup-endpoint-peers: bench/$VENV has ${PINS[*]}"
  exit 0
fi
if ! dpkg -s python3-venv >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv
fi
[ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv "$VENV"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q "${PINS[@]}" >/tmp/setup-endpoint-peers.log 2>&1; then
  echo "setup-endpoint-peers: pip install ${PINS[*]} failed (log: /tmp/setup-endpoint-peers.log: $(tail -n 1 /tmp/setup-endpoint-peers.log))" >&2
  exit 1
fi
check || { echo "setup-endpoint-peers: bench/$VENV does not have ${PINS[*]} after install" >&2; exit 1; }
echo "setup-endpoint-peers: installed ${PINS[*]} into bench/$VENV"
