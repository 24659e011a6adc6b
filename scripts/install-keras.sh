#!/usr/bin/env bash
# Installs real Keras 3 (JAX CPU backend) into <repo>/.venv-keras for the "proof against real
# Keras" tests (tests/keras, ctest -L keras). Idempotent: does nothing when the venv already has
# the pinned versions. Exits non-zero with one line on failure; the tests then fail, never skip.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="$PWD/.venv-keras"
PINS=(keras==3.15.1 "jax[cpu]==0.10.2" h5py==3.16.0 numpy==2.4.6)

export KERAS_BACKEND=jax

check() {
  "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m
import keras  # must import with the JAX backend
want = {"keras": "3.15.1", "jax": "0.10.2", "jaxlib": "0.10.2", "h5py": "3.16.0", "numpy": "2.4.6"}
bad = [k for k, v in want.items() if m.version(k) != v]
raise SystemExit(1 if bad else 0)
PY
}

if [ -x "$VENV/bin/python" ] && check; then
  echo "install-keras: $VENV already has ${PINS[*]}"
  exit 0
fi

if ! /usr/bin/python3 -m venv "$VENV" >/tmp/install-keras-venv.log 2>&1; then
  echo "install-keras: FAILED to create $VENV (is Debian's python3-venv installed? see /tmp/install-keras-venv.log)" >&2
  exit 1
fi
echo "install-keras: installing ${PINS[*]} into $VENV"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q "${PINS[@]}" \
    >/tmp/install-keras-pip.log 2>&1; then
  echo "install-keras: FAILED: pip install ${PINS[*]} did not succeed (log: /tmp/install-keras-pip.log: $(tail -n 1 /tmp/install-keras-pip.log))" >&2
  exit 1
fi
if ! check; then
  echo "install-keras: FAILED: $VENV does not import the pinned versions after install" >&2
  exit 1
fi
echo "install-keras: done"
