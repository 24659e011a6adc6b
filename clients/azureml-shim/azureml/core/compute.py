"""``azureml.core.compute`` over Glia's SDK: ``ComputeTarget`` and ``AmlCompute`` (a local
target running ``max_nodes`` jobs at once, its size recorded; glia.compute).

    try:
        compute_target = ComputeTarget(workspace=ws, name='gpu-cluster')
    except ComputeTargetException:
        config = AmlCompute.provisioning_configuration(vm_size='STANDARD_NC6', max_nodes=4)
        compute_target = ComputeTarget.create(ws, 'gpu-cluster', config)
        compute_target.wait_for_completion(show_output=True, min_node_count=None,
                                           timeout_in_minutes=20)

Errors are raised as ComputeTargetException (also the GliaError of their kind). Any other
class Azure has here imports and raises NotImplementedError naming it when used.
"""

import glia.compute as _glia_compute
from glia.errors import GliaError

from azureml.exceptions import ComputeTargetException, translate

from ._unavailable import module_getattr

__all__ = ["ComputeTarget", "AmlCompute"]


class ComputeTarget(_glia_compute.ComputeTarget):
    """The compute target ``name`` of ``workspace``; ComputeTargetException when there is none."""

    def __init__(self, workspace, name):
        try:
            _glia_compute.ComputeTarget.__init__(self, workspace, name)
        except GliaError as e:
            raise translate(e, ComputeTargetException) from None

    @staticmethod
    def create(workspace, name, provisioning_configuration):
        """Creates the target (``glia compute create``) and returns it as an AmlCompute."""
        try:
            target = _glia_compute.ComputeTarget.create(workspace, name,
                                                        provisioning_configuration)
        except GliaError as e:
            raise translate(e, ComputeTargetException) from None
        return AmlCompute._from_record(workspace, target._record)

    @staticmethod
    def list(workspace):
        return [AmlCompute._from_record(workspace, target._record)
                for target in _glia_compute.ComputeTarget.list(workspace)]


class AmlCompute(ComputeTarget):
    """Azure's managed cluster; in Glia a local target."""

    provisioning_configuration = staticmethod(
        _glia_compute.AmlCompute.provisioning_configuration)


ComputeTarget.__module__ = AmlCompute.__module__ = "azureml.core.compute"

__getattr__ = module_getattr("compute")
