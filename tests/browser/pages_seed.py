"""The workspace test_pages.py drives (docs/webview.md "Browser tests"): small MLflow runs with
metrics, params and tags in every status, a 100,000-point series with one known maximum and one
known minimum, a job with files, an image, a log and a registered model, and a dataset."""

import math
import os
import time

from harness import Browser, Server, glia, log, png_bytes

SPIKE_MAX = (73421, 1234.5)   # step, value: the series' one maximum
SPIKE_MIN = (31337, -987.25)  # and its one minimum
SERIES_LEN = 100000

# Small runs: name → (accuracy, loss, lr, team, MLflow status)
SMALL = {
    "alpha": (0.91, 0.12, "0.01", "a", "FINISHED"),
    "beta": (0.85, 0.20, "0.001", "b", "FINISHED"),
    "gamma": (0.72, 0.35, "0.1", "a", "FAILED"),
    "delta": (0.66, 0.41, "0.05", "b", "KILLED"),
    "epsilon": (0.95, 0.08, "0.003", "a", "RUNNING"),
}
NOTES = b"hello from the browser test\nline two\n"
FILES_SCRIPT = r'''
import os
from glia import Run
run = Run.get_context(allow_offline=False)
for i in range(20):
    run.log("loss", 1.0 / (i + 1))
    run.log("accuracy", 1.0 - 0.5 / (i + 1))
run.log_image("Accuracy vs Loss", path="chart.png")
os.makedirs("outputs/model", exist_ok=True)
with open("outputs/notes.txt", "wb") as f:
    f.write(%r)
with open("outputs/model/model.json", "w") as f:
    f.write('{"layers": 2}\n')
print("files job: done", flush=True)
''' % NOTES


def seed_pages(cls):
    """Starts the server and the browser for the test class `cls` and seeds the workspace."""
    t0 = time.time()
    cls.server = s = Server()
    s.start()
    api = s.api()
    exp = s.experiment(api, "small")
    cls.small = {}
    for name, (acc, loss, lr, team, status) in SMALL.items():
        cls.small[name] = s.mlflow_run(
            api, exp, name, params={"lr": lr, "optimizer": "adam"}, tags={"team": team},
            status=status, series={"loss": [loss * (1 + 2.0 / (i + 1)) for i in range(19)]
                                   + [loss],
                                   "accuracy": [acc * (1 - 0.5 / (i + 1)) for i in range(19)]
                                   + [acc]})
    # The 100,000-point series with one known maximum and one known minimum.
    cls.spiky = s.mlflow_run(api, exp, "spiky", status="FINISHED")
    values = [math.sin(i / 500.0) for i in range(SERIES_LEN)]
    values[SPIKE_MAX[0]] = SPIKE_MAX[1]
    values[SPIKE_MIN[0]] = SPIKE_MIN[1]
    t1 = time.time()
    s.log_series(api, cls.spiky, "signal", values)
    log("100,000 points logged in %.2f s (REST metric batches)" % (time.time() - t1))
    # A job with files, an image, a log and a registered model; and a dataset.
    cls.png = png_bytes(64, 48, (200, 220, 255))
    cls.files_run = s.submit_job("files", FILES_SCRIPT, "", "files-job",
                                 {"chart.png": cls.png})
    assert s.wait_job(cls.files_run, ("Completed", "Failed")) == "Completed", \
        glia(s.ws, "job", "show", cls.files_run)
    glia(s.ws, "model", "register", "--name", "browser-model", "--run", cls.files_run,
         "--path", "outputs/model", "--tag", "stage=test")
    data = os.path.join(s.work, "data")
    os.makedirs(data)
    with open(os.path.join(data, "train.csv"), "w") as f:
        f.write("x,y\n1,2\n3,4\n")
    glia(s.ws, "dataset", "create", "--name", "browser-data", "--path", data)
    api.close()
    log("seeded in %.1f s" % (time.time() - t0))
    cls.browser = Browser(s)
    cls.b = cls.browser
