#!/usr/bin/env bash
# Installs the peer of the server benchmark (bench/server.sh): the full `mlflow` package from PyPI
# (server and client: Flask/FastAPI app, uvicorn, SQLAlchemy, alembic) into the git-ignored venv
# bench/.venv-mlflow-server. Idempotent: does nothing when the venv already has the pinned version.
#
# Why a venv of its own: bench/.venv (setup-peers.sh) is built around Debian's torch and keeps
# numpy < 2 for it; the server peer needs none of that, and the project's client venv
# (.venv-mlflow, scripts/install-mlflow.sh) holds only mlflow-skinny, which has no server.
# Why 3.17.2: the tests pin the client at 3.18.0, but PyPI as reachable here has no
# mlflow-tracing 3.18.0, which mlflow 3.18.0 requires; 3.17.2 is the newest full mlflow that
# installs (the same version bench/tracking measures). The benchmark's clients are this venv's
# mlflow 3.17.2 too, against both servers.
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv-mlflow-server
VERSION=3.17.2
check() { "$VENV/bin/python" -c "import mlflow, sys; sys.exit(mlflow.__version__ != '$VERSION')" 2>/dev/null; }
if [ -x "$VENV/bin/mlflow" ] && check; then
  echo "setup-mlflow-server: bench/$VENV has mlflow $VERSION"
  exit 0
fi
if ! dpkg -s python3-venv >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv
fi
[ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --disable-pip-version-check -q "mlflow==$VERSION"
check || { echo "setup-mlflow-server: bench/$VENV does not import mlflow $VERSION after install" >&2; exit 1; }
echo "setup-mlflow-server: installed mlflow $VERSION into bench/$VENV"
