#!/usr/bin/env bash
# The seed's notebook (examples/notebook/keras-mnist.ipynb) executed headless with nbclient, in
# the venv scripts/install-notebook.sh makes, against a fresh workspace with the real `glia`:
# every cell runs as a user runs it (Workspace.from_config, the dataset, the compute target, the
# Keras 3 environment built from the job's wheels, the training job, RunDetails, the sweep, the
# registered model, the endpoint with the seed's score.py, its keys, its deletion); the notebook's
# last cells assert what it got. A missing venv is a FAILURE, never a skip.
# CI values: 1 epoch, 2 sweep trials (KERAS_MNIST_* below); the environment is built offline
# from .venv-notebook/wheels (PIP_NO_INDEX), so the test never depends on the package index.
# The executed notebook is kept in $GLIA_NOTEBOOK_OUT (default build/artifacts/notebook).
# Usage: run.sh GLIA
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
GLIA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
BIN_DIR=$(dirname "$GLIA")
EXAMPLE="$repo/examples/notebook"
VENV="$repo/.venv-notebook"
python="$VENV/bin/python"
fail() { echo "FAIL: $*" >&2; exit 1; }

if [ ! -x "$python" ] || ! "$python" -c 'import nbclient, nbformat, ipykernel, matplotlib' 2>/dev/null \
    || [ ! -f "$VENV/wheels/.requirements" ]; then
  fail "$VENV is missing, cannot import nbclient/nbformat/ipykernel/matplotlib, or has no wheels: run 'bash scripts/install-notebook.sh'"
fi

# The job environment pins install-keras.sh's Keras 3 + JAX versions and install-notebook.sh's
# matplotlib: one set of versions across the project's Keras tests and this example.
/usr/bin/python3 - "$EXAMPLE/conda_dependencies.yml" "$repo/scripts/install-keras.sh" \
    "$repo/scripts/install-notebook.sh" "$VENV/wheels/.requirements" <<'PY' || exit 1
import re, sys
conda, keras_sh, nb_sh, wheels = (open(p).read() for p in sys.argv[1:])
def pins(text):
    m = re.search(r"^PINS=\((.*?)\)", text, re.M | re.S)
    return {p.strip('"') for p in m.group(1).split()}
pip = set(re.findall(r"^ {6}- (\S+)$", conda, re.M))
want = pins(keras_sh) | {p for p in pins(nb_sh) if p.startswith("matplotlib==")}
if pip != want:
    raise SystemExit("FAIL: conda_dependencies.yml's pip list %s differs from install-keras.sh's pins "
                     "+ install-notebook.sh's matplotlib %s" % (sorted(pip), sorted(want)))
if set(wheels.split()) != pip:
    raise SystemExit("FAIL: .venv-notebook/wheels were downloaded for %s, not %s: run "
                     "'bash scripts/install-notebook.sh'" % (sorted(wheels.split()), sorted(pip)))
PY

WORK=$(mktemp -d)
WS="$WORK/ws"
NB="$WORK/nb"
cleanup() {
  # An endpoint or an agent the notebook left (it failed before service.delete()).
  "$GLIA" -w "$WS" endpoint delete keras-mnist-svc >/dev/null 2>&1 || true
  for f in "$WS"/.glia/agent/*/agent.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

"$GLIA" workspace init "$WS" >/dev/null
mkdir -p "$NB"
cp "$EXAMPLE"/keras-mnist.ipynb "$EXAMPLE"/keras_mnist.py "$EXAMPLE"/utils.py "$EXAMPLE"/score.py \
   "$EXAMPLE"/conda_dependencies.yml "$NB/"
printf '{"glia_workspace": "%s"}\n' "$WS" >"$NB/config.json"

# The SDK and its azureml layer from the build tree, as `glia python-path` prints them.
PYPATH=$("$GLIA" python-path) || fail "glia python-path failed"
OUT_DIR="${GLIA_NOTEBOOK_OUT:-$repo/build/artifacts/notebook}"
mkdir -p "$OUT_DIR"

export GLIA_BIN="$GLIA" PATH="$BIN_DIR:$PATH" PYTHONPATH="$PYPATH"
export KERAS_MNIST_EPOCHS="${KERAS_MNIST_EPOCHS:-1}" KERAS_MNIST_SWEEP_TRIALS="${KERAS_MNIST_SWEEP_TRIALS:-2}"
export KERAS_MNIST_SWEEP_CONCURRENT="${KERAS_MNIST_SWEEP_CONCURRENT:-2}"
export KERAS_MNIST_DATA="${GLIA_EXAMPLE_DATA:-/usr/share/datasets/fashion-mnist}"
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$VENV/wheels"
export MPLBACKEND=Agg PYDEVD_DISABLE_FILE_VALIDATION=1 JUPYTER_PLATFORM_DIRS=1
unset GLIA_WORKSPACE GLIA_TOKEN

(cd "$NB" && "$python" - "$EXAMPLE/keras-mnist.ipynb" "$NB/keras-mnist.ipynb" "$OUT_DIR/keras-mnist.ipynb" <<'PY')
import json, re, sys, time
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellExecutionError
from nbclient.util import ensure_async

repo_copy, path, out = sys.argv[1:]
# The notebook is kept in the repository with its outputs stripped.
for i, cell in enumerate(nbformat.read(repo_copy, as_version=4).cells):
    if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
        raise SystemExit("FAIL: examples/notebook/keras-mnist.ipynb cell %d has outputs: strip them" % i)



class Client(NotebookClient):
    """nbclient applies a display update only while the cell that sent it runs (a message read
    during another cell is dropped); a notebook frontend applies it whenever it comes. RunDetails
    updates its view from a thread, whichever cell runs then: apply every update as JupyterLab
    does (nbclient 0.11's poll loop, plus the else branch)."""

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    return
            elif msg["msg_type"] == "update_display_data":
                self._update_display_id(msg["content"]["transient"]["display_id"], msg)


nb = nbformat.read(path, as_version=4)
client = Client(nb, timeout=600, kernel_name="python3", allow_errors=False,
                        resources={"metadata": {"path": "."}})
times = {}
started = time.monotonic()


def on_start(cell, cell_index, **kw):
    times[cell_index] = time.monotonic()


def on_done(cell, cell_index, **kw):
    print("cell %2d %6.1f s  %s" % (cell_index, time.monotonic() - times[cell_index],
                                    cell.source.splitlines()[0][:70] if cell.source else ""), flush=True)


client.on_cell_start = on_start
client.on_cell_executed = on_done
try:
    client.execute()
except CellExecutionError as e:
    nbformat.write(nb, out)
    failed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
              and any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    print("FAIL: the notebook's cell %s raised (executed notebook: %s):\n%s"
          % (failed[0] if failed else "?", out, re.sub(r"\x1b\[[0-9;]*m", "", str(e))[-4000:]),
          file=sys.stderr)
    raise SystemExit(1)
nbformat.write(nb, out)
print("notebook: executed in %.1f s (%s)" % (time.monotonic() - started, out))

# RunDetails displayed the run, and its view (updated through its display_id) reached the end.
views = []
for cell in nb.cells:
    if cell.cell_type == "code" and "RunDetails(" in cell.source and ".show()" in cell.source:
        html = [o["data"]["text/html"] for o in cell.outputs
                if o.get("output_type") == "display_data" and "text/html" in o.get("data", {})]
        views.append("".join(html))
if len(views) != 2 or not all("glia-run-details" in v for v in views):
    raise SystemExit("FAIL: RunDetails(...).show() displayed no run view: %r" % [v[:200] for v in views])
for v in views:
    if 'data-status="Completed"' not in v:
        raise SystemExit("FAIL: a RunDetails view did not update to Completed: %s" % v[:600])
if "Final test accuracy" not in views[0] or "glia-trials" not in views[1]:
    raise SystemExit("FAIL: the RunDetails views lack the run's metrics or the sweep's trials")
print("notebook: OK")
PY
