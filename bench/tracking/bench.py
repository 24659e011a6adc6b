#!/usr/bin/env python3
"""Run tracking and jobs, measured end to end through the real CLI and agent (bench/tracking/run.sh).

1. Logging throughput from inside a job: a job logs N values (--names metric names x steps) with
   the C++ client (glia_bench_cpp_logger) or the Python client (py_logger.py). Client rate =
   N / (last value acknowledged - first log call); end-to-end rate = N / (the run's Completed
   time in its status history - first log call): Completed comes after the agent's final
   ingest, so from then on `glia run metrics` returns every value (checked: the count must be
   N). MLflow (mlflow_log.py): the same N values with MlflowClient().log_batch (1,000 per call)
   into a SQLite store, timed until the run is terminated.
2. `glia job list` over --runs finished runs with 10 metric names each (glia_bench_make_runs):
   default limit, and --limit <runs> -o json; wall time of the whole command.
3. Submit -> Running for `command: "true"`: from just before `glia job submit` starts to the
   Running time in the run's status history; cold (no agent: the CLI starts one) and warm.

Every number is a median over --repeat runs (--submits for 3, 5 for the list timings). Writes
results.json into --out and prints it; report.py turns it into the README's tables.
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.path.join(ROOT, "build", "bin")
GLIA = os.path.join(BIN, "glia")
HERE = os.path.join(ROOT, "bench", "tracking")
TERMINAL = ("Completed", "Failed", "Canceled")


def log(msg):
    print("[bench] " + msg, file=sys.stderr, flush=True)


def glia(ws, *args, check=True):
    r = subprocess.run([GLIA, "-w", ws, *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("glia %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
    return r


def iso(s):
    """Unix time of the history's '2026-11-27T09:38:52.742Z' (UTC, milliseconds truncated)."""
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def history(ws, run_id):
    j = json.loads(glia(ws, "job", "show", run_id, "-o", "json").stdout)
    return j["status"], {h["status"]: iso(h["at"]) for h in j["history"]}


def wait_terminal(ws, run_id, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        status, hist = history(ws, run_id)
        if status in TERMINAL:
            return status, hist
        time.sleep(0.01)
    raise RuntimeError("run %s did not end in %d s" % (run_id, timeout))


def agent_running(ws):
    return glia(ws, "agent", "status").stdout.startswith("agent running")


def wait_no_agent(ws, timeout=30):
    end = time.time() + timeout
    while agent_running(ws):
        if time.time() > end:
            raise RuntimeError("the agent did not exit (GLIA_AGENT_IDLE_EXIT not honoured?)")
        time.sleep(0.1)


def init_workspace(path):
    subprocess.run([GLIA, "workspace", "init", path], check=True, capture_output=True)
    return path


def write_job(path, command, experiment, code=None):
    with open(path, "w") as f:
        f.write("command: %s\n" % json.dumps(command))
        if code:
            f.write("code: %s\n" % json.dumps(code))
        f.write("experiment_name: %s\ncompute: local\n" % experiment)
    return path


def med(xs):
    return statistics.median(xs)


# -- 1. logging throughput ---------------------------------------------------------------------

def logging_job(ws, job_file, n):
    """Submits one logging job (--stream, as a user would), returns its measurements."""
    r = subprocess.run([GLIA, "-w", ws, "job", "submit", "-f", job_file, "--stream"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("logging job failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr))
    # "Submitted <id> ..." (stdout or stderr, depending on the CLI version)
    run_id = re.search(r"^Submitted (\S+)", r.stdout + "\n" + r.stderr, re.M).group(1)
    client = json.loads(next(l for l in r.stdout.splitlines() if l.startswith('{"client"')))
    assert client["n"] == n, (client, n)
    status, hist = history(ws, run_id)
    assert status == "Completed", (run_id, status)
    t0 = time.perf_counter()
    metrics = json.loads(glia(ws, "run", "metrics", run_id, "-o", "json").stdout)
    query_s = time.perf_counter() - t0
    stored = sum(len(v) for v in metrics.values())
    assert stored == n, ("run metrics returned %d values, expected %d" % (stored, n))
    first, acked, done = client["t_first"], client["t_acked"], hist["Completed"]
    return {"run": run_id, "n": n, "client_s": acked - first, "e2e_s": done - first,
            "ingest_lag_s": done - acked, "client_values_per_s": n / (acked - first),
            "e2e_values_per_s": n / (done - first), "metrics_query_s": query_s,
            "job_s": hist["Completed"] - hist["Running"]}


def summarize(rows):
    out = {"runs": rows}
    for key in ("client_values_per_s", "e2e_values_per_s", "e2e_s", "client_s", "ingest_lag_s",
                "metrics_query_s"):
        out[key] = med([r[key] for r in rows])
    out["n"] = rows[0]["n"]
    return out


def bench_logging(args, out):
    ws = init_workspace(os.path.join(out, "ws-logging"))
    names = args.names
    cpp_steps, py_steps = args.cpp_n // names, args.py_n // names
    jobs = {
        "glia-cpp": (write_job(os.path.join(out, "cpp.yml"),
                               "%s --names %d --steps %d" % (os.path.join(BIN, "glia_bench_cpp_logger"),
                                                             names, cpp_steps),
                               "bench-cpp"), names * cpp_steps),
        "glia-python": (write_job(os.path.join(out, "py.yml"),
                                  "%s py_logger.py --names %d --steps %d" % (sys.executable, names,
                                                                              py_steps),
                                  "bench-python", code=HERE), names * py_steps),
        "glia-python-nostep": (write_job(os.path.join(out, "py-nostep.yml"),
                                         "%s py_logger.py --names %d --steps %d --no-step"
                                         % (sys.executable, names, py_steps),
                                         "bench-python", code=HERE), names * py_steps),
    }
    result = {}
    for key, (job_file, n) in jobs.items():
        rows = []
        for i in range(args.repeat):
            rows.append(logging_job(ws, job_file, n))
            log("%s #%d: client %.0f values/s, end to end %.0f values/s" % (
                key, i + 1, rows[-1]["client_values_per_s"], rows[-1]["e2e_values_per_s"]))
        result[key] = summarize(rows)

    for key, steps in (("mlflow-cpp-n", cpp_steps), ("mlflow-python-n", py_steps)):
        rows = []
        for i in range(args.repeat):
            d = os.path.join(out, "mlflow-%s-%d" % (key, i))
            r = subprocess.run([args.mlflow_python, os.path.join(HERE, "mlflow_log.py"), "--dir", d,
                                "--names", str(names), "--steps", str(steps)],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError("mlflow_log.py failed: " + r.stderr[-3000:])
            j = json.loads(r.stdout.strip().splitlines()[-1])
            rows.append(j)
            log("%s #%d: %.0f values/s" % (key, i + 1, j["values_per_s"]))
        result[key] = {"n": rows[0]["n"], "version": rows[0]["version"], "runs": rows,
                       "values_per_s": med([r["values_per_s"] for r in rows]),
                       "seconds": med([r["seconds"] for r in rows])}
    return result


# -- 2. job list -------------------------------------------------------------------------------

def time_command(argv, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return times


def bench_job_list(args, out):
    ws = init_workspace(os.path.join(out, "ws-list"))
    r = subprocess.run([os.path.join(BIN, "glia_bench_make_runs"), "-w", ws, "--runs",
                        str(args.runs), "--names", "10"], capture_output=True, text=True, check=True)
    made = json.loads(r.stdout)
    listed = json.loads(glia(ws, "job", "list", "--limit", str(args.runs), "-o", "json").stdout)
    assert len(listed) == args.runs, len(listed)
    default = time_command([GLIA, "-w", ws, "job", "list"], 5)
    full = time_command([GLIA, "-w", ws, "job", "list", "--limit", str(args.runs), "-o", "json"], 5)
    help_ = time_command([GLIA, "--help"], 5)
    db = os.path.join(ws, ".glia", "glia.db")
    log("job list: default %.1f ms, --limit %d -o json %.1f ms" % (
        med(default) * 1e3, args.runs, med(full) * 1e3))
    return {"runs": args.runs, "names_per_run": 10, "create_s": made["create_s"],
            "db_mb": os.path.getsize(db) / 1e6,
            "default_ms": med(default) * 1e3, "default_all_ms": [t * 1e3 for t in default],
            "full_json_ms": med(full) * 1e3, "full_json_all_ms": [t * 1e3 for t in full],
            "glia_help_ms": med(help_) * 1e3}


# -- 3. submit -> Running ----------------------------------------------------------------------

def submit_once(ws, job_file):
    t0 = time.time()
    r = subprocess.run([GLIA, "-w", ws, "job", "submit", "-f", job_file, "-o", "json"],
                       capture_output=True, text=True)
    t1 = time.time()
    if r.returncode != 0:
        raise RuntimeError("submit failed: " + r.stderr)
    run_id = json.loads(r.stdout)["id"]
    status, hist = wait_terminal(ws, run_id)
    assert status == "Completed", (run_id, status)
    return {"run": run_id, "submit_to_running_ms": (hist["Running"] - t0) * 1e3,
            "queued_to_running_ms": (hist["Running"] - hist["Queued"]) * 1e3,
            "cli_ms": (t1 - t0) * 1e3}


def bench_submit(args, out):
    ws = init_workspace(os.path.join(out, "ws-submit"))
    job = write_job(os.path.join(out, "true.yml"), "true", "submit")
    cold, warm = [], []
    for i in range(args.submits):
        wait_no_agent(ws)
        cold.append(submit_once(ws, job))
        log("cold submit #%d: %.1f ms to Running" % (i + 1, cold[-1]["submit_to_running_ms"]))
    # warm: the agent of the last cold submit is still up (it exits GLIA_AGENT_IDLE_EXIT s
    # after its last job); each submit follows the previous job's end within a few ms.
    for i in range(args.submits):
        if not agent_running(ws):
            raise RuntimeError("the agent exited between warm submits; raise GLIA_AGENT_IDLE_EXIT")
        warm.append(submit_once(ws, job))
        log("warm submit #%d: %.1f ms to Running" % (i + 1, warm[-1]["submit_to_running_ms"]))
    wait_no_agent(ws)

    def summary(rows):
        return {"runs": rows,
                "submit_to_running_ms": med([r["submit_to_running_ms"] for r in rows]),
                "queued_to_running_ms": med([r["queued_to_running_ms"] for r in rows]),
                "cli_ms": med([r["cli_ms"] for r in rows]),
                "max_submit_to_running_ms": max(r["submit_to_running_ms"] for r in rows)}
    return {"cold": summary(cold), "warm": summary(warm)}


def busy_processes():
    """Other processes using CPU right now (compilers, tests...), from two /proc samples."""
    def sample():
        ticks = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                with open("/proc/%s/comm" % pid) as f:
                    comm = f.read().strip()
                ticks[pid] = (comm, int(fields[11]) + int(fields[12]))
            except (OSError, IndexError, ValueError):
                pass
        return ticks
    a = sample()
    time.sleep(1.0)
    b = sample()
    busy = []
    for pid, (comm, t) in b.items():
        if pid in a and t - a[pid][1] >= 20 and int(pid) != os.getpid():  # >= 20% of a core
            busy.append("%s(%s): %d%%" % (comm, pid, t - a[pid][1]))
    return busy


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--names", type=int, default=20)
    ap.add_argument("--cpp-n", type=int, default=200000)
    ap.add_argument("--py-n", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=10000)
    ap.add_argument("--submits", type=int, default=5)
    ap.add_argument("--mlflow-python", default=sys.executable)
    ap.add_argument("--only", choices=["logging", "list", "submit"], action="append")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    os.environ.setdefault("GLIA_AGENT_IDLE_EXIT", "2")
    only = set(args.only or ["logging", "list", "submit"])

    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "loadavg_start": os.getloadavg()[0], "busy_at_start": busy_processes(),
                           "agent_idle_exit_s": float(os.environ["GLIA_AGENT_IDLE_EXIT"]),
                           "date": datetime.date.today().isoformat()}}
    if "logging" in only:
        results["logging"] = bench_logging(args, args.out)
    if "list" in only:
        results["job_list"] = bench_job_list(args, args.out)
    if "submit" in only:
        results["submit"] = bench_submit(args, args.out)
    results["machine"]["busy_at_end"] = busy_processes()
    results["machine"]["loadavg_end"] = os.getloadavg()[0]
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
