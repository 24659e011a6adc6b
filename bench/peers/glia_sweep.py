#!/usr/bin/env python3
"""The Glia side of bench/sweeps.sh: submits one sweep through the real CLI and agent, waits
for it to end and prints one JSON object summarizing it.

  glia_sweep.py --glia build/bin/glia --workspace WS --file sweep.yml [--set K=V ...] --label L

Wall time: from just before `glia job submit` starts (the driver's clock) to the sweep's
Completed time in its status history (`glia job show -o json`, milliseconds), so the driver's
polling (every --poll seconds) does not count. Reads `sweep` from `glia job show SWEEP -o json`:
trial_epochs is the sum of every trial's `intervals` (values of the primary metric logged),
best_accuracy the highest `best_metric` of any trial (early-terminated ones included: what a
user can pick from), also checked against the sweep's own `best_metric`.
"""
import argparse
import collections
import datetime
import json
import subprocess
import sys
import time

TERMINAL = ("Completed", "Failed", "Canceled")


def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def glia(args, cli, ws):
    r = subprocess.run([cli, "-w", ws] + args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("glia_sweep: glia %s: exit %d: %s" % (" ".join(args), r.returncode,
                                                        (r.stderr or r.stdout).strip()))
    return r.stdout


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--glia", required=True)
    p.add_argument("--workspace", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--set", action="append", default=[], help="passed to glia job submit")
    p.add_argument("--label", required=True)
    p.add_argument("--seed", type=int, default=None,
                   help="the sampling seed: --set sampling_algorithm.seed=SEED, recorded")
    p.add_argument("--poll", type=float, default=1.0, help="seconds between job shows")
    p.add_argument("--timeout", type=float, default=3600)
    a = p.parse_args()

    submit = ["job", "submit", "-f", a.file, "-o", "json"]
    for s in a.set:
        submit += ["--set", s]
    if a.seed is not None:
        submit += ["--set", "sampling_algorithm.seed=%d" % a.seed]
    t0 = time.time()
    run = json.loads(glia(submit, a.glia, a.workspace))["id"]
    t_submitted = time.time()
    while True:
        time.sleep(a.poll)
        j = json.loads(glia(["job", "show", run, "-o", "json"], a.glia, a.workspace))
        if j["status"] in TERMINAL:
            break
        if time.time() - t0 > a.timeout:
            subprocess.run([a.glia, "-w", a.workspace, "job", "cancel", run], capture_output=True)
            sys.exit("glia_sweep: %s (%s) did not end in %.0f s" % (a.label, run, a.timeout))
    seen = time.time()
    ended = [ts(e["at"]) for e in j.get("history", []) if e.get("status") == j["status"]]
    end = ended[-1] if ended else seen
    sweep = j.get("sweep") or {}
    trials = sweep.get("trials") or []
    bests = [t["best_metric"] for t in trials if t.get("best_metric") is not None]
    statuses = collections.Counter(t["status"] for t in trials)
    out = {
        "method": a.label,
        "seed": a.seed,
        "run": run,
        "status": j["status"],
        "wall_s": round(end - t0, 3),
        "submit_s": round(t_submitted - t0, 3),
        "trials": len(trials),
        "trial_statuses": dict(statuses),
        "early_terminated": sum(1 for t in trials if t.get("early_terminated")),
        "trial_epochs": sum(int(t.get("intervals") or 0) for t in trials),
        "best_accuracy": max(bests) if bests else None,
        "sweep_best_metric": sweep.get("best_metric"),
        "best_trial": sweep.get("best_trial"),
        "records": [{"index": t.get("index"), "id": t.get("id"), "parameters": t.get("parameters"),
                     "status": t.get("status"), "best": t.get("best_metric"),
                     "epochs": t.get("intervals"), "early_terminated": t.get("early_terminated")}
                    for t in trials],
    }
    if j["status"] != "Completed":
        out["error"] = j.get("error")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
