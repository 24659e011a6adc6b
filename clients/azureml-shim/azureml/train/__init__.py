"""``azureml.train`` as Glia's azureml layer has it: ``azureml.train.hyperdrive`` (sweeps)."""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
