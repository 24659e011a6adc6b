"""Interactive runs (`glia run track`): Experiment.start_logging and Run.get_context() outside a
job in a workspace are online; the run ends Completed / Failed / Canceled as the Python side
says, and Failed when the process dies first."""

import json
import os
import subprocess
import sys
import textwrap
import time
import unittest

from sdk_fixture import CLIENT_DIR, WorkspaceCase, glia, has_command

from glia import errors


def child(code, cwd, **env):
    e = {k: v for k, v in os.environ.items() if not k.startswith("GLIA_") or k == "GLIA_BIN"}
    e["PYTHONPATH"] = CLIENT_DIR
    e.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=e,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=120)


class TestInteractive(WorkspaceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not has_command("run", "track"):
            raise unittest.SkipTest("this glia has no `run track` (branch h1-cli)")

    def test_start_logging_complete(self):
        g = self.glia
        exp = g.Experiment(self.ws, "notebook")
        run = exp.start_logging(display_name="first try")
        self.assertTrue(run.online)
        self.assertEqual(run.experiment.name, "notebook")
        self.assertEqual(run.get_status(), "Running")
        self.assertEqual(run.type, "interactive")
        self.assertEqual(run.display_name, "first try")
        for i in range(5):
            run.log("loss", 1.0 / (i + 1))
        run.log_list("curve", [1, 2, 3])
        run.tag("stage", "dev")
        note = os.path.join(self.tmp, "note.txt")
        with open(note, "w") as f:
            f.write("hello")
        run.upload_file("outputs/note.txt", note)
        # Waiting for a run this process logs would never return: refused at once.
        with self.assertRaises(errors.ConflictError):
            run.wait_for_completion()
        run.complete()
        self.assertFalse(run.online)
        with self.assertRaises(errors.ConflictError):
            run.log("late", 1)  # the run has ended: refused
        got = self.ws.get_run(run.id)
        self.assertEqual(got.get_status(), "Completed")
        self.assertEqual(got.get_metrics(), {"loss": [1.0, 0.5, 1.0 / 3, 0.25, 0.2],
                                             "curve": [1.0, 2.0, 3.0]})
        self.assertEqual(run.get_metrics("curve"), {"curve": [1.0, 2.0, 3.0]})
        self.assertEqual(got.get_tags().get("stage"), "dev")
        self.assertIn("outputs/note.txt", got.get_file_names())
        self.assertIn(run.id, [r.id for r in exp.get_runs()])
        run.complete()  # a second end does nothing
        self.assertEqual(run.wait_for_completion()["status"], "Completed")  # ended: returns

    def test_non_finite_values(self):
        import math
        run = self.glia.Experiment(self.ws, "notebook-nan").start_logging()
        run.log_list("odd", [float("nan"), float("inf"), -float("inf"), 1.5])
        run.complete()
        odd = self.ws.get_run(run.id).get_metrics()["odd"]
        # the CLI's JSON writes every non-finite value as null: they come back as NaN
        self.assertEqual(len(odd), 4)
        self.assertTrue(all(math.isnan(v) for v in odd[:3]), odd)
        self.assertEqual(odd[3], 1.5)

    def test_tables(self):
        run = self.glia.Experiment(self.ws, "notebook-table").start_logging()
        run.log_row("Y over X", x=1, y=0.5)
        run.log_row("Y over X", x=2, y=0.25)
        run.log_table("t", {"value": [1, 2], "name": ["a", "b"]})
        run.log("plain", 3)
        run.complete()
        got = self.ws.get_run(run.id).get_metrics()
        self.assertEqual(got["Y over X"], {"x": [1, 2], "y": [0.5, 0.25]})
        self.assertEqual(got["t"], {"value": [1, 2], "name": ["a", "b"]})
        self.assertEqual(got["plain"], 3.0)

    def test_fail_cancel_and_with(self):
        g = self.glia
        exp = g.Experiment(self.ws, "notebook-ends")
        run = exp.start_logging()
        run.fail("diverged")
        d = self.ws.get_run(run.id).get_details()
        self.assertEqual(d["status"], "Failed")
        self.assertIn("diverged", d["error"]["error"]["message"])
        run = exp.start_logging()
        run.cancel()
        self.assertEqual(self.ws.get_run(run.id).get_status(), "Canceled")
        with self.assertRaises(KeyError):
            with exp.start_logging() as run:
                run.log("x", 1)
                raise KeyError("boom")
        self.assertEqual(self.ws.get_run(run.id).get_status(), "Failed")
        with exp.start_logging() as run:
            run.log("x", 2)
        self.assertEqual(self.ws.get_run(run.id).get_metrics(), {"x": 2.0})

    def test_logging_while_completing_loses_nothing(self):
        # A thread logging while the run completes: every call that returned is in the run's
        # history; the calls after the end are refused (ConflictError), none silently lost.
        import threading
        run = self.glia.Experiment(self.ws, "racing").start_logging()
        acked = []

        def spam():
            i = 0
            while True:
                try:
                    run.log("n", i)
                except errors.ConflictError:
                    return
                acked.append(i)
                i += 1
        t = threading.Thread(target=spam)
        t.start()
        time.sleep(0.3)
        run.complete()
        t.join(30)
        self.assertFalse(t.is_alive())
        got = self.ws.get_run(run.id)
        self.assertEqual(got.get_status(), "Completed")
        self.assertEqual(len(got.get_metrics()["n"]), len(acked))

    def test_process_dies_without_completing(self):
        p = child("""
            import os, glia
            ws = glia.Workspace(%r)
            run = glia.Experiment(ws, "dies").start_logging()
            run.log("x", 1)
            print(run.id, flush=True)
            os._exit(0)
            """ % self.root, self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        run_id = p.stdout.strip()
        deadline = time.time() + 20
        while self.ws.get_run(run_id).get_status() == "Running" and time.time() < deadline:
            time.sleep(0.1)
        d = self.ws.get_run(run_id).get_details()
        self.assertEqual(d["status"], "Failed")
        self.assertIn("without completing", d["error"]["error"]["message"])
        self.assertEqual(self.ws.get_run(run_id).get_metrics(), {"x": 1.0})

    def test_forked_child_logs_and_does_not_end_the_run(self):
        p = child("""
            import os, sys, time
            from glia import Run
            run = Run.get_context()
            pid = os.fork()
            if pid == 0:
                run.log("from_child", 1)
                # an exception ending the child runs its atexit: it must not fail the run
                raise RuntimeError("child ends on an exception")
            os.waitpid(pid, 0)
            time.sleep(0.5)
            from glia import Workspace
            assert Workspace.from_config().get_run(run.id).get_status() == "Running"
            run.log("from_parent", 2)
            print(run.id)
            """, self.root, GLIA_EXPERIMENT_NAME="forked")
        self.assertEqual(p.returncode, 0, p.stderr)
        run = self.ws.get_run(p.stdout.strip())
        self.assertEqual(run.get_status(), "Completed")
        self.assertEqual(run.get_metrics(), {"from_child": 1.0, "from_parent": 2.0})

    def test_get_context_in_a_workspace_is_online(self):
        folder = os.path.join(self.root, "notebooks")
        os.makedirs(folder, exist_ok=True)
        p = child("""
            from glia import Run
            run = Run.get_context()
            assert run.online and run is Run.get_context()
            run.log("acc", 0.75)
            print(run.id)
            """, folder, GLIA_EXPERIMENT_NAME="nb-context")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")  # online: nothing said
        run = self.ws.get_run(p.stdout.strip())
        self.assertEqual(run.get_status(), "Completed")  # completed at exit
        self.assertEqual(run.experiment.name, "nb-context")
        self.assertEqual(run.get_metrics(), {"acc": 0.75})
        # ending on an exception fails it; the default experiment is Default
        p = child("""
            from glia import Run
            run = Run.get_context()
            print(run.id, flush=True)
            raise RuntimeError("bad cell")
            """, folder)
        self.assertNotEqual(p.returncode, 0)
        run = self.ws.get_run(p.stdout.strip())
        d = run.get_details()
        self.assertEqual(d["status"], "Failed")
        self.assertEqual(d["experiment"], "Default")
        self.assertIn("bad cell", d["error"]["error"]["message"])

    def test_forked_child_does_not_end_the_run(self):
        # A forked child that ends normally runs the atexit handlers it inherited: it must
        # not end its parent's run (Completed) while the parent goes on and fails.
        folder = os.path.join(self.root, "notebooks")
        os.makedirs(folder, exist_ok=True)
        p = child("""
            import os, sys
            from glia import Run
            run = Run.get_context()
            print(run.id, flush=True)
            pid = os.fork()
            if pid == 0:
                sys.exit(0)
            os.waitpid(pid, 0)
            run.log("after", 1)
            raise RuntimeError("the parent fails")
            """, folder)
        self.assertNotEqual(p.returncode, 0)
        run = self.ws.get_run(p.stdout.strip())
        d = run.get_details()
        self.assertEqual(d["status"], "Failed", d)
        self.assertIn("the parent fails", d["error"]["error"]["message"])
        self.assertEqual(run.get_metrics(), {"after": 1.0})

    def test_forked_child_does_not_hold_the_run_open(self):
        # A forked child (a worker that outlives its parent) must not keep the tracker's stdin
        # open: the parent dying without completing ends the run Failed at once.
        p = child("""
            import os, time, glia
            ws = glia.Workspace(%r)
            run = glia.Experiment(ws, "forks").start_logging()
            pid = os.fork()
            if pid == 0:
                null = os.open(os.devnull, os.O_RDWR)
                os.dup2(null, 1)
                os.dup2(null, 2)
                time.sleep(60)
                os._exit(0)
            print(run.id, pid, flush=True)
            os._exit(0)
            """ % self.root, self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        run_id, pid = p.stdout.split()
        try:
            deadline = time.time() + 20
            while self.ws.get_run(run_id).get_status() == "Running" and time.time() < deadline:
                time.sleep(0.1)
            self.assertEqual(self.ws.get_run(run_id).get_status(), "Failed")
        finally:
            try:
                os.kill(int(pid), 9)
            except OSError:
                pass

    def test_python_path(self):
        if not has_command("python-path"):
            self.skipTest("this glia has no `python-path` (branch h1-cli)")
        paths = json.loads(glia("python-path", "-o", "json").stdout)["paths"]
        p = child("""
            import glia, azureml.core
            print(glia.__file__)
            """, self.tmp, PYTHONPATH=os.pathsep.join(paths))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith(paths[0]), (p.stdout, paths))


if __name__ == "__main__":
    unittest.main()
