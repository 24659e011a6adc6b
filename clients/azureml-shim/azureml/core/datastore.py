"""azureml.core.datastore as Glia's azureml.core shim has it: `Datastore` imports, and using it raises
NotImplementedError naming the call, and so does any other class Azure has here
(see azureml/core/__init__.py)."""

from ._unavailable import Datastore, module_getattr

__all__ = ["Datastore"]

__getattr__ = module_getattr("datastore")
