"""What ``glia.Run`` knows of a run in a workspace's history: status, details, metrics, files,
children, cancel and model registration (each one ``glia ... -o json`` command), and interactive
runs (``glia run track``).

``RunHistory`` is a mixin of ``glia.Run``: a Run handle (``workspace.get_run(id)``,
``Experiment.submit``, ``Run._handle``) has a workspace and answers these from the store; the
context run of a job without one keeps its in-process behaviour.
"""

import atexit
import json
import math
import os
import shlex
import shutil
import sys
import tempfile
import threading
import weakref

from .errors import GliaError, NotFoundError, RunFailedError, error_for_exit_code

__all__ = ["RunHistory", "start_tracking"]

_ENDED = ("Completed", "Failed", "Canceled", "NotResponding")
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


_SERIES_KEYS = {"step", "value", "wall_time"}


def _metric_value(v):
    """A metric value of the CLI's JSON: a number; null is a non-finite value (JSON has none,
    the CLI writes NaN and the infinities as null), returned as NaN; the protocol's strings
    "NaN", "Infinity", "-Infinity" as floats."""
    if type(v) is float:
        return v
    if v is None:
        return math.nan
    if type(v) is int:
        return float(v)  # the store keeps doubles; JSON may print 1.0 as 1
    if type(v) is str:
        return _NON_FINITE.get(v, v)
    return v


def _split_command(command):
    """(script, arguments) of a ``python SCRIPT ARGS`` command: the first ``.py`` word and the
    words after it; else (None, the words after the program)."""
    try:
        words = shlex.split(command or "")
    except ValueError:
        words = (command or "").split()
    for i, w in enumerate(words):
        if w.endswith(".py"):
            return w, words[i + 1:]
    return None, words[1:]


def _matches(workspace, record, type=None, tags=None, properties=None, status=None):
    """Whether a `job list -o json` record passes Azure's run filters: ``type`` (command,
    sweep, interactive: `job list` records carry none, so it is read with `job show`),
    ``tags`` (a tag name, or a dict whose None values ask for the name only), ``properties``
    (a dict) and ``status``."""
    if status is not None and record.get("status") != status:
        return False
    if tags is not None:
        have = record.get("tags") or {}
        want = {tags: None} if isinstance(tags, str) else tags
        if any(k not in have or (v is not None and have[k] != v) for k, v in want.items()):
            return False
    if properties is not None:
        have = record.get("properties") or {}
        if any(have.get(k) != v for k, v in properties.items()):
            return False
    if type is not None:
        if "job_type" not in record:
            record.update(workspace._cli.json(["job", "show", record["id"]]))
        if record.get("job_type") != type:
            return False
    return True


class RunHistory(object):
    """Query methods of a run in a workspace (mixed into glia.Run)."""

    _ws = None        # the Workspace of a handle, None for a plain context run
    _record = None    # the last `glia job show -o json` of the run
    _tracker = None   # the `glia run track` process of an interactive run logged from here
    _not_loggable = None  # why logging to this run is refused (a handle, an ended run)

    @classmethod
    def _handle(cls, workspace, run_id, record=None):
        """A Run of ``workspace``'s history (``record``: its job list/show JSON when known); a
        sweep's (a record with job_type sweep) is a glia.sweep.HyperDriveRun, as Azure's."""
        from .run import _MISSING, Run
        if cls is Run and (record or {}).get("job_type") == "sweep":
            from .sweep import HyperDriveRun
            cls = HyperDriveRun
        run = cls(_token=_MISSING, run_id=run_id,
                  experiment_name=(record or {}).get("experiment"), workspace=workspace.root)
        run._ws = workspace
        run._record = record
        run._online = True  # so that a log call reaches _write, which refuses it
        run._not_loggable = ("run %s is in the workspace's history, not logged from this "
                             "process: log from its job (Run.get_context()) or start an "
                             "interactive run (Experiment.start_logging())" % run_id)
        return run

    def _require_ws(self, what):
        """The run's workspace; NotImplementedError for a run that only logs: a job's own run
        (Run.get_context() inside a job, whose ./outputs reach its history when it ends) or an
        offline one."""
        if self._ws is None:
            if self.online:
                raise NotImplementedError(
                    "run.%s is not available on a job's own run (%s) while it runs: its "
                    "./outputs reach the run's history when it ends; after the job use its "
                    "handle (workspace.get_run(id), the run submit() returned), e.g. "
                    "`glia model register --name NAME --run %s --path outputs/model`"
                    % (what, self.id, self.id))
            raise NotImplementedError("run.%s: this run (%s) is offline (no workspace); use "
                                      "workspace.get_run(id)" % (what, self.id))
        return self._ws

    def _show(self, refresh=True):
        if refresh or self._record is None or "history" not in self._record:
            self._record = self._require_ws("get_details")._cli.json(["job", "show", self.id])
            if self._experiment_name is None:
                self._experiment_name = self._record.get("experiment")
        return self._record

    # -- properties ------------------------------------------------------------------------

    @property
    def display_name(self):
        if self._ws is None:
            return self.id
        return (self._record or self._show()).get("display_name") or self.id

    @property
    def type(self):
        """The run's type: ``command``, ``sweep``, ``interactive`` (None outside a workspace)."""
        if self._ws is None:
            return None
        record = self._record if self._record and "job_type" in self._record else self._show()
        return record.get("job_type")

    @property
    def parent(self):
        """The parent run (a sweep's, for a trial), or None."""
        if self._ws is None:
            return None
        record = self._record if self._record and "history" in self._record else self._show()
        parent = record.get("parent") or record.get("parent_run") or None
        if not parent:
            return None
        return type(self)._handle(self._ws, parent)

    @property
    def status(self):
        return self.get_status()

    def get_status(self):
        """The run's status now (``Queued``, ``Running``, ``Completed``, ...)."""
        return self._show()["status"]

    # -- details ---------------------------------------------------------------------------

    def get_details(self):
        """The run's details with Azure's keys: runId, status, startTimeUtc, endTimeUtc,
        target, properties, inputDatasets, runDefinition {script, arguments, command,
        environment, compute}, logFiles, error (and Glia's displayName, experiment, tags,
        exitCode)."""
        r = self._show()
        job = r.get("job") or {}
        command = r.get("command") or job.get("command") or ""
        script, arguments = _split_command(command)
        datasets = []
        for d in r.get("datasets") or []:
            datasets.append({"dataset": {"name": d.get("dataset"), "version": d.get("version")},
                             "consumptionDetails": {"type": "RunInput",
                                                    "inputName": d.get("input"),
                                                    "mechanism": d.get("mode")}})
        log_files = {}
        if r.get("status") in _ENDED:
            try:
                for name in self.get_file_names():
                    if name.startswith(("user_logs/", "logs/", "azureml-logs/")):
                        log_files[name] = name
            except GliaError:
                pass
        details = {
            "runId": r.get("id"),
            "displayName": r.get("display_name"),
            "experiment": r.get("experiment"),
            "status": r.get("status"),
            "startTimeUtc": r.get("started_at") or None,
            "endTimeUtc": r.get("ended_at") or None,
            "target": r.get("compute") or job.get("compute") or "local",
            "properties": dict(r.get("properties") or {}),
            "tags": dict(r.get("tags") or {}),
            "inputDatasets": datasets,
            "runDefinition": {
                "script": script,
                "arguments": arguments,
                "command": command,
                "environment": job.get("environment"),
                "compute": r.get("compute") or job.get("compute") or "local",
            },
            "logFiles": log_files,
            "exitCode": r.get("exit_code"),
        }
        if r.get("error"):
            details["error"] = {"error": {"message": r["error"]}}
        return details

    def wait_for_completion(self, show_output=False, wait_post_processing=False,
                            raise_on_error=True):
        """Waits until the run ends (``glia job stream``, whose output is copied to stdout with
        ``show_output``) and returns ``get_details()``. RunFailedError when it Failed and
        ``raise_on_error``. An interactive run this process logs and has not ended is a
        ConflictError (it would wait forever: it ends with complete(), fail() or cancel())."""
        tracker = getattr(self, "_tracker", None)
        if tracker is not None and not tracker.ended:
            from .errors import ConflictError
            raise ConflictError("run %s is logged from this process: it ends when this process "
                                "calls run.complete(), run.fail() or run.cancel() (or exits), so "
                                "waiting for it here would never return" % self.id)
        ws = self._require_ws("wait_for_completion")
        ws._cli.stream(["job", "stream", self.id], out=None if show_output else False)
        details = self.get_details()
        if details["status"] == "Failed" and raise_on_error:
            message = (details.get("error") or {}).get("error", {}).get("message", "")
            raise RunFailedError("run %s Failed: %s" % (self.id, message or "(no message)"),
                                 run=self, details=details)
        return details

    # -- metrics, tags, files --------------------------------------------------------------

    def _history_metrics(self, name=None, recursive=False):
        ws = self._require_ws("get_metrics")
        args = ["run", "metrics", self.id]
        if name is not None:
            args += ["--name", name]
        tables = {}
        try:
            data = ws._cli.json(args + ["--columns"])
            series = {}
            for n, columns in data.items():
                if isinstance(columns, dict) and set(columns) == _SERIES_KEYS:
                    series[n] = [_metric_value(v) for v in columns["value"]]
                else:  # a log_row table: {column: [cells]}
                    tables[n] = columns
        except NotFoundError:
            if name is None:
                raise
            # the run, or only the name? A name the run never logged is no metric (Azure's
            # filter gives {}); a run that does not exist stays NotFoundError.
            ws._cli.json(["job", "show", self.id])
            series = {}
        except GliaError as e:
            if e.exit_code != 2 or "--columns" not in str(e):
                raise
            # a glia without --columns: the list-of-points shape
            data = ws._cli.json(args)
            series = {n: [_metric_value(p.get("value")) for p in points]
                      for n, points in data.items()}
        out = {n: (v[0] if len(v) == 1 else v) for n, v in series.items() if v}
        out.update(tables)
        if recursive:
            nested = {self.id: out}
            for child in self.get_children():
                nested.update(child._history_metrics(name, recursive=True)
                              if child.type == "sweep" else {child.id: child._history_metrics(name)})
            return nested
        return out

    def _history_tags(self):
        return dict(self._show().get("tags") or {})

    def get_file_names(self):
        """The paths of the run's stored files (``outputs/...``, ``user_logs/std_log.txt``)."""
        ws = self._require_ws("get_file_names")
        return [f["path"] for f in ws._cli.json(["run", "files", self.id])]

    def download_file(self, name, output_file_path=None, _validate_checksum=False):
        """Downloads the run's file ``name`` to ``output_file_path`` (default: its base name in
        the current folder; an existing folder: into it). Returns the path written."""
        ws = self._require_ws("download_file")
        if output_file_path is None:
            output_file_path = os.path.basename(name)
        target = os.path.abspath(os.fspath(output_file_path))
        if os.path.isdir(target):
            target = os.path.join(target, os.path.basename(name))
        parent = os.path.dirname(target)
        if parent:
            os.makedirs(parent, exist_ok=True)
        ws._cli.run(["run", "download", self.id, name, "--output-dir", target])
        return target

    def download_files(self, prefix=None, output_directory=None, output_paths=None,
                       batch_size=100, append_prefix=True, timeout_seconds=None):
        """Downloads the run's files under ``prefix`` (all without one) into
        ``output_directory`` (default: the current folder), keeping their paths; with
        ``append_prefix=False`` the prefix is left out of them. Returns the paths written."""
        ws = self._require_ws("download_files")
        if output_paths is not None:
            raise NotImplementedError("Run.download_files(output_paths=...) is not supported "
                                      "by Glia; give output_directory")
        out_dir = os.path.abspath(os.fspath(output_directory or "."))
        names = [n for n in self.get_file_names()
                 if prefix is None or n == prefix or n.startswith(prefix.rstrip("/") + "/")
                 or (not prefix.endswith("/") and n.startswith(prefix))]
        if not names:
            return []
        os.makedirs(out_dir, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".glia-download-", dir=out_dir)
        try:
            # The CLI takes a whole file or folder, and the prefix is a string prefix of the
            # names (as Azure's): ask for the one file, or for the folder holding every name,
            # and move only the names.
            if len(names) == 1:
                os.makedirs(os.path.dirname(os.path.join(tmp, names[0])), exist_ok=True)
                ws._cli.run(["run", "download", self.id, names[0], "--output-dir",
                             os.path.join(tmp, names[0])])
            else:
                folder = os.path.commonpath(names) if prefix else ""
                ws._cli.run(["run", "download", self.id] + ([folder] if folder else [])
                            + ["--output-dir", tmp + "/"])
            written = []
            strip = prefix.rstrip("/") + "/" if (prefix and not append_prefix) else ""
            for n in names:
                src = os.path.join(tmp, n)
                if not os.path.isfile(src):
                    continue
                rel = n[len(strip):] if strip and n.startswith(strip) else (
                    os.path.basename(n) if strip else n)
                dst = os.path.join(out_dir, rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                os.replace(src, dst)
                written.append(dst)
            return written
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def get_children(self, recursive=False, tags=None, properties=None, type=None, status=None,
                     _rehydrate_runs=True):
        """The runs whose parent is this one (a sweep's trials)."""
        ws = self._require_ws("get_children")
        from .run import Run
        out = []
        for record in ws._cli.json(["job", "list", "--parent", self.id, "--limit", "1000000"]):
            child = Run._handle(ws, record["id"], record)
            if _matches(ws, record, type=type, tags=tags, properties=properties, status=status):
                out.append(child)
            if recursive:  # the descendants of a child the filters leave out count too
                out.extend(child.get_children(recursive=True, tags=tags, properties=properties,
                                              type=type, status=status))
        return out

    def _end_interactive(self, line):
        """Ends the interactive run logged from this process (``complete``, ``fail MESSAGE``,
        ``cancel``). Logging is refused first, under the run's lock, so every log call that
        returned is in the tracking file before the tracker's final read, and none after."""
        self._tracker.check_owner()
        with self._lock:
            if self._not_loggable is None:
                self._not_loggable = "run %s has ended: logging to it is refused" % self.id
        self._tracker.end(line)

    def cancel(self):
        """Cancels the run (``glia job cancel``; an interactive run logged from this process
        ends Canceled)."""
        if self._tracker is not None:
            self._end_interactive("cancel")
            return
        ws = self._require_ws("cancel")
        ws._cli.run(["job", "cancel", self.id])
        self._record = None

    def register_model(self, model_name, model_path=None, tags=None, properties=None,
                       description=None, model_framework=None, model_framework_version=None,
                       datasets=None, **kwargs):
        """Registers the run's file or folder ``model_path`` (e.g. ``outputs/model``) as a new
        version of the model ``model_name`` and returns the Model."""
        ws = self._require_ws("register_model")
        unsupported = sorted(kwargs) + [n for n, v in (
            ("model_framework", model_framework),
            ("model_framework_version", model_framework_version),
            ("datasets", datasets)) if v]
        if unsupported:
            raise NotImplementedError("Run.register_model(%s) is not supported by Glia"
                                      % ", ".join(unsupported))
        if not model_path:
            raise GliaError("Run.register_model(%r): model_path is required (a file or folder "
                            "of the run, e.g. outputs/model)" % (model_name,))
        from .model import Model
        return Model._register(ws, model_name, model_path, run_id=self.id, tags=tags,
                               properties=properties, description=description)


# ---------------------------------------------------------------------------------------------
# Interactive runs: `glia run track`

# The trackers of this process: a forked child closes its copies of their pipes (below).
_trackers = weakref.WeakSet()


class _Tracker(object):
    """The `glia run track` process of a run logged from this process: its stdin ends the run.
    Only the process that started it (``owner``) ends it: a forked child inherits the Run (and
    may log to it) but neither its atexit handler nor a copy of the pipe that would keep the
    run open after its parent has gone."""

    def __init__(self, proc, stderr_file, argv):
        self._proc = proc
        self._stderr = stderr_file
        self._argv = argv
        self._lock = threading.Lock()
        self.ended = False
        self.owner = os.getpid()
        _trackers.add(self)

    def _disown(self):
        """In a forked child: closes the child's copies of the pipes."""
        self._lock = threading.Lock()
        for f in (self._proc.stdin, self._proc.stdout):
            try:
                f.close()
            except (OSError, ValueError):
                pass

    def check_owner(self):
        """ConflictError in another process than the one that started the run."""
        if os.getpid() != self.owner:
            from .errors import ConflictError
            raise ConflictError("the interactive run is tracked by process %d, which started "
                                "it: end it there (this is process %d, a fork of it)"
                                % (self.owner, os.getpid()))

    def end(self, line):
        """Writes ``line`` (complete | fail MESSAGE | cancel), closes stdin and waits for the
        run's end to be recorded. Only the first call acts; ConflictError in another process
        than the one that started the run (a forked child, which may log to the same tracking
        file, never ends the run)."""
        self.check_owner()
        with self._lock:
            if self.ended:
                return
            self.ended = True
            try:
                self._proc.stdin.write((line.replace("\n", " ") + "\n").encode("utf-8"))
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass
            try:
                self._proc.stdin.close()
            except OSError:
                pass
            code = self._proc.wait()
            self._proc.stdout.close()
            if code != 0:
                self._stderr.seek(0)
                text = self._stderr.read().decode("utf-8", "replace")
                self._stderr.close()
                from ._cli import _error_line
                raise error_for_exit_code(code, _error_line(text, code), command=self._argv)
            self._stderr.close()


def _after_fork_in_child():
    for tracker in list(_trackers):
        if not tracker.ended:
            tracker._disown()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def start_tracking(workspace, experiment, display_name=None, tags=None, run_class=None):
    """A new interactive run of ``experiment``, online: its records go to a tracking file the
    ``glia run track`` child ingests until the run ends."""
    import subprocess
    from .run import Run, _MISSING
    args = ["run", "track", "--experiment", experiment, "--work-dir", os.getcwd()]
    if display_name:
        args += ["--display-name", display_name]
    for k, v in (tags or {}).items():
        args += ["--tag", "%s=%s" % (k, "" if v is None else v)]
    cli = workspace._cli
    argv = cli.argv(args + ["-o", "json"])
    stderr_file = tempfile.TemporaryFile()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=stderr_file, env=cli.env())
    except OSError as e:
        stderr_file.close()
        raise GliaError("cannot run %s: %s" % (argv[0], e.strerror or e)) from None
    first = proc.stdout.readline()
    if not first.strip():
        proc.stdin.close()
        code = proc.wait()
        stderr_file.seek(0)
        text = stderr_file.read().decode("utf-8", "replace")
        stderr_file.close()
        from ._cli import _error_line
        raise error_for_exit_code(code or 1, _error_line(text, code or 1), command=argv)
    info = json.loads(first)
    cls = run_class or Run
    run = cls(_token=_MISSING, run_id=info["id"], experiment_name=info.get("experiment"),
              workspace=workspace.root, tracking_file=info["tracking_file"],
              scratch_dir=info.get("scratch_dir"))
    run._ws = workspace
    run._tracker = _Tracker(proc, stderr_file, argv)
    return run


# ---------------------------------------------------------------------------------------------
# Run.get_context() outside a job

_failed_by_exception = []
_previous_excepthook = None


def _excepthook(exc_type, exc, tb):
    _failed_by_exception.append("%s: %s" % (exc_type.__name__, exc))
    (_previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)


def _end_context_run(run):
    if run._tracker is None or run._tracker.ended or run._tracker.owner != os.getpid():
        return  # (a forked child's exit does not end its parent's run)
    try:
        if _failed_by_exception:
            run._end_interactive("fail " + _failed_by_exception[-1])
        else:
            run._end_interactive("complete")
    except GliaError as e:
        sys.stderr.write("glia: the run %s could not be ended: %s\n" % (run.id, e))


def context_run_for_workspace(cls):
    """The online interactive run of ``Run.get_context()`` outside a job, or None when no
    workspace is found (then the caller goes offline). Ended at exit: Completed, or Failed when
    the interpreter ends on an exception."""
    global _previous_excepthook
    from .workspace import Workspace
    from .errors import InvalidArgumentError, NotFoundError
    try:
        ws = Workspace.from_config()
    except NotFoundError:
        return None
    except InvalidArgumentError as e:  # a config.json that names no Glia workspace
        sys.stderr.write("glia: %s\n" % e)
        return None
    experiment = os.environ.get("GLIA_EXPERIMENT_NAME") or "Default"
    run = start_tracking(ws, experiment, run_class=cls)
    if _previous_excepthook is None:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _excepthook
    atexit.register(_end_context_run, run)
    return run
