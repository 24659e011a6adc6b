"""azureml.core.workspace as Glia's azureml.core shim has it: `Workspace` imports, and using it raises
NotImplementedError naming the call, and so does any other class Azure has here
(see azureml/core/__init__.py)."""

from ._unavailable import Workspace, module_getattr

__all__ = ["Workspace"]

__getattr__ = module_getattr("workspace")
