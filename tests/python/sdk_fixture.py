"""Shared set-up of the SDK tests (test_sdk_*.py): the REAL `glia` binary ($GLIA_BIN, set by
ctest; else this checkout's build/bin/glia), a fresh folder workspace made with it, job scripts,
and a live `glia server` with a user and tokens (as tests/e2e/lib.sh start_server does)."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "clients", "python"))
if CLIENT_DIR not in sys.path:
    sys.path.insert(0, CLIENT_DIR)

GLIA_VARS = ("GLIA_RUN_ID", "GLIA_EXPERIMENT_NAME", "GLIA_WORKSPACE", "GLIA_TRACKING_FILE",
             "GLIA_SCRATCH_DIR", "GLIA_OUTPUTS_DIR", "GLIA_INPUT_DATASETS", "GLIA_TOKEN",
             "GLIA_PARENT_RUN_ID")


def glia_bin():
    env = os.environ.get("GLIA_BIN")
    if env:
        return env
    candidate = os.path.normpath(os.path.join(HERE, "..", "..", "build", "bin", "glia"))
    if os.path.isfile(candidate):
        os.environ["GLIA_BIN"] = candidate
        return candidate
    raise unittest.SkipTest("no glia binary: set GLIA_BIN (ctest python.client does) or build "
                            "build/bin/glia")


def clean_environment():
    """Removes the variables of a job/workspace from this process (the SDK reads them)."""
    for k in GLIA_VARS:
        os.environ.pop(k, None)


def glia(*args, check=True, env=None, input=None):
    """Runs the real binary; returns CompletedProcess (text)."""
    p = subprocess.run([glia_bin()] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, env=env, input=input)
    if check and p.returncode != 0:
        raise AssertionError("glia %s: exit %d: %s" % (" ".join(map(str, args)), p.returncode,
                                                       p.stderr))
    return p


def has_command(*words):
    """True when the binary knows `glia WORDS --help` (commands another branch adds)."""
    p = glia(*(list(words) + ["--help"]), check=False)
    return p.returncode == 0 and ("Usage: glia " + " ".join(words)) in p.stdout


def stop_agents(root):
    for folder, _, files in os.walk(os.path.join(root, ".glia")):
        if "agent.pid" in files:
            try:
                with open(os.path.join(folder, "agent.pid")) as f:
                    os.kill(int(f.read().strip()), 15)
            except (OSError, ValueError):
                pass


TRAIN_PY = """\
import os, sys
from glia import Run
run = Run.get_context()
for i in range(3):
    run.log("loss", 1.0 / (i + 1))
run.log("acc", 0.5)
os.makedirs("outputs/model", exist_ok=True)
with open("outputs/model/model.json", "w") as f:
    f.write('{"args": %s}' % (repr(sys.argv[1:]).replace("'", '"'),))
with open("outputs/model/weights.bin", "wb") as f:
    f.write(b"\\x00\\x01")
with open("outputs/notes.txt", "w") as f:
    f.write("notes")
print("training with", " ".join(sys.argv[1:]))
if "--fail" in sys.argv:
    sys.exit(3)
if "--sleep" in sys.argv:
    import time
    time.sleep(float(sys.argv[sys.argv.index("--sleep") + 1]))
if "--data" in sys.argv:
    d = sys.argv[sys.argv.index("--data") + 1]
    print("data files:", sorted(os.listdir(d)))
"""


class WorkspaceCase(unittest.TestCase):
    """A fresh folder workspace per test class (self.root, self.ws), with src/train.py."""

    @classmethod
    def setUpClass(cls):
        glia_bin()
        clean_environment()
        cls.tmp = tempfile.mkdtemp(prefix="glia-sdk-test-")
        cls.root = os.path.join(cls.tmp, "ws")
        glia("workspace", "init", cls.root)
        cls.src = os.path.join(cls.tmp, "src")
        os.makedirs(cls.src)
        with open(os.path.join(cls.src, "train.py"), "w") as f:
            f.write(TRAIN_PY)
        import glia as glia_module
        cls.glia = glia_module
        cls.ws = glia_module.Workspace(cls.root)

    @classmethod
    def tearDownClass(cls):
        stop_agents(cls.root)
        shutil.rmtree(cls.tmp, ignore_errors=True)


class Server(object):
    """`glia server` on a fresh workspace `srv` with a contributor ann and a reader rex."""

    def __init__(self, tmp, extra_args=()):
        self.root = os.path.join(tmp, "srv")
        glia("workspace", "init", self.root)
        glia("-w", self.root, "user", "add", "ann", "--role", "contributor")
        glia("-w", self.root, "user", "add", "rex", "--role", "reader")
        self.ann = self._token("ann")
        self.rex = self._token("rex")
        self.log = os.path.join(tmp, "server.out")
        self.err = open(self.log + ".err", "w")
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen([glia_bin(), "-w", self.root, "server", "--listen",
                                      "127.0.0.1:0"] + list(extra_args), stdout=self.out,
                                     stderr=self.err)
        pattern = re.compile(r"^glia server: serving workspace .* on (https?://[^:]*:([0-9]+))$",
                             re.M)
        for _ in range(200):
            with open(self.log) as f:
                m = pattern.search(f.read())
            if m:
                self.url, self.port = m.group(1), int(m.group(2))
                return
            if self.proc.poll() is not None:
                raise AssertionError("server exited: %s" % open(self.log + ".err").read())
            time.sleep(0.05)
        raise AssertionError("server did not start: %s" % open(self.log + ".err").read())

    def _token(self, user):
        return json.loads(glia("-w", self.root, "token", "create", "--user", user, "-o",
                               "json").stdout)["token"]

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.out.close()
        self.err.close()
        stop_agents(self.root)


class ServerCase(unittest.TestCase):
    """A live `glia server` (Server) for the test class, in a temporary folder that also holds
    $XDG_CACHE_HOME (where Workspace.from_server keeps its connected folders); the environment
    is restored and everything stopped and removed after the class."""

    @classmethod
    def setUpClass(cls):
        glia_bin()
        clean_environment()
        cls.tmp = tempfile.mkdtemp(prefix="glia-%s-" % cls.__name__.lower())
        cls.cache = os.path.join(cls.tmp, "cache")
        cls._old_cache = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = cls.cache
        cls.server = Server(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        if cls._old_cache is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = cls._old_cache
        os.environ.pop("GLIA_TOKEN", None)
        stop_agents(cls.tmp)
        shutil.rmtree(cls.tmp, ignore_errors=True)
