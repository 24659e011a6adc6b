#!/usr/bin/env bash
# The Python Keras example end to end, as a user runs it, timed: a fresh workspace, Fashion-MNIST
# registered as mnist-dataset, the conda environment registered and built by the first job
# (tensorflow-cpu 2.15.1 + matplotlib: ~600 MB of wheels, so not in CI), the sample's training
# as a Glia job, its metrics and files, then the model registered with --verify and used by
# `glia predict --verify`.
# Usage: bash examples/python-keras/check.sh [BIN_DIR] [EPOCHS]   (default build/bin, 20)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:-build/bin}" && pwd)
EPOCHS=${2:-20}
DATA=${GLIA_EXAMPLE_DATA:-/usr/share/datasets/fashion-mnist}
WORK=$(mktemp -d)
trap 'for f in "$WORK"/ws/.glia/agent/*/agent.pid; do kill "$(cat "$f" 2>/dev/null)" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
export GLIA_WORKSPACE="$WORK/ws"
glia() { "$BIN/glia" "$@"; }
stamp() { date +%s.%N; }
since() { python3 -c "import sys; print('%.1f s' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(stamp)"; }

T0=$(stamp)
glia workspace init "$WORK/ws" >/dev/null
glia dataset create --name mnist-dataset --description "training and test dataset" --path "$DATA/"
glia environment create --name keras-env --conda-file "$HERE/conda.yml"
T1=$(stamp)
RUN=$(glia job submit -f "$HERE/job.yml" --set inputs.epochs="$EPOCHS" -o json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "== run $RUN"
glia job stream "$RUN" || true
STATUS=$(glia job show "$RUN" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
echo "== $STATUS after $(since "$T1") (build + training)"
[ "$STATUS" = Completed ] || { glia job show "$RUN"; exit 1; }
glia job show "$RUN" -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)
h = {e["status"]: e["at"] for e in d["history"]}
print("history:", ", ".join("%s %s" % (s, h[s][11:23]) for s in ("Queued", "Preparing", "Starting", "Running", "Completed") if s in h))
print("environment:", d["properties"].get("environment"))'
glia run metrics "$RUN"
glia run files "$RUN"
glia model register --name keras-mnist-py --run "$RUN" --path outputs/model --verify
glia predict --model keras-mnist-py@latest --verify --input "$DATA/t10k-images-idx3-ubyte.gz" --limit 10
# A second job reuses the environment: no build in its log.
T2=$(stamp)
RUN2=$(glia job submit -f "$HERE/job.yml" --set inputs.epochs=1 -o json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
glia job stream "$RUN2" >"$WORK/second.log" 2>&1 || true
if grep -q "building environment" "$WORK/second.log"; then echo "the second job built again" >&2; exit 1; fi
echo "== second job (1 epoch, environment reused): $(glia job show "$RUN2" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])') after $(since "$T2")"
echo "== example OK in $(since "$T0")"
