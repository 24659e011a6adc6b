"""azureml.core.dataset as Glia's azureml.core shim has it: `Dataset` imports, and using it raises
NotImplementedError naming the call, and so does any other class Azure has here
(see azureml/core/__init__.py)."""

from ._unavailable import Dataset, module_getattr

__all__ = ["Dataset"]

__getattr__ = module_getattr("dataset")
