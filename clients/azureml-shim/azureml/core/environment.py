"""azureml.core.environment as Glia's azureml.core shim has it: `Environment` imports, and using it raises
NotImplementedError naming the call, and so does any other class Azure has here
(see azureml/core/__init__.py)."""

from ._unavailable import Environment, module_getattr

__all__ = ["Environment"]

__getattr__ = module_getattr("environment")
