"""``azureml.core.compute_target``: ``ComputeTargetException``, raised by ``ComputeTarget(ws,
name)`` for a target that does not exist (it is also glia's NotFoundError)."""

from azureml.exceptions import ComputeTargetException

__all__ = ["ComputeTargetException"]
