"""Helpers of bench/endpoints.sh (run on the peers' venv, bench/.venv-endpoints). Subcommands:

  requests DIR               the seed's request bodies from Fashion-MNIST's first test images:
                             seed-1.json / seed-100.json ({"data": rows}) and mlflow-1.json /
                             mlflow-100.json ({"inputs": rows}, MLflow's tensor input)
  mlflow-model KERAS DIR [--exported]
                             the .keras file Glia wrote, saved with MLflow's Keras flavour:
                             its default (.keras, served by model.predict) or, --exported,
                             save_exported_model=True (a SavedModel served by model.serve,
                             which needs the signature: float32 (-1, 784) -> (-1, 10))
  azureml-model SRC DIR      DIR/keras-mlp-mnist/1/model/{model.json,model.h5}: Azure's layout
                             under AZUREML_MODEL_DIR (what the seed's Model.get_model_path finds)
  spawn --ready URL --log F --pgid-file F -- CMD...
                             starts CMD in a session of its own (stdout/stderr to F), polls URL
                             every 2 ms until it answers 200, prints {"start_s": ...}: from just
                             before the fork to the first 200. Leaves the server running.
  ready URL                  polls URL until 200 (60 s at most): exits 0, else 1
  rss PGID                   {"rss_mb", "hwm_mb", "processes"} summed over every process whose
                             process group is PGID (the server and its children); hwm_mb: their
                             peaks (VmHWM) summed, an upper bound of the group's peak
  metrics URL [--token T]    the Prometheus text of URL as JSON {name{labels}: value}
  model-time BEFORE AFTER    from two `metrics` outputs: the model-time histogram's mean per
                             observation (batch), its bucket bounds of p50/p99, and its sum
                             per request answered on --route, over the requests in between
  classes URL BODY [--token T] [--mlflow]
                             POSTs BODY once, prints the predicted classes (argmax of MLflow's
                             probability rows with --mlflow) as a JSON list
  endpoint-field JSON KEY... the first of KEY... present in JSON text (dotted paths), printed
"""
import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROWS_FILE = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def cmd_requests(a):
    with gzip.open(ROWS_FILE) as f:
        f.read(16)
        raw = f.read(784 * 100)
    rows = [[round(raw[i * 784 + j] / 255.0, 6) for j in range(784)] for i in range(100)]
    os.makedirs(a.dir, exist_ok=True)
    for n in (1, 100):
        with open(os.path.join(a.dir, f"seed-{n}.json"), "w") as f:
            json.dump({"data": rows[:n]}, f)
        with open(os.path.join(a.dir, f"mlflow-{n}.json"), "w") as f:
            json.dump({"inputs": rows[:n]}, f)


def cmd_mlflow_model(a):
    import keras
    import mlflow.keras
    import numpy as np
    from mlflow.models import infer_signature

    model = keras.saving.load_model(a.keras, compile=False)
    if a.exported:
        x = np.zeros((1, 784), dtype="float32")
        signature = infer_signature(x, model.predict(x, verbose=0))
        mlflow.keras.save_model(model, a.dir, save_exported_model=True, signature=signature)
    else:
        mlflow.keras.save_model(model, a.dir)


def cmd_azureml_model(a):
    import shutil

    dest = os.path.join(a.dir, "keras-mlp-mnist", "1", "model")
    os.makedirs(dest, exist_ok=True)
    for name in ("model.json", "model.h5"):
        shutil.copyfile(os.path.join(a.src, name), os.path.join(dest, name))


def answers(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            return r.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def cmd_spawn(a):
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    log = open(a.log, "ab")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    with open(a.pgid_file, "w") as f:
        f.write(str(p.pid))
    deadline = t0 + a.timeout
    while time.monotonic() < deadline:
        if answers(a.ready, timeout=0.5):
            print(json.dumps({"start_s": time.monotonic() - t0, "pid": p.pid}))
            return 0
        if p.poll() is not None:
            print(f"bench.py: {cmd[0]} exited with {p.returncode} before {a.ready} answered "
                  f"(log: {a.log})", file=sys.stderr)
            return 1
        time.sleep(0.002)
    print(f"bench.py: {a.ready} did not answer 200 within {a.timeout} s (log: {a.log})",
          file=sys.stderr)
    return 1


def cmd_ready(a):
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        if answers(a.url):
            return 0
        time.sleep(0.01)
    return 1


def cmd_rss(a):
    rss = hwm = 0
    procs = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) != a.pgid:  # field 5: the process group
                continue
            with open(f"/proc/{pid}/status") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
        except (OSError, ValueError):
            continue
        r = int(status.get("VmRSS", "0 kB").split()[0]) / 1024
        h = int(status.get("VmHWM", "0 kB").split()[0]) / 1024
        rss += r
        hwm += h
        procs.append({"pid": int(pid), "name": status.get("Name", "").strip(), "rss_mb": round(r, 1)})
    print(json.dumps({"rss_mb": rss, "hwm_mb": hwm, "processes": procs}))


def fetch(url, token=None, body=None):
    req = urllib.request.Request(url, data=body)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def cmd_metrics(a):
    out = {}
    for line in fetch(a.url, a.token).decode().splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            pass
    print(json.dumps(out))


def cmd_model_time(a):
    before = json.loads(a.before)
    after = json.loads(a.after)
    pattern = re.compile(a.metric)
    sums = [k for k in after if k.split("{")[0].endswith("_sum") and pattern.search(k)]
    if not sums:
        print(json.dumps({"model_time_metric": None}))
        return
    key = sums[0]
    base = key.split("{")[0][: -len("_sum")]
    labels = key[len(base) + 4:]
    count_key = base + "_count" + labels
    d_sum = after[key] - before.get(key, 0.0)
    d_count = after.get(count_key, 0.0) - before.get(count_key, 0.0)
    res = {"model_time_metric": base, "model_batches": d_count,
           "model_mean_ms": (d_sum / d_count * 1000) if d_count else None}
    # Per request: the model time over the requests answered on a.route meanwhile (a batch may
    # hold several requests' rows, or a request be split; with one connection they coincide).
    req = [k for k in after if k.startswith(a.requests_metric + "{") and f'route="{a.route}"' in k]
    d_req = sum(after[k] - before.get(k, 0.0) for k in req)
    res["model_requests"] = d_req
    res["model_per_request_ms"] = (d_sum / d_req * 1000) if d_req else None
    # Bucket bounds of the percentiles (the smallest `le` holding that share of the requests).
    buckets = []
    for k, v in after.items():
        if k.startswith(base + "_bucket"):
            m = re.search(r'le="([^"]+)"', k)
            if m:
                buckets.append((float("inf") if m.group(1) == "+Inf" else float(m.group(1)),
                                v - before.get(k, 0.0)))
    buckets.sort()
    for q in (50, 99):
        bound = None
        for le, n in buckets:
            if d_count and n >= d_count * q / 100:
                bound = le
                break
        res[f"model_p{q}_le_ms"] = None if bound in (None, float("inf")) else bound * 1000
    print(json.dumps(res))


def cmd_classes(a):
    with open(a.body, "rb") as f:
        body = f.read()
    reply = json.loads(fetch(a.url, a.token, body))
    if a.mlflow:
        rows = reply["predictions"]
        classes = [max(range(len(r)), key=r.__getitem__) for r in rows]
    elif isinstance(reply, dict) and "classes" in reply:
        classes = reply["classes"]
    else:
        classes = reply
    print(json.dumps(classes))


def cmd_endpoint_field(a):
    doc = json.loads(a.json)
    for key in a.keys:
        v = doc
        for part in key.split("."):
            if isinstance(v, dict) and part in v:
                v = v[part]
            else:
                v = None
                break
        if v is not None:
            print(v if not isinstance(v, (dict, list)) else json.dumps(v))
            return 0
    return 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("requests")
    s.add_argument("dir")
    s.set_defaults(fn=cmd_requests)
    s = sub.add_parser("mlflow-model")
    s.add_argument("keras")
    s.add_argument("dir")
    s.add_argument("--exported", action="store_true")
    s.set_defaults(fn=cmd_mlflow_model)
    s = sub.add_parser("azureml-model")
    s.add_argument("src")
    s.add_argument("dir")
    s.set_defaults(fn=cmd_azureml_model)
    s = sub.add_parser("spawn")
    s.add_argument("--ready", required=True)
    s.add_argument("--log", required=True)
    s.add_argument("--pgid-file", required=True)
    s.add_argument("--timeout", type=float, default=180)
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    s.set_defaults(fn=cmd_spawn)
    s = sub.add_parser("ready")
    s.add_argument("url")
    s.add_argument("--timeout", type=float, default=60)
    s.set_defaults(fn=cmd_ready)
    s = sub.add_parser("rss")
    s.add_argument("pgid", type=int)
    s.set_defaults(fn=cmd_rss)
    s = sub.add_parser("metrics")
    s.add_argument("url")
    s.add_argument("--token")
    s.set_defaults(fn=cmd_metrics)
    s = sub.add_parser("model-time")
    s.add_argument("before")
    s.add_argument("after")
    s.add_argument("--metric", default=r"model.*seconds")
    s.add_argument("--requests-metric", default="glia_endpoint_requests_total")
    s.add_argument("--route", default="/score")
    s.set_defaults(fn=cmd_model_time)
    s = sub.add_parser("classes")
    s.add_argument("url")
    s.add_argument("body")
    s.add_argument("--token")
    s.add_argument("--mlflow", action="store_true")
    s.set_defaults(fn=cmd_classes)
    s = sub.add_parser("endpoint-field")
    s.add_argument("json")
    s.add_argument("keys", nargs="+")
    s.set_defaults(fn=cmd_endpoint_field)
    a = p.parse_args()
    sys.exit(a.fn(a) or 0)


if __name__ == "__main__":
    main()
