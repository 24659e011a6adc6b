"""The part of ``azureml.core`` that Glia does not offer inside a job: every use of it raises
``NotImplementedError`` naming the call and what to do instead. Nothing here is a silent no-op."""

_WHERE = ("is not available inside a Glia job (Glia's azureml.core shim covers run logging, and "
          "Model.get_model_path in an endpoint's scoring script)")

# What to use instead, by the name of the call (the qualified name, then the class, then a
# default for the class).
HINTS = {
    "azureml.core.Run.register_model":
        "register the run's files with `glia model register --name NAME --run RUN_ID "
        "--path outputs/model` after the job",
    "azureml.core.Run.fail": "raise an exception or exit with a non-zero status to fail the run",
    "azureml.core.Run.cancel": "cancel the run with `glia job cancel RUN_ID`",
    "azureml.core.Run.download_file": "copy a run's files with `glia run download RUN_ID` "
                                      "after the job",
    "azureml.core.Run.download_files": "copy a run's files with `glia run download RUN_ID` "
                                       "after the job",
    "azureml.core.Run.get_file_names": "list a run's files with `glia run files RUN_ID`",
    "azureml.core.Run.get_details": "see a run's details with `glia run show RUN_ID`",
    "azureml.core.Run.get_status": "see a run's status with `glia run show RUN_ID`",
    "azureml.core.Run.wait_for_completion": "follow a run with `glia job stream RUN_ID`",
    "azureml.core.Run(...)": "get the run of this job with Run.get_context()",
    "azureml.core.Run": "Glia's Run offers get_context, log, log_list, log_row, log_table, "
                        "log_image, upload_file(s), upload_folder, tag, set_tags, get_tags, "
                        "get_metrics, input_datasets, experiment, id, display_name, parent, "
                        "flush and complete",
    "azureml.core.Workspace": "a Glia workspace is a folder; manage it with the `glia` CLI",
    "azureml.core.Experiment": "submit jobs with `glia job submit -f job.yml`; the run's "
                               "experiment is run.experiment",
    "azureml.core.ScriptRunConfig": "submit jobs with `glia job submit -f job.yml`",
    "azureml.core.RunConfiguration": "submit jobs with `glia job submit -f job.yml`",
    "azureml.core.ComputeTarget": "Glia jobs run on the agent's machine (compute: local)",
    "azureml.core.Dataset": "declare the dataset as a job input (`glia dataset create`, then "
                            "inputs: in job.yml) and read run.input_datasets or its argument",
    "azureml.core.Datastore": "declare the data as a job input (`glia dataset create`)",
    "azureml.core.Environment": "create environments with `glia environment create` and name "
                                "them in job.yml (environment:)",
    "azureml.core.Model(...)": "use `glia model register`, `glia model list` and `glia predict`; "
                               "inside an endpoint's scoring script Model.get_model_path(name) "
                               "gives the served model's folder",
    "azureml.core.Model.get_model_path(..., _workspace=...)":
        "inside an endpoint's scoring script call Model.get_model_path(name); elsewhere copy a "
        "registered model's files with `glia model download NAME -o DIR`",
    "azureml.core.Model": "use `glia model register`, `glia model list` and `glia predict`; "
                          "inside an endpoint's scoring script Model.get_model_path(name) gives "
                          "the served model's folder",
}


def message(call):
    """The one-line message for ``call`` (such as "azureml.core.Run.register_model" or
    "azureml.core.Workspace(...)"): what is not available, and what to use instead."""
    name = call.split("(")[0]
    hint = HINTS.get(call) or HINTS.get(name) or HINTS.get(".".join(name.split(".")[:3]))
    return "%s %s; %s" % (call, _WHERE, hint) if hint else "%s %s" % (call, _WHERE)


def unavailable(call):
    """The NotImplementedError for ``call``."""
    return NotImplementedError(message(call))


class _UnavailableType(type):
    """Metaclass of the classes below: a public class attribute that is not defined
    (``Workspace.from_config``, ``Dataset.File``, ``Model.register``) raises
    NotImplementedError naming it. Names starting with '_' stay AttributeErrors, so
    introspection (copy, pickle, inspect, hasattr of dunders) behaves normally."""

    def __getattr__(cls, name):
        if name.startswith("_"):
            raise AttributeError("type object %r has no attribute %r" % (cls.__name__, name))
        raise unavailable("%s.%s" % (cls._azure_name, name))


class _Unavailable(metaclass=_UnavailableType):
    _azure_name = "azureml.core.?"

    def __init__(self, *args, **kwargs):
        raise unavailable("%s(...)" % self._azure_name)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError("%r object has no attribute %r" % (type(self).__name__, name))
        raise unavailable("%s.%s" % (self._azure_name, name))

    def __repr__(self):
        return "<%s (not available inside a Glia job)>" % self._azure_name


def _make(name):
    return _UnavailableType(name, (_Unavailable,), {
        "_azure_name": "azureml.core." + name,
        "__module__": "azureml.core",
        "__doc__": "``azureml.core.%s`` is not available inside a Glia job: creating one or "
                   "using any of its attributes raises NotImplementedError naming the call." % name,
    })


Workspace = _make("Workspace")
Experiment = _make("Experiment")
Dataset = _make("Dataset")
Datastore = _make("Datastore")
Environment = _make("Environment")
ScriptRunConfig = _make("ScriptRunConfig")
RunConfiguration = _make("RunConfiguration")
ComputeTarget = _make("ComputeTarget")


def module_getattr(module):
    """A module ``__getattr__`` for ``azureml.core`` (module "") and its submodules: any other
    class name Azure has there (``from azureml.core.compute import AmlCompute``) imports as a
    class whose every use raises NotImplementedError naming it. Only capitalized names (classes);
    others stay AttributeErrors, so submodules still import and typos of functions stay errors."""
    made = {}
    where = "azureml.core" + ("." + module if module else "")

    def __getattr__(name):
        if not name[:1].isupper():
            raise AttributeError("module %r has no attribute %r" % (where, name))
        if name not in made:
            made[name] = _make((module + "." if module else "") + name)
        return made[name]

    return __getattr__


def job_workspace():
    """The object behind ``run.experiment.workspace``: a Workspace whose every public attribute
    raises NotImplementedError naming it (``ws.get_default_datastore()`` and so on)."""
    return object.__new__(Workspace)
