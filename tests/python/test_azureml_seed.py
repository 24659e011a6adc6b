"""The seed notebook's ``azureml`` calls, written as the seed writes them, against a real folder
workspace driven by the real ``glia`` binary ($GLIA_BIN, set by ctest python.client):
workspace, experiment, dataset, compute target, environment, ScriptRunConfig, submit, wait,
details, metrics, files, download, register_model; a HyperDrive sweep (4 trials, the best run
found); the best run's model deployed (Model.deploy) and scored (service.run), keys, logs, delete.

    GLIA_BIN=build/bin/glia python3 -m unittest discover -s tests/python -p 'test_azureml_*'

Standard library only. The job scripts log through ``from azureml.core import Run`` as the
seed's keras_mnist.py does; instead of training Keras they copy a model `glia train` made (so the
registered model is one the engine serves natively) and log metrics that are a known function
of their arguments, so the best trial can be checked.
"""

import contextlib
import gzip
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
for d in (os.path.join(ROOT, "clients", "python"), os.path.join(ROOT, "clients", "azureml-shim")):
    if d not in sys.path:
        sys.path.insert(0, d)

from glia._cli import find_binary  # noqa: E402
from glia.errors import GliaError  # noqa: E402

# The seed's keras_mnist.py, reduced: the same arguments, the same logging calls.
TRAIN_PY = r'''
import argparse, glob, os, shutil
from azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument('--data-folder', type=str, dest='data_folder', default='data')
parser.add_argument('--batch-size', type=int, dest='batch_size', default=50)
parser.add_argument('--first-layer-neurons', type=int, dest='n_hidden_1', default=100)
parser.add_argument('--second-layer-neurons', type=int, dest='n_hidden_2', default=100)
parser.add_argument('--learning-rate', type=float, dest='learning_rate', default=0.001)
parser.add_argument('--model-src', type=str, dest='model_src', required=True)
args = parser.parse_args()

files = sorted(glob.glob(os.path.join(args.data_folder, '**/train-images-idx3-ubyte.gz'),
                         recursive=True))
assert files, 'no training images under %s' % args.data_folder
print('training on', files[0], 'batch', args.batch_size, 'lr', args.learning_rate)

run = Run.get_context()
print('experiment', run.experiment.name, 'in workspace', run.experiment.workspace.name)
# A known function of the arguments: the best trial is the one with the highest score.
score = (args.n_hidden_1 + args.n_hidden_2) / 1000.0 + args.learning_rate
for epoch in range(3):
    run.log('Loss', 1.0 / (epoch + 1))
    run.log('Accuracy', score * (epoch + 1) / 3.0)
run.log('Final test loss', 0.25)
run.log('Final test accuracy', score)
os.makedirs('./outputs/model', exist_ok=True)
for name in ('model.json', 'model.h5'):
    shutil.copy(os.path.join(args.model_src, name), os.path.join('./outputs/model', name))
'''

SCORE_PY = r'''
import json, os
from azureml.core.model import Model

def init():
    global files
    files = sorted(os.listdir(Model.get_model_path('keras-mlp-mnist')))

def run(raw_data):
    data = json.loads(raw_data)['data']
    return {'rows': len(data), 'files': files}
'''

MODEL_JSON = {"class_name": "Sequential", "config": {"name": "mlp", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 784],
                                            "dtype": "float32", "name": "in"}},
    {"class_name": "Dense", "config": {"name": "h", "units": 16, "activation": "relu"}},
    {"class_name": "Dense", "config": {"name": "out", "units": 10,
                                       "activation": "softmax"}}]}}


def write_mnist(folder, n_train=64, n_test=16, seed=1):
    """MNIST-format gzip files of random images (as make_synthetic_mnist writes them)."""
    rng = random.Random(seed)
    os.makedirs(folder, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = bytes(rng.randrange(10) for _ in range(n))
        pixels = bytes(rng.randrange(256) for _ in range(n * 784))
        with gzip.open(os.path.join(folder, "%s-images-idx3-ubyte.gz" % prefix), "wb") as f:
            f.write(struct.pack(">IIII", 2051, n, 28, 28) + pixels)
        with gzip.open(os.path.join(folder, "%s-labels-idx1-ubyte.gz" % prefix), "wb") as f:
            f.write(struct.pack(">II", 2049, n) + labels)


def test_rows(folder, count):
    with gzip.open(os.path.join(folder, "t10k-images-idx3-ubyte.gz")) as f:
        _, n, r, c = struct.unpack(">IIII", f.read(16))
        pixels = f.read(count * r * c)
    return [[pixels[i * 784 + j] / 255.0 for j in range(784)] for i in range(count)]


class SeedNotebookTest(unittest.TestCase):
    """The seed's cells in order, sharing one workspace (each test a group of cells)."""

    @classmethod
    def setUpClass(cls):
        try:
            cls.glia = find_binary()
        except GliaError as e:
            raise unittest.SkipTest("no glia binary: %s" % e)
        cls.dir = tempfile.mkdtemp(prefix="glia-azureml-seed-")
        cls.ws_dir = os.path.join(cls.dir, "ws")
        cls.nb = os.path.join(cls.dir, "notebook")  # the notebook's folder
        os.makedirs(cls.nb)
        subprocess.run([cls.glia, "workspace", "init", cls.ws_dir], check=True,
                       stdout=subprocess.DEVNULL)
        # config.json as Azure's, naming the Glia workspace (docs/python-sdk.md).
        os.makedirs(os.path.join(cls.nb, ".azureml"))
        with open(os.path.join(cls.nb, ".azureml", "config.json"), "w") as f:
            json.dump({"glia_workspace": cls.ws_dir}, f)
        cls.data = os.path.join(cls.dir, "mnist")
        write_mnist(cls.data)
        # A model the engine serves: `glia train` on the synthetic data.
        with open(os.path.join(cls.dir, "model.json"), "w") as f:
            json.dump(MODEL_JSON, f)
        cls.model_src = os.path.join(cls.dir, "trained")
        subprocess.run([cls.glia, "train", "--model", os.path.join(cls.dir, "model.json"),
                        "--data-folder", cls.data, "--epochs", "1", "--optimizer", "adam",
                        "--output", cls.model_src, "--verbose", "0"], check=True,
                       stdout=subprocess.DEVNULL)
        cls.script_folder = os.path.join(cls.nb, "keras-mnist")
        os.makedirs(cls.script_folder)
        with open(os.path.join(cls.script_folder, "keras_mnist.py"), "w") as f:
            f.write(TRAIN_PY)
        with open(os.path.join(cls.nb, "conda_dependencies.yml"), "w") as f:
            f.write("name: keras-env\nchannels:\n  - conda-forge\ndependencies:\n"
                    "  - python=%d.%d\n" % sys.version_info[:2])
        cls.saved_cwd = os.getcwd()
        cls.saved_env = {k: os.environ.get(k) for k in ("GLIA_WORKSPACE", "PATH")}
        os.environ.pop("GLIA_WORKSPACE", None)
        # pyenv's `python3` shim runs this process with its version's bin/ first on PATH; the
        # agent started from here inherits it, and a Python scoring endpoint's workers then
        # start that interpreter with the system's standard library (ModuleNotFoundError:
        # _struct; reported to the lead). The shims (later on PATH) give the same Python.
        os.environ["PATH"] = os.pathsep.join(
            p for p in os.environ.get("PATH", "").split(os.pathsep)
            if not (os.environ.get("PYENV_ROOT") and
                    p.startswith(os.path.join(os.environ["PYENV_ROOT"], "versions"))))
        os.chdir(cls.nb)
        cls.state = {}

    @classmethod
    def tearDownClass(cls):
        os.chdir(cls.saved_cwd)
        for k, v in cls.saved_env.items():
            if v is not None:
                os.environ[k] = v
        for name in ("keras-mnist-svc", "keras-mnist-py", "glia-svc"):  # stop what the agent runs
            subprocess.run([cls.glia, "-w", cls.ws_dir, "endpoint", "delete", name,
                            "--timeout", "30"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        agents = os.path.join(cls.ws_dir, ".glia", "agent")
        for uid in (os.listdir(agents) if os.path.isdir(agents) else []):
            try:
                with open(os.path.join(agents, uid, "agent.pid")) as f:
                    os.kill(int(f.read().strip()), 15)
            except (OSError, ValueError):
                pass
        shutil.rmtree(cls.dir, ignore_errors=True)

    # -- helpers -----------------------------------------------------------------------------

    def setup_cells(self):
        """Workspace, experiment, dataset, compute, environment and the ScriptRunConfig, as the
        seed's cells write them (once for the class)."""
        st = self.state
        if "setup_error" in st:
            raise st["setup_error"]
        if "src" in st:
            return st
        try:
            return self._setup_cells(st)
        except BaseException as e:
            st["setup_error"] = e
            raise

    def _setup_cells(self, st):
        import azureml.core
        from azureml.core import Workspace, Experiment, Environment, ScriptRunConfig
        from azureml.core.dataset import Dataset
        from azureml.core.compute import ComputeTarget, AmlCompute
        from azureml.core.compute_target import ComputeTargetException
        self.assertIsInstance(azureml.core.VERSION, str)
        from azureml.telemetry import set_diagnostics_collection
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            set_diagnostics_collection(send_diagnostics=True)
        self.assertIn("Glia collects and sends no diagnostics", err.getvalue())

        ws = Workspace.from_config()
        text = "\n".join(['Workspace name: ' + ws.name, 'Azure region: ' + ws.location,
                          'Subscription id: ' + ws.subscription_id,
                          'Resource group: ' + ws.resource_group])
        self.assertIn("Azure region: local", text)
        self.assertEqual(os.path.realpath(ws.root), os.path.realpath(self.ws_dir))

        exp = Experiment(workspace=ws, name='keras-mnist')

        dataset = Dataset.File.from_files(path=[self.data])
        try:
            dataset = Dataset.get_by_name(ws, 'mnist-dataset')
            self.fail("a dataset before it was registered")
        except GliaError:
            dataset = dataset.register(workspace=ws, name='mnist-dataset',
                                       description='training and test dataset',
                                       create_new_version=True)
        self.assertEqual(dataset.name, 'mnist-dataset')
        again = Dataset.get_by_name(ws, 'mnist-dataset')
        self.assertEqual(again.version, dataset.version)
        self.assertTrue(any(p.endswith("train-images-idx3-ubyte.gz") for p in again.to_path()),
                        again.to_path())

        cluster_name = "gpu-cluster"
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                compute_target = ComputeTarget(workspace=ws, name=cluster_name)
                self.fail("found a compute target before it was made")
            except ComputeTargetException:
                compute_config = AmlCompute.provisioning_configuration(vm_size='STANDARD_NC6',
                                                                       max_nodes=4)
                compute_target = ComputeTarget.create(ws, cluster_name, compute_config)
                compute_target.wait_for_completion(show_output=True, min_node_count=None,
                                                   timeout_in_minutes=20)
        status = compute_target.get_status().serialize()
        self.assertIsInstance(status, dict)
        found = ComputeTarget(workspace=ws, name=cluster_name)
        self.assertEqual(found.name, cluster_name)
        self.assertIn(cluster_name, ws.compute_targets)
        self.assertIn("STANDARD_NC6", found.description)

        keras_env = Environment.from_conda_specification(name='keras-env',
                                                         file_path='./conda_dependencies.yml')
        keras_env.docker.enabled = True
        keras_env.docker.base_image = ('mcr.microsoft.com/azureml/openmpi3.1.2-cuda10.0-cudnn7-'
                                       'ubuntu18.04')

        args = ['--data-folder', dataset.as_named_input('mnist').as_mount(),
                '--batch-size', 50, '--first-layer-neurons', 300,
                '--second-layer-neurons', 100, '--learning-rate', 0.001,
                '--model-src', self.model_src]
        src = ScriptRunConfig(source_directory=self.script_folder, script='keras_mnist.py',
                              arguments=args, compute_target=compute_target,
                              environment=keras_env)
        st.update(ws=ws, exp=exp, dataset=dataset, compute_target=compute_target,
                  keras_env=keras_env, src=src)
        return st

    def submitted_run(self):
        st = self.setup_cells()
        if "run" not in st:
            from azureml.core import Run
            run = st["exp"].submit(st["src"])
            self.assertIsInstance(run, Run)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                run.wait_for_completion(show_output=True)
            st["run"], st["run_output"] = run, out.getvalue()
        return st["run"]

    def sweep_run(self):
        st = self.setup_cells()
        if "hdr" not in st:
            from azureml.train.hyperdrive import (RandomParameterSampling, BanditPolicy,
                                                  HyperDriveConfig, PrimaryMetricGoal)
            from azureml.train.hyperdrive import choice, loguniform
            ps = RandomParameterSampling({
                '--batch-size': choice(25, 50, 100),
                '--first-layer-neurons': choice(10, 50, 200, 300, 500),
                '--second-layer-neurons': choice(10, 50, 200, 500),
                '--learning-rate': loguniform(-6, -1)})
            policy = BanditPolicy(evaluation_interval=2, slack_factor=0.1)
            hdc = HyperDriveConfig(run_config=st["src"], hyperparameter_sampling=ps,
                                   policy=policy, primary_metric_name='Accuracy',
                                   primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
                                   max_total_runs=4, max_concurrent_runs=4)
            hdr = st["exp"].submit(config=hdc)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                hdr.wait_for_completion(show_output=True)
            st["hdr"] = hdr
        return st["hdr"]

    # -- the cells ---------------------------------------------------------------------------

    def test_1_run_details_metrics_files_download(self):
        run = self.submitted_run()
        self.assertEqual(run.get_status(), "Completed")
        self.assertIn("training on", self.state["run_output"])
        # Inside the job, run.experiment.workspace is the job's workspace.
        self.assertIn("experiment keras-mnist in workspace %s" % self.state["ws"].name,
                      self.state["run_output"])
        details = run.get_details()
        self.assertEqual(details["status"], "Completed")
        arguments = details["runDefinition"]["arguments"]
        self.assertEqual(arguments[arguments.index("--batch-size") + 1], "50")
        metrics = run.get_metrics()
        self.assertEqual(len(metrics["Accuracy"]), 3)  # logged each epoch: a list
        self.assertAlmostEqual(metrics["Final test accuracy"], 0.401)  # once: the value
        names = run.get_file_names()
        self.assertIn("outputs/model/model.json", names)
        os.makedirs('./model', exist_ok=True)
        for f in run.get_file_names():
            if f.startswith('outputs/model'):
                output_file_path = os.path.join('./model', f.split('/')[-1])
                run.download_file(name=f, output_file_path=output_file_path)
        with open("model/model.json", "rb") as a, \
                open(os.path.join(self.model_src, "model.json"), "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertEqual(run.experiment.name, "keras-mnist")
        self.assertIn(run, list(self.state["exp"].get_runs()))
        from azureml.core import Run
        self.assertEqual(Run(self.state["exp"], run.id), run)
        self.assertEqual(Run.get(self.state["ws"], run.id).get_status(), "Completed")
        self.assertIn("keras-mnist", self.state["ws"].experiments)

    def test_2_hyperdrive_best_run(self):
        hdr = self.sweep_run()
        from azureml.core import Run
        from azureml.train.hyperdrive import HyperDriveRun
        self.assertIsInstance(hdr, HyperDriveRun)
        self.assertEqual(hdr.get_status(), "Completed")
        children = hdr.get_children()
        self.assertEqual(len(children), 4)
        self.assertTrue(all(isinstance(c, Run) for c in children))
        self.assertIsInstance(self.state["ws"].get_run(hdr.id), HyperDriveRun)
        # The best run is the trial with the highest Accuracy any trial logged.
        best_value, best_id = None, None
        for child in sorted(children, key=lambda r: r.id):
            accuracy = child.get_metrics().get("Accuracy")
            if accuracy is None:
                continue
            top = max(accuracy) if isinstance(accuracy, list) else accuracy
            if best_value is None or top > best_value:
                best_value, best_id = top, child.id
        best_run = hdr.get_best_run_by_primary_metric()
        self.assertIsInstance(best_run, Run)
        self.assertEqual(best_run.id, best_id)
        arguments = best_run.get_details()['runDefinition']['arguments']
        # The sampled values come last (argparse takes them over the fixed ones).
        self.assertEqual(arguments.count("--batch-size"), 2)
        ranked = hdr.get_children_sorted_by_primary_metric()
        self.assertEqual(ranked[0]["run_id"], best_id)
        self.assertEqual(set(ranked[0]["hyperparameters"]),
                         {"--batch-size", "--first-layer-neurons", "--second-layer-neurons",
                          "--learning-rate"})
        self.assertEqual(hdr.get_hyperparameters()[best_id], ranked[0]["hyperparameters"])
        self.assertEqual(arguments[-8:-6], ["--batch-size",
                                            str(ranked[0]["hyperparameters"]["--batch-size"])])
        values = [r["best_primary_metric"] for r in ranked if r["best_primary_metric"] is not None]
        self.assertEqual(values, sorted(values, reverse=True))
        self.assertEqual(set(hdr.get_metrics()), {c.id for c in children})
        self.assertEqual(best_run.parent.id, hdr.id)
        # As the seed: register the best run's model.
        model = best_run.register_model(model_name='keras-mlp-mnist', model_path='outputs/model')
        self.assertEqual((model.name, model.version), ('keras-mlp-mnist', 1))
        from azureml.core.model import Model
        self.assertIsInstance(model, Model)
        self.assertIn('keras-mlp-mnist', self.state["ws"].models)
        self.state["model"] = model

    def test_3_deploy_score_keys_logs_delete(self):
        if "model" not in self.state:
            self.test_2_hyperdrive_best_run()
        ws, model = self.state["ws"], self.state["model"]
        from azureml.core.webservice import AciWebservice, Webservice
        from azureml.core.model import Model
        from azureml.exceptions import WebserviceException
        aciconfig = AciWebservice.deploy_configuration(cpu_cores=1, auth_enabled=True,
                                                       memory_gb=1,
                                                       tags={'name': 'mnist',
                                                             'framework': 'Keras'},
                                                       description='Keras MLP on MNIST')
        service = Model.deploy(workspace=ws, name='keras-mnist-svc', models=[model],
                               deployment_config=aciconfig)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            service.wait_for_deployment(True)
        self.assertEqual(service.state, "Healthy")
        self.assertTrue(service.scoring_uri.startswith("http://127.0.0.1:"))
        self.assertEqual(service.tags["framework"], "Keras")
        rows = test_rows(self.data, 3)
        test_samples = bytes(json.dumps({"data": rows}), encoding='utf8')
        result = service.run(input_data=test_samples)
        # The engine's own answer for the same rows.
        with open("sample.json", "w") as f:
            json.dump({"data": rows}, f)
        expected = json.loads(subprocess.run(
            [self.glia, "-w", self.ws_dir, "predict", "--model", "keras-mlp-mnist:1",
             "--input", "sample.json"], check=True, stderr=subprocess.DEVNULL,
            stdout=subprocess.PIPE).stdout)["classes"]
        self.assertEqual(result, expected)
        key1, key2 = service.get_keys()
        self.assertNotEqual(key1, key2)
        service.regen_key("Primary")
        self.assertNotEqual(service.get_keys()[0], key1)
        self.assertEqual(service.run(json.dumps({"data": rows[:1]})), expected[:1])
        with self.assertRaises(GliaError):  # a request the model refuses: its 400, as an error
            service.run('{"data": [[1, 2]]}')
        self.assertIn("serving model keras-mlp-mnist:1", service.get_logs())
        self.assertIn('keras-mnist-svc', ws.webservices)
        self.assertEqual(Webservice(ws, 'keras-mnist-svc').scoring_uri, service.scoring_uri)
        self.assertEqual([s.name for s in Webservice.list(ws)], ['keras-mnist-svc'])
        service.delete()
        with self.assertRaises(WebserviceException):
            Webservice(ws, 'keras-mnist-svc')

    def test_4_deploy_with_a_scoring_script(self):
        if "model" not in self.state:
            self.test_2_hyperdrive_best_run()
        ws, model = self.state["ws"], self.state["model"]
        from azureml.core.model import InferenceConfig, Model
        from azureml.core.webservice import AciWebservice
        os.makedirs("score", exist_ok=True)
        with open(os.path.join("score", "score.py"), "w") as f:
            f.write(SCORE_PY)
        # As the seed: the training environment (registered and built by the job) scores too.
        inference_config = InferenceConfig(entry_script="score.py", source_directory="score",
                                           environment=self.state["keras_env"])
        service = Model.deploy(workspace=ws, name='keras-mnist-py', models=[model],
                               inference_config=inference_config,
                               deployment_config=AciWebservice.deploy_configuration(
                                   cpu_cores=1, memory_gb=1))
        try:
            service.wait_for_deployment()
        except Exception:
            print(service.get_logs(), file=sys.stderr)
            raise
        result = service.run(json.dumps({"data": test_rows(self.data, 2)}))
        self.assertEqual(result, {"rows": 2, "files": ["model.h5", "model.json"]})
        self.assertEqual(service.serialize()["environment"],
                         "keras-env:%s" % self.state["keras_env"].version)
        service.delete()

    def test_6_glia_sdk_deploy(self):
        # The same through glia's own names: glia.Model.deploy, glia.webservice.Webservice.
        if "model" not in self.state:
            self.test_2_hyperdrive_best_run()
        import glia
        from glia.errors import ConflictError, NotFoundError
        from glia.webservice import AciWebservice, Webservice
        ws = glia.Workspace.from_config()
        model = glia.Model(ws, "keras-mlp-mnist", version=1)
        service = glia.Model.deploy(ws, "glia-svc", [model],
                                    deployment_config=AciWebservice.deploy_configuration(
                                        cpu_cores=2, memory_gb=1, auth_enabled=False))
        self.assertIsInstance(service, Webservice)
        service.wait_for_deployment(timeout_sec=120)
        self.assertFalse(service.auth_enabled)
        self.assertEqual(service.serialize()["instances"], 2)
        self.assertEqual(service.tags["deploy.memory_gb"], "1")
        self.assertEqual(len(service.run({"data": test_rows(self.data, 2)})), 2)
        with self.assertRaises(ConflictError):  # the name is taken, and overwrite=False
            glia.Model.deploy(ws, "glia-svc", [model])
        service = glia.Model.deploy(ws, "glia-svc", [model], overwrite=True, show_output=False)
        service.wait_for_deployment(timeout_sec=120)
        self.assertTrue(service.auth_enabled)  # the new one's settings: keys by default
        self.assertEqual(service.serialize()["instances"], 1)
        service.update(description="updated")
        self.assertEqual(Webservice(ws, "glia-svc").description, "updated")
        # auth given twice must agree (it was passed as --auth twice).
        from glia.webservice import AciWebservice
        from glia.errors import InvalidArgumentError
        with self.assertRaises(InvalidArgumentError):
            service.update(auth_enabled=False,
                           deployment_config=AciWebservice.deploy_configuration(auth_enabled=True))
        service.update(auth_enabled=False,
                       deployment_config=AciWebservice.deploy_configuration(auth_enabled=False))
        self.assertFalse(Webservice(ws, "glia-svc").auth_enabled)
        service.delete()
        with self.assertRaises(NotFoundError):
            Webservice(ws, "glia-svc")

    def test_7_a_notebook_logs_online(self):
        # Outside a job, in the workspace: Run.get_context() and exp.start_logging() are
        # online interactive runs (glia run track), as the notebook's own cells log.
        st = self.setup_cells()
        ws, exp = st["ws"], st["exp"]
        from azureml.core import Run
        code = ("from azureml.core import Run\n"
                "run = Run.get_context()\n"
                "run.log('notebook metric', 0.5)\n"
                "print(run.id)\n")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            os.path.join(ROOT, "clients", d) for d in ("azureml-shim", "python")))
        p = subprocess.run([sys.executable, "-c", code], cwd=self.nb, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if b"run track" in p.stderr and p.returncode != 0:
            self.skipTest("this glia has no `run track`")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        run = Run.get(ws, p.stdout.decode().strip())
        self.assertEqual(run.get_status(), "Completed")
        self.assertEqual(run.get_metrics()["notebook metric"], 0.5)
        live = exp.start_logging()
        self.assertIsInstance(live, Run)
        live.log("loss", 0.25)
        live.complete()
        self.assertEqual(Run(exp, live.id).get_metrics()["loss"], 0.25)
        # `with` on an interactive run: an exception ends it Failed (as glia's Run does), not
        # Completed
        with self.assertRaises(ZeroDivisionError):
            with exp.start_logging() as live:
                live.log("loss", 0.5)
                1 / 0
        self.assertEqual(Run(exp, live.id).get_status(), "Failed")
        self.assertIn("ZeroDivisionError",
                      Run(exp, live.id).get_details()["error"]["error"]["message"])
        with exp.start_logging() as live:
            live.log("loss", 0.125)
        self.assertEqual(Run(exp, live.id).get_status(), "Completed")

    def test_5_what_glia_cannot_honour_is_refused(self):
        st = self.setup_cells()
        from azureml.core import ScriptRunConfig
        from azureml.core.runconfig import MpiConfiguration
        from azureml.core.model import InferenceConfig, Model
        from azureml.core.webservice import AciWebservice
        from azureml.train.hyperdrive import (GridParameterSampling, HyperDriveConfig,
                                              PrimaryMetricGoal, uniform)
        with self.assertRaises(NotImplementedError) as cm:
            ScriptRunConfig(source_directory=self.script_folder, script='keras_mnist.py',
                            distributed_job_config=MpiConfiguration(node_count=2))
        self.assertIn("node_count=2", str(cm.exception))
        with self.assertRaises(NotImplementedError) as cm:
            AciWebservice.deploy_configuration(cpu_cores=1, ssl_enabled=True)
        self.assertIn("ssl_enabled", str(cm.exception))
        with self.assertRaises(NotImplementedError):
            InferenceConfig(entry_script="score.py", conda_file="env.yml")
        with self.assertRaises(NotImplementedError):
            Model.deploy(st["ws"], "two", models=["a:1", "b:1"])
        with self.assertRaises(NotImplementedError):
            HyperDriveConfig(run_config=st["src"], hyperparameter_sampling=None,
                             primary_metric_name="Accuracy",
                             primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=2,
                             estimator=object())
        with self.assertRaises(ValueError):  # grid sampling takes choice() only
            GridParameterSampling({"--learning-rate": uniform(0, 1)})


if __name__ == "__main__":
    unittest.main()
