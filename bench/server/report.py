"""Tables and targets (issue 12, "Performance") from bench/server.sh's results.jsonl."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]


def get(server, part):
    return [r for r in rows if r["server"] == server and r["part"] == part]


def one(server, part):
    r = get(server, part)
    return r[0] if r else None


servers = [s for s in ("glia", "glia-nodelay", "mlflow") if any(r["server"] == s for r in rows)]
label = {"glia": "Glia", "glia-nodelay": "Glia + TCP_NODELAY shim", "mlflow": "mlflow server"}
targets = []  # (what, measured, ok)

mlog = one("mlflow", "logging")
if any(get(s, "logging") for s in servers):
    r0 = next(one(s, "logging") for s in servers if one(s, "logging"))
    print(f"\nLogging: {r0['clients']} client processes, MlflowClient().log_batch of "
          f"{r0['metrics_per_batch']} metrics each call, {r0['seconds']:.0f} s")
    print("| server | values | values/s | log_batch p50 / p99 (ms) | server CPU (s) | "
          "server CPU per 100k values (s) | clients' CPU per 100k values (s) | "
          "vs mlflow: values/s (server CPU per value) |")
    print("|---|---|---|---|---|---|---|---|")
    notes = []
    for s in servers:
        r = one(s, "logging")
        if not r:
            continue
        per = 1e5 * r["server_cpu_s"] / r["values"]
        ratio = ""
        if mlog and s != "mlflow":
            mper = 1e5 * mlog["server_cpu_s"] / mlog["values"]
            ratio = (f"**{r['values_per_s'] / mlog['values_per_s']:.1f}×** "
                     f"({mper / per:.0f}× less)")
        cper = 1e5 * r["client_cpu_s"] / r["values"] if "client_cpu_s" in r else float("nan")
        print(f"| {label[s]} | {r['values']:,} | **{r['values_per_s']:,.0f}** | "
              f"{r['batch_ms_p50']:.1f} / {r['batch_ms_p99']:.1f} | {r['server_cpu_s']:.1f} | "
              f"{per:.2f} | {cper:.2f} | {ratio} |")
        if mlog and s != "mlflow" and "client_cpu_s" in r and "client_cpu_s" in mlog:
            # Clients and server share the cores: a value costs the clients' CPU plus the
            # server's. Even a server costing nothing could beat mlflow's by at most this.
            m_total = (mlog["server_cpu_s"] + mlog["client_cpu_s"]) / mlog["values"]
            ceiling = m_total / (r["client_cpu_s"] / r["values"])
            notes.append(f"{label[s]}: with the clients on the same cores, a server costing nothing "
                  f"would log at most {ceiling:.1f}× mlflow's rate here (each value costs the "
                  f"clients {1e5 * r['client_cpu_s'] / r['values']:.2f} s per 100k; with mlflow's "
                  f"server, {1e5 * m_total:.2f} s in all).")
        if mlog and s != "mlflow":
            x = r["values_per_s"] / mlog["values_per_s"]
            targets.append((f"logging, {r['clients']} clients: ≥ 20× mlflow server ({label[s]})",
                            f"{x:.1f}×", x >= 20))

    for n in notes:
        print("\n" + n)

if any(get(s, "get") for s in servers):
    print("\nGET /api/2.0/mlflow/runs/get, paced by wrk (latency from request write to response)")
    print("| server | requests | rate (/s) | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for s in servers:
        r = one(s, "get")
        if not r:
            continue
        print(f"| {label[s]} | {r['requests']:,} | {r['rate']:.1f} | {r['p50_ms']:.2f} | "
              f"{r['p90_ms']:.2f} | **{r['p99_ms']:.2f}** | {r['max_ms']:.1f} | "
              f"{r['non_2xx'] + r['socket_errors']} |")
        if s != "mlflow":
            targets.append((f"GET a run: p99 < 5 ms at 200/s ({label[s]})",
                            f"{r['p99_ms']:.2f} ms", r["p99_ms"] < 5 and r["rate"] >= 190))

art = [(s, one(s, "artifacts")) for s in servers if one(s, "artifacts")]
if art:
    mb = art[0][1]["mb"]
    print(f"\nArtifact of {mb} MB through the mlflow-artifacts proxy (curl; upload timed to a "
          f"`sync -f` of the server's folder; download with the server's files' pages dropped), "
          f"each against dd of the same file on the same filesystem just before (write "
          f"conv=fsync; read with its pages dropped)")
    print("| server | dd write MB/s | upload s | MB/s | of dd | dd read MB/s | download s | "
          "MB/s | of dd | peak RSS growth up / down (MB) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for s, r in art:
        w, rd = mb / r["dd_write_s"], mb / r["dd_read_s"]
        up, down = mb / r["up_s"], mb / r["down_s"]
        print(f"| {label[s]} | {w:.0f} | {r['up_s']:.2f} | {up:.0f} | **{100 * up / w:.0f}%** | "
              f"{rd:.0f} | {r['down_s']:.2f} | {down:.0f} | **{100 * down / rd:.0f}%** | "
              f"{r['up_rss_growth_mb']:.1f} / {r['down_rss_growth_mb']:.1f} |")
        if s != "mlflow":
            targets.append((f"artifact upload ≥ 50% of disk ({label[s]})",
                            f"{100 * up / w:.0f}%", up >= 0.5 * w))
            targets.append((f"artifact download ≥ 50% of disk ({label[s]})",
                            f"{100 * down / rd:.0f}%", down >= 0.5 * rd))
            g = max(r["up_rss_growth_mb"], r["down_rss_growth_mb"])
            targets.append((f"server RSS growth < 64 MB ({label[s]})", f"{g:.1f} MB", g < 64))

srch = [r for r in rows if r["part"] == "search"]
if srch:
    print(f"\nsearch_runs on Glia ({srch[0].get('store', 'SQLite')}): filter `metrics.metric_0 > 0.6`, order by "
          "`metrics.metric_1 DESC`, pages of 50, runs in 10 experiments, all searched")
    print("| server | runs | first page (ms, median) | next pages (ms, median) | slowest (ms) |")
    print("|---|---|---|---|---|")
    for r in srch:
        print(f"| {label[r['server']]} | {r['runs']:,} | **{r['first_page_ms']:.0f}** | "
              f"{r['next_page_ms']:.0f} | {r['max_ms']:.0f} |")
        targets.append((f"search, {r['runs']:,} runs: < 100 ms a page ({label[r['server']]}, "
                        f"{r.get('store', 'SQLite')}; the issue asks PostgreSQL)",
                        f"{max(r['first_page_ms'], r['next_page_ms'] or 0):.0f} ms",
                        max(r["first_page_ms"], r["next_page_ms"] or 0) < 100))

if targets:
    print("\n| target (issue 12) | measured | |\n|---|---|---|")
    for what, got, ok in targets:
        print(f"| {what} | {got} | {'PASS' if ok else 'MISS'} |")
