"""``azureml.exceptions`` as Glia's azureml layer has it: Azure's exception names.

Glia's SDK raises ``glia.errors.GliaError`` subclasses (``NotFoundError``, ``ConflictError``, ...,
with the CLI's one-line message). Where the seed catches an Azure exception (``except
ComputeTargetException:`` around ``ComputeTarget(ws, name)``), the azureml layer raises an
exception that is both: the Azure class and the GliaError of the same kind, so ``except
ComputeTargetException`` and ``except glia.errors.NotFoundError`` both catch it.
"""

__all__ = ["AzureMLException", "UserErrorException", "ComputeTargetException",
           "WebserviceException", "ActivityFailedException", "ExperimentExecutionException",
           "ModelNotFoundException", "ProjectSystemException", "translate"]


class AzureMLException(Exception):
    """Base of the azureml exceptions: ``message`` and ``inner_exception`` as Azure's."""

    def __init__(self, exception_message="", inner_exception=None, **kwargs):
        Exception.__init__(self, exception_message)
        self.message = exception_message
        self.inner_exception = inner_exception


class UserErrorException(AzureMLException):
    """Bad input."""


class ComputeTargetException(AzureMLException):
    """A compute target that does not exist or cannot be made."""


class WebserviceException(AzureMLException):
    """A web service (endpoint) that does not exist, or that failed."""


class ActivityFailedException(AzureMLException):
    """``run.wait_for_completion(raise_on_error=True)`` on a run that failed."""


class ExperimentExecutionException(AzureMLException):
    """A run that could not be submitted."""


class ModelNotFoundException(AzureMLException):
    """A registered model that does not exist."""


class ProjectSystemException(AzureMLException):
    """A workspace that cannot be found."""


_combined = {}


def translate(error, azure_class):
    """``error`` (a GliaError) raised again as an instance of both ``azure_class`` and the
    error's own class, with its message, kind, exit code and ``inner_exception``."""
    key = (azure_class, type(error))
    cls = _combined.get(key)
    if cls is None:
        cls = type(azure_class.__name__, (azure_class, type(error)),
                   {"__module__": azure_class.__module__, "__doc__": azure_class.__doc__})
        _combined[key] = cls
    out = cls.__new__(cls)
    Exception.__init__(out, str(error))
    out.message = str(error)
    out.inner_exception = error
    for attr in ("exit_code", "command", "run", "details"):
        if hasattr(error, attr):
            setattr(out, attr, getattr(error, attr))
    return out
