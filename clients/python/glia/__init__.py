"""Glia's Python client: log metrics, tables, images, files and tags to a Glia run.

    from glia import Run
    run = Run.get_context()
    run.log("loss", 0.25)

Inside a Glia job the agent puts this package on PYTHONPATH and passes the run through
environment variables (GLIA_RUN_ID, GLIA_TRACKING_FILE, ...); the run is then *online* and every
call appends records to the run's tracking file (docs/tracking-protocol.md). Elsewhere the run is
*offline*: values stay in memory and nothing fails. The API follows ``azureml.core.Run``
(docs/python-client.md). ``glia.keras.GliaCallback`` logs Keras epoch metrics.
``glia.Model.get_model_path(name)`` finds the served model's files inside an endpoint's scoring
script (docs/endpoints.md).

Standard library only; importing glia imports neither Keras, TensorFlow nor matplotlib.
"""

from .model import Model
from .run import Run

__all__ = ["Run", "Model", "get_context", "__version__"]

__version__ = "0.1.0"


def get_context(allow_offline=True):
    """Same as ``Run.get_context()``."""
    return Run.get_context(allow_offline=allow_offline)
