#!/usr/bin/env bash
# The Python SDK's three performance targets (issue 18; bench/README.md, "Python SDK (issue 18)"),
# through the real `glia` binary on a fresh folder workspace:
#   import   `import glia` (a fresh interpreter each time): < 100 ms, and neither keras,
#            tensorflow nor numpy in sys.modules afterwards (nor after `from glia import
#            Workspace, Experiment, ScriptRunConfig`);
#   submit   Workspace.from_config() + Experiment.submit() of a trivial job (`true`), warm (the
#            agent already started, one submit done before timing): < 100 ms;
#   metrics  run.get_metrics() of a run holding 100,000 values: < 200 ms.
# Each is the median of N runs (N=20 by default; the minimum and maximum are printed too).
# Prints a table with PASS / MISS; exits non-zero only when something fails to run.
#
#   bash bench/sdk.sh [--bin DIR]      (DIR holding glia; default build/bin)
#
# Knobs (environment): N=20 VALUES=100000 KEEP=1 (keep the temporary workspace).
# Run it on an otherwise idle machine: with 2 cores every other busy process shows in the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/bin
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) [ $# -ge 2 ] || { echo "sdk.sh: --bin needs a folder" >&2; exit 2; }; BIN=$2; shift ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sdk.sh: unknown option '$1' (expected --bin DIR)" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$BIN/glia" ] || { echo "sdk.sh: no $BIN/glia (build it, or give --bin DIR)" >&2; exit 2; }
export GLIA_BIN
GLIA_BIN=$(cd "$BIN" && pwd)/glia
export PYTHONPATH
PYTHONPATH=$(pwd)/clients/python
export N=${N:-20} VALUES=${VALUES:-100000}
WORK=$(mktemp -d /tmp/glia-bench-sdk.XXXXXX)
cleanup() {
  local f
  for f in $(find "$WORK" -path '*/.glia/agent/*/agent.pid' 2>/dev/null); do kill "$(cat "$f")" 2>/dev/null || true; done
  if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT
for v in GLIA_RUN_ID GLIA_TRACKING_FILE GLIA_WORKSPACE GLIA_EXPERIMENT_NAME GLIA_TOKEN; do unset "$v"; done
"$GLIA_BIN" workspace init "$WORK/ws" >/dev/null
mkdir -p "$WORK/src"
cat >"$WORK/src/log.py" <<'PY'
import os
from glia import Run
n = int(os.environ.get("VALUES", "100000"))
Run.get_context().log_list("loss", [i / n for i in range(n)])
PY

echo "glia: $GLIA_BIN ($(python3 --version), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
cd "$WORK/ws"
python3 - <<'PY'
import os, statistics, subprocess, sys, time

N = int(os.environ["N"])
VALUES = int(os.environ["VALUES"])
rows = []


def row(what, samples, target):
    med = statistics.median(samples)
    rows.append((what, med, min(samples), max(samples), target))


# 1. import glia in a fresh interpreter (its own clock around the import)
code = ("import time, sys\nt = time.perf_counter()\nimport glia\nd = time.perf_counter() - t\n"
        "from glia import Workspace, Experiment, ScriptRunConfig, Run\n"
        "heavy = [m for m in ('keras', 'tensorflow', 'numpy') if m in sys.modules]\n"
        "print(d, ','.join(heavy))\n")
samples, heavy = [], set()
for _ in range(N):
    out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, check=True,
                         universal_newlines=True).stdout.split()
    samples.append(float(out[0]) * 1000)
    if len(out) > 1:
        heavy.update(out[1].split(","))
row("import glia" + (" (imports %s!)" % ",".join(sorted(heavy)) if heavy else
                     " (no keras/tensorflow/numpy)"), samples, 100)
heavy_ok = not heavy

# 2. from_config + submit of a trivial job, warm
import glia
from glia import Experiment, ScriptRunConfig, Workspace
src = ScriptRunConfig(os.path.join(os.path.dirname(os.getcwd()), "src"), command="true")
warm = Experiment(Workspace.from_config(), "bench-submit").submit(src)
warm.wait_for_completion()
samples = []
for _ in range(N):
    t = time.perf_counter()
    ws = Workspace.from_config()
    run = Experiment(ws, "bench-submit").submit(src)
    samples.append((time.perf_counter() - t) * 1000)
    run.wait_for_completion()
row("Workspace.from_config() + Experiment.submit() (warm)", samples, 100)

# 3. get_metrics of VALUES values
ws = Workspace.from_config()
run = Experiment(ws, "bench-metrics").submit(ScriptRunConfig(
    os.path.join(os.path.dirname(os.getcwd()), "src"), "log.py"))
run.wait_for_completion()
got = run.get_metrics()
assert len(got["loss"]) == VALUES, len(got["loss"])
samples = []
for _ in range(N):
    t = time.perf_counter()
    run.get_metrics()
    samples.append((time.perf_counter() - t) * 1000)
row("run.get_metrics() of %d values" % VALUES, samples, 200)
cli = []
for _ in range(N):
    t = time.perf_counter()
    subprocess.run([os.environ["GLIA_BIN"], "run", "metrics", run.id, "-o", "json", "--columns"],
                   stdout=subprocess.DEVNULL, check=False)
    cli.append((time.perf_counter() - t) * 1000)
rows.append(("  of which `glia run metrics --columns` alone", statistics.median(cli), min(cli),
             max(cli), None))

print("| what | median ms | min | max | target | |")
print("|---|---|---|---|---|---|")
for what, med, lo, hi, target in rows:
    ok = "" if target is None else ("PASS" if med < target and (heavy_ok or "import" not in what)
                                    else "MISS")
    print("| %s | %.1f | %.1f | %.1f | %s | %s |" % (what, med, lo, hi,
                                                     "< %d ms" % target if target else "", ok))
PY
