"""Glia's ``azureml.core``: Azure ML SDK v1's names over Glia's Python SDK (``glia``).

Inside a Glia job, ``from azureml.core import Run; Run.get_context()`` gives the job's run,
logging as ``glia.Run`` does (docs/python-client.md). In a notebook or a script, the seed's
calls run against a Glia workspace (docs/python-sdk.md, "The azureml layer")::

    from azureml.core import Workspace, Experiment, Dataset, Environment, ScriptRunConfig
    ws = Workspace.from_config()
    run = Experiment(ws, 'keras-mnist').submit(ScriptRunConfig(...))
    run.wait_for_completion(show_output=True)

Names Glia has no counterpart for (``Datastore``, ``RunConfiguration``, and any other class Azure
has in ``azureml.core``) import, and using them raises NotImplementedError naming the call; the
same holds for the calls and arguments of the real classes that Glia cannot honour.
"""

from ._unavailable import module_getattr
from ._unavailable import Datastore, RunConfiguration
from .run import Run

__all__ = ["Run", "Workspace", "Experiment", "Dataset", "Datastore", "Environment",
           "ScriptRunConfig", "RunConfiguration", "ComputeTarget", "Model", "Webservice",
           "VERSION"]

VERSION = "1.0.0.glia"
"""Azure's ``azureml.core.VERSION`` (printed by the seed's first cell): Glia's layer's version."""

# The SDK's classes are imported on first use, so a job's `from azureml.core import Run` loads
# only the run.
_LAZY = {"Workspace": "workspace", "Experiment": "experiment", "Dataset": "dataset",
         "Environment": "environment", "ScriptRunConfig": "script_run_config",
         "ComputeTarget": "compute", "Model": "model", "Webservice": "webservice"}
_unavailable_getattr = module_getattr("")


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        return _unavailable_getattr(name)
    import importlib
    value = getattr(importlib.import_module("." + module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
