"""azureml.core.datastore as Glia's azureml.core shim has it: `Datastore` imports, and using it raises
NotImplementedError naming the call (see azureml/core/__init__.py)."""

from ._unavailable import Datastore

__all__ = ["Datastore"]
