"""``azureml.core.Workspace`` over Glia's SDK: ``glia.Workspace`` (a folder, or a server's
workspace through a connected folder) with Azure's extra names.

    ws = Workspace.from_config()     # $GLIA_WORKSPACE, a .glia folder or config.json upward
    print('Workspace name: ' + ws.name, 'Azure region: ' + ws.location,
          'Subscription id: ' + ws.subscription_id, 'Resource group: ' + ws.resource_group,
          sep='\\n')

``location`` is ``local`` for a folder and the server's URL for a server's workspace;
``subscription_id`` and ``resource_group`` are empty strings (Glia has neither).
``experiments``, ``compute_targets``, ``models`` and ``webservices`` hold the azureml classes.
Azure calls Glia has no counterpart for (``Workspace.create``, ``get_default_datastore``, ...)
raise NotImplementedError naming them.
"""

import glia.workspace as _glia_workspace

from ._unavailable import unavailable

__all__ = ["Workspace"]

# Azure's Workspace names this class does not define: each raises NotImplementedError.
AZURE_WORKSPACE_NAMES = frozenset("""
    add_private_endpoint create datastores delete delete_connection
    delete_private_endpoint_connection
    diagnose_workspace get get_connection get_default_datastore get_default_keyvault
    get_mlflow_tracking_uri images internal list list_connections list_keys
    private_endpoints set_connection set_default_datastore setup sync_keys tags update
    update_dependencies linked_services service_context sku discovery_url
""".split())


class _WorkspaceType(type):
    def __getattr__(cls, name):
        if name in AZURE_WORKSPACE_NAMES:
            raise unavailable("azureml.core.Workspace." + name)
        raise AttributeError("type object %r has no attribute %r" % (cls.__name__, name))


class Workspace(_glia_workspace.Workspace, metaclass=_WorkspaceType):
    """A Glia workspace as ``azureml.core.Workspace``: use ``Workspace.from_config()``
    (or ``Workspace(path)``, ``Workspace.from_server(url, token)``)."""

    def __init__(self, *args, **kwargs):
        azure = [k for k in ("subscription_id", "resource_group", "workspace_name", "auth")
                 if k in kwargs]
        if azure or len(args) > 1:
            raise unavailable("azureml.core.Workspace(subscription_id, resource_group, "
                              "workspace_name)")
        _glia_workspace.Workspace.__init__(self, *args, **kwargs)

    @classmethod
    def _wrap(cls, workspace):
        """``workspace`` (a glia.Workspace) as this class (the same workspace and CLI)."""
        if isinstance(workspace, cls) or workspace is None:
            return workspace
        out = object.__new__(cls)
        out.__dict__.update(workspace.__dict__)
        return out

    def __getattr__(self, name):
        if name in AZURE_WORKSPACE_NAMES:
            raise unavailable("azureml.core.Workspace." + name)
        raise AttributeError("%r object has no attribute %r" % (type(self).__name__, name))

    @property
    def location(self):
        """``local`` for a folder workspace, the server's URL for a server's."""
        return self.server_url or "local"

    @property
    def subscription_id(self):
        """Glia has no subscriptions: an empty string."""
        return ""

    @property
    def resource_group(self):
        """Glia has no resource groups: an empty string."""
        return ""

    @property
    def experiments(self):
        from .experiment import Experiment
        return {name: Experiment(self, name)
                for name in _glia_workspace.Workspace.experiments.fget(self)}

    @property
    def compute_targets(self):
        from .compute import AmlCompute
        return {name: AmlCompute._from_record(self, target._record)
                for name, target in _glia_workspace.Workspace.compute_targets.fget(self).items()}

    @property
    def models(self):
        from .model import Model
        return {name: Model._wrap(model)
                for name, model in _glia_workspace.Workspace.models.fget(self).items()}

    @property
    def webservices(self):
        """{name: Webservice} of the workspace's endpoints."""
        from .webservice import Webservice
        return {service.name: service for service in Webservice.list(self)}

    def get_run(self, run_id):
        """The run ``run_id`` as an azureml Run (a HyperDriveRun for a sweep)."""
        from .run import wrap
        return wrap(_glia_workspace.Workspace.get_run(self, run_id))
