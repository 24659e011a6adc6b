"""The run a Python program logs to: Glia's counterpart of ``azureml.core.Run``.

``Run.get_context()`` returns the run of this process. Inside a Glia job (the agent set
``GLIA_RUN_ID`` and ``GLIA_TRACKING_FILE``) the run is *online*: every call appends whole JSON
lines to the tracking file, one ``os.write`` per call on a descriptor opened with ``O_APPEND``,
so records from several threads or processes never interleave, and a call that returned has been
acknowledged (the agent guarantees the record reaches the run's history). Outside a job in a
workspace, ``get_context()`` is an interactive run of it (``glia run track``, run_history.py).
With no workspace the run is *offline*: values are only kept in memory and nothing fails (said
once on stderr), so the same script runs on a laptop unchanged. The record format is ``docs/tracking-protocol.md``.

Only the standard library is used; matplotlib is touched only when a figure is passed to
``log_image(plot=...)``.
"""

import array
import json
import numbers
import os
import shutil
import tempfile
import threading
import time
import uuid
import weakref

from .run_history import RunHistory

__all__ = ["Run"]

_ENV_RUN_ID = "GLIA_RUN_ID"
_ENV_EXPERIMENT = "GLIA_EXPERIMENT_NAME"
_ENV_WORKSPACE = "GLIA_WORKSPACE"
_ENV_TRACKING_FILE = "GLIA_TRACKING_FILE"
_ENV_SCRATCH_DIR = "GLIA_SCRATCH_DIR"
_ENV_OUTPUTS_DIR = "GLIA_OUTPUTS_DIR"

_IMAGE_EXTENSIONS = (".png", ".svg", ".jpg", ".jpeg")
_INT64_MAX = 2 ** 63 - 1
_MAX_LINE = 4 << 20   # the ingester's limit on one line (bytes, newline included)
_LIST_LINE = 1 << 20  # log_list splits a long list into records of about this many bytes
_MISSING = object()

# Every Run of this process, so that a forked child gets fresh locks (a lock held by another
# thread at fork time would otherwise stay locked forever in the child).
_all_runs = weakref.WeakSet()


def _after_fork_in_child():
    for run in list(_all_runs):
        run._lock = threading.Lock()
    global _context_lock
    _context_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# ---------------------------------------------------------------------------------------------
# Encoding helpers (kept free of json.dumps on the hot path)

def _json_string(text, what):
    """JSON text of a str (UTF-8 characters kept, control characters, quotes and backslashes
    escaped). Raises TypeError for a non-str and ValueError for text UTF-8 cannot encode (lone
    surrogates)."""
    if not isinstance(text, str):
        raise TypeError("%s must be a str, got %s" % (what, type(text).__name__))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("%s %r is not valid Unicode (lone surrogate)" % (what, text)) from None
    return json.dumps(str(text), ensure_ascii=False)


def _name_text(name, what="name"):
    if not isinstance(name, str):
        raise TypeError("%s must be a non-empty str, got %s" % (what, type(name).__name__))
    if not name:
        raise ValueError("%s must be a non-empty str" % what)
    return _json_string(name, what)


def _float_text(v):
    """Exact JSON text of a Python float: repr() round-trips; NaN and the infinities become the
    strings the protocol defines (JSON has no NaN)."""
    if v - v == 0.0:  # finite (inf - inf and nan - nan are nan)
        return repr(v)
    if v != v:
        return '"NaN"'
    return '"Infinity"' if v > 0 else '"-Infinity"'


def _int_text(v, what):
    if -_INT64_MAX - 1 <= v <= _INT64_MAX:
        return repr(v)
    try:
        f = float(v)
    except OverflowError:
        raise ValueError("%s: %d is too large to be stored as a number" % (what, v)) from None
    return repr(f)


def _number(value, what):
    """(stored value, JSON text) of a metric value. Accepts int, float, bool (stored as 1/0),
    and anything else that is a real number: numbers.Real instances (numpy scalars, Fraction),
    and objects float() accepts such as Decimal, 0-d arrays and scalar tensors. Strings, bytes,
    None and complex numbers raise TypeError."""
    t = type(value)
    if t is float:
        return value, _float_text(value)
    if t is int:
        return value, _int_text(value, what)
    if isinstance(value, bool):
        return int(value), ("1" if value else "0")
    if isinstance(value, (str, bytes, bytearray)) or value is None:
        raise TypeError("%s must be a real number, got %s" % (what, t.__name__))
    if isinstance(value, numbers.Integral):
        v = int(value)
        return v, _int_text(v, what)
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        raise TypeError("%s must be a real number, got %s" % (what, t.__name__))
    if isinstance(value, numbers.Real) or hasattr(t, "__float__"):
        try:
            v = float(value)
        except (TypeError, ValueError, OverflowError) as e:
            raise TypeError("%s must be a real number, got %s (%s)" % (what, t.__name__, e)) from None
        return v, _float_text(v)
    if hasattr(t, "__index__"):
        v = value.__index__()
        return v, _int_text(v, what)
    raise TypeError("%s must be a real number, got %s" % (what, t.__name__))


def _step_text(step):
    if type(step) is not int:
        if isinstance(step, bool) or not isinstance(step, numbers.Integral):
            raise TypeError("step must be an int, got %s" % type(step).__name__)
        step = int(step)
    if step < 0 or step > _INT64_MAX:
        raise ValueError("step must be between 0 and 2**63-1, got %d" % step)
    return repr(step)


def _cell(value, what):
    """(stored value, JSON text) of a table cell: a number (as for log) or a str."""
    if isinstance(value, str):
        return value, _json_string(value, what)
    return _number(value, what)


def _safe_relative_name(name):
    """Checks an upload name the way the agent does: non-empty, relative, '/'-separated, no
    '.', '..' or empty components, no NUL."""
    if not isinstance(name, str):
        raise TypeError("file name must be a str, got %s" % type(name).__name__)
    if not name:
        raise ValueError("file name must be a non-empty relative path")
    if "\0" in name:
        raise ValueError("file name %r contains a NUL character" % name)
    if name.startswith("/"):
        raise ValueError("file name %r must be relative, not absolute" % name)
    for part in name.split("/"):
        if part in ("", ".", ".."):
            raise ValueError("file name %r must not contain empty, '.' or '..' components" % name)
    _json_string(name, "file name")
    return name


def _line_bytes(line, what):
    """The UTF-8 bytes of one record; ValueError when over the protocol's line limit."""
    data = line.encode("utf-8")
    if len(data) > _MAX_LINE:
        raise ValueError("%s: the record would be %d bytes, over the tracking file's limit of "
                         "%d bytes per line" % (what, len(data), _MAX_LINE))
    return data


def _fspath(path, what):
    try:
        return os.path.abspath(os.fspath(path))
    except TypeError:
        raise TypeError("%s must be a path (str or os.PathLike), got %s"
                        % (what, type(path).__name__)) from None


def _env(environ, key):
    value = environ.get(key, "")
    return value if value else None


# ---------------------------------------------------------------------------------------------

class _Experiment(object):
    """The experiment of a run (``run.experiment.name`` as in Azure)."""

    def __init__(self, name, workspace):
        self.name = name
        self.workspace = workspace

    def __repr__(self):
        return "Experiment(name=%r)" % (self.name,)


_context = None
_context_lock = threading.Lock()


class Run(RunHistory):
    """A run of an experiment, as seen from the process logging to it.

    Use ``Run.get_context()``; the constructor is private. Every logging method validates its
    arguments the same way online and offline, raising ``TypeError`` (wrong type) or
    ``ValueError`` (bad value) before anything is written.
    """

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def get_context(cls, allow_offline=True):
        """The run of this process: online inside a Glia job, an online interactive run in a
        workspace outside a job, offline when there is neither. Repeated calls
        return the same object. With ``allow_offline=False`` an offline context raises
        RuntimeError instead."""
        global _context
        run = _context
        if run is None:
            with _context_lock:
                if _context is None:
                    run = cls.from_environment()
                    if not run.online:
                        run = cls._workspace_context(run)
                    _context = run
                run = _context
        if not allow_offline and not run.online:
            raise RuntimeError("not running inside a Glia job (GLIA_RUN_ID and GLIA_TRACKING_FILE "
                               "are not set) and allow_offline=False")
        return run

    @classmethod
    def _workspace_context(cls, offline_run):
        """Outside a job: an online interactive run in the workspace ``Workspace.from_config()``
        finds (``glia run track``, experiment ``$GLIA_EXPERIMENT_NAME`` or ``Default``), else
        ``offline_run``, saying so once on stderr."""
        from .run_history import context_run_for_workspace
        run = context_run_for_workspace(cls)
        if run is not None:
            return run
        import sys
        sys.stderr.write("glia: no Glia job and no workspace found (GLIA_WORKSPACE, a .glia "
                         "folder or config.json from here upward): Run.get_context() is offline, "
                         "values are kept in memory only\n")
        return offline_run

    @classmethod
    def from_environment(cls, environ=None):
        """A new Run built from ``environ`` (default ``os.environ``), not the shared context:
        online when GLIA_RUN_ID and GLIA_TRACKING_FILE are both set and non-empty."""
        if environ is None:
            environ = os.environ
        run_id = _env(environ, _ENV_RUN_ID)
        tracking_file = _env(environ, _ENV_TRACKING_FILE)
        online = run_id is not None and tracking_file is not None
        return cls(_token=_MISSING,
                   run_id=run_id if online else "OfflineRun_" + str(uuid.uuid4()),
                   experiment_name=_env(environ, _ENV_EXPERIMENT) if online else None,
                   workspace=_env(environ, _ENV_WORKSPACE) if online else None,
                   tracking_file=os.path.abspath(tracking_file) if online else None,
                   scratch_dir=_env(environ, _ENV_SCRATCH_DIR) if online else None,
                   outputs_dir=_env(environ, _ENV_OUTPUTS_DIR) if online else None)

    def __init__(self, _token=None, run_id=None, experiment_name=None, workspace=None,
                 tracking_file=None, scratch_dir=None, outputs_dir=None):
        if _token is not _MISSING:
            raise TypeError("use Run.get_context() to get the run of this process")
        self._id = run_id
        self._experiment_name = experiment_name
        self._workspace = workspace
        self._tracking_file = tracking_file
        self._scratch_dir = scratch_dir
        self._outputs_dir = outputs_dir
        self._online = tracking_file is not None
        self._fd = None
        self._lock = threading.Lock()
        self._private_dir = None  # temp dir for plots/streams when there is no scratch dir
        # name -> JSON prefix of a metric record, up to the value
        self._metric_prefix = {}
        # what this process logged, for get_metrics()
        self._values = {}   # name -> array('d') of values (8 bytes each, like the store)
        self._rows = {}     # name -> [{col: value}, ...]
        self._images = {}   # name -> path
        self._files = {}    # name -> path (or None offline for a stream)
        self._tags = {}
        self._completed = False
        _all_runs.add(self)

    # -- properties ------------------------------------------------------------------------

    @property
    def id(self):
        """The run id (``OfflineRun_<uuid>`` offline)."""
        return self._id

    @property
    def experiment_name(self):
        """The experiment's name (None offline)."""
        return self._experiment_name

    @property
    def experiment(self):
        """An object with ``.name`` (and ``.workspace``), as ``run.experiment`` in Azure (a
        glia.Experiment for a run of a workspace the SDK opened)."""
        if self._ws is not None and self._experiment_name:
            from .experiment import Experiment
            return Experiment(self._ws, self._experiment_name)
        return _Experiment(self._experiment_name, self._workspace)

    @property
    def online(self):
        """True inside a Glia job (or an interactive run): logged values go to the run's
        history."""
        return self._online and self._not_loggable is None

    @property
    def workspace(self):
        """The workspace root folder (GLIA_WORKSPACE), or None; the glia.Workspace for a run
        of a workspace the SDK opened."""
        if self._ws is not None:
            return self._ws
        return self._workspace

    @property
    def tracking_file(self):
        """The tracking file this run appends to, or None offline."""
        return self._tracking_file

    @property
    def scratch_dir(self):
        """The run-private folder for files referenced from records (GLIA_SCRATCH_DIR), or None."""
        return self._scratch_dir

    @property
    def outputs_dir(self):
        """The job's ./outputs folder (GLIA_OUTPUTS_DIR), or None."""
        return self._outputs_dir

    @property
    def input_datasets(self):
        """The job's dataset inputs, input name -> local path (a read-only view, or a private
        copy for ``mode: download``), like Azure's ``run.input_datasets``. Read from
        GLIA_INPUT_DATASETS (a JSON object); empty offline."""
        text = os.environ.get("GLIA_INPUT_DATASETS", "")
        if not self._online or not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            return {}
        return dict(value) if isinstance(value, dict) else {}

    def __repr__(self):
        return "Run(id=%r, experiment=%r, online=%r)" % (self._id, self._experiment_name,
                                                         self._online)

    # -- writing ---------------------------------------------------------------------------

    def _write(self, data):
        """Appends complete lines with one write() (a short write, which only happens on errors
        such as a full disk, is completed by more writes). Called with the lock held. A run
        this process cannot log to (a handle on a workspace's history, an interactive run that
        ended) raises ConflictError instead of keeping the values where nobody reads them."""
        if self._not_loggable is not None:
            from .errors import ConflictError
            raise ConflictError(self._not_loggable)
        fd = self._fd
        if fd is None:
            fd = self._fd = os.open(self._tracking_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                                    0o644)
        n = os.write(fd, data)
        while n < len(data):
            data = data[n:]
            n = os.write(fd, data)

    def _new_metric_prefix(self, name):
        prefix = '{"kind":"metric","name":%s,"value":' % _name_text(name, "metric name")
        _line_bytes(prefix + "-1.2345678901234567e-308,\"step\":9223372036854775807,"
                    "\"time\":1.7976931348623157e+308}\n", "metric %r" % (name,))
        self._metric_prefix[name] = prefix
        return prefix

    def _file_dir(self):
        """Where files referenced from records go: the scratch dir, or a private temp dir."""
        if self._online and self._scratch_dir:
            os.makedirs(self._scratch_dir, exist_ok=True)
            return self._scratch_dir
        if self._private_dir is None:
            self._private_dir = tempfile.mkdtemp(prefix="glia-run-")
        return self._private_dir

    def _new_file(self, prefix, suffix):
        fd, path = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=self._file_dir())
        os.close(fd)
        return path

    # -- metrics ---------------------------------------------------------------------------

    def log(self, name, value, description="", step=None):
        """Logs a number under ``name``. Without ``step`` the agent gives it the next step of
        that name, so repeated calls form a list. bool is stored as 1/0; NaN and the infinities
        are kept. ``description`` is accepted for Azure compatibility and ignored."""
        try:
            prefix = self._metric_prefix[name]
        except (KeyError, TypeError):
            prefix = self._new_metric_prefix(name)
        if type(value) is float:
            text = repr(value) if value - value == 0.0 else _float_text(value)
        else:
            value, text = _number(value, "metric %r: value" % (name,))
        if step is None:
            line = '%s%s,"time":%r}\n' % (prefix, text, time.time())
        else:
            line = '%s%s,"step":%s,"time":%r}\n' % (prefix, text, _step_text(step), time.time())
        with self._lock:
            if self._online:
                self._write(line.encode("utf-8"))
            values = self._values.get(name)
            if values is None:
                values = self._values[name] = array.array("d")
            values.append(value)

    def log_list(self, name, value=_MISSING, description="", values=_MISSING):
        """Logs a list of numbers under ``name`` as consecutive steps. The list is ``value``
        (Azure's parameter name) or ``values=``. It is one record, or for a list longer than
        about 1 MB of text several consecutive records, all written with one write()."""
        if value is _MISSING:
            value = values
        elif values is not _MISSING:
            raise TypeError("log_list takes value or values, not both")
        if value is _MISSING:
            raise TypeError("log_list needs the list of values")
        name_text = _name_text(name, "list name")
        if isinstance(value, (str, bytes, bytearray, dict)):
            raise TypeError("list %r: values must be a sequence of numbers, got %s"
                            % (name, type(value).__name__))
        try:
            items = list(value)
        except TypeError:
            raise TypeError("list %r: values must be a sequence of numbers, got %s"
                            % (name, type(value).__name__)) from None
        stored, texts = [], []
        for i, v in enumerate(items):
            if type(v) is float:
                s, t = v, (repr(v) if v - v == 0.0 else _float_text(v))
            else:
                s, t = _number(v, "list %r: values[%d]" % (name, i))
            stored.append(s)
            texts.append(t)
        head = '{"kind":"list","name":%s,"values":[' % name_text
        tail = '],"time":%r}\n' % time.time()
        budget = _LIST_LINE - len(head) - len(tail)
        lines, start, size = [], 0, 0
        for i, t in enumerate(texts):  # texts are ASCII: len() counts bytes
            if i > start and size + len(t) + 1 > budget:
                lines.append(head + ",".join(texts[start:i]) + tail)
                start, size = i, 0
            size += len(t) + 1
        if texts:  # an empty list records nothing: no line
            lines.append(head + ",".join(texts[start:]) + tail)
        data = b"".join(_line_bytes(line, "list %r" % (name,)) for line in lines)
        with self._lock:
            if self._online and data:
                self._write(data)
            values = self._values.get(name)
            if values is None:
                values = self._values[name] = array.array("d")
            values.extend(stored)

    def _row_line(self, name_text, name, row, now):
        if not row:
            raise ValueError("row %r needs at least one column" % (name,))
        stored, parts = {}, []
        for col, v in row.items():
            col_text = _name_text(col, "row %r: column name" % (name,))
            s, t = _cell(v, "row %r: column %r" % (name, col))
            stored[col] = s
            parts.append("%s:%s" % (col_text, t))
        line = '{"kind":"row","name":%s,"row":{%s},"time":%r}\n' % (name_text, ",".join(parts), now)
        return stored, _line_bytes(line, "row %r" % (name,))

    def log_row(self, name, description=None, **kwargs):
        """Logs one row of the table ``name``: ``run.log_row("Y over X", x=1, y=0.4)``. Cells
        are numbers or strings."""
        name_text = _name_text(name, "table name")
        stored, data = self._row_line(name_text, name, kwargs, time.time())
        with self._lock:
            if self._online:
                self._write(data)
            self._rows.setdefault(name, []).append(stored)

    def log_table(self, name, value, description=""):
        """Logs a table given as a dict of equal-length column lists: one row record per index,
        all written with one write()."""
        name_text = _name_text(name, "table name")
        if not isinstance(value, dict):
            raise TypeError("table %r: value must be a dict of column lists, got %s"
                            % (name, type(value).__name__))
        if not value:
            raise ValueError("table %r needs at least one column" % (name,))
        columns = {}
        for col, cells in value.items():
            if isinstance(cells, (str, bytes, bytearray, dict)) or not hasattr(cells, "__iter__"):
                raise TypeError("table %r: column %r must be a list, got %s"
                                % (name, col, type(cells).__name__))
            columns[col] = list(cells)
        lengths = set(len(c) for c in columns.values())
        if len(lengths) != 1:
            raise ValueError("table %r: columns have different lengths %s"
                             % (name, {c: len(v) for c, v in columns.items()}))
        now = time.time()
        rows, lines = [], []
        for i in range(lengths.pop()):
            stored, line = self._row_line(name_text, name, {c: v[i] for c, v in columns.items()}, now)
            rows.append(stored)
            lines.append(line)
        with self._lock:
            if self._online and lines:
                self._write(b"".join(lines))
            self._rows.setdefault(name, []).extend(rows)

    # -- files -----------------------------------------------------------------------------

    def log_image(self, name, path=None, plot=None, description="", step=None):
        """Logs an image: ``path`` of a PNG/SVG/JPEG file, or ``plot``, a matplotlib.pyplot
        module or Figure (saved as PNG). Online the image is first copied (or saved) under the
        run's scratch folder, so later changes to ``path`` do not affect what is recorded."""
        name_text = _name_text(name, "image name")
        if (path is None) == (plot is None):
            raise ValueError("log_image(%r): give exactly one of path and plot" % (name,))
        step_part = "" if step is None else ',"step":' + _step_text(step)
        if path is not None:
            src = _fspath(path, "image path")
            ext = os.path.splitext(src)[1].lower()
            if ext not in _IMAGE_EXTENSIONS:
                raise ValueError("log_image(%r): %s is not a .png, .svg, .jpg or .jpeg file"
                                 % (name, src))
            if not os.path.isfile(src):
                raise FileNotFoundError("log_image(%r): no such file: %s" % (name, src))
            if self._online:
                dst = self._new_file("image-", ext)
                shutil.copyfile(src, dst)
            else:
                dst = src
        else:
            if not hasattr(plot, "savefig"):
                raise TypeError("log_image(%r): plot must be matplotlib.pyplot or a Figure "
                                "(something with savefig), got %s" % (name, type(plot).__name__))
            dst = self._new_file("image-", ".png")
            plot.savefig(dst, format="png")
        data = _line_bytes('{"kind":"image","name":%s,"path":%s%s,"time":%r}\n' % (
            name_text, _json_string(dst, "image path"), step_part, time.time()), "image %r" % (name,))
        with self._lock:
            if self._online:
                self._write(data)
            self._images[name] = dst

    def upload_file(self, name, path_or_stream):
        """Uploads a file into the run's history under the relative name ``name`` (such as
        "outputs/report.txt"). ``path_or_stream`` is a path, or a file-like object whose
        remaining bytes (or text, stored as UTF-8) are copied. Online the content is copied to
        the scratch folder at call time, so later changes do not affect the upload."""
        _safe_relative_name(name)
        name_text = _json_string(name, "file name")
        if hasattr(path_or_stream, "read"):
            if not self._online:
                with self._lock:
                    self._files[name] = None
                return
            dst = self._new_file("file-", os.path.splitext(name)[1])
            with open(dst, "wb") as out:
                while True:
                    chunk = path_or_stream.read(1 << 20)
                    if not chunk:
                        break
                    if isinstance(chunk, str):
                        chunk = chunk.encode("utf-8")
                    out.write(chunk)
        else:
            src = _fspath(path_or_stream, "path_or_stream")
            if not os.path.isfile(src):
                raise FileNotFoundError("upload_file(%r): no such file: %s" % (name, src))
            if self._online:
                dst = self._new_file("file-", os.path.splitext(src)[1])
                shutil.copyfile(src, dst)
            else:
                dst = src
        data = _line_bytes('{"kind":"file","name":%s,"path":%s}\n' % (
            name_text, _json_string(dst, "file path")), "file %r" % (name,))
        with self._lock:
            if self._online:
                self._write(data)
            self._files[name] = dst

    def upload_files(self, names, paths):
        """Uploads several files: ``names[i]`` gets ``paths[i]``."""
        names, paths = list(names), list(paths)
        if len(names) != len(paths):
            raise ValueError("upload_files: %d names for %d paths" % (len(names), len(paths)))
        for n in names:
            _safe_relative_name(n)
        for n, p in zip(names, paths):
            self.upload_file(n, p)

    def upload_folder(self, name, path):
        """Uploads every file under the folder ``path`` as ``name/<relative path>``."""
        _safe_relative_name(name)
        root = _fspath(path, "path")
        if not os.path.isdir(root):
            raise FileNotFoundError("upload_folder(%r): no such folder: %s" % (name, root))
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for f in sorted(files):
                full = os.path.join(folder, f)
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                self.upload_file(name.rstrip("/") + "/" + rel, full)

    # -- tags ------------------------------------------------------------------------------

    @staticmethod
    def _tag_line(key, value):
        key_text = _name_text(key, "tag key")
        if value is None:
            value = ""
        elif isinstance(value, (bool, numbers.Real)):
            value = str(value)
        value_text = _json_string(value, "tag %r: value" % (key,))
        return value, _line_bytes('{"kind":"tag","key":%s,"value":%s}\n' % (key_text, value_text),
                                  "tag %r" % (key,))

    def tag(self, key, value=""):
        """Sets the tag ``key`` (value a str; None means "", numbers are converted with str)."""
        value, data = self._tag_line(key, value)
        with self._lock:
            if self._online:
                self._write(data)
            self._tags[key] = value

    def set_tags(self, tags):
        """Sets several tags from a dict, with one write()."""
        if not isinstance(tags, dict):
            raise TypeError("set_tags takes a dict, got %s" % type(tags).__name__)
        pairs = [self._tag_line(k, v) for k, v in tags.items()]
        with self._lock:
            if self._online and pairs:
                self._write(b"".join(data for _, data in pairs))
            for k, (v, _) in zip(tags, pairs):
                self._tags[k] = v

    def get_tags(self):
        """The tags this process set (a run of a workspace: the run's tags in the store)."""
        if self._ws is not None and self._tracker is None:
            return self._history_tags()
        with self._lock:
            return dict(self._tags)

    # -- reading back, lifecycle ---------------------------------------------------------------

    def get_metrics(self, name=None, recursive=False, run_type=None, populate=False):
        """What this process logged, as in Azure: {name: value} for a name with one value,
        {name: [values]} for several (floats, as the run's store keeps them), {name: {column:
        [cells]}} for tables and {name: path} for images. ``name`` selects one name.
        ``run_type`` and ``populate`` (Azure's filters of children by type and fetching of
        linked data) are refused: NotImplementedError.

        For a run of a workspace (a handle, an interactive run): the run's metric series as
        the store holds them (``glia run metrics --columns``); ``recursive`` adds its
        children's, keyed by run id."""
        for flag, value in (("run_type", run_type), ("populate", populate)):
            if value:
                raise NotImplementedError("Run.get_metrics(%s=...) is not supported by Glia; "
                                          "read a child's metrics with child.get_metrics()" % flag)
        if self._ws is not None:
            return self._history_metrics(name, recursive=recursive)
        with self._lock:
            out = {}
            for n, values in self._values.items():
                out[n] = values[0] if len(values) == 1 else values.tolist()
            for n, rows in self._rows.items():
                table = {}
                for i, row in enumerate(rows):
                    for col, v in row.items():
                        if col not in table:
                            table[col] = [None] * i
                        table[col].append(v)
                    for col, cells in table.items():
                        if len(cells) == i:
                            cells.append(None)
                out[n] = table
            for n, p in self._images.items():
                out[n] = p
        if name is not None:
            return {name: out[name]} if name in out else {}
        return out

    def flush(self):
        """Does nothing more than wait for concurrent writes: every call is written through, so
        a returned call is already acknowledged."""
        with self._lock:
            pass

    def complete(self, _set_status=True):
        """Marks the end of logging from this process. The agent sets the run's status from the
        job's exit code; logging after complete() still works.

        An interactive run (``Experiment.start_logging``, ``Run.get_context()`` outside a
        job) ends Completed once everything logged is in its history."""
        self.flush()
        self._completed = True
        if self._tracker is not None:
            self._end_interactive("complete")

    def fail(self, error_details=None, error_code=None, _set_status=True):
        """Ends an interactive run Failed with ``error_details`` as its error."""
        if self._tracker is None:
            raise RuntimeError("run.fail(): only an interactive run logged from this process "
                               "(Experiment.start_logging) can be failed from Python")
        self.flush()
        self._completed = True
        self._end_interactive("fail " + str(error_details or "failed from Python"))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and self._tracker is not None:
            self.fail("%s: %s" % (exc_type.__name__, exc))
            return False
        self.complete()
        return False


def _reset_context_for_tests():
    """Forgets the shared context (the next get_context() reads the environment again)."""
    global _context
    with _context_lock:
        _context = None
