#!/usr/bin/env python3
"""Online throughput of the Python client (clients/python/glia).

Logs N values with run.log() to a tracking file in a temporary folder, exactly as inside a Glia
job (GLIA_RUN_ID / GLIA_TRACKING_FILE set), and prints one JSON object: values per second, each
value acknowledged (its line written with os.write before log() returns). Also times
run.log(step=...) and run.log_list() (values per second of a 1,000-value list), then checks that
the file holds one well-formed line per record.

    python3 bench/python_client_throughput.py [--n 200000] [--repeat 3] [--dir DIR]

--dir puts the tracking file on another filesystem (the default is tempfile's, often /tmp).
The best of --repeat runs is reported (the usual way to read a micro-benchmark on a shared box).
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python"))

from glia.run import Run  # noqa: E402


def one_run(folder, n, mode):
    path = os.path.join(folder, "tracking-%s.jsonl" % mode)
    open(path, "w").close()
    run = Run.from_environment({"GLIA_RUN_ID": "bench", "GLIA_TRACKING_FILE": path,
                                "GLIA_SCRATCH_DIR": folder})
    log = run.log
    t0 = time.perf_counter()
    if mode == "log":
        for i in range(n):
            log("loss", i * 0.001)
    elif mode == "log_step":
        for i in range(n):
            log("loss", i * 0.001, step=i)
    elif mode == "log_list":
        chunk = [i * 0.001 for i in range(1000)]
        for _ in range(n // 1000):
            run.log_list("loss", chunk)
    seconds = time.perf_counter() - t0
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    assert lines[-1] == b"", "tracking file does not end with a newline"
    values = 0
    for line in lines[:-1]:
        record = json.loads(line)
        values += len(record["values"]) if record["kind"] == "list" else 1
    expected = n if mode != "log_list" else (n // 1000) * 1000
    assert values == expected, (values, expected)
    size = os.path.getsize(path)
    os.unlink(path)
    return expected / seconds, size


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200000, help="values per measurement")
    ap.add_argument("--repeat", type=int, default=3, help="measurements per mode (best kept)")
    ap.add_argument("--dir", default=None, help="folder for the tracking file")
    args = ap.parse_args()
    result = {"n": args.n, "python": platform.python_version(), "cpu_count": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="glia-bench-", dir=args.dir) as folder:
        result["dir"] = folder
        for mode in ("log", "log_step", "log_list"):
            best, size = 0.0, 0
            for _ in range(args.repeat):
                rate, size = one_run(folder, args.n, mode)
                best = max(best, rate)
            result[mode + "_values_per_s"] = round(best)
            result[mode + "_bytes_per_value"] = round(size / args.n, 1)
    result["values_per_s"] = result["log_values_per_s"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
