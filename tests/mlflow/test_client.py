"""The real MLflow client against `glia server` (run by tests/mlflow/run.sh, which sets
MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN, GLIA_READER_TOKEN, GLIA and GLIA_WS): ordinary
tracking and registry code, unchanged, and the same data read back through `glia`."""

import json
import os
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException


def glia(*args):
    out = subprocess.run([os.environ["GLIA"], "-w", os.environ["GLIA_WS"], *args],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def raw(path, body, token=None):
    """A POST straight to the server (for what the client itself would split or refuse)."""
    req = urllib.request.Request(
        os.environ["MLFLOW_TRACKING_URI"] + path, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json",
                 "Authorization": "Bearer " + (token or os.environ["MLFLOW_TRACKING_TOKEN"])})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class MlflowClientAgainstGlia(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Each tracking URI gets experiments of its own (run.sh runs this twice).
        cls.exp_name = "mlflow-e2e-" + uuid.uuid4().hex[:8]
        cls.model_name = "e2e-model-" + uuid.uuid4().hex[:8]
        cls.client = MlflowClient()
        cls.tmp = tempfile.mkdtemp()
        exp = mlflow.set_experiment(cls.exp_name)
        cls.exp_id = exp.experiment_id
        cls.t0 = int(time.time() * 1000)
        model = os.path.join(cls.tmp, "model")
        os.makedirs(os.path.join(model, "data"))
        with open(os.path.join(model, "MLmodel"), "w") as f:
            f.write("artifact_path: model\nflavors: {}\n")
        cls.weights = os.urandom(300_000)
        with open(os.path.join(model, "data", "weights.bin"), "wb") as f:
            f.write(cls.weights)
        with open(os.path.join(cls.tmp, "notes.txt"), "w") as f:
            f.write("first run\n")

        with mlflow.start_run(run_name="trial-1") as run:
            mlflow.log_param("lr", 0.01)
            mlflow.log_params({"epochs": 5, "optimizer": "adam"})
            for step in range(5):
                mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
            cls.client.log_batch(
                run.info.run_id,
                metrics=[Metric("acc", 0.5 + 0.1 * s, cls.t0 + s, s) for s in range(3)],
                params=[Param("batch", "32")],
                tags=[RunTag("phase", "train")])
            mlflow.set_tag("team", "vision")
            mlflow.log_artifact(os.path.join(cls.tmp, "notes.txt"))
            mlflow.log_artifacts(model, "model")
            cls.run_id = run.info.run_id
        with mlflow.start_run(run_name="trial-2") as run:
            mlflow.log_params({"optimizer": "sgd", "lr": 0.1})
            mlflow.log_metric("loss", 0.9, step=0)
            cls.run2_id = run.info.run_id
        with mlflow.start_run(run_name="trial-3") as run:
            mlflow.log_params({"optimizer": "adam", "lr": 0.001})
            mlflow.log_metric("loss", 0.1, step=0)
            cls.run3_id = run.info.run_id
            mlflow.end_run(status="FAILED")

    def test_run_reads_back_through_mlflow(self):
        run = self.client.get_run(self.run_id)
        self.assertEqual(run.info.status, "FINISHED")
        self.assertEqual(run.info.run_name, "trial-1")
        self.assertEqual(run.info.experiment_id, self.exp_id)
        self.assertGreaterEqual(run.info.end_time, run.info.start_time)
        self.assertEqual(run.data.params, {"lr": "0.01", "epochs": "5", "optimizer": "adam",
                                           "batch": "32"})
        self.assertEqual(run.data.metrics, {"loss": 0.2, "acc": 0.7})
        self.assertEqual(run.data.tags["team"], "vision")
        self.assertEqual(run.data.tags["phase"], "train")
        self.assertEqual(run.data.tags["mlflow.runName"], "trial-1")
        history = self.client.get_metric_history(self.run_id, "loss")
        self.assertEqual([(m.step, m.value) for m in history],
                         [(s, 1.0 / (s + 1)) for s in range(5)])
        acc = self.client.get_metric_history(self.run_id, "acc")
        self.assertEqual([m.timestamp for m in acc], [self.t0 + s for s in range(3)])
        self.assertEqual(self.client.get_run(self.run3_id).info.status, "FAILED")

    def test_same_data_through_glia(self):
        show = glia("job", "show", self.run_id, "-o", "json")
        self.assertEqual(show["status"], "Completed")
        self.assertEqual(show["display_name"], "trial-1")
        self.assertEqual(show["experiment"], self.exp_name)
        self.assertEqual(show["tags"]["team"], "vision")
        self.assertEqual(show["tags"]["phase"], "train")
        self.assertEqual(show["params"],
                         {"lr": "0.01", "epochs": "5", "optimizer": "adam", "batch": "32"})
        self.assertEqual({k: v["value"] for k, v in show["metrics"].items()},
                         {"loss": 0.2, "acc": 0.7})
        self.assertEqual(glia("job", "show", self.run3_id, "-o", "json")["status"], "Failed")
        metrics = glia("run", "metrics", self.run_id, "-o", "json")
        mlflow_loss = self.client.get_metric_history(self.run_id, "loss")
        self.assertEqual([(p["step"], p["value"], round(p["wall_time"] * 1000))
                          for p in metrics["loss"]],
                         [(m.step, m.value, m.timestamp) for m in mlflow_loss])
        files = {f["path"]: f["size"] for f in glia("run", "files", self.run_id, "-o", "json")}
        self.assertEqual(files, {"outputs/notes.txt": 10, "outputs/model/MLmodel": 33,
                                 "outputs/model/data/weights.bin": 300_000})

    def test_search_with_filter_and_order(self):
        runs = self.client.search_runs(
            [self.exp_id], "params.optimizer = 'adam' AND metrics.loss < 0.5",
            order_by=["metrics.loss ASC"])
        self.assertEqual([r.info.run_id for r in runs], [self.run3_id, self.run_id])
        runs = self.client.search_runs([self.exp_id], "attributes.status = 'FINISHED'",
                                       order_by=["params.lr DESC"])
        self.assertEqual([r.info.run_id for r in runs], [self.run2_id, self.run_id])
        runs = self.client.search_runs([self.exp_id], "tags.team = 'vision'")
        self.assertEqual([r.info.run_id for r in runs], [self.run_id])
        with self.assertRaises(MlflowException) as e:
            self.client.search_runs([self.exp_id], "metrics.loss = 'low'")
        self.assertEqual(e.exception.error_code, "INVALID_PARAMETER_VALUE")

    def test_artifacts_round_trip(self):
        names = [f.path for f in self.client.list_artifacts(self.run_id)]
        self.assertEqual(names, ["model", "notes.txt"])
        self.assertEqual([f.path for f in self.client.list_artifacts(self.run_id, "model/data")],
                         ["model/data/weights.bin"])
        out = self.client.download_artifacts(self.run_id, "model", tempfile.mkdtemp())
        with open(os.path.join(out, "data", "weights.bin"), "rb") as f:
            self.assertEqual(f.read(), self.weights)

    def test_register_model_and_read_versions(self):
        mv = mlflow.register_model(f"runs:/{self.run_id}/model", self.model_name)
        self.assertEqual(mv.version, "1")
        got = self.client.get_model_version(self.model_name, "1")
        self.assertEqual(got.run_id, self.run_id)
        self.assertEqual(got.status, "READY")
        self.assertTrue(got.source.endswith(f"/{self.run_id}/artifacts/model"), got.source)
        again = mlflow.register_model(f"runs:/{self.run_id}/model", self.model_name)
        self.assertEqual(again.version, "2")
        found = self.client.search_model_versions(f"name = '{self.model_name}'")
        self.assertEqual(sorted(v.version for v in found), ["1", "2"])
        glia_version = glia("model", "show", f"{self.model_name}:1", "-o", "json")
        self.assertEqual(glia_version["path"], "outputs/model")
        self.assertEqual(glia_version["lineage"]["run"], self.run_id)
        self.assertEqual(sorted(f["path"] for f in glia_version["file_list"]),
                         ["MLmodel", "data/weights.bin"])
        with self.assertRaises(MlflowException) as e:
            self.client.get_model_version(self.model_name, "9")
        self.assertEqual(e.exception.error_code, "RESOURCE_DOES_NOT_EXIST")

    def test_lifecycles_and_tags(self):
        exp_id = self.client.create_experiment(self.exp_name + "-tmp", tags={"owner": "cat"})
        self.client.set_experiment_tag(exp_id, "stage", "dev")
        exp = self.client.get_experiment(exp_id)
        self.assertEqual(exp.tags, {"owner": "cat", "stage": "dev"})
        found = self.client.search_experiments(filter_string=f"name = '{self.exp_name}-tmp'")
        self.assertEqual([e.experiment_id for e in found], [exp_id])
        run = self.client.create_run(exp_id, run_name="scratch")
        self.client.delete_run(run.info.run_id)
        self.assertEqual(self.client.get_run(run.info.run_id).info.lifecycle_stage, "deleted")
        self.assertEqual(self.client.search_runs([exp_id]), [])
        self.client.restore_run(run.info.run_id)
        self.assertEqual([r.info.run_id for r in self.client.search_runs([exp_id])],
                         [run.info.run_id])
        self.client.set_terminated(run.info.run_id, "KILLED")
        self.assertEqual(glia("job", "show", run.info.run_id, "-o", "json")["status"], "Canceled")
        self.client.delete_experiment(exp_id)
        self.assertEqual(self.client.get_experiment(exp_id).lifecycle_stage, "deleted")
        with self.assertRaises(MlflowException) as e:
            self.client.create_experiment(self.exp_name + "-tmp")
        self.assertEqual(e.exception.error_code, "RESOURCE_ALREADY_EXISTS")
        self.client.restore_experiment(exp_id)
        with self.assertRaises(MlflowException) as e:
            self.client.rename_experiment(exp_id, "renamed")
        self.assertEqual(e.exception.error_code, "INVALID_PARAMETER_VALUE")
        # A registered model with no version, then deleted with its versions.
        name = self.model_name + "-tmp"
        self.client.create_registered_model(name, description="scratch")
        self.assertEqual(self.client.get_registered_model(name).description, "scratch")
        self.client.create_model_version(name, f"runs:/{self.run_id}/model", self.run_id)
        self.client.delete_model_version(name, "1")
        self.client.create_model_version(name, f"runs:/{self.run_id}/model", self.run_id)
        self.assertEqual([v.version for v in self.client.search_model_versions(f"name='{name}'")],
                         ["2"])  # a deleted version's number is never given again
        self.client.delete_registered_model(name)
        with self.assertRaises(MlflowException) as e:
            self.client.get_registered_model(name)
        self.assertEqual(e.exception.error_code, "RESOURCE_DOES_NOT_EXIST")

    def test_params_are_logged_once(self):
        with self.assertRaises(MlflowException) as e:
            self.client.log_param(self.run_id, "lr", "0.5")
        self.assertEqual(e.exception.error_code, "INVALID_PARAMETER_VALUE")
        self.client.log_param(self.run_id, "lr", "0.01")  # the same value again is fine
        self.assertEqual(self.client.get_run(self.run_id).data.params["lr"], "0.01")

    def test_log_batch_limits_on_the_server(self):
        # The client splits big batches itself; the server refuses them as MLflow's does.
        metrics = [{"key": "m", "value": 1, "timestamp": self.t0, "step": i} for i in range(1001)]
        status, body = raw("/api/2.0/mlflow/runs/log-batch",
                           {"run_id": self.run2_id, "metrics": metrics})
        self.assertEqual((status, body["error_code"]), (400, "INVALID_PARAMETER_VALUE"))
        params = [{"key": f"p{i}", "value": "1"} for i in range(101)]
        status, body = raw("/api/2.0/mlflow/runs/log-batch",
                           {"run_id": self.run2_id, "params": params})
        self.assertEqual((status, body["error_code"]), (400, "INVALID_PARAMETER_VALUE"))
        self.assertEqual(self.client.get_metric_history(self.run2_id, "m"), [])

    def test_bad_and_weak_tokens_are_refused(self):
        good = os.environ["MLFLOW_TRACKING_TOKEN"]
        try:
            os.environ["MLFLOW_TRACKING_TOKEN"] = "glia_0123456789abcdef_" + "A" * 43
            with self.assertRaises(MlflowException) as e:
                self.client.get_run(self.run_id)
            self.assertEqual(e.exception.error_code, "UNAUTHENTICATED")
            os.environ["MLFLOW_TRACKING_TOKEN"] = os.environ["GLIA_READER_TOKEN"]
            self.assertEqual(self.client.get_run(self.run_id).info.run_name, "trial-1")
            with self.assertRaises(MlflowException) as e:
                self.client.set_tag(self.run_id, "by", "reader")
            self.assertEqual(e.exception.error_code, "PERMISSION_DENIED")
        finally:
            os.environ["MLFLOW_TRACKING_TOKEN"] = good
        self.assertNotIn("by", self.client.get_run(self.run_id).data.tags)


if __name__ == "__main__":
    unittest.main()
