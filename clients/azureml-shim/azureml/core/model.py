"""azureml.core.model as Glia's azureml.core shim has it: `Model` imports, and using it raises
NotImplementedError naming the call, and so does any other class Azure has here
(see azureml/core/__init__.py)."""

from ._unavailable import Model, module_getattr

__all__ = ["Model"]

__getattr__ = module_getattr("model")
