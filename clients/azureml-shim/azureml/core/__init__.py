"""Glia's ``azureml.core``: inside a Glia job, ``from azureml.core import Run`` gives Glia's Run
(docs/python-client.md, "The azureml.core shim"), which logs to the job's run.

The other names scripts import from ``azureml.core`` (Workspace, Experiment, Dataset, Datastore,
Environment, ScriptRunConfig, RunConfiguration, ComputeTarget, Model) import fine, but creating
one or using any of their attributes raises NotImplementedError naming the call: they drive
Azure's service, and Glia has its own CLI for what they do. The exception is
``Model.get_model_path(name)``, which inside an endpoint's scoring script gives the served
model's folder (azureml/core/model.py).
"""

from ._unavailable import module_getattr
from ._unavailable import (ComputeTarget, Dataset, Datastore, Environment, Experiment,
                           RunConfiguration, ScriptRunConfig, Workspace)
from .model import Model
from .run import Run

__all__ = ["Run", "Workspace", "Experiment", "Dataset", "Datastore", "Environment",
           "ScriptRunConfig", "RunConfiguration", "ComputeTarget", "Model"]

__getattr__ = module_getattr("")
