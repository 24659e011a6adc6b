"""Tests of the Python client (clients/python/glia) against docs/tracking-protocol.md.

    python3 -m unittest discover -s tests/python -v

Standard library only; no Keras, matplotlib or numpy needed (fakes stand in for them).
"""

import io
import json
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from decimal import Decimal
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "clients", "python"))
if CLIENT_DIR not in sys.path:
    sys.path.insert(0, CLIENT_DIR)

import glia  # noqa: E402
import glia.keras  # noqa: E402
from glia import Run  # noqa: E402
from glia import run as run_module  # noqa: E402

GLIA_VARS = ("GLIA_RUN_ID", "GLIA_EXPERIMENT_NAME", "GLIA_WORKSPACE", "GLIA_TRACKING_FILE",
             "GLIA_SCRATCH_DIR", "GLIA_OUTPUTS_DIR")


def _no_constants(name):
    raise AssertionError("bare %s in a tracking line (JSON has no NaN/Infinity)" % name)


def read_records(path):
    """Every line of a tracking file parsed strictly: UTF-8, '\\n'-terminated, one JSON object
    per line, no bare NaN/Infinity."""
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        return []
    assert data.endswith(b"\n"), "tracking file ends with a partial line"
    records = []
    for raw in data[:-1].split(b"\n"):
        record = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
        assert isinstance(record, dict), raw
        records.append(record)
    return records


def child_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in GLIA_VARS}
    env["PYTHONPATH"] = CLIENT_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


class FakeFigure(object):
    """Stands in for matplotlib.pyplot / a Figure: savefig writes a tiny PNG."""

    PNG = b"\x89PNG\r\n\x1a\n" + b"fake image data"

    def __init__(self):
        self.saved = []

    def savefig(self, fname, format=None, **kwargs):
        self.saved.append((fname, format))
        with open(fname, "wb") as f:
            f.write(self.PNG)


class OnlineCase(unittest.TestCase):
    """A fresh online Run on a tracking file in a temp folder (not the shared context)."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="glia-test-")
        self.tracking = os.path.join(self.dir, "tracking.jsonl")
        self.scratch = os.path.join(self.dir, "scratch")
        os.mkdir(self.scratch)
        open(self.tracking, "w").close()
        self.env = {"GLIA_RUN_ID": "run-123", "GLIA_EXPERIMENT_NAME": "exp",
                    "GLIA_WORKSPACE": self.dir, "GLIA_TRACKING_FILE": self.tracking,
                    "GLIA_SCRATCH_DIR": self.scratch,
                    "GLIA_OUTPUTS_DIR": os.path.join(self.dir, "job", "outputs")}
        self.run = Run.from_environment(self.env)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def records(self):
        return read_records(self.tracking)


class TestOffline(unittest.TestCase):
    def setUp(self):
        self.run = Run.from_environment({})

    def test_offline_identity(self):
        self.assertFalse(self.run.online)
        self.assertTrue(re.fullmatch(r"OfflineRun_[0-9a-f-]{36}", self.run.id), self.run.id)
        self.assertIsNone(self.run.experiment_name)
        self.assertIsNone(self.run.tracking_file)

    def test_offline_only_tracking_file_or_only_run_id(self):
        self.assertFalse(Run.from_environment({"GLIA_RUN_ID": "x"}).online)
        self.assertFalse(Run.from_environment({"GLIA_TRACKING_FILE": "/tmp/x"}).online)
        self.assertFalse(Run.from_environment({"GLIA_RUN_ID": "", "GLIA_TRACKING_FILE": "/tmp/x"}).online)

    def test_offline_stores_values(self):
        r = self.run
        r.log("acc", 0.5)
        r.log("loss", 1.0)
        r.log("loss", 0.5, step=7)
        r.log("flag", True)
        r.log_list("curve", [1, 2.5, float("nan")])
        r.log_row("table", x=1, y="a")
        r.log_row("table", x=2, y="b")
        r.log_table("t2", {"a": [1, 2], "b": [3.0, 4.0]})
        r.tag("k", "v")
        m = r.get_metrics()
        self.assertEqual(m["acc"], 0.5)
        self.assertEqual(m["loss"], [1.0, 0.5])
        self.assertEqual(m["flag"], 1)
        self.assertIsInstance(m["flag"], float)  # kept as doubles, like the run's store
        self.assertEqual(m["curve"][:2], [1, 2.5])
        self.assertTrue(math.isnan(m["curve"][2]))
        self.assertEqual(m["table"], {"x": [1, 2], "y": ["a", "b"]})
        self.assertEqual(m["t2"], {"a": [1, 2], "b": [3.0, 4.0]})
        self.assertEqual(r.get_metrics("loss"), {"loss": [1.0, 0.5]})
        self.assertEqual(r.get_metrics("nope"), {})
        self.assertEqual(r.get_tags(), {"k": "v"})

    def test_offline_files(self):
        fig = FakeFigure()
        self.run.log_image("plot", plot=fig)
        path = self.run.get_metrics()["plot"]
        self.assertTrue(path.endswith(".png") and os.path.isfile(path))
        with tempfile.TemporaryDirectory() as d:
            img = os.path.join(d, "a.svg")
            with open(img, "w") as f:
                f.write("<svg/>")
            self.run.log_image("svg", path=img)
            self.assertEqual(self.run.get_metrics()["svg"], img)
        self.run.upload_file("outputs/x.txt", io.BytesIO(b"abc"))
        self.run.complete()
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)

    def test_offline_script_says_so_once_and_context_is_shared(self):
        code = ("from glia import Run; import glia\n"
                "r = Run.get_context()\n"
                "assert r is Run.get_context() is glia.get_context()\n"
                "assert not r.online\n"
                "r.log('a', 1); r.log_list('b', [1, 2]); r.log_row('c', x=1); r.tag('t', 'v')\n"
                "r.flush(); r.complete()\n"
                "try:\n"
                "    Run.get_context(allow_offline=False)\n"
                "    raise SystemExit(3)\n"
                "except RuntimeError:\n"
                "    pass\n")
        p = subprocess.run([sys.executable, "-c", code], env=child_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(p.stdout, b"")
        # no job and no workspace: offline, said once on stderr (one line)
        self.assertEqual(p.stderr.count(b"\n"), 1, p.stderr)
        self.assertIn(b"is offline", p.stderr)


class TestOnlineContext(unittest.TestCase):
    def test_get_context_reads_environment(self):
        with tempfile.TemporaryDirectory() as d:
            tracking = os.path.join(d, "t.jsonl")
            open(tracking, "w").close()
            code = ("import json\nfrom glia import Run\n"
                    "r = Run.get_context()\nassert r is Run.get_context()\n"
                    "print(json.dumps([r.online, r.id, r.experiment_name, r.experiment.name,"
                    " r.workspace, r.tracking_file, r.scratch_dir, r.outputs_dir]))\n"
                    "with r:\n    r.log('x', 2)\n")
            env = child_env(GLIA_RUN_ID="abc", GLIA_EXPERIMENT_NAME="e1", GLIA_WORKSPACE=d,
                            GLIA_TRACKING_FILE=tracking, GLIA_SCRATCH_DIR=d + "/s",
                            GLIA_OUTPUTS_DIR=d + "/o")
            p = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            self.assertEqual(json.loads(p.stdout),
                             [True, "abc", "e1", "e1", d, tracking, d + "/s", d + "/o"])
            recs = read_records(tracking)
            self.assertEqual(len(recs), 1)
            self.assertEqual(recs[0]["value"], 2)
            p = subprocess.run([sys.executable, "-m", "glia"], env=env, stdout=subprocess.PIPE,
                               timeout=60)
            info = json.loads(p.stdout)
            self.assertTrue(info["online"])
            self.assertEqual(info["run_id"], "abc")

    def test_constructor_is_private(self):
        with self.assertRaises(TypeError):
            Run()


class TestMetricRecords(OnlineCase):
    def test_exact_line_format(self):
        t0 = time.time()
        self.run.log("loss", 0.5)
        self.run.log("loss", 0.25, step=3)
        with open(self.tracking, "rb") as f:
            lines = f.read().split(b"\n")
        self.assertEqual(lines[-1], b"")
        self.assertRegex(lines[0].decode(),
                         r'^\{"kind":"metric","name":"loss","value":0\.5,"time":[0-9.e+]+\}$')
        self.assertRegex(lines[1].decode(),
                         r'^\{"kind":"metric","name":"loss","value":0\.25,"step":3,"time":[0-9.e+]+\}$')
        recs = self.records()
        self.assertEqual(set(recs[0]), {"kind", "name", "value", "time"})
        self.assertEqual(set(recs[1]), {"kind", "name", "value", "step", "time"})
        for r in recs:
            self.assertIsInstance(r["time"], float)
            self.assertTrue(t0 - 1 <= r["time"] <= time.time() + 1)
        self.assertEqual(self.run.get_metrics(), {"loss": [0.5, 0.25]})

    def test_nan_and_infinities_are_strings(self):
        self.run.log("a", float("nan"))
        self.run.log("a", float("inf"))
        self.run.log("a", float("-inf"))
        self.run.log_list("b", [float("nan"), 1.0, float("inf"), float("-inf")])
        self.run.log_row("c", x=float("nan"), y=float("-inf"))
        recs = self.records()  # parse_constant rejects bare NaN/Infinity
        self.assertEqual([r["value"] for r in recs[:3]], ["NaN", "Infinity", "-Infinity"])
        self.assertEqual(recs[3]["values"], ["NaN", 1.0, "Infinity", "-Infinity"])
        self.assertEqual(recs[4]["row"], {"x": "NaN", "y": "-Infinity"})
        m = self.run.get_metrics()
        self.assertTrue(math.isnan(m["a"][0]))
        self.assertEqual(m["a"][1:], [float("inf"), float("-inf")])

    def test_floats_round_trip_exactly(self):
        rng = random.Random(1234)
        values = [0.1, 0.1 + 0.2, 1 / 3, -0.0, 0.0, 5e-324, 2.2250738585072014e-308,
                  1.7976931348623157e308, -1.7976931348623157e308, 1e16, 1e-7, 123456789.0,
                  2.0 ** 53 + 2, math.pi, -math.e]
        while len(values) < 2000:
            bits = rng.getrandbits(64)
            v = struct.unpack("<d", struct.pack("<Q", bits))[0]
            if math.isfinite(v):
                values.append(v)
        for v in values:
            self.run.log("v", v)
        self.run.log_list("l", values)
        recs = self.records()
        got = [r["value"] for r in recs[:-1]]
        self.assertEqual(len(got), len(values))
        for want, g in zip(values, got):
            self.assertIsInstance(g, float)
            self.assertEqual(struct.pack("<d", g), struct.pack("<d", want), (want, g))
        for want, g in zip(values, recs[-1]["values"]):
            self.assertEqual(struct.pack("<d", float(g)), struct.pack("<d", want))

    def test_numeric_types(self):
        class MyFloat(float):
            def __repr__(self):
                return "MyFloat(%s)" % float.__repr__(self)

        class Scalar(object):  # like a 0-d array or a scalar tensor
            def __float__(self):
                return 0.75

        class Index(object):
            def __index__(self):
                return 9

        cases = [(3, 3), (-7, -7), (True, 1), (False, 0), (2 ** 70, float(2 ** 70)),
                 (MyFloat(1.5), 1.5), (Fraction(1, 4), 0.25), (Decimal("0.5"), 0.5),
                 (Decimal("NaN"), "NaN"), (Scalar(), 0.75), (Index(), 9)]
        for value, _ in cases:
            self.run.log("n", value)
        got = [r["value"] for r in self.records()]
        self.assertEqual(got, [want for _, want in cases])
        self.assertIsInstance(got[0], int)
        self.assertIsInstance(got[2], int)

    def test_names_are_json_escaped(self):
        names = ['say "hi"', "back\\slash", "new\nline", "tab\there", "caf\u00e9 \u4e2d\u6587 \U0001F600",
                 "nul\x00char", "\u2028sep", "</script>", "{\"kind\":\"tag\"}"]
        for i, n in enumerate(names):
            self.run.log(n, i)
        self.run.log_row("r\"ow", **{"col\n\"1\"": "val\nue \u00e9"})
        self.run.tag("k\"ey\n", "v\"al\n")
        with open(self.tracking, "rb") as f:
            data = f.read()
        self.assertEqual(data.count(b"\n"), len(names) + 2)  # no raw newline inside a record
        data.decode("utf-8")
        recs = self.records()
        self.assertEqual([r["name"] for r in recs[:len(names)]], names)
        self.assertEqual(recs[len(names)]["name"], "r\"ow")
        self.assertEqual(recs[len(names)]["row"], {"col\n\"1\"": "val\nue \u00e9"})
        self.assertEqual(recs[-1], {"kind": "tag", "key": "k\"ey\n", "value": "v\"al\n"})
        self.assertIn("caf\u00e9".encode("utf-8"), data)  # UTF-8, not \u escapes

    def test_step_handling(self):
        class NpInt(int):  # stands in for numpy.int64 (an Integral)
            pass

        self.run.log("s", 1.0)
        self.run.log("s", 2.0, step=0)
        self.run.log("s", 3.0, step=NpInt(5))
        self.run.log("s", 4.0, step=2 ** 63 - 1)
        recs = self.records()
        self.assertNotIn("step", recs[0])
        self.assertEqual([r.get("step") for r in recs[1:]], [0, 5, 2 ** 63 - 1])
        for bad, exc in ((-1, ValueError), (2 ** 63, ValueError), (1.0, TypeError),
                         (True, TypeError), ("1", TypeError)):
            with self.assertRaises(exc, msg=repr(bad)):
                self.run.log("s", 1.0, step=bad)
        self.assertEqual(len(self.records()), 4)

    def test_validation_errors_write_nothing(self):
        bad_calls = [
            (lambda: self.run.log("", 1), ValueError),
            (lambda: self.run.log(None, 1), TypeError),
            (lambda: self.run.log(3, 1), TypeError),
            (lambda: self.run.log(["x"], 1), TypeError),
            (lambda: self.run.log("\ud800", 1), ValueError),
            (lambda: self.run.log("x", "1.5"), TypeError),
            (lambda: self.run.log("x", None), TypeError),
            (lambda: self.run.log("x", 1j), TypeError),
            (lambda: self.run.log("x", [1.0]), TypeError),
            (lambda: self.run.log("x", b"1"), TypeError),
            (lambda: self.run.log("x", 10 ** 400), ValueError),
            (lambda: self.run.log_list("x", "abc"), TypeError),
            (lambda: self.run.log_list("x", 5), TypeError),
            (lambda: self.run.log_list("x", [1, "a"]), TypeError),
            (lambda: self.run.log_list("x"), TypeError),
            (lambda: self.run.log_list("x", [1], values=[2]), TypeError),
            (lambda: self.run.log_row("x"), ValueError),
            (lambda: self.run.log_row("x", a=None), TypeError),
            (lambda: self.run.log_row("", a=1), ValueError),
            (lambda: self.run.log_table("x", {"a": [1, 2], "b": [1]}), ValueError),
            (lambda: self.run.log_table("x", [[1, 2]]), TypeError),
            (lambda: self.run.log_table("x", {}), ValueError),
            (lambda: self.run.log_table("x", {"a": "12"}), TypeError),
            (lambda: self.run.tag("", "v"), ValueError),
            (lambda: self.run.tag("k", ["v"]), TypeError),
            (lambda: self.run.set_tags(["k"]), TypeError),
            (lambda: self.run.set_tags({"a": "1", "": "2"}), ValueError),
        ]
        for call, exc in bad_calls:
            with self.assertRaises(exc):
                call()
        self.assertEqual(self.records(), [])
        self.assertEqual(self.run.get_metrics(), {})
        with self.assertRaisesRegex(ValueError, "non-empty"):
            self.run.log("", 1)
        with self.assertRaisesRegex(TypeError, "real number"):
            self.run.log("x", "a")


class TestOtherRecords(OnlineCase):
    def test_log_list(self):
        self.run.log_list("l", [1, 2.5, True])
        self.run.log_list("l", values=(4,))
        self.run.log_list("empty", [])
        recs = self.records()
        self.assertEqual(len(recs), 2)  # an empty list writes no line
        self.assertEqual(set(recs[0]), {"kind", "name", "values", "time"})
        self.assertEqual(recs[0]["kind"], "list")
        self.assertEqual(recs[0]["values"], [1, 2.5, 1])
        self.assertEqual(recs[1]["values"], [4])
        self.assertEqual(self.run.get_metrics()["l"], [1, 2.5, 1, 4])
        self.assertEqual(self.run.get_metrics()["empty"], [])

    def test_long_list_is_split_into_lines_under_the_limit(self):
        values = [i + 0.123456789 for i in range(300000)]  # ~5.7 MB of text
        self.run.log_list("big", values)
        with open(self.tracking, "rb") as f:
            lines = f.read().split(b"\n")[:-1]
        self.assertGreater(len(lines), 1)
        self.assertTrue(all(len(line) + 1 <= 1 << 20 for line in lines))
        recs = self.records()
        self.assertTrue(all(r["kind"] == "list" and r["name"] == "big" for r in recs))
        self.assertEqual(len(set(r["time"] for r in recs)), 1)
        self.assertEqual([v for r in recs for v in r["values"]], values)

    def test_records_over_the_line_limit_are_refused(self):
        huge = "x" * (4 << 20)
        with self.assertRaisesRegex(ValueError, "limit"):
            self.run.log(huge, 1)
        with self.assertRaisesRegex(ValueError, "limit"):
            self.run.tag("k", huge)
        with self.assertRaisesRegex(ValueError, "limit"):
            self.run.log_row("r", text=huge)
        self.assertEqual(self.records(), [])
        self.run.log("x" * 100000, 1)  # long but under the limit
        self.assertEqual(len(self.records()), 1)

    def test_log_row_and_table(self):
        self.run.log_row("Y over X", x=1, y=0.5, label="first")
        self.run.log_table("tab", {"epoch": [0, 1, 2], "loss": [0.9, 0.5, float("nan")]})
        recs = self.records()
        self.assertEqual(recs[0]["kind"], "row")
        self.assertEqual(set(recs[0]), {"kind", "name", "row", "time"})
        self.assertEqual(recs[0]["row"], {"x": 1, "y": 0.5, "label": "first"})
        self.assertEqual([r["row"] for r in recs[1:]],
                         [{"epoch": 0, "loss": 0.9}, {"epoch": 1, "loss": 0.5},
                          {"epoch": 2, "loss": "NaN"}])
        self.assertTrue(all(r["kind"] == "row" and r["name"] == "tab" for r in recs[1:]))
        self.assertEqual(list(recs[1]["row"]), ["epoch", "loss"])  # column order kept
        m = self.run.get_metrics()
        self.assertEqual(m["Y over X"], {"x": [1], "y": [0.5], "label": ["first"]})
        self.assertEqual(m["tab"]["epoch"], [0, 1, 2])

    def test_log_image_path_is_copied_to_scratch(self):
        src = os.path.join(self.dir, "plot.PNG")
        with open(src, "wb") as f:
            f.write(b"version 1")
        self.run.log_image("Acc/Loss", path=src)
        with open(src, "wb") as f:
            f.write(b"version 2")  # a later change must not reach the logged image
        self.run.log_image("Acc/Loss", path=src, step=4, description="ignored")
        recs = self.records()
        self.assertEqual(recs[0]["kind"], "image")
        self.assertEqual(set(recs[0]), {"kind", "name", "path", "time"})
        self.assertEqual(set(recs[1]), {"kind", "name", "path", "step", "time"})
        self.assertEqual(recs[1]["step"], 4)
        for rec, content in zip(recs, (b"version 1", b"version 2")):
            self.assertEqual(rec["name"], "Acc/Loss")
            self.assertTrue(os.path.isabs(rec["path"]))
            self.assertEqual(os.path.dirname(rec["path"]), self.scratch)
            self.assertTrue(rec["path"].endswith(".png"))
            with open(rec["path"], "rb") as f:
                self.assertEqual(f.read(), content)

    def test_log_image_plot(self):
        fig = FakeFigure()
        self.run.log_image("Accuracy vs Loss", plot=fig)
        rec = self.records()[0]
        self.assertEqual(fig.saved, [(rec["path"], "png")])
        self.assertEqual(os.path.dirname(rec["path"]), self.scratch)
        with open(rec["path"], "rb") as f:
            self.assertEqual(f.read(), FakeFigure.PNG)

    def test_log_image_errors(self):
        src = os.path.join(self.dir, "a.gif")
        open(src, "w").close()
        with self.assertRaises(ValueError):
            self.run.log_image("x")
        with self.assertRaises(ValueError):
            self.run.log_image("x", path=os.path.join(self.dir, "a.png"), plot=FakeFigure())
        with self.assertRaises(ValueError):
            self.run.log_image("x", path=src)
        with self.assertRaises(FileNotFoundError):
            self.run.log_image("x", path=os.path.join(self.dir, "missing.png"))
        with self.assertRaises(TypeError):
            self.run.log_image("x", plot=object())
        self.assertEqual(self.records(), [])

    def test_upload_file(self):
        self.run.upload_file("outputs/report.txt", io.BytesIO(b"bytes\x00\xff"))
        self.run.upload_file("outputs/notes.md", io.StringIO("text \u00e9"))
        src = os.path.join(self.dir, "model.bin")
        with open(src, "wb") as f:
            f.write(b"weights")
        self.run.upload_file("outputs/model/model.bin", src)
        os.unlink(src)  # the upload was copied at call time
        recs = self.records()
        self.assertEqual([r["name"] for r in recs],
                         ["outputs/report.txt", "outputs/notes.md", "outputs/model/model.bin"])
        contents = [b"bytes\x00\xff", "text \u00e9".encode("utf-8"), b"weights"]
        for rec, content in zip(recs, contents):
            self.assertEqual(set(rec), {"kind", "name", "path"})
            self.assertEqual(rec["kind"], "file")
            self.assertEqual(os.path.dirname(rec["path"]), self.scratch)
            with open(rec["path"], "rb") as f:
                self.assertEqual(f.read(), content)

    def test_upload_file_names(self):
        for bad in ("", "/abs/x", "../x", "a/../b", "a//b", "./a", "a/", "a\x00b"):
            with self.assertRaises(ValueError, msg=repr(bad)):
                self.run.upload_file(bad, io.BytesIO(b"x"))
        with self.assertRaises(TypeError):
            self.run.upload_file(None, io.BytesIO(b"x"))
        with self.assertRaises(FileNotFoundError):
            self.run.upload_file("x", os.path.join(self.dir, "missing"))
        self.assertEqual(self.records(), [])

    def test_upload_folder(self):
        root = os.path.join(self.dir, "folder")
        os.makedirs(os.path.join(root, "sub"))
        for rel in ("a.txt", "sub/b.txt"):
            with open(os.path.join(root, rel), "w") as f:
                f.write(rel)
        self.run.upload_folder("outputs/folder", root)
        recs = self.records()
        self.assertEqual([r["name"] for r in recs], ["outputs/folder/a.txt", "outputs/folder/sub/b.txt"])

    def test_tags(self):
        self.run.tag("a", "1")
        self.run.tag("b")
        self.run.tag("c", None)
        self.run.set_tags({"d": "x", "e": 2, "f": True})
        recs = self.records()
        self.assertEqual(recs, [{"kind": "tag", "key": "a", "value": "1"},
                                {"kind": "tag", "key": "b", "value": ""},
                                {"kind": "tag", "key": "c", "value": ""},
                                {"kind": "tag", "key": "d", "value": "x"},
                                {"kind": "tag", "key": "e", "value": "2"},
                                {"kind": "tag", "key": "f", "value": "True"}])
        self.assertEqual(self.run.get_tags(), {"a": "1", "b": "", "c": "", "d": "x", "e": "2", "f": "True"})

    def test_every_record_kind_matches_the_protocol(self):
        src = os.path.join(self.dir, "i.svg")
        with open(src, "w") as f:
            f.write("<svg/>")
        self.run.log("m", 1.5, step=1)
        self.run.log_list("l", [1])
        self.run.log_row("r", a=1)
        self.run.log_image("i", path=src, step=2)
        self.run.upload_file("outputs/f", src)
        self.run.tag("t", "v")
        allowed = {"metric": ({"kind", "name", "value"}, {"step", "time"}),
                   "list": ({"kind", "name", "values"}, {"time"}),
                   "row": ({"kind", "name", "row"}, {"time"}),
                   "image": ({"kind", "name", "path"}, {"step", "time"}),
                   "file": ({"kind", "name", "path"}, set()),
                   "tag": ({"kind", "key", "value"}, set())}
        recs = self.records()
        self.assertEqual([r["kind"] for r in recs], ["metric", "list", "row", "image", "file", "tag"])
        for r in recs:
            required, optional = allowed[r["kind"]]
            self.assertTrue(required <= set(r) <= required | optional, r)


class TestConcurrency(OnlineCase):
    WRITER = (
        "import sys, time\n"
        "from glia import Run\n"
        "run = Run.get_context()\n"
        "name, n, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])\n"
        "pad = 'x' * 200\n"
        "while time.time() < start: time.sleep(0.001)\n"
        "for i in range(n):\n"
        "    run.log(name + pad, i * 0.5, step=i)\n"
    )

    def test_four_processes_append_without_interleaving(self):
        n, procs = 5000, 4
        start = time.time() + 1.0  # all four start logging at once
        env = child_env(**self.env)
        children = [subprocess.Popen([sys.executable, "-c", self.WRITER, "p%d" % k, str(n), repr(start)],
                                     env=env, stderr=subprocess.PIPE) for k in range(procs)]
        for c in children:
            _, err = c.communicate(timeout=120)
            self.assertEqual(c.returncode, 0, err.decode())
        recs = self.records()  # every line parses: none were interleaved
        self.assertEqual(len(recs), n * procs)
        by_writer = {}
        for r in recs:
            self.assertEqual(r["kind"], "metric")
            by_writer.setdefault(r["name"], []).append((r["step"], r["value"]))
        self.assertEqual(sorted(by_writer), sorted("p%d" % k + "x" * 200 for k in range(procs)))
        for seq in by_writer.values():
            self.assertEqual(seq, [(i, i * 0.5) for i in range(n)])  # each writer's order kept

    def test_threads(self):
        n, threads = 2000, 4

        def work(k):
            for i in range(n):
                self.run.log("t%d" % k, i, step=i)

        ts = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        recs = self.records()
        self.assertEqual(len(recs), n * threads)
        for k in range(threads):
            self.assertEqual([r["value"] for r in recs if r["name"] == "t%d" % k], list(range(n)))
            self.assertEqual(self.run.get_metrics()["t%d" % k], list(range(n)))

    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_fork_shares_the_file_and_gets_a_fresh_lock(self):
        self.run.log("parent", 0)  # the descriptor is open before the fork
        self.run._lock.acquire()  # as if another thread were writing when fork() happens
        try:
            pids = []
            for k in range(3):
                pid = os.fork()
                if pid == 0:  # child: would deadlock without the after-fork hook
                    code = 1
                    try:
                        for i in range(1000):
                            self.run.log("child%d" % k, i)
                        code = 0
                    finally:
                        os._exit(code)
                pids.append(pid)
        finally:
            self.run._lock.release()
        for i in range(1, 1000):
            self.run.log("parent", i)
        deadline = time.time() + 60
        for pid in pids:
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    self.assertEqual(status, 0)
                    break
                if time.time() > deadline:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                    self.fail("forked child hung (lock not re-created after fork)")
                time.sleep(0.01)
        recs = self.records()
        self.assertEqual(len(recs), 4000)
        for who in ("parent", "child0", "child1", "child2"):
            self.assertEqual([r["value"] for r in recs if r["name"] == who], list(range(1000)))


class TestKerasCallback(OnlineCase):
    class FakeModel(object):
        stop_training = False

    def test_logs_every_entry_with_step(self):
        cb = glia.keras.GliaCallback(run=self.run)
        self.assertIsInstance(cb, glia.keras.GliaCallback)
        self.assertIsInstance(cb, glia.keras.callback_base())
        cb.set_model(self.FakeModel())
        cb.set_params({"epochs": 2, "verbose": 0})
        cb.on_train_begin()
        for epoch in range(2):
            cb.on_epoch_begin(epoch)
            cb.on_train_batch_end(0, {"loss": 1.0})
            cb.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "accuracy": 0.5 + epoch / 10,
                                    "val_loss": 2.0 / (epoch + 1), "val_accuracy": 0.4,
                                    "note": "not a number"})
        cb.on_train_end()
        recs = self.records()
        self.assertEqual([(r["name"], r["step"]) for r in recs],
                         [(k, e) for e in range(2) for k in ("loss", "accuracy", "val_loss", "val_accuracy")])
        self.assertEqual(recs[4]["value"], 0.5)
        self.assertNotIn("Loss", self.run.get_metrics())

    def test_prefix_and_seed_metrics(self):
        cb = glia.keras.GliaCallback(run=self.run, prefix="train/", log_seed_metrics=True)
        cb.on_epoch_end(0, {"loss": 0.9, "accuracy": 0.6, "val_loss": 0.8, "val_accuracy": 0.7})
        cb.on_epoch_end(1, {"loss": 0.5, "acc": 0.8})  # no validation data: falls back
        cb.on_epoch_end(2, None)
        recs = self.records()
        seed = [(r["name"], r["value"]) for r in recs if "step" not in r]
        self.assertEqual(seed, [("Loss", 0.8), ("Accuracy", 0.7), ("Loss", 0.5), ("Accuracy", 0.8)])
        stepped = [(r["name"], r["step"]) for r in recs if "step" in r]
        self.assertEqual(stepped, [("train/loss", 0), ("train/accuracy", 0), ("train/val_loss", 0),
                                   ("train/val_accuracy", 0), ("train/loss", 1), ("train/acc", 1)])
        self.assertEqual(self.run.get_metrics()["Loss"], [0.8, 0.5])

    def test_subclass_and_default_run(self):
        class MyCallback(glia.keras.GliaCallback):
            def on_epoch_end(self, epoch, logs=None):
                super(MyCallback, self).on_epoch_end(epoch, {"twice": logs["x"] * 2})

        cb = MyCallback(run=self.run)
        self.assertIsInstance(cb, MyCallback)
        cb.on_epoch_end(3, {"x": 2})
        self.assertEqual(self.records()[0]["value"], 4)
        self.assertEqual(self.records()[0]["step"], 3)
        self.assertIs(glia.keras.GliaCallback().run, Run.get_context())
        with self.assertRaises(TypeError):
            glia.keras.GliaCallback(run=self.run, prefix=1)


class TestImportHygiene(unittest.TestCase):
    def test_import_glia_imports_no_heavy_module(self):
        code = ("import sys, json\n"
                "import glia, glia.run, glia.keras\n"
                "from glia import Run\n"
                "from glia.keras import GliaCallback\n"
                "Run.get_context().log('x', 1)\n"
                "heavy = ('keras', 'tensorflow', 'matplotlib', 'numpy', 'torch', 'jax')\n"
                "print(json.dumps([m for m in sys.modules if m.split('.')[0] in heavy]))\n")
        p = subprocess.run([sys.executable, "-c", code], env=child_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(json.loads(p.stdout), [])


class TestThroughput(OnlineCase):
    def test_online_throughput(self):
        n = 20000
        log = self.run.log
        t0 = time.perf_counter()
        for i in range(n):
            log("loss", i * 0.001)
        seconds = time.perf_counter() - t0
        rate = n / seconds
        sys.stderr.write("\n[glia] python client online throughput: %.0f values/s\n" % rate)
        self.assertEqual(len(self.records()), n)
        self.assertGreaterEqual(rate, 2000)


if __name__ == "__main__":
    unittest.main()
