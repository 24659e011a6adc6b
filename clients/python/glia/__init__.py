"""Glia's Python SDK and client.

Inside a job, log to the run (docs/python-client.md)::

    from glia import Run
    run = Run.get_context()
    run.log("loss", 0.25)

From a notebook or a script, drive a workspace (docs/python-sdk.md)::

    from glia import Workspace, Experiment, ScriptRunConfig
    ws = Workspace.from_config()
    run = Experiment(ws, "keras-mnist").submit(ScriptRunConfig(".", "train.py"))
    run.wait_for_completion(show_output=True)
    print(run.get_metrics())

Every SDK operation is one ``glia ... -o json`` command (a folder workspace directly, a server's
workspace through a connected folder). Errors are ``glia.errors.GliaError`` subclasses.

Standard library only; the SDK's modules are imported on first use, and importing glia imports
neither Keras, TensorFlow, NumPy nor matplotlib.
"""

from .model import Model
from .run import Run

__all__ = ["Run", "Model", "Workspace", "Experiment", "ScriptRunConfig", "Dataset",
           "FileDataset", "Environment", "ComputeTarget", "AmlCompute", "GliaError",
           "get_context", "__version__"]

__version__ = "0.2.0"

# name -> the module defining it, imported on first use (keeps `import glia` fast)
_LAZY = {
    "Workspace": "workspace",
    "Experiment": "experiment",
    "ScriptRunConfig": "script_run_config",
    "Dataset": "dataset",
    "FileDataset": "dataset",
    "DatasetConsumptionConfig": "dataset",
    "Environment": "environment",
    "ComputeTarget": "compute",
    "AmlCompute": "compute",
    "GliaError": "errors",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module 'glia' has no attribute %r" % (name,))
    import importlib
    value = getattr(importlib.import_module("." + module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


def get_context(allow_offline=True):
    """Same as ``Run.get_context()``."""
    return Run.get_context(allow_offline=allow_offline)
