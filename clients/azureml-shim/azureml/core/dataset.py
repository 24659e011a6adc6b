"""azureml.core.dataset as Glia's azureml.core shim has it: `Dataset` imports, and using it raises
NotImplementedError naming the call (see azureml/core/__init__.py)."""

from ._unavailable import Dataset

__all__ = ["Dataset"]
