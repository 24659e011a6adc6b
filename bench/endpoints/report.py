"""Tables of bench/endpoints.sh from its results.jsonl: each server's numbers, Glia's ratios to
each peer, and issue 14's targets (PASS / MISS). Servers not measured are left out; the targets
need Glia's rows (and MLflow's for the throughput ratio)."""
import argparse
import json
import statistics
import sys

NAMES = {"glia": "**Glia**", "mlflow": "mlflow models serve (exported SavedModel)",
         "mlflow-keras": "mlflow models serve (.keras, model.predict)",
         "azureml": "azureml-inference-server + score.py"}
PEERS = ["mlflow", "mlflow-keras", "azureml"]


def fmt(v, digits=2):
    if v is None:
        return "–"
    if isinstance(v, float) and v >= 1000:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("results")
    p.add_argument("--rate", type=float, default=1000)
    p.add_argument("--connections", type=int, default=16)
    a = p.parse_args()
    r = {}
    for line in open(a.results):
        d = json.loads(line)
        r.setdefault(d["server"], {})[d["part"]] = d
    servers = [s for s in ["glia"] + PEERS if s in r]
    if not servers:
        print("report.py: no results", file=sys.stderr)
        return 1

    def get(s, part, key):
        return r.get(s, {}).get(part, {}).get(key)

    def start_ms(s):
        st = get(s, "start", "starts_s")
        return statistics.median(st) * 1000 if st else None

    print()
    print(f"| server | throughput, {a.connections} conn., 1 row (req/s) | at {a.rate:,.0f}/s: rate reached | p50 / p99 (ms) "
          "| 100 rows: p50 / p99 (ms) | 100 rows: model time per request (ms) | start, median (ms) | RSS after the load (peak) (MB) | errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for s in servers:
        errs = sum((get(s, part, "non_2xx") or 0) + (get(s, part, "socket_errors") or 0)
                   for part in ("throughput", "paced", "rows100"))
        st = get(s, "start", "starts_s") or []
        model = get(s, "rows100", "model_per_request_ms")
        if model is None:
            model = get(s, "rows100", "model_mean_ms")
        if s == "glia" and get(s, "rows100", "model_time_metric") is None and "rows100" in r.get(s, {}):
            model_txt = "not in /metrics"
        else:
            model_txt = fmt(model, 3) if model is not None else ("–" if s == "glia" else "n/a")
        print(f"| {NAMES[s]} | {fmt(get(s, 'throughput', 'rate'), 0)} | {fmt(get(s, 'paced', 'rate'), 1)} "
              f"| {fmt(get(s, 'paced', 'p50_ms'))} / {fmt(get(s, 'paced', 'p99_ms'))} "
              f"| {fmt(get(s, 'rows100', 'p50_ms'))} / {fmt(get(s, 'rows100', 'p99_ms'))} | {model_txt} "
              f"| {fmt(start_ms(s), 0)} ({', '.join(f'{x * 1000:,.0f}' for x in st)}) "
              f"| {fmt(get(s, 'rss', 'rss_mb'), 1)} ({fmt(get(s, 'rss', 'hwm_mb'), 1)}) | {errs} |")
    for s in servers:
        procs = get(s, "rss", "processes") or []
        if len(procs) > 1:
            print(f"\n{NAMES[s].strip('*')} processes: " +
                  ", ".join(f"{q['name']} {q['rss_mb']:.0f} MB" for q in procs))
    if "glia" in r and get("glia", "create", "create_to_healthy_s") is not None:
        print(f"\nGlia `endpoint create` -> Healthy in `endpoint show`: "
              f"{get('glia', 'create', 'create_to_healthy_s') * 1000:,.0f} ms")

    # The classes every server gave the same 100 rows.
    classes = {s: get(s, "classes", "classes") for s in servers if get(s, "classes", "classes")}
    if len(classes) > 1:
        ref_name, ref = next(iter(classes.items()))
        for s, c in list(classes.items())[1:]:
            same = sum(x == y for x, y in zip(c, ref))
            note = "" if same == len(ref) else "  <-- DIFFERENT"
            print(f"classes of the 100 rows, {s} vs {ref_name}: {same}/{len(ref)} agree{note}")

    if "glia" in r and any(peer in r for peer in PEERS):
        print()
        print("| Glia / peer | throughput (×, higher is better) | p99 at the paced rate (× lower) "
              "| 100-row p50 (× lower) | start (× faster) | RSS (× less) |")
        print("|---|---|---|---|---|---|")
        for peer in PEERS:
            if peer not in r:
                continue

            def ratio(num, den):
                return None if not num or not den else num / den
            print(f"| Glia / {NAMES[peer]} "
                  f"| {fmt(ratio(get('glia', 'throughput', 'rate'), get(peer, 'throughput', 'rate')), 1)} "
                  f"| {fmt(ratio(get(peer, 'paced', 'p99_ms'), get('glia', 'paced', 'p99_ms')), 1)} "
                  f"| {fmt(ratio(get(peer, 'rows100', 'p50_ms'), get('glia', 'rows100', 'p50_ms')), 1)} "
                  f"| {fmt(ratio(start_ms(peer), start_ms('glia')), 1)} "
                  f"| {fmt(ratio(get(peer, 'rss', 'rss_mb'), get('glia', 'rss', 'rss_mb')), 1)} |")

    if "glia" in r:
        print()
        print("| target (issue 14) | measured | holds |")
        print("|---|---|---|")

        def verdict(ok):
            return "–" if ok is None else ("PASS" if ok else "**MISS**")
        g_tp, m_tp = get("glia", "throughput", "rate"), get("mlflow", "throughput", "rate")
        x = g_tp / m_tp if g_tp and m_tp else None
        print(f"| ≥ 10× MLflow's throughput, {a.connections} connections, 1 row (its exported model) | "
              f"{fmt(x, 1) + '×' if x else 'not measured'} ({fmt(g_tp, 0)} vs {fmt(m_tp, 0)} req/s) "
              f"| {verdict(None if x is None else x >= 10)} |")
        k_tp = get("mlflow-keras", "throughput", "rate")
        if g_tp and k_tp:
            print(f"| (the same, MLflow's default .keras model) | {fmt(g_tp / k_tp, 1)}× "
                  f"({fmt(g_tp, 0)} vs {fmt(k_tp, 0)} req/s) | {verdict(g_tp / k_tp >= 10)} |")
        p99, rate = get("glia", "paced", "p99_ms"), get("glia", "paced", "rate")
        ok = None if p99 is None else (p99 < 2 and rate >= 0.98 * a.rate)
        print(f"| p99 < 2 ms, 1 row at {a.rate:,.0f} req/s | {fmt(p99, 3)} ms at {fmt(rate, 1)} req/s | {verdict(ok)} |")
        mt = get("glia", "rows100", "model_per_request_ms")
        if mt is None:
            mt = get("glia", "rows100", "model_mean_ms")
        print(f"| 100-row request < 1 ms of model time | "
              f"{'mean ' + fmt(mt, 3) + ' ms' if mt is not None else 'no model-time histogram in /metrics'}"
              f" (whole request p50 {fmt(get('glia', 'rows100', 'p50_ms'), 3)} ms) "
              f"| {verdict(None if mt is None else mt < 1)} |")
        sm = start_ms("glia")
        print(f"| start (process up → ready) < 200 ms | {fmt(sm, 1)} ms (median) | {verdict(None if sm is None else sm < 200)} |")
        rss = get("glia", "rss", "rss_mb")
        print(f"| RSS < 50 MB | {fmt(rss, 1)} MB | {verdict(None if rss is None else rss < 50)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
