"""azureml.core.workspace as Glia's azureml.core shim has it: `Workspace` imports, and using it raises
NotImplementedError naming the call (see azureml/core/__init__.py)."""

from ._unavailable import Workspace

__all__ = ["Workspace"]
