"""Dataset, Environment, ComputeTarget/AmlCompute and Model of the SDK on a real folder
workspace, each checked against what the CLI then shows."""

import json
import os
import shutil
import tempfile
import unittest

from sdk_fixture import WorkspaceCase, glia

from glia import errors


def show(root, *args):
    return json.loads(glia("-w", root, *(list(args) + ["-o", "json"])).stdout)


class TestDataset(WorkspaceCase):
    def setUp(self):
        self.data = os.path.join(self.tmp, "data-%s" % self._testMethodName)
        os.makedirs(os.path.join(self.data, "sub"))
        with open(os.path.join(self.data, "a.txt"), "w") as f:
            f.write("a")
        with open(os.path.join(self.data, "sub", "b.txt"), "w") as f:
            f.write("bb")

    def test_register_get_and_files(self):
        g = self.glia
        ds = g.Dataset.File.from_files(self.data)
        self.assertIsNone(ds.name)
        self.assertIsNone(ds.id)
        reg = ds.register(self.ws, "ds1", description="training and test dataset")
        self.assertEqual((reg.name, reg.version, reg.id), ("ds1", 1, "ds1:1"))
        self.assertEqual(reg.description, "training and test dataset")
        shown = show(self.root, "dataset", "show", "ds1")
        self.assertEqual(shown["files"], 2)
        self.assertEqual(shown["description"], "training and test dataset")
        got = g.Dataset.get_by_name(self.ws, "ds1")
        self.assertEqual(got.id, "ds1:1")
        self.assertEqual(sorted(got.to_path()), ["/a.txt", "/sub/b.txt"])
        # a new version only when asked
        with open(os.path.join(self.data, "c.txt"), "w") as f:
            f.write("c")
        with self.assertRaises(errors.ConflictError):
            g.Dataset.File.from_files(self.data).register(self.ws, "ds1")
        v2 = g.Dataset.File.from_files(self.data).register(self.ws, "ds1", create_new_version=True)
        self.assertEqual(v2.version, 2)
        self.assertEqual(g.Dataset.get_by_name(self.ws, "ds1").version, 2)
        self.assertEqual(g.Dataset.get_by_name(self.ws, "ds1", version=1).version, 1)
        self.assertEqual(len(g.Dataset.get_by_name(self.ws, "ds1", version="latest").to_path()), 3)
        with self.assertRaises(errors.NotFoundError):
            g.Dataset.get_by_name(self.ws, "ds1", version=7)
        with self.assertRaises(LookupError):  # the seed's `try: get_by_name ... except:`
            g.Dataset.get_by_name(self.ws, "no-such-dataset")

    def test_download(self):
        g = self.glia
        reg = g.Dataset.File.from_files([os.path.join(self.data, "a.txt"),
                                         os.path.join(self.data, "sub")]).register(self.ws, "ds2")
        target = os.path.join(self.tmp, "ds2-out")
        got = reg.download(target)
        self.assertEqual(sorted(os.path.relpath(p, target) for p in got), sorted(
            p.lstrip("/") for p in reg.to_path()))
        for p in got:
            self.assertTrue(os.path.isfile(p), p)
        with self.assertRaises(errors.ConflictError):
            reg.download(target)
        self.assertEqual(sorted(reg.download(target, overwrite=True)), sorted(got))
        # no target_path: a new temporary folder, as Azure's (not the current folder)
        here = os.path.join(self.tmp, "cwd-of-download")
        os.makedirs(here)
        cwd = os.getcwd()
        os.chdir(here)
        try:
            tmp_got = reg.download()
        finally:
            os.chdir(cwd)
        self.assertEqual(os.listdir(here), [])
        folder = os.path.dirname(tmp_got[0][:-len(os.path.relpath(got[0], target))])
        self.assertEqual(os.path.dirname(folder), tempfile.gettempdir())
        self.assertEqual(sorted(tmp_got), sorted(os.path.join(folder, os.path.relpath(p, target))
                                                 for p in got))
        for p in tmp_got:
            self.assertTrue(os.path.isfile(p), p)
        again = reg.download()
        self.assertNotEqual(again[0], tmp_got[0])  # a fresh folder each time
        for p in (tmp_got[0], again[0]):
            shutil.rmtree(p[:-len(os.path.relpath(got[0], target))])

    def test_refusals(self):
        g = self.glia
        with self.assertRaises(errors.NotFoundError):
            g.Dataset.File.from_files(os.path.join(self.tmp, "missing"))
        self.assertEqual(g.Dataset.File.from_files(os.path.join(self.tmp, "missing"),
                                                   validate=False)._paths,
                         [os.path.join(self.tmp, "missing")])
        with self.assertRaises(NotImplementedError):
            g.Dataset.File.from_files(self.data).register(self.ws, "t", tags={"a": "b"})
        with self.assertRaises(errors.InvalidArgumentError):
            g.Dataset.File.from_files(self.data).to_path()  # not registered
        ds = g.Dataset.File.from_files(self.data)
        named = ds.as_named_input("mnist")
        self.assertEqual(named.as_mount()._job_input()["path"], self.data)  # a local folder
        self.assertEqual(named.as_download()._job_input()["mode"], "download")
        # Azure's arguments are used or refused, never ignored.
        with self.assertRaises(errors.InvalidArgumentError):
            g.Dataset.File.from_files(self.data, is_file=True)  # a folder
        self.assertEqual(g.Dataset.File.from_files(os.path.join(self.data, "a.txt"),
                                                   is_file=True)._paths,
                         [os.path.join(self.data, "a.txt")])
        reg = g.Dataset.File.from_files(self.data).register(self.ws, "refused")
        with self.assertRaises(NotImplementedError):
            reg.download(os.path.join(self.tmp, "refused-out"), ignore_not_found=True)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "refused-out")))


class TestEnvironment(WorkspaceCase):
    def test_conda_with_image(self):
        g = self.glia
        conda = os.path.join(self.tmp, "conda_dependencies.yml")
        with open(conda, "w") as f:
            f.write("channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip:\n"
                    "    - requests\n")
        env = g.Environment.from_conda_specification("keras-env", conda)
        env.docker.enabled = True
        env.docker.base_image = "mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04"
        self.assertIsNone(env.version)
        self.assertIs(env.register(self.ws), env)
        self.assertEqual(env.version, 1)
        shown = show(self.root, "environment", "show", "keras-env")
        self.assertEqual(shown["image"], "mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04")
        self.assertEqual(shown["python"], "3.11")
        self.assertEqual(shown["spec"]["pip"], ["requests"])
        got = g.Environment.get(self.ws, "keras-env")
        self.assertEqual((got.name, got.version), ("keras-env", 1))
        self.assertEqual(got.docker.base_image, env.docker.base_image)
        self.assertEqual(g.Environment.get(self.ws, "keras-env", version=1).version, 1)
        with self.assertRaises(errors.NotFoundError):
            g.Environment.get(self.ws, "keras-env", version=5)
        with self.assertRaises(errors.NotFoundError):
            g.Environment.from_conda_specification("x", os.path.join(self.tmp, "none.yml"))

    def test_a_fetched_environment_registers_with_its_packages(self):
        # Environment.get, changed, registered again: the new version keeps the conda/pip spec
        # of the one fetched (it was registered without it: no packages).
        g = self.glia
        for kind, text in (("conda", "dependencies:\n  - python=3.11\n  - pip:\n"
                                     "    - requests\n"),
                           ("pip", "requests\n")):
            path = os.path.join(self.tmp, "spec-" + kind)
            with open(path, "w") as f:
                f.write(text)
            name = "fetched-" + kind
            if kind == "conda":
                g.Environment.from_conda_specification(name, path).register(self.ws)
            else:
                g.Environment.from_pip_requirements(name, path).register(self.ws)
            got = g.Environment.get(self.ws, name)
            got.docker.base_image = "example/image:1"
            got.register(self.ws)
            self.assertEqual(got.version, 2)
            shown = show(self.root, "environment", "show", "%s:2" % name)
            self.assertEqual(shown["source_kind"], kind)
            self.assertEqual(shown["spec"]["pip"], ["requests"])
            self.assertEqual(shown["image"], "example/image:1")
        self.assertEqual([n for n in os.listdir(tempfile.gettempdir())
                          if n.startswith("glia-env-")], [])

    def test_pip_and_refusals(self):
        g = self.glia
        req = os.path.join(self.tmp, "requirements.txt")
        with open(req, "w") as f:
            f.write("requests==2.31.0\n")
        env = g.Environment.from_pip_requirements("pip-env", req).register(self.ws)
        self.assertEqual(show(self.root, "environment", "show", "pip-env:%d" % env.version)
                         ["source_kind"], "pip")
        bare = g.Environment("bare")
        with self.assertRaises(errors.InvalidArgumentError):
            bare.register(self.ws)  # the CLI wants a spec: said, not guessed
        bare.docker.base_dockerfile = "FROM x"
        with self.assertRaises(NotImplementedError):
            bare.register(self.ws)


class TestCompute(WorkspaceCase):
    def test_seed_flow(self):
        g = self.glia
        with self.assertRaises(errors.NotFoundError):
            g.ComputeTarget(workspace=self.ws, name="gpu-cluster")
        config = g.AmlCompute.provisioning_configuration(vm_size="STANDARD_NC6", max_nodes=4)
        target = g.ComputeTarget.create(self.ws, "gpu-cluster", config)
        self.assertIsNone(target.wait_for_completion(show_output=False, min_node_count=None,
                                                     timeout_in_minutes=20))
        self.assertEqual(target.name, "gpu-cluster")
        shown = show(self.root, "compute", "show", "gpu-cluster")
        self.assertEqual(shown["type"], "local")
        self.assertEqual(shown["max_concurrent"], 4)
        self.assertIn("vm_size=STANDARD_NC6", shown["description"])
        status = target.get_status().serialize()
        self.assertEqual(status["provisioningState"], "Succeeded")
        self.assertEqual(status["targetNodeCount"], 4)
        again = g.ComputeTarget(workspace=self.ws, name="gpu-cluster")
        self.assertEqual(again.max_nodes, 4)
        # a job on it
        run = g.Experiment(self.ws, "on-cluster").submit(
            g.ScriptRunConfig(self.src, "train.py", compute_target=target))
        self.assertEqual(run.wait_for_completion()["target"], "gpu-cluster")

    def test_refusals(self):
        g = self.glia
        with self.assertRaises(NotImplementedError):
            g.AmlCompute.provisioning_configuration(vm_size="x", vnet_name="v")
        with self.assertRaises(ValueError):
            g.AmlCompute.provisioning_configuration(vm_priority="spot")
        with self.assertRaises(ValueError):
            g.AmlCompute.provisioning_configuration(max_nodes=0)
        with self.assertRaises(NotImplementedError):
            g.ComputeTarget.create(self.ws, "x", object())


class TestModel(WorkspaceCase):
    def test_register_list_download(self):
        g = self.glia
        folder = os.path.join(self.tmp, "model")
        os.makedirs(folder)
        with open(os.path.join(folder, "model.json"), "w") as f:
            f.write("{}")
        m = g.Model.register(self.ws, model_path=folder, model_name="local-model",
                             tags={"area": "mnist"}, properties={"acc": 0.9},
                             description="a local model")
        self.assertEqual((m.name, m.version, m.id), ("local-model", 1, "local-model:1"))
        self.assertEqual(m.tags, {"area": "mnist"})
        self.assertEqual(m.properties, {"acc": "0.9"})
        self.assertEqual(m.description, "a local model")
        m2 = g.Model.register(self.ws, folder, "local-model")
        self.assertEqual(m2.version, 2)
        self.assertEqual(g.Model(self.ws, "local-model").version, 2)
        self.assertEqual(g.Model(self.ws, "local-model", version=1).tags, {"area": "mnist"})
        self.assertEqual(g.Model(self.ws, id="local-model:1").version, 1)
        with self.assertRaises(errors.NotFoundError):
            g.Model(self.ws, "local-model", version=9)
        self.assertEqual([x.id for x in g.Model.list(self.ws, name="local-model")],
                         ["local-model:2", "local-model:1"])
        self.assertEqual([x.id for x in g.Model.list(self.ws, tags=[["area", "mnist"]])],
                         ["local-model:1"])
        self.assertEqual([x.id for x in g.Model.list(self.ws, name="local-model", latest=True)],
                         ["local-model:2"])
        target = os.path.join(self.tmp, "dl")
        self.assertEqual(m.download(target), target)
        with open(os.path.join(target, "model.json")) as f:
            self.assertEqual(f.read(), "{}")
        with open(os.path.join(target, "model.json"), "w") as f:
            f.write("changed")
        with self.assertRaises(errors.GliaError):
            m.download(target)  # a file there differs
        m.download(target, exist_ok=True)
        with open(os.path.join(target, "model.json")) as f:
            self.assertEqual(f.read(), "{}")
        # get_model_path outside an endpoint, with a workspace: Azure's download
        cwd = os.getcwd()
        os.chdir(self.tmp)
        try:
            path = g.Model.get_model_path("local-model", version=1, _workspace=self.ws)
            self.assertEqual(path, os.path.join(self.tmp, "azureml-models", "local-model", "1"))
            self.assertTrue(os.path.isfile(os.path.join(path, "model.json")))
        finally:
            os.chdir(cwd)
        with self.assertRaises(LookupError):
            g.Model.get_model_path("local-model")  # no endpoint, no workspace
        with self.assertRaises(TypeError):
            g.Model()
        with self.assertRaises(NotImplementedError):
            g.Model.register(self.ws, folder, "x", datasets=[("training", None)])


if __name__ == "__main__":
    unittest.main()
