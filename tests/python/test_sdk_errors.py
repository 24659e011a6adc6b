"""glia.errors: the CLI's exit codes become GliaError subclasses with its one-line message
(each kind that a real workspace can be made to report, through the real binary)."""

import os
import stat
import tempfile
import unittest

from sdk_fixture import WorkspaceCase, glia_bin

import glia
from glia import errors
from glia._cli import Cli


class TestTable(unittest.TestCase):
    def test_exit_codes_map_to_kinds_of_docs_errors_md(self):
        expected = {1: ("internal", errors.InternalError), 2: ("invalid_argument", errors.InvalidArgumentError),
                    3: ("not_found", errors.NotFoundError), 4: ("conflict", errors.ConflictError),
                    5: ("permission_denied", errors.PermissionDeniedError),
                    6: ("unauthenticated", errors.UnauthenticatedError),
                    7: ("unavailable", errors.UnavailableError), 8: ("no_space", errors.NoSpaceError),
                    9: ("corrupt", errors.CorruptError), 42: ("internal", errors.InternalError)}
        for code, (kind, cls) in expected.items():
            e = errors.error_for_exit_code(code, "msg")
            self.assertIs(type(e), cls)
            self.assertEqual(e.kind, kind)
            self.assertEqual(e.exit_code, code)
            self.assertEqual(str(e), "msg")
            self.assertIsInstance(e, glia.GliaError)
        # the Python families a caller may already catch
        self.assertTrue(issubclass(errors.InvalidArgumentError, ValueError))
        self.assertTrue(issubclass(errors.NotFoundError, LookupError))
        self.assertTrue(issubclass(errors.PermissionDeniedError, PermissionError))

    def test_kinds_match_docs_errors_md(self):
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "errors.md")) as f:
            doc = f.read()
        for code in range(1, 10):
            e = errors.error_for_exit_code(code, "m")
            self.assertIn("| `%s` | " % e.kind, doc)
            self.assertRegex(doc, r"\| `%s` \| [0-9]+ \| %d \|" % (e.kind, code))


class TestFromTheCli(WorkspaceCase):
    def test_not_found(self):
        with self.assertRaises(errors.NotFoundError) as cm:
            self.ws.get_run("no_such_run_123")
        self.assertEqual(cm.exception.exit_code, 3)
        self.assertIn("no_such_run_123", str(cm.exception))
        self.assertFalse(str(cm.exception).startswith("glia: error"))  # the one line, no prefix
        self.assertEqual(str(cm.exception).count("\n"), 0)

    def test_invalid_argument(self):
        with self.assertRaises(errors.InvalidArgumentError) as cm:
            self.ws._cli.json(["dataset", "create", "--name", "bad name!", "--path", self.src])
        self.assertEqual(cm.exception.kind, "invalid_argument")
        self.assertIn("bad name!", str(cm.exception))
        # and through an SDK call: a compute name the CLI refuses
        with self.assertRaises(ValueError):
            self.glia.ComputeTarget.create(self.ws, "bad name!",
                                           self.glia.AmlCompute.provisioning_configuration(max_nodes=1))

    def test_conflict(self):
        ds = self.glia.Dataset.File.from_files(self.src)
        ds.register(self.ws, "conflicting")
        with self.assertRaises(errors.ConflictError):
            ds.register(self.ws, "conflicting")  # create_new_version=False
        # from the CLI itself: creating a compute target twice
        conf = self.glia.AmlCompute.provisioning_configuration(vm_size="x", max_nodes=1)
        self.glia.ComputeTarget.create(self.ws, "twice", conf)
        with self.assertRaises(errors.ConflictError) as cm:
            self.glia.ComputeTarget.create(self.ws, "twice", conf)
        self.assertEqual(cm.exception.exit_code, 4)

    @unittest.skipIf(os.geteuid() == 0, "root is not refused by file permissions")
    def test_permission_denied_read_only_workspace(self):
        ro = os.path.join(self.tmp, "ro")
        os.makedirs(ro)
        os.chmod(ro, stat.S_IRUSR | stat.S_IXUSR)
        with self.assertRaises(errors.PermissionDeniedError):
            Cli().run(["workspace", "init", os.path.join(ro, "ws")])

    def test_streamed_command_error(self):
        # wait_for_completion follows `glia job stream`: its error line is the exception
        ghost = self.glia.Run._handle(self.ws, "ghost_run_1")
        with self.assertRaises(errors.NotFoundError) as cm:
            ghost.wait_for_completion()
        self.assertIn("ghost_run_1", str(cm.exception))
        with self.assertRaises(errors.NotFoundError):
            ghost.get_metrics()

    def test_missing_binary(self):
        old = os.environ["GLIA_BIN"]
        try:
            os.environ["GLIA_BIN"] = os.path.join(self.tmp, "nothing-here")
            with self.assertRaises(glia.GliaError) as cm:
                self.ws.get_run("x")
            self.assertIn("GLIA_BIN", str(cm.exception))
        finally:
            os.environ["GLIA_BIN"] = old
        self.assertEqual(glia_bin(), old)


if __name__ == "__main__":
    unittest.main()
