#!/usr/bin/env python3
"""Prints the tables of bench/README.md's "Run tracking and jobs" from bench.py's results.json.

    python3 bench/tracking/report.py OUT/results.json
"""
import json
import sys


def ok(cond):
    return "**yes**" if cond else "**no**"


def main():
    r = json.load(open(sys.argv[1]))
    m = r["machine"]
    print("Machine: %d CPUs, Python %s, load average %.2f at start, %.2f at end; busy processes "
          "at start: %s; at end: %s" % (m["cpus"], m["python"], m["loadavg_start"],
                                       m["loadavg_end"], ", ".join(m["busy_at_start"]) or "none",
                                       ", ".join(m["busy_at_end"]) or "none"))
    print()
    if "logging" in r:
        lg = r["logging"]
        print("| client | values | client rate (values/s) | end to end (values/s) | "
              "first log → Completed | vs MLflow (end to end) | target |")
        print("|---|---|---|---|---|---|---|")
        rows = [("Glia C++ (`RunLogger`, batched)", "glia-cpp", "mlflow-cpp-n", 100000),
                ("Glia Python (`run.log(name, v, step=s)`)", "glia-python", "mlflow-python-n", 20000),
                ("Glia Python (`run.log(name, v)`, no step)", "glia-python-nostep",
                 "mlflow-python-n", 20000)]
        for label, key, peer, target in rows:
            g, p = lg[key], lg[peer]
            ratio = g["e2e_values_per_s"] / p["values_per_s"]
            print("| %s | %s | %s | **%s** | %.2f s | **%.1f×** (client rate %.0f×) | ≥ %s/s: %s; "
                  "≥ 20× MLflow: %s |" % (
                      label, format(g["n"], ","), format(round(g["client_values_per_s"]), ","),
                      format(round(g["e2e_values_per_s"]), ","), g["e2e_s"], ratio,
                      g["client_values_per_s"] / p["values_per_s"], format(target, ","),
                      ok(g["e2e_values_per_s"] >= target), ok(ratio >= 20)))
        for key in ("mlflow-cpp-n", "mlflow-python-n"):
            p = lg[key]
            print("| MLflow %s `log_batch` (1,000/call), SQLite | %s | | %s | %.2f s | | |" % (
                p["version"], format(p["n"], ","), format(round(p["values_per_s"]), ","),
                p["seconds"]))
        print()
        for key in ("glia-cpp", "glia-python", "glia-python-nostep"):
            g = lg[key]
            print("- %s: client %.3f s, agent finished ingesting %.3f s after the last "
                  "acknowledged value; `glia run metrics -o json` of all %s values: %.0f ms" % (
                      key, g["client_s"], g["ingest_lag_s"], format(g["n"], ","),
                      g["metrics_query_s"] * 1e3))
        print()
    if "job_list" in r:
        jl = r["job_list"]
        print("| `glia job list` over %s runs × %d metric names | median of 5 | all 5 (ms) | "
              "target < 200 ms |" % (format(jl["runs"], ","), jl["names_per_run"]))
        print("|---|---|---|---|")
        print("| default (50 newest, table) | **%.1f ms** | %s | %s |" % (
            jl["default_ms"], ", ".join("%.1f" % t for t in jl["default_all_ms"]),
            ok(jl["default_ms"] < 200)))
        print("| `--limit %d -o json > /dev/null` | **%.1f ms** | %s | %s |" % (
            jl["runs"], jl["full_json_ms"], ", ".join("%.1f" % t for t in jl["full_json_all_ms"]),
            ok(jl["full_json_ms"] < 200)))
        print()
        print("(store %.1f MB, filled in %.1f s by glia_bench_make_runs; `glia --help` %.1f ms)" % (
            jl["db_mb"], jl["create_s"], jl["glia_help_ms"]))
        print()
    if "submit" in r:
        s = r["submit"]
        print("| `command: \"true\"` | submit → Running (median) | max | Queued → Running | "
              "`job submit` CLI | target < 300 ms |")
        print("|---|---|---|---|---|---|")
        for key, label in (("cold", "cold (no agent: the CLI starts it)"),
                           ("warm", "warm (agent running)")):
            x = s[key]
            print("| %s, %d submits | **%.1f ms** | %.1f ms | %.1f ms | %.1f ms | %s |" % (
                label, len(x["runs"]), x["submit_to_running_ms"], x["max_submit_to_running_ms"],
                x["queued_to_running_ms"], x["cli_ms"], ok(x["submit_to_running_ms"] < 300)))


if __name__ == "__main__":
    main()
