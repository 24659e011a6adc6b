#!/usr/bin/env bash
# The web view holding a live run for an hour (issue 13, "Performance"; bench/README.md "Web view
# (issue 13)"): the browser test's heap check (tests/browser/test_performance.py,
# test_live_run_heap) with the page held HOLD seconds (default 3600) instead of CI's 60, while a
# job logs a value every LOG_EVERY seconds (default 1: a training's pace; CI logs every 0.1 s).
# The heap after a forced GC is sampled every 10 s into build/artifacts/browser/live-run-heap.json
# and may grow at most MAX_GROWTH_MB (default 2). Builds nothing: uses ./build/bin/glia and the
# venv of scripts/install-selenium.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export GLIA_HEAP_HOLD_S=${HOLD:-3600} GLIA_HEAP_LOG_EVERY_S=${LOG_EVERY:-1}
export GLIA_HEAP_MAX_GROWTH_MB=${MAX_GROWTH_MB:-2} GLIA_PERF_RUNS=${RUNS:-100}
exec bash tests/browser/run.sh build/bin/glia test_performance Performance.test_live_run_heap
