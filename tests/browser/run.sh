#!/usr/bin/env bash
# The web view's tests in a real browser (docs/webview.md "Browser tests"): Selenium (PyPI, the
# venv scripts/install-selenium.sh makes) drives Debian's chromium through chromium-driver,
# headless, against a real `glia server` that each test module starts on a workspace it seeds.
# A missing venv, browser or driver is a FAILURE, never a skip.
# Usage: run.sh GLIA MODULE [TEST...]   (MODULE: test_pages or test_performance; TEST: e.g.
# Pages.test_01_auth, to run only those)
# Screenshots and timings go to $GLIA_ARTIFACTS (default: <build>/artifacts/browser).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
GLIA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
module=$2
shift 2
fail() { echo "FAIL: $*" >&2; exit 1; }
python="$repo/.venv-selenium/bin/python"
if [ ! -x "$python" ] || ! "$python" -c 'import selenium.webdriver' 2>/dev/null; then
  fail "$repo/.venv-selenium is missing or cannot import selenium: run 'bash scripts/install-selenium.sh'"
fi
for prog in /usr/bin/chromium /usr/bin/chromedriver; do
  [ -x "$prog" ] || fail "$prog is missing: run 'bash scripts/install-deps.sh' (Debian's chromium, chromium-driver)"
done
export GLIA
export GLIA_ARTIFACTS=${GLIA_ARTIFACTS:-$(dirname "$(dirname "$GLIA")")/artifacts/browser}
mkdir -p "$GLIA_ARTIFACTS"
# Selenium must not look for a driver or browser of its own (nothing can be downloaded).
export SE_OFFLINE=true
cd "$here"
tests=("$module")
[ $# -eq 0 ] || tests=("${@/#/$module.}")
exec "$python" -W ignore -m unittest -v "${tests[@]}"
