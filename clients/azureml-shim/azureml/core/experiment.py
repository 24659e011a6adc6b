"""azureml.core.experiment as Glia's azureml.core shim has it: `Experiment` imports, and using it raises
NotImplementedError naming the call (see azureml/core/__init__.py)."""

from ._unavailable import Experiment

__all__ = ["Experiment"]
