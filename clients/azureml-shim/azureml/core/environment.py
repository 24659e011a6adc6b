"""``azureml.core.environment``: ``Environment`` is Glia's (``from_conda_specification``,
``from_pip_requirements``, ``register``, ``Environment.get``; ``docker.base_image`` recorded;
glia.environment). Any other class Azure has here imports and raises NotImplementedError
naming it when used."""

from glia.environment import Environment

from ._unavailable import module_getattr

__all__ = ["Environment"]

__getattr__ = module_getattr("environment")
