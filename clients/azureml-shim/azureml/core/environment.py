"""azureml.core.environment as Glia's azureml.core shim has it: `Environment` imports, and using it raises
NotImplementedError naming the call (see azureml/core/__init__.py)."""

from ._unavailable import Environment

__all__ = ["Environment"]
