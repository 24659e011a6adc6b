"""``azureml.core.script_run_config``: ``ScriptRunConfig`` is Glia's (glia.script_run_config):
``ScriptRunConfig(source_directory, script, arguments, compute_target, environment)`` becomes a
CLI v2 command job when submitted. Any other class Azure has here imports and raises
NotImplementedError naming it when used."""

from glia.script_run_config import ScriptRunConfig

from ._unavailable import module_getattr

__all__ = ["ScriptRunConfig"]

__getattr__ = module_getattr("script_run_config")
