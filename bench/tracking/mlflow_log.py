#!/usr/bin/env python3
"""MLflow's fastest documented way to log many values, for comparison with a Glia job: a run in
a SQLite tracking store (``sqlite:///<dir>/mlflow.db``), then --steps steps of --names metrics
logged with ``MlflowClient().log_batch`` in batches of 1,000 (MLflow's limit per call), then the
run is ended. Timed from the first log_batch call until the run is terminated (log_batch is
synchronous: when it returns, its values are committed and queryable). Prints one JSON line.

    python mlflow_log.py --dir DIR --names 20 --steps 10000
"""
import argparse
import json
import logging
import math
import os
import time
import warnings


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True, help="folder for the SQLite store (and artifacts)")
    ap.add_argument("--names", type=int, default=20)
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=1000)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)

    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    os.makedirs(args.dir, exist_ok=True)
    mlflow.set_tracking_uri("sqlite:///" + os.path.join(os.path.abspath(args.dir), "mlflow.db"))
    client = MlflowClient()
    exp = client.create_experiment("bench", artifact_location="file://" + os.path.abspath(args.dir))
    run_id = client.create_run(exp).info.run_id
    names = ["metric_%d" % i for i in range(args.names)]
    n = args.names * args.steps

    t_first = time.time()
    batch = []
    for s in range(args.steps):
        v = math.exp(-1e-4 * s)
        ts = int(time.time() * 1000)
        for i, name in enumerate(names):
            batch.append(Metric(name, v + 0.01 * i, ts, s))
            if len(batch) == args.batch:
                client.log_batch(run_id, metrics=batch)
                batch = []
    if batch:
        client.log_batch(run_id, metrics=batch)
    t_logged = time.time()
    client.set_terminated(run_id)
    t_done = time.time()

    stored = sum(len(client.get_metric_history(run_id, name)) for name in names)
    assert stored == n, (stored, n)
    print(json.dumps({"client": "mlflow", "version": mlflow.__version__, "n": n,
                      "t_first": t_first, "t_acked": t_logged, "t_done": t_done,
                      "seconds": t_done - t_first, "values_per_s": n / (t_done - t_first)}))


if __name__ == "__main__":
    main()
