"""azureml.core.experiment as Glia's azureml.core shim has it: `Experiment` imports, and using it raises
NotImplementedError naming the call, and so does any other class Azure has here
(see azureml/core/__init__.py)."""

from ._unavailable import Experiment, module_getattr

__all__ = ["Experiment"]

__getattr__ = module_getattr("experiment")
