"""Prints the CNN benchmark's table and ratios from the JSON lines bench/cnn.sh collected.

Usage: python3 bench/cnn_report.py cnn.jsonl
Targets (issue 16): Glia >= 3x Keras + TF and >= 1.5x PyTorch per epoch at equal accuracy
(+-0.5 point), and >= 60% of the oneDNN floor (floor time / Glia time).
"""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
load = {r["when"]: r["loadavg"] for r in rows if r["peer"] == "load"}
runs = {r["peer"]: r for r in rows if r["peer"] not in ("load",)}
glia = runs.get("glia")
frozen = bool(glia and glia.get("frozen_base"))
if frozen:
    print("Fine-tuning: the Conv2D and BatchNormalization layers frozen in every peer (the floor "
          "row is the full model's training, not this one's).\n")

print("| what | batch | s/epoch (median) | samples/s | test accuracy | |")
print("|---|---|---|---|---|---|")
if glia:
    floor = glia["floor_epoch_s"]
    print(f"| oneDNN floor (convolutions + GEMMs) | {glia['batch_size']} | {floor:.3f} | "
          f"{60000 / floor:,.0f} | | |")
    share = "" if frozen else f"{100 * floor / glia['median_epoch_s']:.0f}% of the floor"
    print(f"| **Glia** {glia['version']} | {glia['batch_size']} | **{glia['median_epoch_s']:.3f}** | "
          f"{glia['samples_per_s']:,.0f} | {glia['test_accuracy']:.4f} | {share} |")
for name, label in (("keras-tf", "Keras + TensorFlow"), ("torch", "PyTorch, tuned")):
    r = runs.get(name)
    if not r:
        continue
    note = ""
    if glia:
        ratio = r["median_epoch_s"] / glia["median_epoch_s"]
        gap = 100 * (glia["test_accuracy"] - r["test_accuracy"])
        note = f"Glia {ratio:.2f}x faster, accuracy {gap:+.2f} points"
    print(f"| {label} {r.get('version', '')} | {r['batch_size']} | {r['median_epoch_s']:.3f} | "
          f"{r['samples_per_s']:,.0f} | {r['test_accuracy']:.4f} | {note} |")
print()
for r in runs.values():
    print(f"{r['peer']}: epochs {r.get('epochs')}, epoch seconds {r.get('epoch_seconds')}")
if glia:
    ops = ", ".join(f"{k} {v:.3f}" for k, v in glia["floor_ops_s"].items())
    print(f"floor per epoch (s): {ops}")
print(f"load average at start {load.get('start', '?')}, at end {load.get('end', '?')} "
      f"(threads {glia['threads'] if glia else '?'}; more than that distorts the numbers)")
