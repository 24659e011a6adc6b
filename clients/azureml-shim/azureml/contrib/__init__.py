"""``azureml.contrib`` of Glia's azureml shim: only ``azureml.contrib.services`` (what scoring
scripts import). A pkgutil-style namespace, so other ``azureml.contrib`` packages installed in the
environment still import."""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
