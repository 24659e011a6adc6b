"""azureml.core.compute as Glia's azureml.core shim has it: `ComputeTarget` imports, and using it raises
NotImplementedError naming the call (see azureml/core/__init__.py)."""

from ._unavailable import ComputeTarget

__all__ = ["ComputeTarget"]
