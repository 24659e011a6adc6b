"""The part of ``azureml.core`` that Glia does not offer: every use of it raises
``NotImplementedError`` naming the call and what to do instead. Nothing here is a silent no-op."""

_WHERE = "is not available in Glia's azureml layer"

# What to use instead, by the name of the call (the qualified name, then the class, then a
# default for the class).
HINTS = {
    "azureml.core.Run.fail": "raise an exception or exit with a non-zero status to fail the run",
    "azureml.core.Run(...)": "get the run of this job with Run.get_context(), a run of the "
                             "workspace with Run(experiment, run_id) or ws.get_run(run_id)",
    "azureml.core.Run": "see docs/python-client.md for the Run calls Glia offers",
    "azureml.core.Workspace": "a Glia workspace is a folder or a server's workspace: use "
                              "Workspace.from_config(), Workspace(path) or "
                              "Workspace.from_server(url, token)",
    "azureml.core.RunConfiguration": "give ScriptRunConfig its compute_target and environment",
    "azureml.core.runconfig.RunConfiguration": "give ScriptRunConfig its compute_target and "
                                               "environment",
    "azureml.core.Datastore": "register the data as a dataset (Dataset.File.from_files(...)"
                              ".register(...) or `glia dataset create`)",
    "azureml.core.Model.get_model_path(..., _workspace=...)":
        "inside an endpoint's scoring script call Model.get_model_path(name); elsewhere copy a "
        "registered model's files with Model(ws, name).download(DIR)",
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
        return "<%s (not available in Glia)>" % self._azure_name


def _make(name):
    return _UnavailableType(name, (_Unavailable,), {
        "_azure_name": "azureml.core." + name,
        "__module__": "azureml.core",
        "__doc__": "``azureml.core.%s`` is not available in Glia: creating one or "
                   "using any of its attributes raises NotImplementedError naming the call." % name,
    })


Datastore = _make("Datastore")
RunConfiguration = _make("RunConfiguration")


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
