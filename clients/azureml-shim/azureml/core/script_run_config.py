"""azureml.core.script_run_config as Glia's azureml.core shim has it: `ScriptRunConfig` imports, and using it raises
NotImplementedError naming the call (see azureml/core/__init__.py)."""

from ._unavailable import ScriptRunConfig

__all__ = ["ScriptRunConfig"]
