"""``azureml.core.Run``: the run of this process inside a Glia job, and a run of the workspace
(what ``Experiment.submit`` returns) elsewhere, both over Glia's Python SDK (``glia.Run``).

    from azureml.core import Run          # or: from azureml.core.run import Run
    run = Run.get_context()
    run.log('Loss', 0.25)

Inside a job every logging call is passed to the process's ``glia.Run.get_context()``, so records
go to the job's tracking file exactly as with ``from glia import Run`` (and a
``glia.keras.GliaCallback`` in the same script logs to the same run). Outside a Glia job the
context is what ``glia.Run.get_context()`` gives (docs/python-sdk.md).

A run handle (``exp.submit(src)``, ``ws.get_run(id)``, ``run.get_children()``) passes Azure's
query and control calls (``wait_for_completion``, ``get_details``, ``get_metrics``,
``get_file_names``, ``download_file``, ``register_model``, ``cancel``, ...) to the glia Run it
wraps. Azure Run names Glia does not offer raise NotImplementedError naming the call; a name
that is not part of Azure's Run at all raises AttributeError as usual, so typos stay typos.
"""

import os
import sys
import threading

try:
    import glia
except ImportError as e:  # pragma: no cover - the agent always puts both folders on PYTHONPATH
    raise ImportError("Glia's azureml.core shim needs Glia's Python client (the glia package, "
                      "clients/python) on PYTHONPATH: %s" % e) from None

from ._unavailable import unavailable

__all__ = ["Run"]

_ENV_PARENT_RUN_ID = "GLIA_PARENT_RUN_ID"
_ENV_DISPLAY_NAME = "GLIA_DISPLAY_NAME"

# The public names of Azure ML SDK v1's azureml.core.Run (methods and properties) this class does
# not define: each is passed to the wrapped glia Run when glia's Run has it, and raises
# NotImplementedError naming it otherwise.
AZURE_RUN_NAMES = frozenset("""
    add_properties add_type_provider cancel child_run clean create_children description
    download_file download_files fail get_all_logs get_detailed_status
    get_details get_details_with_logs get_environment get_file_names get_portal_url
    get_properties get_secret get_secrets get_snapshot_id get_status get_submitted_run list
    list_by_compute log_accuracy_table log_confusion_matrix log_predictions log_residuals name
    number properties remove_tags restore_snapshot start status submit_child
    take_snapshot type
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
    """``run.experiment`` of the process's run: its ``name`` (None offline) and, inside a job,
    ``workspace`` (the job's workspace, opened on first use) and the azureml Experiment's
    other calls (``submit``, ``get_runs``, ...). Offline it has no workspace."""

    def __init__(self, name, root=None):
        self.name = name
        self._root = root
        self._experiment = None

    def _real(self, what):
        if not self._root or not self.name:
            raise unavailable("azureml.core.Run.experiment.%s of an offline run" % what)
        if self._experiment is None:
            from .experiment import Experiment
            from .workspace import Workspace
            self._experiment = Experiment(Workspace(self._root), self.name)
        return self._experiment

    @property
    def workspace(self):
        return self._real("workspace").workspace

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError("%r object has no attribute %r" % (type(self).__name__, name))
        return getattr(self._real(name), name)

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
        """``Run(experiment, run_id)``: the run ``run_id`` of the experiment's workspace (an
        azureml Experiment). Anything else raises NotImplementedError (inside a job, use
        ``Run.get_context()``)."""
        workspace = getattr(experiment, "workspace", None)
        if outputs is not None or kwargs or not isinstance(run_id, str) or \
                not hasattr(workspace, "_cli"):
            raise unavailable("azureml.core.Run(...)")
        run = workspace.get_run(run_id)
        self._run = run._run if isinstance(run, Run) else run

    @classmethod
    def get(cls, workspace, run_id):
        """The run ``run_id`` of ``workspace`` (NotFoundError when there is none)."""
        return wrap(workspace.get_run(run_id))

    @classmethod
    def _wrap(cls, glia_run):
        """A Run passing every call to ``glia_run`` (a glia.Run): the process's run or a run of
        a workspace."""
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
            glia_run = self.__dict__.get("_run")
            if glia_run is not None and hasattr(type(glia_run), name):
                return _wrapped_result(getattr(glia_run, name))
            raise unavailable("azureml.core.Run." + name)
        raise AttributeError("%r object has no attribute %r" % (type(self).__name__, name))

    def _glia(self, name):
        """glia's ``name`` of the wrapped run, or NotImplementedError naming Azure's call."""
        if not hasattr(type(self._run), name):
            raise unavailable("azureml.core.Run." + name)
        return getattr(self._run, name)

    @property
    def _glia_run(self):
        """The glia.Run this wraps (for glia's own helpers, e.g. RunDetails)."""
        return self._run

    # -- Azure's calls on a run of the workspace (glia.Run's, results as azureml objects) -----

    def wait_for_completion(self, show_output=False, wait_post_processing=False,
                            raise_on_error=True):
        """Waits until the run ends (``show_output``: its log streamed) and returns its details;
        a failed run raises ActivityFailedException (also glia's RunFailedError) when
        ``raise_on_error``."""
        from glia.errors import GliaError
        from azureml.exceptions import ActivityFailedException, translate
        wait = self._glia("wait_for_completion")
        try:
            return wait(show_output=show_output, wait_post_processing=wait_post_processing,
                        raise_on_error=raise_on_error)
        except GliaError as e:
            if getattr(e, "kind", None) == "run_failed":
                raise translate(e, ActivityFailedException) from None
            raise

    def get_children(self, recursive=False, tags=None, properties=None, type=None,
                     status=None, _rehydrate_runs=True):
        """The child runs (a sweep's trials), as azureml Runs."""
        for flag, value in (("recursive", recursive), ("tags", tags), ("properties", properties),
                            ("type", type), ("status", status)):
            if value:
                raise unavailable("azureml.core.Run.get_children(%s=...)" % flag)
        return [wrap(child) for child in self._glia("get_children")()]

    def register_model(self, model_name, model_path=None, tags=None, properties=None,
                       model_framework=None, model_framework_version=None, description=None,
                       datasets=None, sample_input_dataset=None, sample_output_dataset=None,
                       resource_configuration=None, **kwargs):
        """Registers the run's files under ``model_path`` (``outputs/model``) as a new version
        of ``model_name``; returns the azureml Model."""
        for flag, value in (("model_framework", model_framework),
                            ("model_framework_version", model_framework_version),
                            ("datasets", datasets), ("sample_input_dataset", sample_input_dataset),
                            ("sample_output_dataset", sample_output_dataset),
                            ("resource_configuration", resource_configuration)):
            if value is not None:
                raise unavailable("azureml.core.Run.register_model(%s=...)" % flag)
        for flag, value in kwargs.items():
            if value is not None:
                raise unavailable("azureml.core.Run.register_model(%s=...)" % flag)
        if model_path is None:
            raise ValueError("register_model(%r): model_path is required in Glia (the run's "
                             "folder or file, e.g. 'outputs/model')" % (model_name,))
        model = self._glia("register_model")(model_name, model_path, tags=tags,
                                             properties=properties, description=description)
        from .model import Model
        return Model._wrap(model)

    # -- what the run is -----------------------------------------------------------------------

    @property
    def id(self):
        """The run id (``OfflineRun_<uuid>`` offline)."""
        return self._run.id

    @property
    def display_name(self):
        """The run's display name: inside a job $GLIA_DISPLAY_NAME when the agent sets it, else
        the run id; a run of the workspace's own."""
        if getattr(self._run, "_ws", None) is not None:  # a run of a workspace the SDK opened
            return self._run.display_name
        return os.environ.get(_ENV_DISPLAY_NAME) or self._run.id

    @display_name.setter
    def display_name(self, value):
        raise unavailable("azureml.core.Run.display_name = ...")

    @property
    def experiment(self):
        """The run's azureml Experiment (``.name``, ``.workspace``); offline an object whose
        ``name`` is None and which has no workspace."""
        ws = getattr(self._run, "_ws", None)  # a run of a workspace the SDK opened
        if ws is not None and self._run.experiment_name:
            from .experiment import Experiment
            from .workspace import Workspace
            return Experiment(Workspace._wrap(ws), self._run.experiment_name)
        root = self._run.workspace if self._run.online else None
        return _Experiment(self._run.experiment_name, root if isinstance(root, str) else None)

    @property
    def parent(self):
        """The parent run (a sweep trial's sweep). Inside a job ($GLIA_PARENT_RUN_ID): an object
        with ``id`` and ``experiment`` whose logging methods raise NotImplementedError; None
        when the run has no parent, and offline."""
        if getattr(self._run, "_ws", None) is not None:
            parent = self._run.parent
            return wrap(parent) if parent is not None and not isinstance(parent, str) else parent
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

    def __eq__(self, other):
        return isinstance(other, Run) and other._run.id == self._run.id

    def __hash__(self):
        return hash(self._run.id)

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
        """Completes the run; an interactive run ends Failed on an exception (glia.Run's)."""
        return self._run.__exit__(exc_type, exc, tb)


def wrap(glia_run):
    """``glia_run`` (a glia.Run handle) as the azureml Run (a HyperDriveRun for a sweep)."""
    if glia_run is None or isinstance(glia_run, Run):
        return glia_run
    record = getattr(glia_run, "_record", None) or {}
    ws = getattr(glia_run, "_ws", None)
    if ws is not None and record.get("job_type") == "sweep":
        import glia.sweep
        if not isinstance(glia_run, glia.sweep.HyperDriveRun):
            glia_run = glia.sweep.HyperDriveRun._handle(ws, glia_run.id, record)
    sweep = sys.modules.get("glia.sweep")
    if sweep is not None and isinstance(glia_run, sweep.HyperDriveRun):
        from azureml.train.hyperdrive import HyperDriveRun
        return HyperDriveRun._wrap(glia_run)
    return Run._wrap(glia_run)


def _wrapped_result(value):
    """A glia object returned by a passed-through call, as the azureml one."""
    if isinstance(value, glia.Run):
        return wrap(value)
    if callable(value) and getattr(value, "__self__", None) is not None:
        method = value

        def call(*args, **kwargs):
            return _wrapped_result(method(*args, **kwargs))
        call.__name__ = getattr(method, "__name__", "call")
        call.__doc__ = getattr(method, "__doc__", None)
        return call
    if isinstance(value, list) and value and all(isinstance(v, glia.Run) for v in value):
        return [wrap(v) for v in value]
    return value


def _reset_context_for_tests():
    """Forgets the shared context (glia's too)."""
    global _context
    with _context_lock:
        _context = None
    from glia import run as glia_run
    glia_run._reset_context_for_tests()
