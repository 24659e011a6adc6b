#!/usr/bin/env bash
# Installs schemathesis (PyPI) into <repo>/.venv-schemathesis for the REST API's schema test
# against a live server (tests/e2e/server_api.sh, ctest e2e.server_api). Idempotent: does nothing
# when the venv already has the pinned version. Exits non-zero with one line on failure; the test
# then fails, never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="$PWD/.venv-schemathesis"
VERSION=4.32.5

check() {
  "$VENV/bin/python" - "$VERSION" <<'PY' 2>/dev/null
import importlib.metadata as m, sys
raise SystemExit(0 if m.version("schemathesis") == sys.argv[1] else 1)
PY
}

if [ -x "$VENV/bin/python" ] && check; then
  echo "install-schemathesis: $VENV already has schemathesis==$VERSION"
  exit 0
fi

if ! /usr/bin/python3 -m venv "$VENV" >/tmp/install-schemathesis-venv.log 2>&1; then
  echo "install-schemathesis: FAILED to create $VENV (is Debian's python3-venv installed? see /tmp/install-schemathesis-venv.log)" >&2
  exit 1
fi
echo "install-schemathesis: installing schemathesis==$VERSION into $VENV"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q "schemathesis==$VERSION" \
    >/tmp/install-schemathesis-pip.log 2>&1; then
  echo "install-schemathesis: FAILED: pip install schemathesis==$VERSION did not succeed (log: /tmp/install-schemathesis-pip.log: $(tail -n 1 /tmp/install-schemathesis-pip.log))" >&2
  exit 1
fi
if ! check || ! "$VENV/bin/schemathesis" --version >/dev/null 2>&1; then
  echo "install-schemathesis: FAILED: $VENV has no working schemathesis $VERSION after install" >&2
  exit 1
fi
echo "install-schemathesis: done"
