"""``azureml.core.runconfig`` as Glia's azureml layer has it: ``MpiConfiguration`` (one node, one
process: a job is one process in Glia; ScriptRunConfig refuses more, naming the counts).
``RunConfiguration``, ``DockerConfiguration`` and any other class Azure has here import, and
using them raises NotImplementedError naming the call (see azureml/core/__init__.py)."""

from ._unavailable import RunConfiguration, module_getattr

__all__ = ["RunConfiguration", "MpiConfiguration"]


class MpiConfiguration(object):
    """``distributed_job_config=MpiConfiguration(process_count_per_node=1, node_count=1)``:
    recorded; ScriptRunConfig refuses (NotImplementedError) any count but 1."""

    def __init__(self, process_count_per_node=1, node_count=1):
        self.process_count_per_node = process_count_per_node
        self.node_count = node_count

    def __repr__(self):
        return "MpiConfiguration(process_count_per_node=%r, node_count=%r)" % (
            self.process_count_per_node, self.node_count)


MpiConfiguration.__module__ = "azureml.core.runconfig"

__getattr__ = module_getattr("runconfig")
