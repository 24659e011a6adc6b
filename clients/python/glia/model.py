"""Where a scoring script finds the model it serves: ``glia.Model.get_model_path(name)``, the
call Azure ML's ``azureml.core.model.Model.get_model_path`` is in Glia (the shim's calls this).

Inside a Glia endpoint that scores with a Python script, the endpoint process sets
``AZUREML_MODEL_DIR`` (the served version's files, materialized), ``GLIA_ENDPOINT_MODEL_NAME``
and ``GLIA_ENDPOINT_MODEL_VERSION`` for its workers (docs/endpoints.md).
"""

import os

__all__ = ["Model", "ModelNotFoundError"]


class ModelNotFoundError(LookupError):
    """The model asked for is not the one this process can read."""


class Model:
    """Registered models as a scoring script sees them."""

    def __init__(self, *args, **kwargs):
        raise TypeError("glia.Model has no instances: use Model.get_model_path(name); manage "
                        "registered models with the `glia model` commands")

    @staticmethod
    def get_model_path(model_name, version=None):
        """The folder holding the files of the served model ``model_name`` (``model.json``,
        ``model.h5``, ... as registered). ``version``, when given, must be an int and the served
        version. ModelNotFoundError naming the model for any other model, and outside an
        endpoint."""
        if not isinstance(model_name, str) or not model_name:
            raise TypeError("Model.get_model_path: model_name must be a non-empty str, got %r"
                            % (model_name,))
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise TypeError("Model.get_model_path(%r): version must be an int, got %r"
                            % (model_name, version))
        served = os.environ.get("GLIA_ENDPOINT_MODEL_NAME")
        model_dir = os.environ.get("AZUREML_MODEL_DIR")
        if not served or not model_dir:
            raise ModelNotFoundError(
                "Model.get_model_path(%r): not inside a Glia endpoint (GLIA_ENDPOINT_MODEL_NAME "
                "and AZUREML_MODEL_DIR are not set); copy a registered model's files with "
                "`glia model download %s -o DIR`" % (model_name, model_name))
        if model_name != served:
            raise ModelNotFoundError(
                "Model.get_model_path(%r): this endpoint serves the model %r, not %r"
                % (model_name, served, model_name))
        if version is not None:
            served_version = os.environ.get("GLIA_ENDPOINT_MODEL_VERSION", "")
            if str(version) != served_version:
                raise ModelNotFoundError(
                    "Model.get_model_path(%r, version=%d): this endpoint serves version %s of %r"
                    % (model_name, version, served_version or "(unknown)", served))
        if not os.path.isdir(model_dir):
            raise ModelNotFoundError("Model.get_model_path(%r): AZUREML_MODEL_DIR %r is not a "
                                     "folder" % (model_name, model_dir))
        return model_dir
