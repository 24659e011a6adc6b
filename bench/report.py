"""Prints the benchmark table and ratios from the JSON lines bench/run.sh collected."""
import json
import os
import statistics
import sys

out = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(out, "speed.jsonl")) if l.strip()]
glia = {r["batch_size"]: r for r in rows if r["peer"] == "glia"}
peers = {r["peer"]: r for r in rows if r["peer"] in ("keras-tf", "torch")}
job = next(r for r in rows if r["peer"] == "glia-job")

print("| what | batch | s/epoch (median) | samples/s | vs Glia |")
print("|---|---|---|---|---|")
for bs, r in sorted(glia.items()):
    print(f"| GEMM+RMSprop floor | {bs} | {r['floor_epoch_s']:.3f} | {60000 / r['floor_epoch_s']:,.0f} | |")
    print(f"| Glia | {bs} | {r['median_epoch_s']:.3f} | {r['samples_per_s']:,.0f} | "
          f"{r['ratio_to_floor']:.2f}x the floor |")
for name, r in peers.items():
    ratio = glia[50]["samples_per_s"] / r["samples_per_s"]
    print(f"| {name} {r.get('version', '')} | {r['batch_size']} | {r['median_epoch_s']:.3f} | "
          f"{r['samples_per_s']:,.0f} | Glia {ratio:.2f}x faster |")
print()
print(f"20-epoch seed job: peak RSS {job['peak_rss_mb']} MB, test accuracy {job['test_accuracy']}; "
      f"`glia --help` {job['help_ms']} ms")
acc_path = os.path.join(out, "acc.jsonl")
if os.path.exists(acc_path):
    acc = [json.loads(l) for l in open(acc_path) if l.strip()]
    for p in ("glia", "keras-tf"):
        vals = [a["acc20"] for a in acc if a["peer"] == p]
        print(f"{p}: test accuracy after 20 epochs, seeds 1-3: {vals}, median {statistics.median(vals):.4f}")
