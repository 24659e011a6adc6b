#!/usr/bin/env bash
# Installs what the seed's notebook (examples/notebook/keras-mnist.ipynb) needs to run headless in
# CI (tests/notebook/run.sh, ctest notebook.seed), into <repo>/.venv-notebook:
#   - the notebook's kernel and runner from PyPI: nbclient, nbformat, ipykernel, and what the
#     notebook's own cells import (matplotlib, numpy, requests);
#   - .venv-notebook/wheels: the wheels of the job environment the notebook registers
#     (examples/notebook/conda_dependencies.yml's pip list: install-keras.sh's Keras 3 + JAX pins
#     and matplotlib), so the test builds that environment offline (PIP_NO_INDEX=1,
#     PIP_FIND_LINKS=this folder) in seconds and never depends on the index at test time.
# Idempotent: does nothing when the venv has the pinned versions and the wheels are there. Exits
# non-zero with one line on failure; the test then fails, never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="$PWD/.venv-notebook"
WHEELS="$VENV/wheels"
CONDA_FILE="$PWD/examples/notebook/conda_dependencies.yml"
PINS=(nbclient==0.11.0 nbformat==5.11.1 ipykernel==7.4.0 jupyter_client==8.10.0
      matplotlib==3.11.2 numpy==2.4.6 requests==2.34.2)

# The job environment's pip requirements, one a line, as the conda file lists them.
job_requirements() {
  /usr/bin/python3 - "$CONDA_FILE" <<'PY'
import re, sys
reqs, in_pip = [], False
for line in open(sys.argv[1]):
    if re.match(r"^\s*-\s*pip:\s*$", line):
        in_pip = True
        continue
    m = re.match(r"^\s+-\s+(\S.*?)\s*$", line)
    if in_pip and m and not line.lstrip().startswith("#"):
        reqs.append(m.group(1).strip("'\""))
    elif in_pip and not line.startswith((" ", "\t")) and line.strip():
        in_pip = False
if not reqs:
    raise SystemExit("install-notebook: no pip list in %s" % sys.argv[1])
print("\n".join(reqs))
PY
}

check() {
  "$VENV/bin/python" - "${PINS[@]}" <<'PY' 2>/dev/null || return 1
import importlib.metadata as m
import sys
import nbclient, nbformat, ipykernel, matplotlib, numpy, requests  # must import
bad = [p for p in sys.argv[1:] if m.version(p.split("==")[0]) != p.split("==")[1]]
raise SystemExit(1 if bad else 0)
PY
  # The wheels were downloaded for exactly this requirement list.
  [ -f "$WHEELS/.requirements" ] && [ "$(cat "$WHEELS/.requirements")" = "$(job_requirements)" ]
}

REQS=$(job_requirements)
if [ -x "$VENV/bin/python" ] && check; then
  echo "install-notebook: $VENV already has ${PINS[*]} and the job environment's wheels"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ] && ! /usr/bin/python3 -m venv "$VENV" >/tmp/install-notebook-venv.log 2>&1; then
  echo "install-notebook: FAILED to create $VENV (is Debian's python3-venv installed? see /tmp/install-notebook-venv.log)" >&2
  exit 1
fi
echo "install-notebook: installing ${PINS[*]} into $VENV"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q "${PINS[@]}" \
    >/tmp/install-notebook-pip.log 2>&1; then
  echo "install-notebook: FAILED: pip install ${PINS[*]} did not succeed (log: /tmp/install-notebook-pip.log: $(tail -n 1 /tmp/install-notebook-pip.log))" >&2
  exit 1
fi
echo "install-notebook: downloading the job environment's wheels ($(echo "$REQS" | tr '\n' ' ')) into $WHEELS"
rm -rf "$WHEELS.tmp"
mkdir -p "$WHEELS.tmp"
echo "$REQS" >"$WHEELS.tmp/requirements.txt"
if ! "$VENV/bin/python" -m pip download --disable-pip-version-check -q -d "$WHEELS.tmp" \
    --only-binary=:all: -r "$WHEELS.tmp/requirements.txt" >/tmp/install-notebook-wheels.log 2>&1; then
  echo "install-notebook: FAILED: pip download of the job environment did not succeed (log: /tmp/install-notebook-wheels.log: $(tail -n 1 /tmp/install-notebook-wheels.log))" >&2
  exit 1
fi
echo "$REQS" >"$WHEELS.tmp/.requirements"
rm -rf "$WHEELS"
mv "$WHEELS.tmp" "$WHEELS"
if ! check; then
  echo "install-notebook: FAILED: $VENV does not import the pinned versions after install" >&2
  exit 1
fi
echo "install-notebook: done"
