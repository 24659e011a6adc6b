"""Python side of bench/server.sh (bench/README.md, "Server (issue 12)"): the real `mlflow`
client (bench/.venv-mlflow-server) against `glia server` or `mlflow server`, and /proc readings of
a server's process tree. Every command prints one JSON object on stdout.

  bench.py prepare URI EXPERIMENT        an experiment and one finished run with 10 params, 10
                                         tags and 20 metrics (what `GET runs/get` returns)
  bench.py log URI EXPERIMENT --clients N --seconds S --metrics M
                                         N client processes (each `client` below), started
                                         together once all are ready, each log_batch-ing M
                                         metrics per call into a run of its own for S seconds
  bench.py client URI EXPERIMENT_ID SECONDS METRICS   (one logging process; used by `log`)
  bench.py search URI --repeats R --pages P          search_runs over the experiments exp-*
  bench.py proc PID [--reset-peak]       CPU seconds, VmRSS and VmHWM summed over PID's tree
  bench.py evict PATH...                 drops the files' cached pages (posix_fadvise DONTNEED)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def client_of(uri):
    from mlflow.tracking import MlflowClient

    return MlflowClient(uri)


def prepare(args):
    from mlflow.entities import Metric, Param, RunTag

    c = client_of(args.uri)
    exp = c.create_experiment(args.experiment)
    run = c.create_run(exp, run_name="bench-get")
    now = int(time.time() * 1000)
    c.log_batch(
        run.info.run_id,
        metrics=[Metric(f"metric_{i}", 0.5 + i, now, 0) for i in range(20)],
        params=[Param(f"param_{i}", str(i)) for i in range(10)],
        tags=[RunTag(f"tag_{i}", f"value {i}") for i in range(10)],
    )
    c.set_terminated(run.info.run_id)
    print(json.dumps({"experiment_id": exp, "run_id": run.info.run_id,
                      "artifact_uri": c.get_run(run.info.run_id).info.artifact_uri}))


def client(args):
    """One logging process: make a run, say "ready", wait for "go", log until the deadline."""
    from mlflow.entities import Metric

    c = client_of(args.uri)
    run_id = c.create_run(args.experiment_id).info.run_id
    names = [f"m{i}" for i in range(args.metrics)]
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        sys.exit(1)
    start = time.time()
    cpu0 = time.process_time()  # this client's own CPU while it logs (the import excluded)
    deadline = start + args.seconds
    batches = 0
    latencies = []
    while True:
        t = time.time()
        if t >= deadline:
            break
        ts = int(t * 1000)
        c.log_batch(run_id, metrics=[Metric(n, float(batches), ts, batches) for n in names])
        latencies.append(time.time() - t)
        batches += 1
    end = time.time()
    print(json.dumps({"run_id": run_id, "batches": batches, "start": start, "end": end,
                      "cpu_s": time.process_time() - cpu0, "latencies": latencies}), flush=True)


def log(args):
    c = client_of(args.uri)
    exp = c.create_experiment(args.experiment)
    procs = [
        subprocess.Popen([sys.executable, __file__, "client", args.uri, exp, str(args.seconds),
                          str(args.metrics)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
        for _ in range(args.clients)
    ]
    for p in procs:  # every client imported mlflow and made its run
        if p.stdout.readline().strip() != "ready":
            sys.exit("bench.py log: a client failed before logging")
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = []
    for p in procs:
        out = p.stdout.readline()
        if p.wait() != 0 or not out:
            sys.exit("bench.py log: a client failed while logging")
        results.append(json.loads(out))
    start = min(r["start"] for r in results)
    end = max(r["end"] for r in results)
    batches = sum(r["batches"] for r in results)
    values = batches * args.metrics
    # Every acknowledged batch is in the store: each run's history of m0 has one value a batch.
    for r in results:
        got = len(c.get_metric_history(r["run_id"], "m0"))
        if got != r["batches"]:
            sys.exit(f"bench.py log: run {r['run_id']} has {got} values of m0, "
                     f"{r['batches']} batches were acknowledged")
    lat = sorted(x for r in results for x in r["latencies"])
    print(json.dumps({
        "clients": args.clients, "metrics_per_batch": args.metrics, "batches": batches,
        "values": values, "seconds": end - start, "values_per_s": values / (end - start),
        "client_cpu_s": sum(r["cpu_s"] for r in results),
        "batch_ms_p50": 1000 * lat[len(lat) // 2] if lat else None,
        "batch_ms_p99": 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else None,
    }))


def search(args):
    c = client_of(args.uri)
    exps = [e.experiment_id for e in c.search_experiments(max_results=1000)
            if e.name.startswith("exp-")]
    filt = "metrics.metric_0 > 0.6"
    order = ["metrics.metric_1 DESC"]
    first, later = [], []
    rows = None
    for _ in range(args.repeats):
        token = None
        for page in range(args.pages):
            t = time.time()
            r = c.search_runs(exps, filter_string=filt, order_by=order, max_results=50,
                              page_token=token)
            (first if page == 0 else later).append(time.time() - t)
            if len(r) != 50:
                sys.exit(f"bench.py search: page {page} has {len(r)} runs, expected 50")
            vals = [x.data.metrics["metric_1"] for x in r]
            if vals != sorted(vals, reverse=True) or min(x.data.metrics["metric_0"]
                                                         for x in r) <= 0.6:
                sys.exit("bench.py search: a page is not filtered and ordered as asked")
            rows = len(r)
            token = r.token
    print(json.dumps({
        "experiments": len(exps), "filter": filt, "order_by": order, "page": rows,
        "first_page_ms": 1000 * statistics.median(first),
        "next_page_ms": 1000 * statistics.median(later) if later else None,
        "max_ms": 1000 * max(first + later),
    }))


def tree(pid):
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def proc(args):
    tick = os.sysconf("SC_CLK_TCK")
    cpu = rss = hwm = 0
    pids = tree(args.pid)
    for p in pids:
        try:
            if args.reset_peak:  # "5" resets VmHWM to the current RSS (Linux >= 4.0)
                with open(f"/proc/{p}/clear_refs", "w") as f:
                    f.write("5")
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / tick
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                    elif line.startswith("VmHWM:"):
                        hwm += int(line.split()[1])
        except OSError:
            pass
    print(json.dumps({"pids": len(pids), "cpu_s": cpu, "rss_mb": rss / 1024,
                      "hwm_mb": hwm / 1024}))


def evict(args):
    n = 0
    for root in args.paths:
        walk = [(root, [], [""])] if os.path.isfile(root) else os.walk(root)
        for d, _, files in walk:
            for name in files:
                path = os.path.join(d, name) if name else d
                if not os.path.isfile(path) or os.path.islink(path):
                    continue
                try:
                    fd = os.open(path, os.O_RDONLY)
                except OSError:
                    continue
                try:
                    os.fdatasync(fd)  # dirty pages cannot be dropped
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    n += 1
                finally:
                    os.close(fd)
    print(json.dumps({"evicted_files": n}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("uri")
    p.add_argument("experiment")
    p = sub.add_parser("log")
    p.add_argument("uri")
    p.add_argument("experiment")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--metrics", type=int, default=100)
    p = sub.add_parser("client")
    p.add_argument("uri")
    p.add_argument("experiment_id")
    p.add_argument("seconds", type=float)
    p.add_argument("metrics", type=int)
    p = sub.add_parser("search")
    p.add_argument("uri")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--pages", type=int, default=3)
    p = sub.add_parser("proc")
    p.add_argument("pid", type=int)
    p.add_argument("--reset-peak", action="store_true")
    p = sub.add_parser("evict")
    p.add_argument("paths", nargs="+")
    args = ap.parse_args()
    {"prepare": prepare, "log": log, "client": client, "search": search, "proc": proc,
     "evict": evict}[args.cmd](args)


if __name__ == "__main__":
    main()
