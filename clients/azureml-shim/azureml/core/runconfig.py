"""azureml.core.runconfig as Glia's azureml.core shim has it: `RunConfiguration` imports, and using it raises
NotImplementedError naming the call, and so does any other class Azure has here
(see azureml/core/__init__.py)."""

from ._unavailable import RunConfiguration, module_getattr

__all__ = ["RunConfiguration"]

__getattr__ = module_getattr("runconfig")
