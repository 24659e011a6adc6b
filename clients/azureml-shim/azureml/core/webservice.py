"""``azureml.core.webservice`` over Glia's SDK (glia.webservice): ``Webservice`` (an online
endpoint: ``run``, ``get_keys``, ``regen_key``, ``get_logs``, ``state``, ``scoring_uri``,
``update``, ``delete``, ``Webservice.list``) and ``AciWebservice`` (its
``deploy_configuration``). A missing endpoint raises WebserviceException (also glia's
NotFoundError). Any other class Azure has here imports and raises NotImplementedError naming it
when used."""

import glia.webservice as _glia_webservice
from glia.errors import GliaError

from azureml.exceptions import WebserviceException, translate

from ._unavailable import module_getattr

__all__ = ["Webservice", "AciWebservice"]


class Webservice(_glia_webservice.Webservice):
    """The endpoint ``name`` of ``workspace``: ``Webservice(workspace=ws, name='svc')``."""

    def __init__(self, workspace, name):
        try:
            _glia_webservice.Webservice.__init__(self, workspace, name)
        except GliaError as e:
            raise translate(e, WebserviceException) from None

    @classmethod
    def list(cls, workspace, *args, **kwargs):
        return [AciWebservice._from_record(workspace, s._record)
                for s in _glia_webservice.Webservice.list(workspace, *args, **kwargs)]

    def wait_for_deployment(self, show_output=False, timeout_sec=None):
        """Waits until the endpoint serves; WebserviceException (also glia's
        UnavailableError) when it ends Unhealthy or Failed."""
        try:
            _glia_webservice.Webservice.wait_for_deployment(self, show_output, timeout_sec)
        except GliaError as e:
            raise translate(e, WebserviceException) from None


class AciWebservice(Webservice):
    """Azure Container Instances; on Glia a local endpoint run by the workspace's agent."""

    deploy_configuration = staticmethod(_glia_webservice.AciWebservice.deploy_configuration)


Webservice.__module__ = AciWebservice.__module__ = "azureml.core.webservice"

__getattr__ = module_getattr("webservice")
