#!/usr/bin/env bash
# Datasets (issue 4), one command: registering Fashion-MNIST; registering a 1 GB folder of
# 10,000 files (new content, then content already stored) with peak RSS; mounting that
# 10,000-file dataset into a job. Side by side: `cp -r` + `sha256sum` of the same folder.
#   bash bench/datasets/run.sh          (needs ~3 GB free in /tmp; KEEP=1 keeps the folder)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x build/bin/glia ] || bash scripts/build.sh >/dev/null
GLIA=$PWD/build/bin/glia
OUT=$(mktemp -d /tmp/glia-bench-datasets.XXXXXX)
[ "${KEEP:-0}" = 1 ] && echo "keeping $OUT" >&2 || trap 'rm -rf "$OUT"' EXIT
export GLIA_AGENT_IDLE_EXIT=2
python3 - "$GLIA" "$OUT" <<'PY'
import json, os, resource, statistics, subprocess, sys, time
glia, out = sys.argv[1], sys.argv[2]

def run(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw)

def timed(*args):
    t = time.perf_counter(); run(*args); return time.perf_counter() - t

def fresh_ws(name):
    ws = os.path.join(out, name); run(glia, "workspace", "init", ws); return ws

# 1. Fashion-MNIST (4 files, 30 MB), a fresh workspace each time.
fm = [timed(glia, "-w", fresh_ws(f"fm{i}"), "dataset", "create", "--name", "mnist-dataset",
            "--path", "/usr/share/datasets/fashion-mnist/") for i in range(5)]
# 2. 1 GB in 10,000 files of 100 kB (distinct content).
files = os.path.join(out, "files")
rnd = os.urandom(1 << 21)
for i in range(10000):
    d = os.path.join(files, f"d{i // 1000}")
    os.makedirs(d, exist_ok=True)
    off = (i * 104729) % (len(rnd) - 100000)
    with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f:
        f.write(rnd[off:off + 100000])
run("sync")
ws = fresh_ws("big")
before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
new = timed(glia, "-w", ws, "dataset", "create", "--name", "big", "--path", files)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
known = timed(glia, "-w", ws, "dataset", "create", "--name", "big-again", "--path", files)
cp = timed("cp", "-r", files, os.path.join(out, "copy"))
t = time.perf_counter()
subprocess.run(f"find {files} -type f -print0 | xargs -0 cat | sha256sum", shell=True, check=True,
               capture_output=True)
shasum = time.perf_counter() - t
# 3. Mounting the 10,000-file dataset into a job: Preparing -> Starting in its status history.
job = os.path.join(out, "mount.yml")
with open(job, "w") as f:
    f.write("command: test -r ${{inputs.d}}/d9/f09999.bin\n"
            "inputs:\n  d: {type: uri_folder, path: glia:big@latest, mode: ro_mount}\n")
mounts = []
for _ in range(3):
    r = json.loads(run(glia, "-w", ws, "job", "submit", "-f", job, "-o", "json").stdout)["id"]
    run(glia, "-w", ws, "job", "stream", r)
    h = {x["status"]: x["at"] for x in json.loads(run(glia, "-w", ws, "job", "show", r, "-o", "json").stdout)["history"]}
    ts = lambda s: time.mktime(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")) + float(s[19:-1] or 0)
    mounts.append(ts(h["Starting"]) - ts(h["Preparing"]))
store_mb = int(run("du", "-sm", os.path.join(ws, ".glia", "artifacts")).stdout.split()[0])
print(f"""| what | measured | target |
|---|---|---|
| register Fashion-MNIST (4 files, 30 MB), median of 5 | **{statistics.median(fm)*1000:.0f} ms** | < 500 ms |
| register 1 GB / 10,000 files, new content (hash + store + one sync) | **{new:.2f} s** ({1000/new:.0f} MB/s) | |
| register the same 1 GB again (hashing; nothing to store) | **{known:.2f} s** ({1000/known:.0f} MB/s) | ≥ 1 GB/s |
| peak RSS of `glia dataset create` (1 GB) | **{rss/1024:.0f} MB** | < 100 MB |
| mount the 10,000-file dataset into a job (Preparing → Starting), median of 3 | **{statistics.median(mounts)*1000:.0f} ms**, no bytes copied | < 1 s |
| side by side: `cp -r` of the folder | {cp:.2f} s | |
| side by side: `cat … \\| sha256sum` (coreutils, one core) | {shasum:.2f} s ({1000/shasum:.0f} MB/s) | |

(artifact store after both registrations and 3 jobs: {store_mb} MB for 1 GB of data: stored once)""")
PY
