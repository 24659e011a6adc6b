#!/usr/bin/env bash
# The three performance targets of environments (issue 10), side by side in one command, through
# the real CLI, agent, pip and package index:
#   1. a built environment: submit → Running within 1.2× of the same job without an environment;
#   2. a first build from a warm pip cache within 1.2× of `python3 -m venv e && e/bin/pip install
#      -r requirements.txt` by hand on the same spec;
#   3. four jobs submitted at once on one new environment build it exactly once.
# Usage: bash bench/environments.sh [BIN_DIR]   (BIN_DIR: where glia is, default build/bin).
# N (default 10): jobs each way in 1; REPS (default 3): builds each way in 2. Prints PASS/MISS per
# target; exits non-zero only when something fails. Needs pip's index (PyPI, or PIP_INDEX_URL /
# pip.conf: pip and glia's builds run with this environment). Run it on an idle machine.
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
GLIA="$BIN/glia"
N=${N:-10}
REPS=${REPS:-5}
WORK=$(mktemp -d)
export GLIA_AGENT_IDLE_EXIT=${GLIA_AGENT_IDLE_EXIT:-30}
stop_agents() {
  local f
  for f in "$WORK"/*/.glia/agent/*/agent.pid; do
    if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
  done
}
trap 'stop_agents; rm -rf "$WORK"' EXIT
die() { echo "error: $*" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
now() { date +%s.%N; }
minus() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) - float(sys.argv[2])))" "$1" "$2"; }

PY3=$(command -v python3)
echo "machine: $(nproc) cores; $(uptime | sed 's/^ *//')"
echo "python3 (first on PATH, what glia's builds and the manual side use): $PY3 ($("$PY3" -V 2>&1))"
echo "pip: $("$PY3" -m pip -V 2>/dev/null | cut -d' ' -f1-2); PIP_* here: $(env | grep -c '^PIP_' || true)"

WS="$WORK/ws"
"$GLIA" workspace init "$WS" >/dev/null
ENVS="$WS/.glia/envs"

# ---- 1. submit → Running: a built environment vs none -------------------------------------------
printf 'six==1.17.0\n' >"$WORK/req-six.txt"
"$GLIA" -w "$WS" environment create --name six --pip-requirements "$WORK/req-six.txt" >/dev/null
"$GLIA" -w "$WS" environment build six:1 >"$WORK/six-build.log" 2>&1 || die "building six:1: $(tail -3 "$WORK/six-build.log")"
SIXHASH=$("$GLIA" -w "$WS" environment show six:1 -o json | json 'd["build_hash"]')
printf 'command: python3 -c pass\nexperiment_name: plain\n' >"$WORK/a.yml"
printf 'command: python -c pass\nenvironment: glia:six@latest\nexperiment_name: withenv\n' >"$WORK/b.yml"
echo
echo "== 1. submit -> Running, $N jobs each way, interleaved, agent warm (one untimed job each first)"
uptime
python3 - "$GLIA" "$WS" "$WORK/a.yml" "$WORK/b.yml" "$N" "$ENVS/$SIXHASH" >"$WORK/t1.txt" <<'PY'
import datetime, json, os, statistics, subprocess, sys, time
glia, ws, a_yml, b_yml, n, link = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]

def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()

def show(run):
    r = subprocess.run([glia, "-w", ws, "job", "show", run, "-o", "json"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("error: job show %s: %s" % (run, r.stderr.strip()))
    return json.loads(r.stdout)

def once(yml):
    t0 = time.time()
    r = subprocess.run([glia, "-w", ws, "job", "submit", "-f", yml, "-o", "json"], capture_output=True, text=True)
    t1 = time.time()
    if r.returncode != 0:
        sys.exit("error: submit %s: %s" % (yml, r.stderr.strip()))
    run = json.loads(r.stdout)["id"]
    time.sleep(0.1)  # jobs take ~0.1 s; polling meanwhile would compete with the agent
    end = time.time() + 60
    while True:
        j = show(run)
        if j["status"] in ("Completed", "Failed", "Canceled"):
            break
        if time.time() > end:
            sys.exit("error: run %s did not end in 60 s" % run)
        time.sleep(0.02)
    if j["status"] != "Completed":
        sys.exit("error: run %s %s: %s" % (run, j["status"], j.get("error")))
    h = {e["status"]: ts(e["at"]) for e in j["history"]}
    log = subprocess.run([glia, "-w", ws, "job", "stream", run], capture_output=True, text=True).stdout
    if "building environment" in log:
        sys.exit("error: run %s built its environment (it was built before)" % run)
    return {"run": run, "total": (h["Running"] - t0) * 1e3, "cli": (t1 - t0) * 1e3,
            "queued": (h["Queued"] - t0) * 1e3, "q_prep": (h["Preparing"] - h["Queued"]) * 1e3,
            "prep_start": (h["Starting"] - h["Preparing"]) * 1e3,
            "start_run": (h["Running"] - h["Starting"]) * 1e3}

once(a_yml), once(b_yml)  # warm-up: the agent starts; nothing timed
rows = {"A": [], "B": []}
for i in range(n):
    rows["A"].append(once(a_yml))
    rows["B"].append(once(b_yml))
med = {k: statistics.median(r["total"] for r in v) for k, v in rows.items()}
names = {"A": "A  no environment, python3 -c pass", "B": "B  six:1 built,   python -c pass"}
print("%-36s %8s %8s   %s" % ("", "median", "max", "each (ms, submit -> Running)"))
for k, v in rows.items():
    print("%-36s %6.1f ms %6.1f   %s" % (names[k], med[k], max(r["total"] for r in v),
                                       " ".join("%.0f" % r["total"] for r in v)))
print("  where the time goes (medians, ms): submit CLI returns | t0->Queued | Queued->Preparing | Preparing->Starting | Starting->Running")
for k, v in rows.items():
    m = lambda f: statistics.median(r[f] for r in v)
    print("  %s  %6.1f | %6.1f | %6.1f | %6.1f | %6.1f" % (k, m("cli"), m("queued"), m("q_prep"), m("prep_start"), m("start_run")))
# What the agent pays to find a built environment: built_environment() is a stat of
# <envs>/<hash>/glia-environment.json and a realpath of the link (same calls from Python).
k = 20000
t = time.perf_counter()
for _ in range(k):
    os.stat(os.path.join(link, "glia-environment.json"))
    os.path.realpath(link)
lookup_us = (time.perf_counter() - t) / k * 1e6
print("  hash lookup (stat of the marker + realpath of the link, from Python): %.1f us" % lookup_us)
ratio = med["B"] / med["A"]
print("RATIO1 %.2f %.1f %.1f" % (ratio, med["A"], med["B"]))
PY
grep -v '^RATIO1' "$WORK/t1.txt"
read -r _ R1 _ _ < <(grep '^RATIO1' "$WORK/t1.txt")

# ---- 2. first build from a warm pip cache vs venv + pip by hand ----------------------------------
printf 'requests==2.34.2\npyyaml==6.0.4\nnumpy==2.4.6\n' >"$WORK/req-three.txt"
"$GLIA" -w "$WS" environment create --name three --pip-requirements "$WORK/req-three.txt" >/dev/null
THASH=$("$GLIA" -w "$WS" environment show three:1 -o json | json 'd["build_hash"]')
echo
echo "== 2. first build, warm pip cache: $(tr '\n' ' ' <"$WORK/req-three.txt")(with their dependencies), $REPS reps each way, alternating"
manual() {  # manual DIR: by hand, as a user would; sets MV, MP (venv, pip seconds), MT (both)
  local t0 t1 t2
  t0=$(now)
  "$PY3" -m venv "$1" || die "manual: python3 -m venv failed"
  t1=$(now)
  "$1/bin/pip" install -r "$WORK/req-three.txt" >"$WORK/manual.log" 2>&1 ||
    die "manual install: $(tail -3 "$WORK/manual.log")"
  t2=$(now)
  MV=$(minus "$t1" "$t0") MP=$(minus "$t2" "$t1") MT=$(minus "$t2" "$t0")
}
# glia_build REP: the build, its output stamped with the time since its start (phases).
glia_build() {
  local t0
  t0=$(now)
  "$GLIA" -w "$WS" environment build three:1 --force -o json 2>&1 | python3 -c '
import sys, time
t0 = float(sys.argv[1])
for line in sys.stdin:
    sys.stdout.write("%.3f %s" % (time.time() - t0, line))' "$t0" >"$WORK/g$1.out"
  [ "${PIPESTATUS[0]}" = 0 ] || die "glia environment build: $(tail -3 "$WORK/g$1.out")"
  GW+=("$(minus "$(now)" "$t0")")
}
manual "$WORK/warm" # warms pip's cache (downloads, and wheels built from sources if any); untimed
echo "   installed: $("$WORK/warm/bin/pip" freeze | tr '\n' ' ')"
rm -rf "$WORK/warm"
uptime
M=() G=() GW=()
manual_rep() {
  rm -rf "$WORK/e"
  sync # what the previous install left dirty is not this one's to write
  manual "$WORK/e"
  M+=("$MT")
}
glia_rep() {
  # a first build each time: the previous one removed (untimed); --force as well
  rm -rf "${ENVS:?}/$THASH" "$ENVS/builds/$THASH"-*
  sync
  glia_build "$1"
}
for ((i = 1; i <= REPS; i++)); do # alternating, and which goes first too
  if ((i % 2)); then manual_rep; glia_rep "$i"; else glia_rep "$i"; manual_rep; fi
  cut -d' ' -f2- "$WORK/g$i.out" | sed -n '/^{/,$p' | json 'd["built"]' | grep -qx True || die "rep $i did not build"
  G+=("$(cut -d' ' -f2- "$WORK/g$i.out" | sed -n '/^{/,$p' | json '"%.2f" % d["seconds"]')")
  # phases: up to "[glia] building" (the CLI, finding interpreters), venv (up to "[glia] pip
  # install"), pip (up to pip's "Successfully installed"), the rest (pip's exit, marker, publish,
  # the CLI's exit)
  P=$(awk '/\[glia\] building/ && !a {a=$1} /\[glia\] pip install/ && !b {b=$1}
           /^[0-9.]+ Successfully installed/ {c=$1} END {printf "start %.2f, venv %.2f, pip %.2f, rest %.2f", a, b-a, c-b, t-c}' t="${GW[-1]}" "$WORK/g$i.out")
  echo "   rep $i: manual ${M[-1]} s (venv $MV, pip $MP)   glia ${G[-1]} s, whole command ${GW[-1]} s ($P)"
done
grep -m1 '\[glia\] building' "$WORK/g1.out" | cut -d' ' -f2- | sed 's/^/   glia: /'
read -r R2 MM GM GWM < <(python3 -c '
import statistics, sys
m, g, gw = (list(map(float, a.split())) for a in sys.argv[1:4])
mm, gm, gwm = statistics.median(m), statistics.median(g), statistics.median(gw)
print("%.2f %.2f %.2f %.2f" % (gwm / mm, mm, gm, gwm))' "${M[*]}" "${G[*]}" "${GW[*]}")
echo "   median: manual $MM s, glia $GM s (its \"seconds\"), whole command $GWM s"

# ---- 3. four jobs at once on one new environment: one build --------------------------------------
WS3="$WORK/ws3"
"$GLIA" workspace init "$WS3" >/dev/null
"$GLIA" -w "$WS3" compute create --name quad --max-concurrent 4 >/dev/null
printf 'six==1.17.0\npyyaml==6.0.4\n' >"$WORK/req-four.txt"
"$GLIA" -w "$WS3" environment create --name four --pip-requirements "$WORK/req-four.txt" >/dev/null
FHASH=$("$GLIA" -w "$WS3" environment show four:1 -o json | json 'd["build_hash"]')
cat >"$WORK/four.yml" <<'YML'
command: python -c "import six, yaml; print('ok', yaml.__version__)"
environment: glia:four@latest
compute: quad
experiment_name: four
YML
echo
echo "== 3. four jobs submitted at once on one new environment ($(tr '\n' ' ' <"$WORK/req-four.txt")), compute quad (--max-concurrent 4)"
uptime
t0=$(now)
for i in 1 2 3 4; do
  "$GLIA" -w "$WS3" job submit -f "$WORK/four.yml" -o json >"$WORK/sub$i.json" 2>"$WORK/sub$i.err" &
done
wait
IDS=()
for i in 1 2 3 4; do IDS+=("$(json 'd["id"]' <"$WORK/sub$i.json")") || die "submit $i: $(cat "$WORK/sub$i.err")"; done
for id in "${IDS[@]}"; do
  "$GLIA" -w "$WS3" job stream "$id" >"$WORK/log-$id" 2>&1 || true
  s=$("$GLIA" -w "$WS3" job show "$id" -o json | json 'd["status"]')
  [ "$s" = Completed ] || die "job $id: $s: $("$GLIA" -w "$WS3" job show "$id" -o json | json 'd["error"]')"
done
T3=$(minus "$(now)" "$t0")
BUILT=0
for id in "${IDS[@]}"; do
  grep -q '^ok ' "$WORK/log-$id" || die "job $id did not run in the environment: $(cat "$WORK/log-$id")"
  if grep -q '\[glia\] building environment' "$WORK/log-$id"; then BUILT=$((BUILT + 1)); b=built; else b=reused; fi
  "$GLIA" -w "$WS3" job show "$id" -o json | python3 -c '
import datetime, json, sys
j = json.load(sys.stdin)
ts = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
h = {e["status"]: ts(e["at"]) for e in j["history"]}
print("   %s %-7s Queued -> Running %5.2f s, Running -> Completed %5.2f s" % (
    j["id"], sys.argv[1], h["Running"] - h["Queued"], h["Completed"] - h["Running"]))' "$b"
done
FOLDERS=0
for d in "$WS3/.glia/envs/builds/$FHASH"-*; do [ -d "$d" ] && FOLDERS=$((FOLDERS + 1)); done
echo "   logs with \"[glia] building environment\": $BUILT; build folders of $FHASH: $FOLDERS; all four Completed $T3 s after the first submit"

# ---- Summary ----------------------------------------------------------------------------------
verdict() { python3 -c "import sys; print('PASS' if float(sys.argv[1]) <= 1.2 else 'MISS')" "$1"; }
echo
echo "== targets"
echo "1. built environment, submit -> Running within 1.2x of none: ratio $R1  $(verdict "$R1")"
echo "2. first build (warm cache) within 1.2x of venv + pip by hand: ratio $R2 (whole command; \"seconds\": $(python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$GM" "$MM"))  $(verdict "$R2")"
if [ "$BUILT" = 1 ] && [ "$FOLDERS" = 1 ]; then v3=PASS; else v3=MISS; fi
echo "3. four jobs at once, one new environment: $BUILT build(s), $FOLDERS folder(s)  $v3"
