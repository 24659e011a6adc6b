#!/usr/bin/env python3
"""A client of glia server's MLflow API for the reliability tests: makes its own run, then sends
BATCHES log-batch calls of 20 values each (steps 20b..20b+19, value = step), each one again until
it is answered (no answer or a 5xx: the server is down or its store is; try again). Writes the run
id, then the number of every acknowledged batch, to OUT.
Usage: log_batch_client.py PORT TOKEN NAME BATCHES OUT"""
import http.client, json, sys, time

retries = 0
port, token, n, batches, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

def call(path, body, deadline):
    global retries
    while True:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("POST", "/api/2.0/mlflow/" + path, json.dumps(body), headers)
            r = c.getresponse()
            data = r.read()
            c.close()
            if r.status == 200:
                return json.loads(data or b"{}")
            if r.status < 500:
                sys.exit(f"client {n}: {path}: HTTP {r.status}: {data[:200]!r}")
        except (OSError, http.client.HTTPException):
            pass  # no answer: the server is down; try again
        retries += 1
        if time.time() > deadline:
            sys.exit(f"client {n}: {path}: no answer before the deadline")
        time.sleep(0.1)

deadline = time.time() + 90
run = call("runs/create", {"experiment_id": "0", "run_name": f"client-{n}"}, deadline)["run"]["info"]["run_id"]
with open(out, "w") as f:
    f.write(run + "\n")
    f.flush()
    for b in range(batches):
        metrics = [{"key": "m", "value": float(20 * b + i), "timestamp": 1000 * b, "step": 20 * b + i}
                   for i in range(20)]
        call("runs/log-batch", {"run_id": run, "metrics": metrics}, deadline)
        f.write(f"{b}\n")
        f.flush()
print(f"retries={retries}", file=sys.stderr)
