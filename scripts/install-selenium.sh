#!/usr/bin/env bash
# Installs Selenium (PyPI) into <repo>/.venv-selenium for the web view's browser tests
# (tests/browser, ctest -L browser). The browser and its driver are Debian's chromium and
# chromium-driver (scripts/install-deps.sh); Selenium is given /usr/bin/chromedriver explicitly, so
# nothing is downloaded at test time. Idempotent: does nothing when the venv already has the
# pinned version. Exits non-zero with one line on failure; the tests then fail, never skip.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="$PWD/.venv-selenium"
VERSION=4.51.0

check() {
  "$VENV/bin/python" - "$VERSION" <<'PY' 2>/dev/null
import importlib.metadata as m
import sys
import selenium.webdriver  # must import
raise SystemExit(0 if m.version("selenium") == sys.argv[1] else 1)
PY
}

if [ -x "$VENV/bin/python" ] && check; then
  echo "install-selenium: $VENV already has selenium==$VERSION"
  exit 0
fi

if ! /usr/bin/python3 -m venv "$VENV" >/tmp/install-selenium-venv.log 2>&1; then
  echo "install-selenium: FAILED to create $VENV (is Debian's python3-venv installed? see /tmp/install-selenium-venv.log)" >&2
  exit 1
fi
echo "install-selenium: installing selenium==$VERSION into $VENV"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q "selenium==$VERSION" \
    >/tmp/install-selenium-pip.log 2>&1; then
  echo "install-selenium: FAILED: pip install selenium==$VERSION did not succeed (log: /tmp/install-selenium-pip.log: $(tail -n 1 /tmp/install-selenium-pip.log))" >&2
  exit 1
fi
if ! check; then
  echo "install-selenium: FAILED: $VENV does not import selenium $VERSION after install" >&2
  exit 1
fi
echo "install-selenium: done"
