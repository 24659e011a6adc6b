"""``RunDetails(run).show()``: watch a run live, in Jupyter or in a terminal (the seed's
``azureml.widgets.RunDetails``; ``azureml.widgets`` exports this class).

In a Jupyter kernel, ``show()`` displays a view of the run that updates itself every
``refresh_seconds`` (2 s) until the run ends, from a background thread, so the notebook's next
cells run meanwhile: the run's status and duration, its error, its scalar metrics as a table and
its metric series as line charts (inline SVG drawn here), a sweep's trials, and the tail of its
log (``glia job stream`` followed in the background). With ``ipywidgets`` importable the view is
an ``ipywidgets.HTML``; otherwise an ``IPython.display.HTML`` output updated through its
``display_id``. For a workspace served by ``glia server`` the view links to the run's page in the
web view (``Workspace.ui_url(run)``); ``RunDetails(run, iframe=True)`` embeds that page instead,
for servers whose pages may be framed by the notebook's origin (a ``glia server`` answers with
``frame-ancestors 'none'``, so by default the live view is shown).

Anywhere else (a script, a plain Python or IPython terminal) ``show()`` follows the run until it
ends and prints its status on one line: rewritten in place on a terminal, and as plain lines,
one per change, when the output is not a terminal (a log file, a pipe). Ctrl-C stops watching;
the run goes on.

Every read goes through the workspace's ``glia`` CLI (``-o json``), as the rest of the SDK does:
``run show`` (status, times, error, latest metrics) each poll, ``run metrics --columns`` only when
a metric changed, ``run list --parent`` for a sweep's trials. Only the standard library is used;
IPython and ipywidgets are imported inside ``show()``, only in a kernel.
"""

import collections
import html
import math
import shutil
import sys
import threading

__all__ = ["RunDetails", "render_html", "render_svg_chart", "render_line"]

ENDED = ("Completed", "Failed", "Canceled")
_STATUS_COLORS = {
    "Completed": "#1a7f37", "Failed": "#cf222e", "Canceled": "#6e7781",
    "CancelRequested": "#9a6700", "Running": "#0969da", "Finalizing": "#0969da",
}
_LOG_LINES = 40           # lines of log shown
_LOG_KEEP_BYTES = 64 << 10  # bytes of log kept in memory
_CHART_POINTS = 600       # at most this many points a chart (min/max buckets beyond)
_MAX_CHARTS = 24
_MAX_TRIALS = 100


# ---------------------------------------------------------------------------------------------
# Reading the run (through the workspace's CLI)

def _glia_run(run):
    """The glia.Run behind ``run`` (an ``azureml.core.Run`` wraps one)."""
    inner = getattr(run, "__dict__", {}).get("_run")
    return inner if inner is not None else run


def _workspace_of(run):
    """The glia Workspace a run handle belongs to."""
    run = _glia_run(run)
    for candidate in (getattr(run, "_ws", None), getattr(run, "workspace", None),
                      getattr(getattr(run, "experiment", None), "workspace", None)):
        if candidate is not None and hasattr(candidate, "_cli"):
            return candidate
    raise ValueError(
        "RunDetails needs a run of a workspace (from Experiment.submit, Workspace.get_run or "
        "Run.get_context() in a workspace), not %r" % (run,))


def _number(value):
    """A metric value as a float (the CLI writes non-finite values as "NaN", "Infinity",
    "-Infinity", or null in ``--columns``: NaN here); None for what is not a number."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace("Infinity", "inf"))
        except ValueError:
            return None
    return None


def _columns(raw):
    """`run metrics` JSON in either shape (``--columns``: {name: {step: [], value: []}}, or
    {name: [{step, value, wall_time}, ...]}) as {name: (steps, values)}."""
    out = {}
    for name, series in (raw or {}).items():
        if isinstance(series, dict):
            steps, values = list(series.get("step", [])), list(series.get("value", []))
        else:
            steps = [p.get("step") for p in series]
            values = [p.get("value") for p in series]
        out[name] = (steps, [_number(v) for v in values])
    return out


class _LogTail:
    """Follows a run's log with ``glia job stream RUN`` on a thread of its own and keeps its last
    ``_LOG_KEEP_BYTES`` bytes."""

    def __init__(self, cli, run_id):
        self._lock = threading.Lock()
        self._chunks = collections.deque()
        self._size = 0
        self.error = None
        self._thread = threading.Thread(target=self._follow, args=(cli, run_id),
                                        name="glia-run-details-log", daemon=True)
        self._thread.start()

    def write(self, data):
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        if not data:
            return 0
        with self._lock:
            self._chunks.append(data)
            self._size += len(data)
            while self._size > _LOG_KEEP_BYTES and len(self._chunks) > 1:
                self._size -= len(self._chunks.popleft())
        return len(data)

    def flush(self):
        pass

    def _follow(self, cli, run_id):
        try:
            cli.stream(["job", "stream", run_id], out=self)
        except Exception as e:  # noqa: BLE001 - shown in the view, never raised in a thread
            self.error = str(e)

    @property
    def done(self):
        return not self._thread.is_alive()

    def join(self, timeout):
        self._thread.join(timeout)

    def text(self, lines=_LOG_LINES):
        with self._lock:
            text = "".join(self._chunks)
        text = text.replace("\r\n", "\n")
        # A progress bar rewrites its line with \r: keep what it ended as.
        kept = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]
        if kept and kept[-1] == "":
            kept.pop()
        return "\n".join(kept[-lines:])


class _Source:
    """Polls one run: ``snapshot()`` gives what the views draw."""

    def __init__(self, run, log=True):
        self.run = _glia_run(run)
        self.run_id = self.run.id
        self.workspace = _workspace_of(run)
        self.cli = self.workspace._cli
        self._want_log = log
        self._log = None
        self._latest = None
        self._series = {}
        self._columns_flag = True
        try:
            self.ui_url = self.workspace.ui_url(self.run_id)
        except Exception:  # noqa: BLE001 - a link is optional
            self.ui_url = None

    def _metrics(self):
        if self._columns_flag:
            from .errors import InvalidArgumentError
            try:
                return _columns(self.cli.json(["run", "metrics", self.run_id, "--columns"]))
            except InvalidArgumentError:  # a glia without --columns: its usage error
                self._columns_flag = False
        return _columns(self.cli.json(["run", "metrics", self.run_id]))

    def snapshot(self):
        record = self.cli.json(["run", "show", self.run_id])
        latest = record.get("metrics") or {}
        if latest != self._latest:
            self._series = self._metrics()
            self._latest = latest
        children = None
        if record.get("job_type") == "sweep":
            children = self.cli.json(["run", "list", "--parent", self.run_id,
                                      "--limit", str(_MAX_TRIALS)])
        if (self._want_log and self._log is None
                and record.get("job_type") not in (None, "interactive")):
            self._log = _LogTail(self.cli, self.run_id)
        status = record.get("status", "Unknown")
        if status in ENDED and self._log is not None:
            self._log.join(5)  # the stream replays the end of the log, then exits
        return {
            "id": record.get("id", self.run_id),
            "display_name": record.get("display_name") or self.run_id,
            "experiment": record.get("experiment", ""),
            "job_type": record.get("job_type", ""),
            "status": status,
            "created_at": record.get("created_at", ""),
            "started_at": record.get("started_at", ""),
            "ended_at": record.get("ended_at", ""),
            "duration_seconds": record.get("duration_seconds"),
            "error": record.get("error", ""),
            "properties": record.get("properties") or {},
            "metrics": self._series,
            "children": children,
            "log": self._log.text() if self._log is not None else None,
            "log_error": self._log.error if self._log is not None else None,
            "ui_url": self.ui_url,
        }


# ---------------------------------------------------------------------------------------------
# Rendering (pure functions of a snapshot)

def _fmt_value(v):
    if v is None:
        return ""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return "%.4g" % v


def _fmt_duration(seconds):
    if seconds is None:
        return ""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return "%.1f s" % seconds
    minutes, s = divmod(int(round(seconds)), 60)
    hours, m = divmod(minutes, 60)
    return "%d:%02d:%02d" % (hours, m, s) if hours else "%d:%02d" % (m, s)


def _downsample(points, limit=_CHART_POINTS):
    """At most ``limit`` points: beyond it, each bucket of consecutive points keeps its
    minimum and maximum (in order), so spikes stay visible."""
    if len(points) <= limit:
        return points
    buckets = limit // 2
    size = len(points) / buckets
    out = []
    for b in range(buckets):
        chunk = points[int(b * size):int((b + 1) * size)]
        if not chunk:
            continue
        lo = min(chunk, key=lambda p: p[1])
        hi = max(chunk, key=lambda p: p[1])
        out.extend(sorted({lo, hi}, key=lambda p: p[0]))
    return out


def render_svg_chart(name, steps, values, width=320, height=170):
    """A line chart of one metric series as an inline ``<svg>`` (step on x, value on y; non-finite
    values left out, the last value in the title). Returns "" when no finite value is there."""
    points = [(float(s), v) for s, v in zip(steps, values)
              if v is not None and math.isfinite(v) and s is not None]
    if not points:
        return ""
    last = values[-1] if values else None
    points = _downsample(points)
    left, right, top, bottom = 52, 10, 24, 28
    pw, ph = width - left - right, height - top - bottom
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        pad = abs(y0) * 0.05 or 1.0
        y0, y1 = y0 - pad, y1 + pad

    def sx(x):
        return left + (x - x0) / (x1 - x0) * pw

    def sy(y):
        return top + (1 - (y - y0) / (y1 - y0)) * ph

    coords = " ".join("%.1f,%.1f" % (sx(x), sy(y)) for x, y in points)
    title = html.escape("%s: %s" % (name, _fmt_value(last)))
    parts = [
        '<svg class="glia-chart" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
        'viewBox="0 0 %d %d" role="img" aria-label="%s">' % (width, height, width, height,
                                                              html.escape(name)),
        '<title>%s</title>' % title,
        '<text x="%d" y="15" font-size="12" font-family="sans-serif" font-weight="bold">%s'
        '</text>' % (left, title),
        '<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#d0d7de"/>'
        % (left, top, pw, ph),
        '<text x="%d" y="%.1f" font-size="10" font-family="sans-serif" text-anchor="end">%s'
        '</text>' % (left - 4, top + 8, html.escape(_fmt_value(y1))),
        '<text x="%d" y="%.1f" font-size="10" font-family="sans-serif" text-anchor="end">%s'
        '</text>' % (left - 4, top + ph, html.escape(_fmt_value(y0))),
        '<text x="%d" y="%d" font-size="10" font-family="sans-serif">%s</text>'
        % (left, height - 10, html.escape(_fmt_value(x0))),
        '<text x="%d" y="%d" font-size="10" font-family="sans-serif" text-anchor="end">%s'
        '</text>' % (left + pw, height - 10, html.escape(_fmt_value(x1))),
        '<text x="%.1f" y="%d" font-size="10" font-family="sans-serif" text-anchor="middle">'
        'step</text>' % (left + pw / 2, height - 10),
    ]
    if len(points) == 1:
        parts.append('<circle cx="%.1f" cy="%.1f" r="3" fill="#0969da"/>'
                     % (sx(points[0][0]), sy(points[0][1])))
    else:
        parts.append('<polyline fill="none" stroke="#0969da" stroke-width="1.5" points="%s"/>'
                     % coords)
    parts.append("</svg>")
    return "".join(parts)


def _status_badge(status):
    color = _STATUS_COLORS.get(status, "#57606a")
    return ('<span class="glia-status" style="color:#fff;background:%s;border-radius:3px;'
            'padding:1px 6px">%s</span>' % (color, html.escape(status)))


def render_html(snap):
    """The Jupyter view of a snapshot, as one HTML fragment."""
    esc = html.escape
    out = ['<div class="glia-run-details" data-run-id="%s" data-status="%s" '
           'style="font-family:sans-serif;font-size:13px">' % (esc(snap["id"]),
                                                                  esc(snap["status"]))]
    head = ['<b>%s</b>' % esc(snap["display_name"])]
    if snap["display_name"] != snap["id"]:
        head.append('<code>%s</code>' % esc(snap["id"]))
    if snap.get("experiment"):
        head.append('experiment <code>%s</code>' % esc(snap["experiment"]))
    head.append(_status_badge(snap["status"]))
    if snap.get("duration_seconds") is not None:
        head.append(esc(_fmt_duration(snap["duration_seconds"])))
    if snap.get("ui_url"):
        head.append('<a href="%s" target="_blank" rel="noopener">open in the web view</a>'
                    % esc(snap["ui_url"], quote=True))
    out.append('<div class="glia-head">%s</div>' % " &middot; ".join(head))
    if snap.get("error"):
        out.append('<pre class="glia-error" style="color:#cf222e;white-space:pre-wrap">%s</pre>'
                   % esc(snap["error"]))

    metrics = snap.get("metrics") or {}
    scalars = [(n, v[-1]) for n, (s, v) in metrics.items() if len(v) == 1]
    series = [(n, s, v) for n, (s, v) in metrics.items() if len(v) > 1]
    if scalars:
        rows = "".join('<tr><td>%s</td><td style="text-align:right">%s</td></tr>'
                       % (esc(n), esc(_fmt_value(v))) for n, v in scalars)
        out.append('<table class="glia-values"><tr><th>metric</th><th>value</th></tr>%s'
                   '</table>' % rows)
    if series:
        charts = [render_svg_chart(n, s, v) for n, s, v in series[:_MAX_CHARTS]]
        out.append('<div class="glia-charts" style="display:flex;flex-wrap:wrap;gap:8px">%s'
                   '</div>' % "".join(c for c in charts if c))
        if len(series) > _MAX_CHARTS:
            out.append('<div>%d more series (glia run metrics %s)</div>'
                       % (len(series) - _MAX_CHARTS, esc(snap["id"])))

    children = snap.get("children")
    if children is not None:
        props = snap.get("properties") or {}
        best = props.get("best_trial")
        rows = []
        for c in children:
            mark = " (best)" if best and c.get("id") == best else ""
            rows.append('<tr><td><code>%s</code>%s</td><td>%s</td><td>%s</td></tr>'
                        % (esc(c.get("id", "")), esc(mark), _status_badge(c.get("status", "")),
                           esc(_fmt_duration(c.get("duration_seconds")))))
        out.append('<div><b>trials</b> (%d)</div><table class="glia-trials"><tr><th>trial</th>'
                   '<th>status</th><th>duration</th></tr>%s</table>'
                   % (len(children), "".join(rows)))

    if snap.get("log"):
        out.append('<pre class="glia-log" style="max-height:20em;overflow:auto;background:#f6f8fa;'
                   'padding:4px">%s</pre>' % esc(snap["log"]))
    elif snap.get("log_error"):
        out.append('<div class="glia-log-error">log: %s</div>' % esc(snap["log_error"]))
    out.append("</div>")
    return "".join(out)


def render_line(snap, width=None):
    """The terminal view of a snapshot: one line (id, status, duration, each metric's latest
    value), cut to ``width`` characters when given."""
    parts = [snap["id"], snap["status"]]
    if snap.get("duration_seconds") is not None:
        parts.append(_fmt_duration(snap["duration_seconds"]))
    for name, (steps, values) in (snap.get("metrics") or {}).items():
        if values:
            parts.append("%s=%s" % (name, _fmt_value(values[-1])))
    children = snap.get("children")
    if children:
        counts = collections.Counter(c.get("status", "") for c in children)
        parts.append("trials: " + ", ".join("%d %s" % (n, s) for s, n in sorted(counts.items())))
    if snap.get("status") in ("Failed", "Canceled") and snap.get("error"):
        parts.append("error: " + snap["error"].splitlines()[0])
    line = "  ".join(parts)
    if width is not None and len(line) > width:
        line = line[:max(width - 1, 0)] + "…"
    return line


# ---------------------------------------------------------------------------------------------
# The widget

def _in_kernel():
    """True inside a Jupyter kernel (IPython's ZMQ shell), not in a terminal IPython."""
    ipython_mod = sys.modules.get("IPython")
    if ipython_mod is None:
        return False
    try:
        shell = ipython_mod.get_ipython()
    except Exception:  # noqa: BLE001
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


class RunDetails:
    """Shows a run live: ``RunDetails(run).show()``.

    ``refresh_seconds``: how often the run is read (default 2). ``iframe=True``: in Jupyter, for
    a server's workspace, embed the web view's run page instead of the live view (the server must
    allow the notebook's origin to frame it).
    """

    def __init__(self, run_instance, refresh_seconds=2.0, iframe=False):
        if refresh_seconds <= 0:
            raise ValueError("refresh_seconds must be > 0, got %r" % (refresh_seconds,))
        _workspace_of(run_instance)  # a clear error now, not in a thread
        self.run_instance = run_instance
        self.refresh_seconds = float(refresh_seconds)
        self.iframe = bool(iframe)
        self._stop = threading.Event()
        self._thread = None
        self.last_snapshot = None
        self.last_error = None

    # -- public --

    def show(self, out=None):
        """Displays the run. In Jupyter: returns at once, the view updating itself until the run
        ends. Elsewhere: prints the status line to ``out`` (default sys.stdout) until the run
        ends or Ctrl-C."""
        if out is None and _in_kernel():
            return self._show_jupyter()
        self._show_terminal(out if out is not None else sys.stdout)
        return None

    def stop(self):
        """Stops updating the view (the run goes on)."""
        self._stop.set()

    def wait(self, timeout=None):
        """Waits until the view stopped updating (the run ended, or stop()); True if it did."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def get_snapshot(self):
        """The run as the view shows it now (one poll)."""
        return _Source(self.run_instance, log=False).snapshot()

    # -- Jupyter --

    def _show_jupyter(self):
        from IPython.display import HTML, IFrame, display

        source = _Source(self.run_instance)
        if self.iframe and source.ui_url:
            display(IFrame(source.ui_url, width="100%", height=640))
            return None
        try:
            import ipywidgets
        except ImportError:
            ipywidgets = None
        first = self._poll(source)
        if ipywidgets is not None:
            view = ipywidgets.HTML(value=first)
            display(view)

            def update(text):
                view.value = text
        else:
            handle = display(HTML(first), display_id=True)

            def update(text):
                handle.update(HTML(text))

        self._thread = threading.Thread(target=self._loop, args=(source, update),
                                        name="glia-run-details", daemon=True)
        self._thread.start()
        return None

    def _poll(self, source):
        try:
            self.last_snapshot = source.snapshot()
            self.last_error = None
        except Exception as e:  # noqa: BLE001 - shown, and tried again next time
            self.last_error = str(e)
            if self.last_snapshot is None:
                return ('<div class="glia-run-details"><b>%s</b>: %s</div>'
                        % (html.escape(source.run_id), html.escape(self.last_error)))
        text = render_html(self.last_snapshot)
        if self.last_error:
            text += ('<div class="glia-poll-error" style="color:#9a6700">could not read the run '
                     '(trying again): %s</div>' % html.escape(self.last_error))
        return text

    def _ended(self):
        return self.last_snapshot is not None and self.last_snapshot["status"] in ENDED

    def _loop(self, source, update):
        while not self._ended() and not self._stop.wait(self.refresh_seconds):
            try:
                update(self._poll(source))
            except Exception as e:  # noqa: BLE001 - the view goes on; the error is shown next
                self.last_error = "%s: %s" % (type(e).__name__, e)

    # -- terminal --

    def _show_terminal(self, out):
        source = _Source(self.run_instance, log=False)
        tty = bool(getattr(out, "isatty", lambda: False)())
        printed_key = None
        try:
            while True:
                try:
                    self.last_snapshot = source.snapshot()
                    self.last_error = None
                except Exception as e:  # noqa: BLE001
                    self.last_error = str(e)
                if self.last_snapshot is not None:
                    if tty:
                        width = shutil.get_terminal_size((100, 24)).columns - 1
                        out.write("\r" + render_line(self.last_snapshot, width) + "\x1b[K")
                    else:
                        # One line per change; the duration alone is no change.
                        key = render_line(dict(self.last_snapshot, duration_seconds=None))
                        if key != printed_key:
                            out.write(render_line(self.last_snapshot) + "\n")
                            printed_key = key
                    out.flush()
                if self._ended() or self._stop.wait(self.refresh_seconds):
                    break
        except KeyboardInterrupt:
            out.write("%sstopped watching run %s; it goes on (run.wait_for_completion() "
                      "follows it)\n" % ("\n" if tty else "", source.run_id))
            out.flush()
            return
        if tty:
            out.write("\n")
            out.flush()

    def __repr__(self):
        return "RunDetails(%r)" % (getattr(self.run_instance, "id", self.run_instance),)

