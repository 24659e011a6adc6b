"""azureml.core.runconfig as Glia's azureml.core shim has it: `RunConfiguration` imports, and using it raises
NotImplementedError naming the call (see azureml/core/__init__.py)."""

from ._unavailable import RunConfiguration

__all__ = ["RunConfiguration"]
