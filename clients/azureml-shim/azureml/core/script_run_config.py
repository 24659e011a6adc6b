"""azureml.core.script_run_config as Glia's azureml.core shim has it: `ScriptRunConfig` imports, and using it raises
NotImplementedError naming the call, and so does any other class Azure has here
(see azureml/core/__init__.py)."""

from ._unavailable import ScriptRunConfig, module_getattr

__all__ = ["ScriptRunConfig"]

__getattr__ = module_getattr("script_run_config")
