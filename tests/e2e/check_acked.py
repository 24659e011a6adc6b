#!/usr/bin/env python3
"""Checks that every batch log_batch_client.py saw acknowledged is stored: each of its steps with
its value, in `glia run metrics RUN --name m -o json` output.
Usage: check_acked.py METRICS_JSON ACKED_FILE"""
import json, sys
j = json.load(open(sys.argv[1]))
points = j if isinstance(j, list) else j.get("m", j.get("points", j))
got = {}
for p in points:
    got.setdefault(int(p["step"]), set()).add(float(p["value"]))
acked = [int(line) for line in open(sys.argv[2]).read().split()[1:]]
missing = [20 * b + i for b in acked for i in range(20) if float(20 * b + i) not in got.get(20 * b + i, set())]
assert not missing, f"missing steps {missing[:10]} of {len(missing)}"
