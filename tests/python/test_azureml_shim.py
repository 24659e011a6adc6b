"""Tests of Glia's azureml.core shim (clients/azureml-shim): an Azure ML script's
``from azureml.core import Run`` logging to a Glia run.

    python3 -m unittest discover -s tests/python -v

Standard library only. Online behaviour is checked in child processes with the GLIA_* variables
the agent sets and PYTHONPATH=<shim>:<client>, as the agent runs a job.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CLIENT_DIR = os.path.join(ROOT, "clients", "python")
SHIM_DIR = os.path.join(ROOT, "clients", "azureml-shim")
for d in (CLIENT_DIR, SHIM_DIR):
    if d not in sys.path:
        sys.path.insert(0, d)

import glia  # noqa: E402
from azureml.core import run as shim_run_module  # noqa: E402
from azureml.core import (ComputeTarget, Dataset, Datastore, Environment, Experiment,  # noqa: E402
                          Model, Run, RunConfiguration, ScriptRunConfig, Workspace)

GLIA_VARS = ("GLIA_RUN_ID", "GLIA_EXPERIMENT_NAME", "GLIA_WORKSPACE", "GLIA_TRACKING_FILE",
             "GLIA_SCRATCH_DIR", "GLIA_OUTPUTS_DIR", "GLIA_INPUT_DATASETS",
             "GLIA_PARENT_RUN_ID", "GLIA_DISPLAY_NAME")

PNG = b"\x89PNG\r\n\x1a\n" + b"fake image data"


def read_records(path):
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        return []
    assert data.endswith(b"\n"), "tracking file ends with a partial line"
    return [json.loads(line.decode("utf-8")) for line in data[:-1].split(b"\n")]


def child_env(path_dirs=(SHIM_DIR, CLIENT_DIR), **extra):
    env = {k: v for k, v in os.environ.items() if k not in GLIA_VARS and k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join(path_dirs)
    env.update(extra)
    return env


def run_child(code, env, cwd=None):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)


class JobCase(unittest.TestCase):
    """A temp folder laid out like a job's: tracking file, scratch, outputs, a data input."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="glia-shim-test-")
        self.tracking = os.path.join(self.dir, "tracking.jsonl")
        self.scratch = os.path.join(self.dir, "scratch")
        self.data = os.path.join(self.dir, "data")
        for d in (self.scratch, self.data):
            os.mkdir(d)
        open(self.tracking, "w").close()
        self.env = child_env(GLIA_RUN_ID="run-7", GLIA_EXPERIMENT_NAME="keras-mnist",
                             GLIA_WORKSPACE=self.dir, GLIA_TRACKING_FILE=self.tracking,
                             GLIA_SCRATCH_DIR=self.scratch,
                             GLIA_OUTPUTS_DIR=os.path.join(self.dir, "outputs"),
                             GLIA_INPUT_DATASETS=json.dumps({"mnist": self.data}))

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def check_child(self, code, env=None, cwd=None):
        p = run_child(code, env or self.env, cwd=cwd or self.dir)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return p.stdout.decode()


class TestShimInAJob(JobCase):
    def test_logs_every_kind_of_record(self):
        with open(os.path.join(self.dir, "chart.png"), "wb") as f:
            f.write(PNG)
        os.makedirs(os.path.join(self.dir, "folder", "sub"))
        for name, text in (("a.txt", "A"), ("sub/b.txt", "B")):
            with open(os.path.join(self.dir, "folder", name), "w") as f:
                f.write(text)
        out = self.check_child("""
            import io, json
            from azureml.core import Run

            class Figure(object):          # stands in for matplotlib.pyplot
                def savefig(self, fname, format=None):
                    with open(fname, "wb") as f:
                        f.write(%r)

            run = Run.get_context()
            assert run is Run.get_context()
            run.log("Loss", 0.5)
            run.log("Loss", 0.25, description="val loss")
            run.log("lr", 0.001, step=3)
            run.log_list("curve", [1, 2.5, 3])
            run.log_row("Y over X", x=1, y=0.4)
            run.log_table("table", {"a": [1, 2], "b": ["u", "v"]})
            run.log_image("chart", path="chart.png")
            run.log_image("Accuracy vs Loss", plot=Figure())
            run.upload_file("outputs/notes.txt", io.BytesIO(b"notes"))
            run.upload_files(["extra/one.txt"], ["folder/a.txt"])
            run.upload_folder("folder", "folder")
            run.tag("framework", "keras")
            run.set_tags({"a": "1", "b": 2})
            run.flush()
            with Run.get_context() as r:
                r.complete()
            m = run.get_metrics()
            print(json.dumps({"id": run.id, "experiment": run.experiment.name,
                              "display_name": run.display_name, "parent": run.parent,
                              "inputs": run.input_datasets, "tags": run.get_tags(),
                              "tags_property": run.tags, "Loss": m["Loss"],
                              "lr": run.get_metrics("lr"), "curve": m["curve"],
                              "table": m["table"], "Y over X": m["Y over X"]}))
            """ % PNG)
        info = json.loads(out)
        self.assertEqual(info["id"], "run-7")
        self.assertEqual(info["experiment"], "keras-mnist")
        self.assertEqual(info["display_name"], "run-7")
        self.assertIsNone(info["parent"])
        self.assertEqual(info["inputs"], {"mnist": self.data})
        self.assertEqual(info["tags"], {"framework": "keras", "a": "1", "b": "2"})
        self.assertEqual(info["tags_property"], info["tags"])
        self.assertEqual(info["Loss"], [0.5, 0.25])
        self.assertEqual(info["lr"], {"lr": 0.001})
        self.assertEqual(info["curve"], [1, 2.5, 3])
        self.assertEqual(info["table"], {"a": [1, 2], "b": ["u", "v"]})
        self.assertEqual(info["Y over X"], {"x": [1], "y": [0.4]})

        recs = read_records(self.tracking)
        metrics = [r for r in recs if r["kind"] == "metric"]
        self.assertEqual([(r["name"], r["value"], r.get("step")) for r in metrics],
                         [("Loss", 0.5, None), ("Loss", 0.25, None), ("lr", 0.001, 3)])
        lists = [r for r in recs if r["kind"] == "list"]
        self.assertEqual([(r["name"], r["values"]) for r in lists], [("curve", [1, 2.5, 3])])
        rows = [(r["name"], r["row"]) for r in recs if r["kind"] == "row"]
        self.assertEqual(rows, [("Y over X", {"x": 1, "y": 0.4}), ("table", {"a": 1, "b": "u"}),
                                ("table", {"a": 2, "b": "v"})])
        images = {r["name"]: r["path"] for r in recs if r["kind"] == "image"}
        self.assertEqual(sorted(images), ["Accuracy vs Loss", "chart"])
        for path in images.values():  # copied or saved into the scratch folder
            self.assertEqual(os.path.dirname(path), self.scratch)
            with open(path, "rb") as f:
                self.assertEqual(f.read(), PNG)
        files = {r["name"]: r["path"] for r in recs if r["kind"] == "file"}
        self.assertEqual(sorted(files), ["extra/one.txt", "folder/a.txt", "folder/sub/b.txt",
                                         "outputs/notes.txt"])
        contents = {}
        for name, path in files.items():
            self.assertEqual(os.path.dirname(path), self.scratch)
            with open(path) as f:
                contents[name] = f.read()
        self.assertEqual(contents, {"extra/one.txt": "A", "folder/a.txt": "A",
                                    "folder/sub/b.txt": "B", "outputs/notes.txt": "notes"})
        tags = [(r["key"], r["value"]) for r in recs if r["kind"] == "tag"]
        self.assertEqual(tags, [("framework", "keras"), ("a", "1"), ("b", "2")])
        self.assertEqual(len(recs), 3 + 1 + 3 + 2 + 4 + 3)

    def test_run_module_and_glia_share_one_run(self):
        out = self.check_child("""
            import glia, glia.keras
            from azureml.core.run import Run
            import azureml.core
            assert Run is azureml.core.Run
            run = Run.get_context()
            run.log("from shim", 1)
            glia.Run.get_context().log("from glia", 2)
            print(sorted(run.get_metrics()))
            print(type(run).__module__)
            """)
        self.assertEqual(out.splitlines(), ["['from glia', 'from shim']", "azureml.core.run"])
        self.assertEqual([r["name"] for r in read_records(self.tracking)],
                         ["from shim", "from glia"])

    def test_parent_of_a_sweep_trial(self):
        env = dict(self.env, GLIA_PARENT_RUN_ID="sweep-1")
        out = self.check_child("""
            from azureml.core import Run
            parent = Run.get_context().parent
            print(parent.id, parent.experiment.name)
            for call in (lambda: parent.log("best", 1), lambda: parent.tag("k", "v"),
                         lambda: parent.get_children()):
                try:
                    call()
                    print("no error")
                except NotImplementedError as e:
                    print(e)
            try:
                parent.lgo
            except AttributeError:
                print("AttributeError")
            """, env=env)
        lines = out.splitlines()
        self.assertEqual(lines[0], "sweep-1 keras-mnist")
        self.assertIn("azureml.core.Run.parent.log is not available", lines[1])
        self.assertIn("azureml.core.Run.parent.tag is not available", lines[2])
        self.assertIn("azureml.core.Run.parent.get_children is not available", lines[3])
        self.assertEqual(lines[4], "AttributeError")
        self.assertEqual(read_records(self.tracking), [])

    def test_display_name_from_the_agent(self):
        env = dict(self.env, GLIA_DISPLAY_NAME="keras-mnist MLP")
        out = self.check_child("from azureml.core import Run\n"
                               "print(Run.get_context().display_name)\n", env=env)
        self.assertEqual(out, "keras-mnist MLP\n")

    def test_unsupported_arguments_write_nothing(self):
        with open(os.path.join(self.dir, "f.txt"), "w") as f:
            f.write("x")
        out = self.check_child("""
            from azureml.core import Run
            run = Run.get_context()
            for call in (lambda: run.upload_file("f.txt", "f.txt", datastore_name="ds"),
                         lambda: run.upload_files(["f.txt"], ["f.txt"], return_artifacts=True),
                         lambda: run.upload_folder("d", ".", datastore_name="ds"),
                         lambda: run.get_metrics(recursive=True),
                         lambda: run.get_metrics(run_type="azureml.scriptrun"),
                         lambda: run.get_metrics(populate=True)):
                try:
                    call()
                    print("no error")
                except NotImplementedError as e:
                    print(str(e).split(" is not")[0])
            """)
        self.assertEqual(out.splitlines(), [
            "azureml.core.Run.upload_file(datastore_name=...)",
            "azureml.core.Run.upload_files(return_artifacts=True)",
            "azureml.core.Run.upload_folder(datastore_name=...)",
            "azureml.core.Run.get_metrics(recursive=True)",
            "azureml.core.Run.get_metrics(run_type=...)",
            "azureml.core.Run.get_metrics(populate=True)"])
        self.assertEqual(read_records(self.tracking), [])


class TestPackageLayout(unittest.TestCase):
    """The shim wins over an installed azureml-core, and other azureml.* packages still import."""

    def setUp(self):
        self.site = tempfile.mkdtemp(prefix="glia-shim-site-")
        pkg = os.path.join(self.site, "azureml")
        os.makedirs(os.path.join(pkg, "core"))
        os.makedirs(os.path.join(pkg, "train", "automl"))
        with open(os.path.join(pkg, "__init__.py"), "w") as f:  # as azureml-core ships it
            f.write("__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n")
        with open(os.path.join(pkg, "core", "__init__.py"), "w") as f:
            f.write("Run = 'the installed azureml-core'\n")
        with open(os.path.join(pkg, "train", "__init__.py"), "w") as f:  # as azureml-train ships it
            f.write("__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n")
        with open(os.path.join(pkg, "train", "automl", "__init__.py"), "w") as f:
            f.write("WHO = 'the installed azureml-train-automl'\n")

    def tearDown(self):
        shutil.rmtree(self.site, ignore_errors=True)

    CODE = """
        import azureml.core, azureml.train.automl, azureml.train.hyperdrive
        print(azureml.core.Run if isinstance(azureml.core.Run, str) else "glia")
        print(azureml.train.automl.WHO)
        print("azureml.train.hyperdrive" in __import__("sys").modules)
        """

    def test_shim_first_wins_and_other_subpackages_import(self):
        p = run_child(self.CODE, child_env((SHIM_DIR, CLIENT_DIR, self.site)))
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(p.stdout.decode().splitlines(),
                         ["glia", "the installed azureml-train-automl", "True"])

    def test_without_the_shim_the_installed_package_is_used(self):
        # What a job gets with GLIA_AZUREML_SHIM=0 (the agent leaves the shim off PYTHONPATH).
        p = run_child(self.CODE.replace(", azureml.train.hyperdrive", ""),
                      child_env((CLIENT_DIR, self.site)))
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(p.stdout.decode().splitlines(),
                         ["the installed azureml-core", "the installed azureml-train-automl",
                          "False"])

    def test_shim_needs_the_glia_client(self):
        p = run_child("from azureml.core import Run", child_env((SHIM_DIR,)))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("needs Glia's Python client", p.stderr.decode())


class TestOfflineAndErrors(unittest.TestCase):
    def setUp(self):
        self.run = Run._wrap(glia.Run.from_environment({}))

    def test_offline_run(self):
        r = self.run
        self.assertTrue(re.fullmatch(r"OfflineRun_[0-9a-f-]{36}", r.id), r.id)
        self.assertIsNone(r.experiment.name)
        self.assertIsNone(r.parent)
        self.assertEqual(r.input_datasets, {})
        r.log("acc", 0.5)
        r.log_list("curve", [1, 2])
        r.log_row("t", x=1)
        r.tag("k")
        self.assertEqual(r.get_metrics(), {"acc": 0.5, "curve": [1.0, 2.0], "t": {"x": [1]}})
        self.assertEqual(r.get_tags(), {"k": ""})
        r.complete()

    def test_offline_script_context(self):
        p = run_child("""
            from azureml.core import Run
            run = Run.get_context(allow_offline=True)
            assert run is Run.get_context() and run.parent is None
            run.log("a", 1)
            try:
                Run.get_context(allow_offline=False)
                raise SystemExit(3)
            except RuntimeError:
                pass
            """, child_env(GLIA_PARENT_RUN_ID="sweep-1"))
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(p.stdout, b"")
        self.assertEqual(p.stderr.count(b"\n"), 1, p.stderr)  # "... is offline ..." once

    def assert_unavailable(self, call, name, hint=None):
        with self.assertRaises(NotImplementedError) as cm:
            call()
        text = str(cm.exception)
        self.assertTrue(text.startswith(name + " is not available in Glia"), text)
        self.assertNotIn("\n", text)
        if hint:
            self.assertIn(hint, text)

    def test_known_azure_run_names_pass_through_or_raise_not_implemented(self):
        # Azure's Run names glia.Run has are passed to it (a run handle's query calls); the
        # others raise NotImplementedError naming the call.
        passed = {n for n in shim_run_module.AZURE_RUN_NAMES if hasattr(glia.Run, n)}
        self.assertTrue({"get_details", "get_file_names", "download_file", "cancel",
                         "get_status"} <= passed, passed)
        for name in sorted(shim_run_module.AZURE_RUN_NAMES):
            self.assertNotIn(name, Run.__dict__)  # none is defined and shadowed
            if name in passed:
                self.assertEqual(getattr(self.run, "_glia")(name).__name__
                                 if callable(getattr(glia.Run, name)) else name, name)
            else:
                self.assert_unavailable(lambda: getattr(self.run, name),
                                        "azureml.core.Run." + name)
        for name in ("submit_child", "child_run", "log_confusion_matrix", "number",
                     "properties", "get_portal_url"):
            self.assert_unavailable(lambda: getattr(self.run, name), "azureml.core.Run." + name)
        # An offline run is in no workspace: the query calls say so (NotImplementedError, as a
        # job's own run's, which only logs while it runs).
        for call in (self.run.get_details, self.run.get_file_names, self.run.get_children,
                     lambda: self.run.register_model("m", "outputs/model")):
            with self.assertRaisesRegex(NotImplementedError, "offline"):
                call()
        # Azure's arguments Glia cannot honour are refused by name.
        self.assert_unavailable(lambda: self.run.get_children(recursive=True),
                                "azureml.core.Run.get_children(recursive=...)")
        self.assert_unavailable(lambda: self.run.register_model("m", "outputs/model",
                                                                model_framework="Keras"),
                                "azureml.core.Run.register_model(model_framework=...)")
        # at class level too: Run.list(...); Run(experiment, id) needs an azureml Experiment
        self.assert_unavailable(lambda: Run.list, "azureml.core.Run.list")
        self.assert_unavailable(lambda: Run("experiment", "run-1"), "azureml.core.Run(...)",
                                "Run.get_context()")
        with self.assertRaises(NotImplementedError):
            self.run.display_name = "new name"

    def test_typo_is_an_attribute_error(self):
        with self.assertRaises(AttributeError):
            self.run.lgo("x", 1)
        with self.assertRaises(AttributeError):
            Run.get_contxt()
        self.assertFalse(hasattr(self.run, "lgo"))
        self.assertFalse(hasattr(self.run, "__wrapped__"))
        self.assertTrue(hasattr(self.run, "log"))

    def test_names_glia_does_not_offer_raise_not_implemented(self):
        from azureml.core.runconfig import DockerConfiguration, MpiConfiguration
        self.assert_unavailable(lambda: Workspace(subscription_id="s", resource_group="r",
                                                  workspace_name="w"),
                                "azureml.core.Workspace(subscription_id, resource_group, "
                                "workspace_name)", "Workspace.from_config()")
        self.assert_unavailable(lambda: Workspace.create("w"), "azureml.core.Workspace.create")
        self.assert_unavailable(lambda: Datastore.get(None, "x"), "azureml.core.Datastore.get")
        self.assert_unavailable(lambda: RunConfiguration(), "azureml.core.RunConfiguration(...)")
        self.assert_unavailable(lambda: DockerConfiguration(use_docker=True),
                                "azureml.core.runconfig.DockerConfiguration(...)")
        self.assertEqual(MpiConfiguration().node_count, 1)
        # An offline run has no workspace.
        self.assert_unavailable(lambda: self.run.experiment.workspace,
                                "azureml.core.Run.experiment.workspace of an offline run")
        self.assert_unavailable(lambda: self.run.experiment.submit(None),
                                "azureml.core.Run.experiment.submit of an offline run")
        with self.assertRaises(AttributeError):  # introspection of private names is untouched
            Workspace.__wrapped__
        with self.assertRaises(AttributeError):
            Datastore.__wrapped__

    def test_azureml_core_submodules_import_the_same_names(self):
        # Regression: `from azureml.core.model import Model` was a ModuleNotFoundError.
        import importlib
        for module, name in (("model", "Model"), ("dataset", "Dataset"),
                             ("workspace", "Workspace"), ("experiment", "Experiment"),
                             ("environment", "Environment"), ("runconfig", "RunConfiguration"),
                             ("script_run_config", "ScriptRunConfig"),
                             ("compute", "ComputeTarget"), ("datastore", "Datastore"),
                             ("webservice", "Webservice")):
            cls = getattr(importlib.import_module("azureml.core." + module), name)
            self.assertIs(cls, getattr(importlib.import_module("azureml.core"), name))
        # Other classes Azure has there import too, and raise when used.
        from azureml.core.compute import AksCompute
        self.assert_unavailable(lambda: AksCompute.provisioning_configuration(),
                                "azureml.core.compute.AksCompute.provisioning_configuration")
        with self.assertRaises(ImportError):  # not a class name: a plain ImportError
            exec("from azureml.core import no_such_function")
        import azureml.core
        self.assertIsInstance(azureml.core.VERSION, str)


class ModelGetModelPathTest(unittest.TestCase):
    """``Model.get_model_path`` (the shim's and glia's): the served model's folder inside an
    endpoint's scoring script, a clear LookupError naming the model otherwise."""

    def setUp(self):
        self.saved = {k: os.environ.get(k) for k in (
            "AZUREML_MODEL_DIR", "GLIA_ENDPOINT_MODEL_NAME", "GLIA_ENDPOINT_MODEL_VERSION")}
        self.model_dir = tempfile.mkdtemp()

    def tearDown(self):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(self.model_dir)

    def serve(self, name="keras-mlp-mnist", version="3"):
        os.environ.update(AZUREML_MODEL_DIR=self.model_dir, GLIA_ENDPOINT_MODEL_NAME=name,
                          GLIA_ENDPOINT_MODEL_VERSION=version)

    def test_outside_an_endpoint_it_says_so(self):
        for k in self.saved:
            os.environ.pop(k, None)
        for get in (Model.get_model_path, glia.Model.get_model_path):
            with self.assertRaises(LookupError) as cm:
                get("keras-mlp-mnist")
            self.assertIn("'keras-mlp-mnist'", str(cm.exception))
            self.assertIn("not inside a Glia endpoint", str(cm.exception))

    def test_inside_an_endpoint_only_the_served_model_resolves(self):
        self.serve()
        from azureml.core.model import Model as SubmoduleModel
        self.assertIs(SubmoduleModel, Model)
        self.assertEqual(Model.get_model_path("keras-mlp-mnist"), self.model_dir)
        self.assertEqual(Model.get_model_path("keras-mlp-mnist", version=3), self.model_dir)
        self.assertEqual(glia.Model.get_model_path("keras-mlp-mnist"), self.model_dir)
        with self.assertRaises(LookupError) as cm:
            Model.get_model_path("other")
        self.assertIn("serves the model 'keras-mlp-mnist', not 'other'", str(cm.exception))
        with self.assertRaises(LookupError) as cm:
            Model.get_model_path("keras-mlp-mnist", version=2)
        self.assertIn("serves version 3", str(cm.exception))
        with self.assertRaises(TypeError):  # Azure: "version should be an int"
            Model.get_model_path("keras-mlp-mnist", version="3")
        self.assert_no_instances()

    def assert_no_instances(self):
        # A Model is a registered version of a workspace: without one there is none.
        with self.assertRaises(TypeError):
            Model(None, "keras-mlp-mnist")
        with self.assertRaises(TypeError):
            glia.Model()


class AMLResponseTest(unittest.TestCase):
    """``azureml.contrib.services.aml_response.AMLResponse`` as Azure's inference server builds
    its body, content type and headers."""

    def test_bodies_and_headers(self):
        from azureml.contrib.services.aml_response import AMLResponse
        r = AMLResponse({"a": 1}, 200, json_str=True)
        self.assertEqual((r.status_code, r.get_data()), (200, b'{"a": 1}'))
        self.assertIn(("Content-Type", "application/json"), r.headers.items())
        r = AMLResponse("text", 418, {"X-Multi": "a, b", "Content-Type": "text/plain"})
        self.assertEqual(r.get_data(as_text=True), "text")
        self.assertEqual([v for k, v in r.headers.items() if k == "X-Multi"], ["a", "b"])
        self.assertEqual([v for k, v in r.headers.items() if k.lower() == "content-type"],
                         ["text/plain"])
        self.assertEqual(AMLResponse(None, 204).get_data(), b"{}")
        from azureml.contrib.services.aml_request import AMLRequest, rawhttp
        self.assertTrue(rawhttp(lambda request: None)._glia_rawhttp)
        with self.assertRaises(NotImplementedError):
            AMLRequest()


if __name__ == "__main__":
    unittest.main()
