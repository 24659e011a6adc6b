"""azureml.core.model as Glia's azureml.core shim has it: `Model` imports, and using it raises
NotImplementedError naming the call (see azureml/core/__init__.py)."""

from ._unavailable import Model

__all__ = ["Model"]
