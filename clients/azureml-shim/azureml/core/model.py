"""``azureml.core.model.Model`` as Glia's azureml.core shim has it: ``Model.get_model_path(name)``
works inside a Glia endpoint's scoring script (the seed's ``score.py``: ``model_root =
Model.get_model_path('keras-mlp-mnist')``) and gives the served model's folder; creating a Model
or using any other attribute raises NotImplementedError naming the call, and so does any other
class Azure has in this module (see azureml/core/__init__.py)."""

try:
    import glia.model as _glia_model
except ImportError as e:  # pragma: no cover - the agent always puts both folders on PYTHONPATH
    raise ImportError("Glia's azureml.core shim needs Glia's Python client (the glia package, "
                      "clients/python) on PYTHONPATH: %s" % e) from None

from ._unavailable import _Unavailable, module_getattr, unavailable

__all__ = ["Model"]

ModelNotFoundError = _glia_model.ModelNotFoundError


class Model(_Unavailable):
    """``azureml.core.Model``: only ``Model.get_model_path`` is available, inside an endpoint."""

    _azure_name = "azureml.core.Model"

    @staticmethod
    def get_model_path(model_name, version=None, _workspace=None):
        """The folder of the model this endpoint serves (``$AZUREML_MODEL_DIR``) when
        ``model_name`` (and ``version``, an int, if given) is the served one; ModelNotFoundError
        (a LookupError) naming the model otherwise and outside an endpoint. ``_workspace``
        (Azure downloads the model from a workspace) raises NotImplementedError."""
        if _workspace is not None:
            raise unavailable("azureml.core.Model.get_model_path(..., _workspace=...)")
        return _glia_model.Model.get_model_path(model_name, version)


Model.__module__ = "azureml.core"

__getattr__ = module_getattr("model")
