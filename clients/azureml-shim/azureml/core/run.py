"""``azureml.core.Run`` inside a Glia job: Glia's Python client (``glia.Run``) behind the Azure ML
SDK v1 names training scripts use.

    from azureml.core import Run          # or: from azureml.core.run import Run
    run = Run.get_context()
    run.log('Loss', 0.25)

Every call is passed to the process's ``glia.Run.get_context()``, so records go to the job's
tracking file exactly as with ``from glia import Run`` (and a ``glia.keras.GliaCallback`` in the
same script logs to the same run). Outside a Glia job the run is offline, like glia's.

Azure Run methods and properties Glia does not offer (``register_model``, ``get_children``,
``download_file``, ...) raise NotImplementedError naming the call; a name that is not part of
Azure's Run at all raises AttributeError as usual, so typos stay typos.
"""

import os
import threading

try:
    import glia
except ImportError as e:  # pragma: no cover - the agent always puts both folders on PYTHONPATH
    raise ImportError("Glia's azureml.core shim needs Glia's Python client (the glia package, "
                      "clients/python) on PYTHONPATH: %s" % e) from None

from ._unavailable import job_workspace, unavailable

__all__ = ["Run"]

_ENV_PARENT_RUN_ID = "GLIA_PARENT_RUN_ID"
_ENV_DISPLAY_NAME = "GLIA_DISPLAY_NAME"

# The public names of Azure ML SDK v1's azureml.core.Run (methods and properties) that Glia's
# Run does not define: using one raises NotImplementedError naming it.
AZURE_RUN_NAMES = frozenset("""
    add_properties add_type_provider cancel child_run clean create_children description
    download_file download_files fail get get_all_logs get_children get_detailed_status
    get_details get_details_with_logs get_environment get_file_names get_portal_url
    get_properties get_secret get_secrets get_snapshot_id get_status get_submitted_run list
    list_by_compute log_accuracy_table log_confusion_matrix log_predictions log_residuals name
    number properties register_model remove_tags restore_snapshot start status submit_child
    take_snapshot type wait_for_completion
""".split())

_context = None
_context_lock = threading.Lock()


class _RunType(type):
    """Metaclass of Run: ``Run.get(...)``, ``Run.list(...)`` and the other Azure names not defined
    here raise NotImplementedError at class level too."""

    def __getattr__(cls, name):
        if name in AZURE_RUN_NAMES:
            raise unavailable("azureml.core.Run." + name)
        raise AttributeError("type object %r has no attribute %r" % (cls.__name__, name))


class _Experiment(object):
    """``run.experiment``: its ``name``, and ``workspace``, whose attributes are not available."""

    def __init__(self, name):
        self.name = name

    @property
    def workspace(self):
        return job_workspace()

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError("%r object has no attribute %r" % (type(self).__name__, name))
        raise unavailable("azureml.core.Experiment." + name)

    def __repr__(self):
        return "Experiment(name=%r)" % (self.name,)


class _ParentRun(object):
    """``run.parent`` of a sweep trial (GLIA_PARENT_RUN_ID): its ``id`` and ``experiment``.
    Logging to the parent is not available yet: every Azure Run method raises
    NotImplementedError naming ``Run.parent.<call>``."""

    def __init__(self, run_id, experiment):
        self.id = run_id
        self.experiment = experiment

    def __getattr__(self, name):
        if name in AZURE_RUN_NAMES or (name in Run.__dict__ and not name.startswith("_")):
            raise NotImplementedError(
                "azureml.core.Run.parent.%s is not available inside a Glia job yet (Glia's "
                "azureml.core shim gives the parent run's id and experiment only); log to the "
                "trial's own run instead" % name)
        raise AttributeError("%r object has no attribute %r" % (type(self).__name__, name))

    def __repr__(self):
        return "Run(id=%r, experiment=%r)" % (self.id, self.experiment.name)


class Run(object, metaclass=_RunType):
    """The run of this process, as ``azureml.core.Run``. Use ``Run.get_context()``."""

    def __init__(self, experiment=None, run_id=None, outputs=None, **kwargs):
        raise unavailable("azureml.core.Run(...)")

    @classmethod
    def _wrap(cls, glia_run):
        """A Run passing every call to ``glia_run`` (a glia.Run); for tests and tools."""
        self = object.__new__(cls)
        self._run = glia_run
        return self

    @classmethod
    def get_context(cls, allow_offline=True, used_for_context_manager=False):
        """The run of this process: online inside a Glia job, offline elsewhere (values kept in
        memory). The same object on every call. With ``allow_offline=False`` an offline context
        raises RuntimeError. ``used_for_context_manager`` is accepted as in Azure: ``with
        Run.get_context() as run:`` works either way."""
        global _context
        run = _context
        if run is None:
            with _context_lock:
                if _context is None:
                    _context = cls._wrap(glia.Run.get_context())
                run = _context
        if not allow_offline and not run._run.online:
            glia.Run.get_context(allow_offline=False)  # raises glia's RuntimeError
        return run

    def __getattr__(self, name):
        if name in AZURE_RUN_NAMES:
            raise unavailable("azureml.core.Run." + name)
        raise AttributeError("%r object has no attribute %r" % (type(self).__name__, name))

    # -- what the run is -----------------------------------------------------------------------

    @property
    def id(self):
        """The run id (``OfflineRun_<uuid>`` offline)."""
        return self._run.id

    @property
    def display_name(self):
        """The run's display name: $GLIA_DISPLAY_NAME when the agent sets it, else the run id."""
        return os.environ.get(_ENV_DISPLAY_NAME) or self._run.id

    @display_name.setter
    def display_name(self, value):
        raise unavailable("azureml.core.Run.display_name = ...")

    @property
    def experiment(self):
        """An object with ``.name`` (None offline) and ``.workspace``."""
        return _Experiment(self._run.experiment_name)

    @property
    def parent(self):
        """The parent run of a sweep trial ($GLIA_PARENT_RUN_ID): an object with ``id`` and
        ``experiment`` whose logging methods raise NotImplementedError. None when the run has
        no parent, and offline."""
        parent_id = os.environ.get(_ENV_PARENT_RUN_ID)
        if not parent_id or not self._run.online:
            return None
        return _ParentRun(parent_id, self.experiment)

    @property
    def input_datasets(self):
        """The job's dataset inputs: input name -> local path (str) of the mounted or downloaded
        data. Empty offline."""
        return {name: str(path) for name, path in self._run.input_datasets.items()}

    @property
    def tags(self):
        """The tags this process set (as ``get_tags()``)."""
        return self._run.get_tags()

    def __repr__(self):
        return "Run(id=%r, experiment=%r)" % (self._run.id, self._run.experiment_name)

    # -- logging -------------------------------------------------------------------------------

    def log(self, name, value, description="", step=None):
        """Logs a number; repeated logs of a name form a list (steps 0, 1, 2, ...)."""
        self._run.log(name, value, description, step)

    def log_list(self, name, value, description=""):
        """Logs a list of numbers as consecutive steps."""
        self._run.log_list(name, value, description)

    def log_row(self, name, description=None, **kwargs):
        """Logs one row of the table ``name``: ``run.log_row("Y over X", x=1, y=0.4)``."""
        self._run.log_row(name, description, **kwargs)

    def log_table(self, name, value, description=""):
        """Logs a table given as a dict of equal-length column lists."""
        self._run.log_table(name, value, description)

    def log_image(self, name, path=None, plot=None, description="", step=None):
        """Logs an image: ``path`` of a PNG/SVG/JPEG file, or ``plot`` (matplotlib.pyplot or a
        Figure, saved as PNG)."""
        self._run.log_image(name, path=path, plot=plot, description=description, step=step)

    def upload_file(self, name, path_or_stream, datastore_name=None):
        """Stores a file (a path or a stream) in the run's history under ``name``."""
        if datastore_name is not None:
            raise unavailable("azureml.core.Run.upload_file(datastore_name=...)")
        self._run.upload_file(name, path_or_stream)

    def upload_files(self, names, paths, return_artifacts=False, timeout_seconds=None,
                     datastore_name=None):
        """Stores several files: ``names[i]`` gets ``paths[i]``. Each file is written before this
        returns, so ``timeout_seconds`` has nothing to bound."""
        if return_artifacts:
            raise unavailable("azureml.core.Run.upload_files(return_artifacts=True)")
        if datastore_name is not None:
            raise unavailable("azureml.core.Run.upload_files(datastore_name=...)")
        self._run.upload_files(names, paths)

    def upload_folder(self, name, path, datastore_name=None):
        """Stores every file under the folder ``path`` as ``name/<relative path>``."""
        if datastore_name is not None:
            raise unavailable("azureml.core.Run.upload_folder(datastore_name=...)")
        self._run.upload_folder(name, path)

    def tag(self, key, value=None):
        """Sets a tag (``value`` None means "")."""
        self._run.tag(key, value)

    def set_tags(self, tags):
        """Sets several tags from a dict."""
        self._run.set_tags(tags)

    def get_tags(self):
        """The tags this process set."""
        return self._run.get_tags()

    def get_metrics(self, name=None, recursive=False, run_type=None, populate=False):
        """What this process logged: {name: value} for one value, {name: [values]} for several,
        {name: {column: [cells]}} for tables, {name: path} for images."""
        if recursive:
            raise unavailable("azureml.core.Run.get_metrics(recursive=True)")
        if run_type is not None:
            raise unavailable("azureml.core.Run.get_metrics(run_type=...)")
        if populate:
            raise unavailable("azureml.core.Run.get_metrics(populate=True)")
        return self._run.get_metrics(name)

    def flush(self, timeout_seconds=300):
        """Nothing to wait for: every call is written through."""
        self._run.flush()

    def complete(self, _set_status=True):
        """Ends logging from this process; the agent sets the run's status from the exit code."""
        self._run.complete()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.complete()
        return False


def _reset_context_for_tests():
    """Forgets the shared context (glia's too)."""
    global _context
    with _context_lock:
        _context = None
    from glia import run as glia_run
    glia_run._reset_context_for_tests()
