#!/usr/bin/env python3
"""Prints bench/sweeps.sh's tables from the JSON lines glia_sweep.py and optuna_sweep.py wrote.

  sweep_report.py overhead RESULTS.jsonl   # scheduling overhead: trials, wall, ms per trial
  sweep_report.py seed RESULTS.jsonl       # the seed's sweep: best accuracy, trial-epochs, wall

The seed tables (one per sampling seed, then the seeds together) compare every method with
"Glia random (no policy)" (trial-epochs saved, best accuracy in points) and check issue 11's
targets: Bandit saves >= 30% of trial-epochs with its best accuracy within 0.5 point; ASHA saves
more than Bandit.
"""
import json
import sys


def rows(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def verdict(ok):
    return "PASS" if ok else "MISS"


def overhead(results):
    print("%-28s %7s %10s %10s %12s  %s" % ("sweep of `true` trials", "trials", "status", "wall (s)",
                                            "ms / trial", "trial statuses"))
    by_n = {}
    for r in results:
        n = r["trials"]
        per = r["wall_s"] * 1000 / n if n else float("nan")
        by_n[n] = r
        print("%-28s %7d %10s %10.2f %12.1f  %s" % (r["method"], n, r["status"], r["wall_s"], per,
                                                    json.dumps(r["trial_statuses"])))
    ns = sorted(by_n)
    if len(ns) >= 2:
        lo, hi = by_n[ns[0]], by_n[ns[-1]]
        marginal = (hi["wall_s"] - lo["wall_s"]) * 1000 / (ns[-1] - ns[0])
        print("marginal cost per trial (%d -> %d trials): %.1f ms" % (ns[0], ns[-1], marginal))
    for n, r in sorted(by_n.items()):
        per = r["wall_s"] * 1000 / n
        print("target: < 50 ms per trial (%d trials): %.1f ms  %s" % (n, per, verdict(per < 50)))
        if n >= 1000:
            print("target: %d trials < 60 s: %.1f s  %s" % (n, r["wall_s"], verdict(r["wall_s"] < 60)))


BASE = "Glia random (no policy)"
ORDER = [BASE, "Glia Bandit", "Glia ASHA", "Glia bayesian (TPE, no policy)",
         "Optuna TPE + MedianPruner", "Optuna random", "Optuna replaying Glia random's trials"]


def in_order(results):
    return sorted(results, key=lambda r: ORDER.index(r["method"]) if r["method"] in ORDER else len(ORDER))


def seed_table(results, title):
    base = next((r for r in results if r["method"] == BASE), None)
    print(title)
    print("%-40s %10s %13s %9s %10s %10s %s" % ("method", "best acc.", "trial-epochs", "saved",
                                                "Δ best", "wall (s)", "stopped early"))
    for r in results:
        saved = delta = ""
        if base and r is not base and base["trial_epochs"]:
            saved = "%.0f%%" % (100 * (1 - r["trial_epochs"] / base["trial_epochs"]))
            if r["best_accuracy"] is not None and base["best_accuracy"] is not None:
                delta = "%+.2f pt" % (100 * (r["best_accuracy"] - base["best_accuracy"]))
        stopped = r.get("early_terminated", r.get("pruned", 0))
        best = "%.4f" % r["best_accuracy"] if r["best_accuracy"] is not None else "-"
        print("%-40s %10s %13d %9s %10s %10.1f %d of %d" % (r["method"], best, r["trial_epochs"], saved,
                                                          delta, r["wall_s"], stopped, r["trials"]))
    return base


def seed(results):
    results = in_order(results)
    seeds = sorted({r.get("seed") for r in results}, key=lambda s: (s is None, s))
    for s in seeds:
        seed_table([r for r in results if r.get("seed") == s], "sampling seed %s:" % s)
        print()
    methods = list(dict.fromkeys(r["method"] for r in results))
    if len(seeds) > 1:  # the sum of trial-epochs and wall times, the mean best accuracy
        total = []
        for m in methods:
            rs = [r for r in results if r["method"] == m]
            accs = [r["best_accuracy"] for r in rs if r["best_accuracy"] is not None]
            total.append({"method": "%s (%d seeds)" % (m, len(rs)) if len(rs) != len(seeds) else m,
                          "best_accuracy": sum(accs) / len(accs) if accs else None,
                          "trial_epochs": sum(r["trial_epochs"] for r in rs),
                          "wall_s": sum(r["wall_s"] for r in rs),
                          "early_terminated": sum(r.get("early_terminated", r.get("pruned", 0)) for r in rs),
                          "trials": sum(r["trials"] for r in rs)})
        seed_table(total, "over the %d seeds %s: best acc. = mean of the seeds' best; trial-epochs, "
                   "wall and stopped = sums" % (len(seeds), ", ".join(map(str, seeds))))
        print()
        results = total
    by = {r["method"]: r for r in results}
    base, bandit, asha = by.get(BASE), by.get("Glia Bandit"), by.get("Glia ASHA")
    if base and bandit:
        saved = 1 - bandit["trial_epochs"] / base["trial_epochs"]
        gap = 100 * (base["best_accuracy"] - bandit["best_accuracy"])
        print("target: Bandit saves >= 30%% of trial-epochs: %.0f%%  %s" % (100 * saved, verdict(saved >= 0.3)))
        print("target: Bandit's best within 0.5 point of no policy: %+.2f pt  %s" % (-gap, verdict(gap <= 0.5)))
    if bandit and asha:
        print("target: ASHA saves more than Bandit: %d vs %d trial-epochs  %s" % (
            asha["trial_epochs"], bandit["trial_epochs"], verdict(asha["trial_epochs"] < bandit["trial_epochs"])))


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("overhead", "seed"):
        sys.exit("usage: sweep_report.py overhead|seed RESULTS.jsonl")
    results = rows(sys.argv[2])
    if not results:
        sys.exit("sweep_report.py: no results in %s" % sys.argv[2])
    (overhead if sys.argv[1] == "overhead" else seed)(results)


if __name__ == "__main__":
    main()
