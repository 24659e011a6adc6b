"""glia.widgets.RunDetails (and azureml.widgets.RunDetails) on real runs of a real folder
workspace, driven through the REAL `glia` binary: the Jupyter view's HTML and SVG charts as they
are rendered from the runs' data, the live polling loop that updates it until the run ends, and
the terminal views (a line rewritten in place on a TTY, plain lines otherwise). IPython itself is
not needed: the display calls are the only part left to the notebook test (ctest notebook.seed).
"""

import html.parser
import io
import math
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import unittest

from sdk_fixture import HERE, TRAIN_PY, Server, ServerCase, WorkspaceCase

SHIM_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "clients", "azureml-shim"))

CURVE_PY = """\
import math, sys, time
from glia import Run
run = Run.get_context()
args = sys.argv[1:]
slow = float(args[args.index("--slow") + 1]) if "--slow" in args else 0.0
for i in range(30):
    run.log("loss", 1.0 / (i + 1))
    run.log("acc", i / 30.0)
    if slow:
        time.sleep(slow)
run.log("has nan", 1.0)
run.log("has nan", float("nan"))
run.log("has nan", 3.0)
run.log("<b>odd & \\"name\\"", 2.0)
run.log("<b>odd & \\"name\\"", 4.0)
big = [math.sin(i / 50.0) for i in range(5000)]
big[1234] = 50.0   # a spike the downsampled chart must keep
run.log_list("big", big)
run.log("final", 3.5)
for i in range(100):
    print("line %d <tag>" % i)
if "--fail" in sys.argv:
    sys.exit(3)
"""


class _Tags(html.parser.HTMLParser):
    """Every start tag with its attributes, and the text inside each tag name."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.text = {}
        self._open = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop() == tag:
                break

    def handle_data(self, data):
        for tag in self._open:
            self.text[tag] = self.text.get(tag, "") + data


def parse(text):
    p = _Tags()
    p.feed(text)
    p.close()
    return p


def polyline_points(svg):
    m = re.search(r'<polyline [^>]*points="([^"]*)"', svg)
    return [tuple(float(c) for c in pt.split(",")) for pt in m.group(1).split()] if m else []


class RunDetailsCase(WorkspaceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(os.path.join(cls.src, "curve.py"), "w") as f:
            f.write(CURVE_PY)
        from glia import widgets
        cls.widgets = widgets
        cls.exp = cls.glia.Experiment(cls.ws, "widgets")
        cls.done = cls.submit()
        cls.done.wait_for_completion()
        cls.failed = cls.submit("--fail")
        cls.failed.wait_for_completion(raise_on_error=False)

    @classmethod
    def submit(cls, *args):
        config = cls.glia.ScriptRunConfig(source_directory=cls.src, script="curve.py",
                                          arguments=list(args))
        return cls.exp.submit(config)

    def snapshot(self, run, log=True):
        source = self.widgets._Source(run, log=log)
        return source.snapshot()

    # -- the Jupyter view ----------------------------------------------------------------------

    def test_html_of_a_completed_run(self):
        snap = self.snapshot(self.done)
        self.assertEqual(snap["status"], "Completed")
        page = self.widgets.render_html(snap)
        doc = parse(page)
        root = doc.tags[0]
        self.assertEqual(root, ("div", {"class": "glia-run-details", "data-run-id": self.done.id,
                                        "data-status": "Completed",
                                        "style": root[1]["style"]}))
        self.assertIn(self.done.id, page)
        self.assertIn("widgets", doc.text["div"])  # the experiment

        # A chart per series of more than one value, in the order logged, none for scalars.
        labels = [a["aria-label"] for t, a in doc.tags if t == "svg"]
        self.assertEqual(sorted(labels), sorted(["loss", "acc", "has nan", "big",
                                                 '<b>odd & "name"']))
        svgs = re.findall(r"<svg .*?</svg>", page)
        by_name = {parse(s).tags[0][1]["aria-label"]: s for s in svgs}
        # Every value of a short series is a point; the line falls for loss, rises for acc.
        loss = polyline_points(by_name["loss"])
        self.assertEqual(len(loss), 30)
        self.assertEqual([p[0] for p in loss], sorted(p[0] for p in loss))
        self.assertLess(loss[0][1], loss[-1][1])   # SVG y grows downwards: loss falls
        acc = polyline_points(by_name["acc"])
        self.assertGreater(acc[0][1], acc[-1][1])
        # The title says the last value (1/30).
        self.assertIn("loss: 0.03333", by_name["loss"])
        # NaN is left out of the line, not drawn at 0, and the last value is still 3.
        self.assertEqual(len(polyline_points(by_name["has nan"])), 2)
        self.assertIn("has nan: 3</text>", by_name["has nan"])
        # A name with markup is text, never markup.
        self.assertNotIn("<b>odd", page)
        self.assertIn("&lt;b&gt;odd &amp; &quot;name&quot;", page)

        # The scalar is in the values table.
        table = re.search(r'<table class="glia-values">.*?</table>', page).group(0)
        self.assertIn("<td>final</td>", table)
        self.assertIn(">3.5</td>", table)

        # The log tail: its last 40 lines (the stream's own last lines included), escaped.
        log = doc.text["pre"]
        self.assertEqual(len(log.splitlines()), 40, log)
        self.assertIn("line 99 <tag>", log)
        self.assertNotIn("line 50 <tag>", log)
        self.assertIn("line 99 &lt;tag&gt;", page)
        self.assertNotIn("glia-trials", page)

    def test_long_series_is_downsampled_keeping_its_extremes(self):
        snap = self.snapshot(self.done, log=False)
        steps, values = snap["metrics"]["big"]
        self.assertEqual(len(values), 5000)
        svg = self.widgets.render_svg_chart("big", steps, values)
        points = polyline_points(svg)
        self.assertLessEqual(len(points), 600)
        self.assertGreater(len(points), 100)
        top = min(p[1] for p in points)
        spike = [p for p in points if p[1] == top]
        self.assertEqual(len(spike), 1)
        # The spike is drawn at step 1234 of 0..4999 (x from 52 to 310 in a 320-wide chart).
        self.assertAlmostEqual(spike[0][0], 52 + 1234 / 4999 * 258, delta=0.2)
        self.assertIn(">50</text>", svg)   # the axis' maximum

    def test_html_of_a_failed_run_shows_its_error(self):
        snap = self.snapshot(self.failed, log=False)
        self.assertEqual(snap["status"], "Failed")
        page = self.widgets.render_html(snap)
        error = parse(page).text["pre"]
        self.assertIn("exit code 3", error)
        self.assertIn('data-status="Failed"', page)

    def test_live_view_updates_until_the_run_ends(self):
        run = self.submit("--slow", "0.1")  # ~3 s of logging
        details = self.widgets.RunDetails(run, refresh_seconds=0.2)
        source = self.widgets._Source(run)
        pages = [details._poll(source)]
        thread = threading.Thread(target=details._loop, args=(source, pages.append))
        thread.start()
        thread.join(120)
        self.assertFalse(thread.is_alive(), "the view kept polling after the run ended")
        statuses = [re.search(r'data-status="([A-Za-z]+)"', p).group(1) for p in pages]
        self.assertEqual(statuses[-1], "Completed")
        self.assertGreater(len(pages), 3)
        self.assertIn("Running", statuses)
        # The charts grew while it ran: some page had fewer loss points than the last.
        counts = [len(polyline_points(s)) for p in pages
                  for s in re.findall(r'<svg [^>]*aria-label="loss".*?</svg>', p)]
        self.assertEqual(counts[-1], 30)
        self.assertLess(min(counts), 30)
        self.assertIn("line 99", pages[-1])

    # -- the terminal views --------------------------------------------------------------------

    def test_plain_lines_when_not_a_terminal(self):
        out = io.StringIO()
        self.assertIsNone(self.widgets.RunDetails(self.done).show(out=out))
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith(self.done.id + "  Completed  "), lines[0])
        self.assertIn("loss=0.03333", lines[0])
        self.assertIn("final=3.5", lines[0])
        self.assertIn("has nan=3", lines[0])
        self.assertNotIn("\r", out.getvalue())

        out = io.StringIO()
        self.widgets.RunDetails(self.failed).show(out=out)
        self.assertIn("Failed", out.getvalue())
        self.assertIn("error: exit code 3", out.getvalue())

    def test_plain_lines_follow_a_live_run_one_line_per_change(self):
        run = self.submit("--slow", "0.1")
        out = io.StringIO()
        started = time.monotonic()
        self.widgets.RunDetails(run, refresh_seconds=0.2).show(out=out)
        self.assertLess(time.monotonic() - started, 120)
        lines = out.getvalue().splitlines()
        self.assertGreater(len(lines), 2, lines)
        self.assertIn("  Completed  ", lines[-1])
        self.assertEqual(sum("  Completed  " in line for line in lines), 1, lines)
        no_duration = [re.sub(r"  [0-9.:]+( s)?(?=  )", "", line, count=1) for line in lines]
        for a, b in zip(no_duration, no_duration[1:]):
            self.assertNotEqual(a, b, "a line was printed again without a change")

    def test_one_line_rewritten_on_a_terminal(self):
        import pty

        master, slave = pty.openpty()
        try:
            out = io.TextIOWrapper(io.FileIO(slave, "w", closefd=False), encoding="utf-8",
                                   write_through=True)
            self.assertTrue(out.isatty())
            run = self.submit("--slow", "0.05")
            self.widgets.RunDetails(run, refresh_seconds=0.2).show(out=out)
            out.flush()
            data = b""
            while True:
                import select
                ready, _, _ = select.select([master], [], [], 0.5)
                if not ready:
                    break
                chunk = os.read(master, 65536)
                if not chunk:
                    break
                data += chunk
        finally:
            os.close(master)
            os.close(slave)
        text = data.decode("utf-8").replace("\r\n", "\n")
        updates = text.split("\r")[1:]
        self.assertGreater(len(updates), 2, text)
        self.assertTrue(all(u.rstrip("\n").endswith("\x1b[K") for u in updates), updates)
        self.assertTrue(text.endswith("\n"))
        self.assertEqual(text.count("\n"), 1, text)
        self.assertIn("Completed", updates[-1])

    def test_render_line_is_cut_to_the_width(self):
        snap = self.snapshot(self.done, log=False)
        line = self.widgets.render_line(snap, width=40)
        self.assertEqual(len(line), 40)
        self.assertTrue(line.endswith("…"))

    # -- sweeps, names, errors -----------------------------------------------------------------

    def test_sweep_shows_its_trials(self):
        from glia.sweep import (HyperDriveConfig, PrimaryMetricGoal, RandomParameterSampling,
                                choice)
        config = HyperDriveConfig(
            run_config=self.glia.ScriptRunConfig(source_directory=self.src, script="curve.py"),
            hyperparameter_sampling=RandomParameterSampling({"--slow": choice(0, 0.01)}),
            primary_metric_name="acc", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
            max_total_runs=2, max_concurrent_runs=2)
        sweep = self.exp.submit(config)
        sweep.wait_for_completion(raise_on_error=False)
        snap = self.snapshot(sweep, log=False)
        page = self.widgets.render_html(snap)
        trials = re.search(r'<table class="glia-trials">.*?</table>', page).group(0)
        ids = sorted(c.id for c in sweep.get_children())
        self.assertEqual(len(ids), 2)
        for trial in ids:
            self.assertIn("<code>%s</code>" % trial, trials)
        self.assertIn("trials: ", self.widgets.render_line(snap))

    def test_azureml_widgets_is_the_same_class(self):
        if SHIM_DIR not in sys.path:
            sys.path.insert(0, SHIM_DIR)
        from azureml.widgets import RunDetails
        self.assertIs(RunDetails, self.widgets.RunDetails)

    def test_an_azureml_run_is_shown(self):
        if SHIM_DIR not in sys.path:
            sys.path.insert(0, SHIM_DIR)
        from azureml.core import Run, Workspace
        ws = Workspace(self.root)
        run = Run(ws.experiments["widgets"], self.done.id) if "widgets" in ws.experiments \
            else Run.get(ws, self.done.id)
        out = io.StringIO()
        self.widgets.RunDetails(run).show(out=out)
        self.assertIn(self.done.id + "  Completed", out.getvalue())

    def test_a_run_without_a_workspace_is_refused(self):
        with self.assertRaises(ValueError) as cm:
            self.widgets.RunDetails(object())
        self.assertIn("RunDetails needs a run of a workspace", str(cm.exception))
        with self.assertRaises(ValueError):
            self.widgets.RunDetails(self.done, refresh_seconds=0)

    def test_non_finite_values_are_formatted(self):
        fmt = self.widgets._fmt_value
        self.assertEqual([fmt(math.nan), fmt(math.inf), fmt(-math.inf), fmt(2.0), fmt(0.123456)],
                         ["NaN", "Infinity", "-Infinity", "2", "0.1235"])


class ServerRunDetails(ServerCase):
    """A run of a workspace served by `glia server` (Workspace.from_server: a connected folder):
    the view reads it through the server and links to its page in the web view."""

    def test_a_server_run_links_to_the_web_view(self):
        import glia
        from glia import widgets
        src = os.path.join(self.tmp, "src")
        os.makedirs(src)
        with open(os.path.join(src, "train.py"), "w") as f:
            f.write(TRAIN_PY)
        ws = glia.Workspace.from_server(self.server.url, self.server.ann)
        run = glia.Experiment(ws, "remote").submit(glia.ScriptRunConfig(src, "train.py"))
        run.wait_for_completion()
        snap = widgets._Source(run).snapshot()
        self.assertEqual(snap["status"], "Completed")
        url = "%s/ui/w/srv/runs/%s" % (self.server.url, run.id)
        self.assertEqual(snap["ui_url"], url)
        page = widgets.render_html(snap)
        self.assertIn('<a href="%s" target="_blank" rel="noopener">open in the web view</a>' % url,
                      page)
        self.assertIn('aria-label="loss"', page)      # read through the server
        self.assertIn("training with", snap["log"])   # the log streamed from the server
        out = io.StringIO()
        widgets.RunDetails(run).show(out=out)
        self.assertIn(run.id + "  Completed", out.getvalue())

    def test_the_web_view_is_framed_only_where_the_server_allows_it(self):
        from glia import widgets
        url = "%s/ui/w/srv/runs/%s" % (self.server.url, "any")
        # glia server's default: no page may frame the web view, so the live view is shown.
        self.assertFalse(widgets.frameable(url))
        view = object.__new__(widgets.RunDetails)
        view.iframe = None
        self.assertFalse(view.uses_iframe(url))
        self.assertFalse(view.uses_iframe(None))      # a folder workspace: no web view page
        view.iframe = True
        self.assertTrue(view.uses_iframe(url))
        # --ui-frame-ancestors naming the notebook's origin: the run page is embedded.
        tmp = tempfile.mkdtemp(prefix="glia-widgets-frame-")
        framing = Server(tmp, ["--ui-frame-ancestors", "http://localhost:8888"])
        try:
            framed = "%s/ui/w/srv/runs/%s" % (framing.url, "any")
            self.assertTrue(widgets.frameable(framed))
            view.iframe = None
            self.assertTrue(view.uses_iframe(framed))
            view.iframe = False
            self.assertFalse(view.uses_iframe(framed))
        finally:
            framing.stop()
            shutil.rmtree(tmp, ignore_errors=True)
        self.assertFalse(widgets.frameable("http://127.0.0.1:1/ui/"))  # nothing listening


if __name__ == "__main__":
    unittest.main()
