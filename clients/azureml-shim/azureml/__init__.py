"""Glia's stand-in for the ``azureml`` package (only ``azureml.core`` is Glia's).

Inside a Glia job the agent puts this folder on PYTHONPATH ahead of site-packages, so
``from azureml.core import Run`` gives Glia's Run (docs/python-client.md). ``azureml`` stays a
pkgutil-style namespace: ``azureml`` folders elsewhere on ``sys.path`` (an installed
azureml-train, azureml-dataprep, ...) are added to ``__path__``, so their subpackages still import.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
