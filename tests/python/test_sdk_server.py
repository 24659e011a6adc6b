"""The SDK against a live `glia server`: Workspace.from_server is a connected folder, the token
travels only in $GLIA_TOKEN; a job submitted from Python runs on the server and its metrics and
files come back; the server's refusals are the matching GliaError."""

import json
import os
import socket
import stat
import subprocess
import unittest

from sdk_fixture import ServerCase, TRAIN_PY, glia_bin

import glia
from glia import errors


class TestServerWorkspace(ServerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.src = os.path.join(cls.tmp, "src")
        os.makedirs(cls.src)
        with open(os.path.join(cls.src, "train.py"), "w") as f:
            f.write(TRAIN_PY)

    def test_submit_and_read_back(self):
        ws = glia.Workspace.from_server(self.server.url, self.server.ann)
        self.assertEqual(ws.name, "srv")
        self.assertEqual(ws.server_url, self.server.url)
        # a connected folder under $XDG_CACHE_HOME/glia/connected, private, without the token
        home = os.path.join(self.cache, "glia", "connected")
        self.assertEqual(os.path.dirname(ws.root), home)
        self.assertEqual(os.path.basename(ws.root), "127.0.0.1_%d_srv" % self.server.port)
        self.assertEqual(stat.S_IMODE(os.stat(home).st_mode), 0o700)
        with open(os.path.join(ws.root, ".glia", "config.json")) as f:
            self.assertEqual(json.load(f)["remote"]["url"], self.server.url)
        argv = ws._cli.argv(["job", "list"])
        self.assertNotIn(self.server.ann, " ".join(argv))  # never on a command line
        self.assertEqual(ws._cli.env()["GLIA_TOKEN"], self.server.ann)  # in the environment
        for folder, _, files in os.walk(os.path.dirname(home)):
            for name in files:
                with open(os.path.join(folder, name), "rb") as f:
                    self.assertNotIn(self.server.ann.encode(), f.read(), name)
        # a job from Python runs on the server; its metrics and files come back
        data = os.path.join(self.tmp, "data")
        os.makedirs(data, exist_ok=True)
        with open(os.path.join(data, "x.txt"), "w") as f:
            f.write("x")
        ds = glia.Dataset.File.from_files(data).register(ws, "remote-ds")
        run = glia.Experiment(ws, "remote").submit(glia.ScriptRunConfig(
            self.src, "train.py", arguments=["--data", ds.as_named_input("d").as_mount()]))
        details = run.wait_for_completion()
        self.assertEqual(details["status"], "Completed")
        self.assertEqual(run.get_metrics(), {"loss": [1.0, 0.5, 1.0 / 3], "acc": 0.5})
        self.assertIn("outputs/model/model.json", run.get_file_names())
        out = os.path.join(self.tmp, "model.json")
        run.download_file("outputs/model/model.json", out)
        with open(out) as f:
            self.assertEqual(json.load(f)["args"][0], "--data")
        # the server's own store has it
        shown = json.loads(subprocess.run([glia_bin(), "-w", self.server.root, "job", "show",
                                           run.id, "-o", "json"], stdout=subprocess.PIPE,
                                          check=True).stdout)
        self.assertEqual(shown["status"], "Completed")
        self.assertEqual(shown["datasets"][0]["dataset"], "remote-ds")
        m = run.register_model("remote-model", "outputs/model")
        self.assertEqual(m.version, 1)
        self.assertEqual(ws.ui_url(run), "%s/ui/w/srv/runs/%s" % (self.server.url, run.id))
        self.assertEqual(ws.get_run(run.id).get_status(), "Completed")
        # reused: the same folder, named workspace, found by from_config
        again = glia.Workspace.from_server(self.server.url, self.server.ann, workspace="srv")
        self.assertEqual(again.root, ws.root)
        self.assertIn("remote", again.experiments)
        proj = os.path.join(self.tmp, "proj")
        os.makedirs(proj)
        with open(os.path.join(proj, "config.json"), "w") as f:
            json.dump({"glia_server": self.server.url, "workspace": "srv"}, f)
        os.environ["GLIA_TOKEN"] = self.server.ann
        try:
            found = glia.Workspace.from_config(proj)
            self.assertEqual(found.root, ws.root)
            self.assertEqual(found.get_run(run.id).get_metrics("acc"), {"acc": 0.5})
            # the connected folder itself, token from the environment
            self.assertEqual(glia.Workspace(ws.root).get_run(run.id).id, run.id)
        finally:
            del os.environ["GLIA_TOKEN"]

    def test_reconnecting_keeps_a_live_connected_folder(self):
        # from_server without a workspace name connects again: it must not replace the
        # connected folder another Workspace of it is using (an interactive run's tracking
        # file lives there) but reuse it.
        ws = glia.Workspace.from_server(self.server.url, self.server.ann)
        run = glia.Experiment(ws, "live").start_logging()
        run.log("before", 1)
        again = glia.Workspace.from_server(self.server.url, self.server.ann)
        self.assertEqual(again.root, ws.root)
        run.log("after", 2)
        run.complete()
        got = again.get_run(run.id)
        self.assertEqual(got.get_status(), "Completed")
        self.assertEqual(got.get_metrics(), {"before": 1.0, "after": 2.0})
        leftovers = [n for n in os.listdir(os.path.dirname(ws.root)) if n.startswith(".")]
        self.assertEqual(leftovers, [])

    def test_interactive_run_on_the_server(self):
        from sdk_fixture import has_command
        if not has_command("run", "track"):
            self.skipTest("this glia has no `run track` (branch h1-cli)")
        ws = glia.Workspace.from_server(self.server.url, self.server.ann, workspace="srv")
        run = glia.Experiment(ws, "remote-notebook").start_logging(display_name="from python")
        for i in range(3):
            run.log("loss", float(i))
        run.complete()
        got = ws.get_run(run.id)
        self.assertEqual(got.get_status(), "Completed")
        self.assertEqual(got.type, "interactive")
        self.assertEqual(got.get_metrics(), {"loss": [0.0, 1.0, 2.0]})
        shown = json.loads(subprocess.run([glia_bin(), "-w", self.server.root, "run", "metrics",
                                           run.id, "-o", "json", "--columns"],
                                          stdout=subprocess.PIPE, check=True).stdout)
        self.assertEqual(shown["loss"]["value"], [0.0, 1.0, 2.0])

    def test_refusals(self):
        # a reader may read but not submit: permission_denied (exit 5)
        reader = glia.Workspace.from_server(self.server.url, self.server.rex, workspace="srv")
        with self.assertRaises(errors.PermissionDeniedError) as cm:
            glia.Experiment(reader, "nope").submit(glia.ScriptRunConfig(self.src, "train.py"))
        self.assertEqual(cm.exception.exit_code, 5)
        # a wrong token: unauthenticated (exit 6), nothing left behind
        wrong = "glia_0123456789abcdef_wrong"
        before = sorted(os.listdir(os.path.join(self.cache, "glia", "connected")))
        with self.assertRaises(errors.UnauthenticatedError):
            glia.Workspace.from_server(self.server.url, wrong)
        self.assertEqual(sorted(os.listdir(os.path.join(self.cache, "glia", "connected"))),
                         before)  # a refused connect leaves nothing behind
        # an existing connected folder is reused without a round trip: the first call says it
        stale = glia.Workspace.from_server(self.server.url, wrong, workspace="srv")
        with self.assertRaises(errors.UnauthenticatedError):
            stale.experiments
        with self.assertRaises(errors.UnauthenticatedError):
            glia.Workspace.from_server(self.server.url)  # no token at all
        with self.assertRaises(errors.InvalidArgumentError):
            glia.Workspace.from_server("ftp://x", "t")
        # nothing listening: unavailable (exit 7)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        with self.assertRaises(errors.UnavailableError) as refused:
            glia.Workspace.from_server("http://127.0.0.1:%d" % port, self.server.ann)
        self.assertIn("connection refused", str(refused.exception))  # not "Connection"
        # a workspace the token does not open
        with self.assertRaises(errors.GliaError):
            glia.Workspace.from_server(self.server.url, self.server.ann, workspace="elsewhere")


if __name__ == "__main__":
    unittest.main()
