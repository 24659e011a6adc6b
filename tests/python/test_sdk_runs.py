"""Experiment.submit and the Run query methods on a real folder workspace: jobs run by the
real agent; every call checked against what the job did."""

import contextlib
import io
import json
import os
import time
import unittest

from sdk_fixture import WorkspaceCase, glia

from glia import errors


class _SweepConfig(object):
    """A sweep job dict, as H3's HyperDriveConfig gives one (Experiment.submit only needs
    _glia_job)."""

    def __init__(self, src):
        self.src = src

    def _glia_job(self, experiment):
        return {"type": "sweep", "trial": {"code": self.src,
                                           "command": "python train.py --lr ${{search_space.lr}}"},
                "search_space": {"lr": {"type": "choice", "values": [1, 2]}},
                "sampling_algorithm": "grid",
                "objective": {"primary_metric": "acc", "goal": "maximize"},
                "limits": {"max_total_trials": 2, "max_concurrent_trials": 2}}


class TestSubmit(WorkspaceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        g = cls.glia
        cls.exp = g.Experiment(cls.ws, "sdk-runs")
        cls.r = cls.exp.submit(g.ScriptRunConfig(cls.src, "train.py",
                                                   arguments=["--lr", 0.5, "--name", "a b"]),
                                 tags={"team": "vision"})
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cls.details = cls.r.wait_for_completion(show_output=True)
        cls.output = out.getvalue()

    def test_submit_and_wait(self):
        self.assertIsInstance(self.r, self.glia.Run)
        self.assertTrue(self.r.id.startswith("sdk-runs_"))
        self.assertEqual(self.r.experiment.name, "sdk-runs")
        self.assertEqual(self.r.get_status(), "Completed")
        self.assertEqual(self.r.status, "Completed")
        self.assertEqual(self.r.type, "command")
        self.assertIsNone(self.r.parent)
        self.assertEqual(self.r.display_name, self.r.id)
        # show_output streamed the job's own output
        self.assertIn("training with --lr 0.5 --name a b", self.output)
        self.assertIn("Completed", self.output)
        # what the CLI recorded
        shown = json.loads(glia("-w", self.root, "job", "show", self.r.id, "-o", "json").stdout)
        self.assertEqual(shown["command"], "python train.py --lr 0.5 --name 'a b'")
        self.assertEqual(shown["tags"], {"team": "vision"})
        self.assertEqual(self.r.get_tags(), {"team": "vision"})
        # a handle is not logged from here: refused, not kept where nobody reads it
        self.assertFalse(self.r.online)
        with self.assertRaises(errors.ConflictError):
            self.r.log("late", 1)
        with self.assertRaises(errors.ConflictError):
            self.r.tag("late")
        self.assertEqual(self.r.get_metrics(), {"loss": [1.0, 0.5, 1.0 / 3], "acc": 0.5})

    def test_details(self):
        d = self.details
        self.assertEqual(d, self.r.get_details())
        self.assertEqual(d["runId"], self.r.id)
        self.assertEqual(d["status"], "Completed")
        self.assertTrue(d["startTimeUtc"] and d["endTimeUtc"])
        self.assertEqual(d["target"], "local")
        self.assertEqual(d["runDefinition"]["script"], "train.py")
        self.assertEqual(d["runDefinition"]["arguments"], ["--lr", "0.5", "--name", "a b"])
        self.assertEqual(d["runDefinition"]["compute"], "local")
        self.assertIn("user_logs/std_log.txt", d["logFiles"])
        self.assertEqual(d["inputDatasets"], [])
        self.assertNotIn("error", d)
        self.assertIn("threads", d["properties"])

    def test_metrics(self):
        self.assertEqual(self.r.get_metrics(), {"loss": [1.0, 0.5, 1.0 / 3], "acc": 0.5})
        self.assertIs(type(self.r.get_metrics()["loss"][0]), float)  # 1.0, not 1
        self.assertEqual(self.r.get_metrics("acc"), {"acc": 0.5})
        self.assertEqual(self.r.get_metrics(name="loss"), {"loss": [1.0, 0.5, 1.0 / 3]})
        # a name the run never logged: nothing, as Azure's (and the in-process run's) filter
        self.assertEqual(self.r.get_metrics("never-logged"), {})
        # ...but a run that does not exist is still NotFoundError
        gone = self.glia.Run._handle(self.ws, "no-such-run")
        with self.assertRaises(errors.NotFoundError):
            gone.get_metrics("acc")
        # Azure's filters Glia does not have are refused, never ignored.
        for kwargs in ({"run_type": "azureml.scriptrun"}, {"populate": True}):
            with self.assertRaises(NotImplementedError):
                self.r.get_metrics(**kwargs)

    def test_files(self):
        names = self.r.get_file_names()
        self.assertEqual(sorted(names), ["outputs/model/model.json", "outputs/model/weights.bin",
                                         "outputs/notes.txt", "user_logs/std_log.txt"])
        target = os.path.join(self.tmp, "dl", "m.json")
        self.assertEqual(self.r.download_file("outputs/model/model.json", target), target)
        with open(target) as f:
            self.assertEqual(json.load(f), {"args": ["--lr", "0.5", "--name", "a b"]})
        into = os.path.join(self.tmp, "dl-dir")
        os.makedirs(into)
        self.assertEqual(self.r.download_file("outputs/notes.txt", into),
                         os.path.join(into, "notes.txt"))
        cwd = os.getcwd()
        os.chdir(into)
        try:
            self.r.download_file("outputs/model/weights.bin")
            self.assertTrue(os.path.isfile(os.path.join(into, "weights.bin")))
        finally:
            os.chdir(cwd)
        with self.assertRaises(errors.NotFoundError):
            self.r.download_file("outputs/nothing.txt", os.path.join(self.tmp, "x"))
        out = os.path.join(self.tmp, "all")
        got = self.r.download_files("outputs/model", out)
        self.assertEqual(sorted(got), [os.path.join(out, "outputs/model/model.json"),
                                       os.path.join(out, "outputs/model/weights.bin")])
        out2 = os.path.join(self.tmp, "noprefix")
        got = self.r.download_files("outputs/model", out2, append_prefix=False)
        self.assertEqual(sorted(got), [os.path.join(out2, "model.json"),
                                       os.path.join(out2, "weights.bin")])
        with open(os.path.join(out2, "weights.bin"), "rb") as f:
            self.assertEqual(f.read(), b"\x00\x01")
        out3 = os.path.join(self.tmp, "everything")
        self.assertEqual(len(self.r.download_files(output_directory=out3)), 4)
        # a prefix is a string prefix of the names, as Azure's (not only a whole folder)
        out4 = os.path.join(self.tmp, "partial")
        self.assertEqual(self.r.download_files("outputs/no", out4),
                         [os.path.join(out4, "outputs/notes.txt")])
        self.assertEqual(self.r.download_files("outputs/model/w", out4),
                         [os.path.join(out4, "outputs/model/weights.bin")])
        out5 = os.path.join(self.tmp, "one-file")
        self.assertEqual(self.r.download_files("outputs/notes.txt", out5, append_prefix=True),
                         [os.path.join(out5, "outputs/notes.txt")])
        self.assertEqual(sorted(os.listdir(out4)), ["outputs"])  # no temp folder left

    def test_register_model(self):
        m = self.r.register_model("sdk-model", "outputs/model", tags={"k": "v"},
                                    properties={"acc": 0.5}, description="from a run")
        self.assertEqual((m.name, m.version, m.id), ("sdk-model", 1, "sdk-model:1"))
        self.assertEqual(m.tags, {"k": "v"})
        self.assertEqual(m.properties, {"acc": "0.5"})
        self.assertEqual(m.run_id, self.r.id)
        shown = json.loads(glia("-w", self.root, "model", "show", "sdk-model:1", "-o", "json").stdout)
        self.assertEqual(shown["run"], self.r.id)
        self.assertEqual(shown["description"], "from a run")
        with self.assertRaises(errors.NotFoundError):
            self.r.register_model("sdk-model", "outputs/none")

    def test_get_runs_newest_first(self):
        exp = self.glia.Experiment(self.ws, "sdk-order")
        self.assertEqual(list(exp.get_runs()), [])
        first = exp.submit(self.glia.ScriptRunConfig(self.src, "train.py"), tags={"n": "1"})
        second = exp.submit(self.glia.ScriptRunConfig(self.src, "train.py"))
        second.wait_for_completion()
        first.wait_for_completion()
        self.assertEqual([r.id for r in exp.get_runs()], [second.id, first.id])
        self.assertEqual([r.id for r in exp.get_runs(tags={"n": "1"})], [first.id])
        self.assertEqual([r.id for r in exp.get_runs(tags="n")], [first.id])
        self.assertEqual([r.id for r in self.exp.get_runs(tags={"team": "vision"})], [self.r.id])

    def test_failed_run_whose_log_has_a_glia_error_line(self):
        # The job's own log is streamed too: a line in it that looks like the CLI's error
        # (a tool the script ran) is not `glia job stream` failing: the run Failed.
        with open(os.path.join(self.src, "inner.py"), "w") as f:
            f.write("import sys\nprint('glia: error: an inner tool failed', file=sys.stderr)\n"
                    "sys.exit(3)\n")
        run = self.exp.submit(self.glia.ScriptRunConfig(self.src, "inner.py"))
        for show in (False, True):
            out = io.StringIO()
            with contextlib.redirect_stdout(out), self.assertRaises(errors.RunFailedError) as cm:
                run.wait_for_completion(show_output=show)
            self.assertNotIsInstance(cm.exception, errors.NotFoundError)
            self.assertEqual(cm.exception.details["exitCode"], 3)
            if show:
                self.assertIn("glia: error: an inner tool failed", out.getvalue())

    def test_failed_run(self):
        run = self.exp.submit(self.glia.ScriptRunConfig(self.src, "train.py", arguments=["--fail"]))
        with self.assertRaises(errors.RunFailedError) as cm:
            run.wait_for_completion()
        self.assertIs(cm.exception.run, run)
        self.assertIn(run.id, str(cm.exception))
        d = run.wait_for_completion(raise_on_error=False)
        self.assertEqual(d["status"], "Failed")
        self.assertEqual(d["exitCode"], 3)
        self.assertIn("message", d["error"]["error"])

    def test_cancel(self):
        run = self.exp.submit(self.glia.ScriptRunConfig(self.src, "train.py",
                                                        arguments=["--sleep", 60]))
        run.cancel()
        self.assertEqual(run.get_status(), "Canceled")
        self.assertEqual(run.wait_for_completion()["status"], "Canceled")
        with self.assertRaises(errors.ConflictError):
            run.cancel()  # an ended run

    def test_timeout(self):
        run = self.exp.submit(self.glia.ScriptRunConfig(self.src, "train.py",
                                                        arguments=["--sleep", 30],
                                                        max_run_duration_seconds=1))
        started = time.time()
        d = run.wait_for_completion(raise_on_error=False)
        self.assertLess(time.time() - started, 25)
        self.assertEqual(d["status"], "Failed")
        self.assertEqual(d["exitCode"], 124)

    def test_sweep_children(self):
        sweep = self.exp.submit(_SweepConfig(self.src))
        self.assertEqual(sweep.type, "sweep")
        sweep.wait_for_completion()
        children = sweep.get_children()
        self.assertEqual(len(children), 2)
        for child in children:
            self.assertEqual(child.get_status(), "Completed")
            self.assertEqual(child.parent.id, sweep.id)
            self.assertEqual(child.get_metrics()["acc"], 0.5)
        args = sorted(c.get_details()["runDefinition"]["arguments"][1] for c in children)
        self.assertEqual(args, ["1", "2"])
        nested = sweep.get_metrics(recursive=True)
        self.assertEqual(set(nested), {sweep.id} | {c.id for c in children})
        self.assertNotIn(children[0].id, [r.id for r in self.exp.get_runs()])
        # the filters by type and properties are applied (`job list` records carry no type)
        self.assertEqual([r.id for r in self.exp.get_runs(type="sweep")], [sweep.id])
        commands = [r.id for r in self.exp.get_runs(type="command")]
        self.assertIn(self.r.id, commands)
        self.assertNotIn(sweep.id, commands)
        self.assertEqual(sweep.get_children(type="sweep"), [])
        self.assertEqual(len(sweep.get_children(type="command")), 2)
        self.assertEqual(sweep.get_children(properties={"no-such-property": "x"}), [])
        self.assertEqual(len(sweep.get_children(status="Completed")), 2)
        self.assertEqual(sweep.get_children(status="Failed"), [])
        # a sweep read back by id is a HyperDriveRun, as Azure's ws.get_run gives one
        from glia.sweep import HyperDriveRun
        again = self.ws.get_run(sweep.id)
        self.assertIsInstance(again, HyperDriveRun)
        best = again.get_best_run_by_primary_metric()
        self.assertEqual(best.id, min(children, key=lambda c: int(c.id.rsplit("_", 1)[1])).id)
        self.assertNotIsInstance(self.ws.get_run(children[0].id), HyperDriveRun)

    def test_dataset_input_and_environment_registered_on_submit(self):
        g = self.glia
        data = os.path.join(self.tmp, "data")
        os.makedirs(data)
        with open(os.path.join(data, "train.gz"), "w") as f:
            f.write("x")
        ds = g.Dataset.File.from_files(data).register(self.ws, "inputs-ds")
        req = os.path.join(self.tmp, "requirements.txt")
        with open(req, "w") as f:
            f.write("requests\n")
        env = g.Environment.from_pip_requirements("sdk-env", req)
        env.python_version = None
        src = g.ScriptRunConfig(self.src, "train.py",
                                arguments=["--data", ds.as_named_input("mnist").as_download()],
                                environment=env, compute_target="local")
        job = src._glia_job(self.exp)
        self.assertEqual(job["command"], "python train.py --data ${{inputs.mnist}}")
        self.assertEqual(job["inputs"], {"mnist": {"type": "uri_folder",
                                                   "path": "azureml:inputs-ds:1",
                                                   "mode": "download"}})
        self.assertEqual(env.version, 1)  # registered by _glia_job
        self.assertEqual(job["environment"], "azureml:sdk-env:1")
        mount = g.ScriptRunConfig(self.src, "train.py",
                                  arguments=["--data", ds.as_named_input("mnist").as_mount()])
        run = self.exp.submit(mount)
        d = run.wait_for_completion()
        self.assertEqual(d["inputDatasets"], [{"dataset": {"name": "inputs-ds", "version": 1},
                                               "consumptionDetails": {"type": "RunInput",
                                                                      "inputName": "mnist",
                                                                      "mechanism": "ro_mount"}}])
        log = os.path.join(self.tmp, "log.txt")
        run.download_file("user_logs/std_log.txt", log)
        with open(log) as f:
            self.assertIn("data files: ['train.gz']", f.read())
        # a command given as a list takes dataset inputs as arguments do (Azure's
        # command=['python', 'train.py', '--data', ds.as_named_input('x').as_mount()])
        listed = g.ScriptRunConfig(self.src, command=[
            "python", "train.py", "--data", ds.as_named_input("mnist").as_mount(), "--name",
            "a b"])
        job = listed._glia_job(self.exp)
        self.assertEqual(job["command"], "python train.py --data ${{inputs.mnist}} --name 'a b'")
        self.assertEqual(job["inputs"]["mnist"]["path"], "azureml:inputs-ds:1")
        # two different inputs under one name: refused, not the first silently replaced
        other = g.Dataset.File.from_files(self.src).register(self.ws, "other-ds")
        clash = g.ScriptRunConfig(self.src, "train.py", arguments=[
            "--a", ds.as_named_input("x").as_mount(), "--b", other.as_named_input("x").as_mount()])
        with self.assertRaises(errors.InvalidArgumentError) as cm:
            clash._glia_job(self.exp)
        self.assertIn("'x'", str(cm.exception))
        same = g.ScriptRunConfig(self.src, "train.py", arguments=[
            "--a", ds.as_named_input("x").as_mount(), "--b", ds.as_named_input("x").as_mount()])
        self.assertEqual(list(same._glia_job(self.exp)["inputs"]), ["x"])

    def test_run_class_of_the_config(self):
        g = self.glia

        class MyRun(g.Run):
            pass

        class Config(object):
            _glia_run_class = MyRun

            def __init__(self, src):
                self.inner = g.ScriptRunConfig(src, "train.py")

            def _glia_job(self, experiment):
                job = self.inner._glia_job(experiment)
                job["display_name"] = "custom class"
                return job

        run = self.exp.submit(Config(self.src))
        self.assertIs(type(run), MyRun)
        self.assertEqual(run.display_name, "custom class")
        self.assertEqual(run.wait_for_completion()["status"], "Completed")
        self.assertEqual((self.exp.id, self.exp.name), ("sdk-runs", "sdk-runs"))
        self.assertIs(self.exp.workspace, self.ws)

    def test_script_run_config_refusals(self):
        g = self.glia
        with self.assertRaises(NotImplementedError):
            g.ScriptRunConfig(self.src, "train.py", docker_runtime_config=object())

        class Mpi(object):
            node_count = 2
            process_count_per_node = 1
        with self.assertRaises(NotImplementedError) as cm:
            g.ScriptRunConfig(self.src, "train.py", distributed_job_config=Mpi())
        self.assertIn("node_count=2", str(cm.exception))
        with self.assertRaises(ValueError):
            g.ScriptRunConfig(self.src)
        with self.assertRaises(ValueError):
            g.ScriptRunConfig(self.src, "train.py", command="python x.py")
        with self.assertRaises(ValueError):
            g.ScriptRunConfig(self.src, "train.py", arguments=[object()])._glia_job(self.exp)
        with self.assertRaises(errors.InvalidArgumentError):
            self.exp.submit(object())
        # the CLI refuses what it cannot run: an unknown compute target
        with self.assertRaises(errors.GliaError):
            self.exp.submit(g.ScriptRunConfig(self.src, "train.py", compute_target="nowhere"))
        cmd = g.ScriptRunConfig(self.src, command=["python", "train.py", "--x", "a b"])
        self.assertEqual(cmd._glia_job(self.exp)["command"], "python train.py --x 'a b'")


if __name__ == "__main__":
    unittest.main()
