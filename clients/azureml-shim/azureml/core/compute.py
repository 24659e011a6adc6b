"""azureml.core.compute as Glia's azureml.core shim has it: `ComputeTarget` imports, and using it raises
NotImplementedError naming the call, and so does any other class Azure has here
(see azureml/core/__init__.py)."""

from ._unavailable import ComputeTarget, module_getattr

__all__ = ["ComputeTarget"]

__getattr__ = module_getattr("compute")
