#!/usr/bin/env bash
# Installs the real MLflow client (mlflow-skinny from PyPI: tracking, artifacts and registry
# clients, no server) into <repo>/.venv-mlflow for the MLflow-compatibility tests (tests/mlflow,
# ctest -L mlflow). Idempotent: does nothing when the venv already has the pinned version. Exits
# non-zero with one line on failure; the tests then fail, never skip.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="$PWD/.venv-mlflow"
VERSION=3.18.0
PINS=("mlflow-skinny==$VERSION")

check() {
  "$VENV/bin/python" - "$VERSION" <<'PY' 2>/dev/null
import importlib.metadata as m
import sys
import mlflow  # must import
raise SystemExit(0 if m.version("mlflow-skinny") == sys.argv[1] else 1)
PY
}

if [ -x "$VENV/bin/python" ] && check; then
  echo "install-mlflow: $VENV already has ${PINS[*]}"
  exit 0
fi

if ! /usr/bin/python3 -m venv "$VENV" >/tmp/install-mlflow-venv.log 2>&1; then
  echo "install-mlflow: FAILED to create $VENV (is Debian's python3-venv installed? see /tmp/install-mlflow-venv.log)" >&2
  exit 1
fi
echo "install-mlflow: installing ${PINS[*]} into $VENV"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q "${PINS[@]}" \
    >/tmp/install-mlflow-pip.log 2>&1; then
  echo "install-mlflow: FAILED: pip install ${PINS[*]} did not succeed (log: /tmp/install-mlflow-pip.log: $(tail -n 1 /tmp/install-mlflow-pip.log))" >&2
  exit 1
fi
if ! check; then
  echo "install-mlflow: FAILED: $VENV does not import mlflow-skinny $VERSION after install" >&2
  exit 1
fi
echo "install-mlflow: done"
