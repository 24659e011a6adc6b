"""glia.Workspace on a real folder workspace: Workspace(path), from_config's search, its dicts,
get_run, ui_url; and `import glia` staying light."""

import json
import os
import subprocess
import sys
import unittest

from sdk_fixture import CLIENT_DIR, WorkspaceCase, glia

import glia as glia_module
from glia import errors


class TestImport(unittest.TestCase):
    def test_import_is_light_and_names_resolve_lazily(self):
        code = ("import sys, glia\n"
                "heavy = [m for m in ('keras', 'tensorflow', 'numpy', 'matplotlib', 'jax') "
                "if m in sys.modules]\n"
                "assert not heavy, heavy\n"
                "lazy = [m for m in ('glia.workspace', 'glia.dataset') if m in sys.modules]\n"
                "assert not lazy, lazy\n"
                "from glia import Workspace, Experiment, ScriptRunConfig, Dataset, Environment, "
                "ComputeTarget, AmlCompute, Model, Run, GliaError\n"
                "assert 'glia.workspace' in sys.modules\n"
                "heavy = [m for m in ('keras', 'tensorflow', 'numpy') if m in sys.modules]\n"
                "assert not heavy, heavy\n")
        env = dict(os.environ, PYTHONPATH=CLIENT_DIR)
        p = subprocess.run([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        with self.assertRaises(AttributeError):
            glia_module.NoSuchName


class TestWorkspace(WorkspaceCase):
    def setUp(self):
        self.cwd = os.getcwd()

    def tearDown(self):
        os.chdir(self.cwd)
        os.environ.pop("GLIA_WORKSPACE", None)

    def test_folder(self):
        ws = self.glia.Workspace(self.root)
        self.assertEqual(ws.root, self.root)
        self.assertEqual(ws.name, "ws")  # what `glia workspace show` says
        self.assertIsNone(ws.server_url)
        self.assertIsNone(ws.ui_url())
        self.assertEqual(self.glia.Workspace.from_folder(self.root), ws)
        with self.assertRaises(errors.NotFoundError):
            self.glia.Workspace(self.src)  # no .glia there
        with self.assertRaises(NotImplementedError):
            self.glia.Workspace(subscription_id="s", resource_group="r", workspace_name="w")

    def test_from_config_search(self):
        deep = os.path.join(self.root, "a", "b")
        os.makedirs(deep, exist_ok=True)
        os.chdir(deep)
        self.assertEqual(self.glia.Workspace.from_config().root, self.root)  # .glia upward
        self.assertEqual(self.glia.Workspace.from_config(path=deep).root, self.root)
        # $GLIA_WORKSPACE wins when no path is given
        other = os.path.join(self.tmp, "other")
        glia("workspace", "init", other)
        os.environ["GLIA_WORKSPACE"] = other
        self.assertEqual(self.glia.Workspace.from_config().root, other)
        self.assertEqual(self.glia.Workspace.from_config(path=deep).root, self.root)

    def test_from_config_skips_an_unrelated_config_json(self):
        # A plain ./config.json that is no workspace config (a model's, a script's settings)
        # does not end the search: the workspace above is found, and get_context is online.
        sub = os.path.join(self.root, "models", "mlp")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "config.json"), "w") as f:
            json.dump({"hidden_units": 300, "epochs": 3}, f)
        with open(os.path.join(self.root, "models", "config.json"), "w") as f:
            f.write("[1, 2, 3]\n")
        self.assertEqual(self.glia.Workspace.from_config(sub).root, self.root)
        # ...but named explicitly it is refused, and an Azure one still says what to add
        with self.assertRaises(errors.InvalidArgumentError):
            self.glia.Workspace.from_config(os.path.join(sub, "config.json"))

    def test_a_relative_glia_bin_survives_a_change_of_folder(self):
        from glia import _cli
        binary = os.environ["GLIA_BIN"]
        os.chdir(os.path.dirname(binary))
        os.environ["GLIA_BIN"] = os.path.join(".", os.path.basename(binary))
        try:
            self.assertEqual(_cli.find_binary(), os.path.abspath(binary))
            os.chdir(self.tmp)  # a notebook moving elsewhere
            self.assertEqual(_cli.find_binary(), os.path.abspath(binary))
            self.assertEqual(self.glia.Workspace(self.root).name, "ws")
        finally:
            os.environ["GLIA_BIN"] = binary

    def test_write_config_concurrently(self):
        import threading
        ws = self.glia.Workspace(self.root)
        proj = os.path.join(self.tmp, "proj-concurrent")
        failures = []

        def write():
            try:
                for _ in range(200):
                    ws.write_config(proj)
            except Exception as e:  # noqa: BLE001 - collected for the assertion
                failures.append(e)

        threads = [threading.Thread(target=write) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(failures, [])
        self.assertEqual(os.listdir(os.path.join(proj, ".azureml")), ["config.json"])
        os.chdir(proj)
        self.assertEqual(self.glia.Workspace.from_config().root, self.root)

    def test_from_config_json(self):
        proj = os.path.join(self.tmp, "proj")
        for place in (".azureml", "aml_config", ""):
            folder = os.path.join(proj, place)
            os.makedirs(folder, exist_ok=True)
            target = os.path.join(folder, "config.json")
            with open(target, "w") as f:
                json.dump({"glia_workspace": os.path.relpath(self.root, proj if not place else folder)}, f)
            sub = os.path.join(proj, "notebooks")
            os.makedirs(sub, exist_ok=True)
            os.chdir(sub)
            self.assertEqual(self.glia.Workspace.from_config().root, self.root, place)
            self.assertEqual(self.glia.Workspace.from_config(target).root, self.root, place)
            os.unlink(target)
        # an Azure config alone names what to add
        os.makedirs(os.path.join(proj, ".azureml"), exist_ok=True)
        with open(os.path.join(proj, ".azureml", "config.json"), "w") as f:
            json.dump({"subscription_id": "s", "resource_group": "r", "workspace_name": "w"}, f)
        with self.assertRaises(errors.InvalidArgumentError) as cm:
            self.glia.Workspace.from_config(proj)
        self.assertIn("glia_workspace", str(cm.exception))
        with open(os.path.join(proj, ".azureml", "config.json"), "w") as f:
            f.write("{not json")
        with self.assertRaises(errors.InvalidArgumentError):
            self.glia.Workspace.from_config(proj)
        os.unlink(os.path.join(proj, ".azureml", "config.json"))
        # write_config round trip
        path = self.ws.write_config(proj)
        self.assertEqual(self.glia.Workspace.from_config(proj).root, self.root)
        os.unlink(path)

    def test_from_config_nothing(self):
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty, exist_ok=True)
        with self.assertRaises(errors.NotFoundError) as cm:
            self.glia.Workspace.from_config(empty)
        self.assertIn("glia workspace init", str(cm.exception))
        self.assertIsInstance(cm.exception, LookupError)

    def test_get_context_offline_without_a_workspace(self):
        folder = os.path.join(self.tmp, "azure-project")
        os.makedirs(os.path.join(folder, ".azureml"), exist_ok=True)
        code = ("from glia import Run\nr = Run.get_context()\nassert not r.online\n"
                "r.log('a', 1)\nassert Run.get_context() is r\n"
                "try:\n    r.get_details()\n    raise SystemExit('get_details offline')\n"
                "except NotImplementedError as e:\n    assert 'offline' in str(e), e\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("GLIA_") or k == "GLIA_BIN"}
        env["PYTHONPATH"] = CLIENT_DIR
        p = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)  # said once
        self.assertIn("offline", p.stderr)
        # an Azure config there names no Glia workspace: offline too, saying why
        with open(os.path.join(folder, ".azureml", "config.json"), "w") as f:
            json.dump({"subscription_id": "s", "resource_group": "r", "workspace_name": "w"}, f)
        p = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("glia_workspace", p.stderr)
        self.assertIn("offline", p.stderr)

    def test_dicts_and_get_run(self):
        ws = self.glia.Workspace(self.root)
        self.assertNotIn("dicts", ws.experiments)
        ds = self.glia.Dataset.File.from_files(self.src).register(ws, "dicts-ds")
        env_file = os.path.join(self.tmp, "req.txt")
        with open(env_file, "w") as f:
            f.write("requests\n")
        self.glia.Environment.from_pip_requirements("dicts-env", env_file).register(ws)
        self.glia.ComputeTarget.create(ws, "dicts-cpu",
                                       self.glia.AmlCompute.provisioning_configuration(max_nodes=2))
        run = self.glia.Experiment(ws, "dicts").submit(
            self.glia.ScriptRunConfig(self.src, "train.py"))
        run.wait_for_completion()
        run.register_model("dicts-model", "outputs/model")
        self.assertIn("dicts", ws.experiments)
        self.assertEqual(ws.experiments["dicts"].name, "dicts")
        self.assertEqual(ws.datasets["dicts-ds"].version, ds.version)
        self.assertEqual(ws.environments["dicts-env"].version, 1)
        self.assertEqual(ws.compute_targets["dicts-cpu"].max_nodes, 2)
        self.assertEqual(ws.models["dicts-model"].version, 1)
        got = ws.get_run(run.id)
        self.assertIsInstance(got, self.glia.Run)
        self.assertEqual(got.id, run.id)
        self.assertEqual(got.get_status(), "Completed")
        self.assertEqual(got.experiment.name, "dicts")
        self.assertIs(got.workspace, ws)


if __name__ == "__main__":
    unittest.main()
