#!/usr/bin/env python3
"""A job's training script, reduced to its logging: --steps steps of --names scalar metrics each,
through Glia's Python client (``Run.get_context().log``: one os.write per call, so every value is
acknowledged when log() returns). Prints one JSON line: the wall-clock time just before the first
log call and just after the last one returned, for comparison with the run's status history.

    python3 py_logger.py --names 20 --steps 5000 [--no-step]

--no-step logs without step= (Azure's run.log(name, value) idiom: the agent numbers the values).
"""
import argparse
import json
import math
import time

from glia import Run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=20)
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--no-step", action="store_true")
    args = ap.parse_args()
    run = Run.get_context()
    names = ["metric_%d" % i for i in range(args.names)]
    log = run.log
    t_first = time.time()
    if args.no_step:
        for s in range(args.steps):
            v = math.exp(-1e-4 * s)
            for i, name in enumerate(names):
                log(name, v + 0.01 * i)
    else:
        for s in range(args.steps):
            v = math.exp(-1e-4 * s)
            for i, name in enumerate(names):
                log(name, v + 0.01 * i, step=s)
    t_acked = time.time()
    print(json.dumps({"client": "glia-python", "online": run.online, "step": not args.no_step,
                      "n": args.names * args.steps, "t_first": t_first, "t_acked": t_acked}))


if __name__ == "__main__":
    main()
