"""``azureml.core.Experiment`` over Glia's SDK (``glia.Experiment``): ``submit`` returns the
azureml Run (a HyperDriveRun for a HyperDriveConfig)."""

import glia.experiment as _glia_experiment

from .run import wrap

__all__ = ["Experiment"]


class Experiment(_glia_experiment.Experiment):
    """The experiment ``name`` of ``workspace``:
    ``Experiment(workspace=ws, name='keras-mnist')``."""

    def __init__(self, workspace, name, _skip_name_validation=False, _id=None,
                 _archived_time=None, _create_in_cloud=True, _experiment_dto=None, **kwargs):
        from .workspace import Workspace
        _glia_experiment.Experiment.__init__(self, Workspace._wrap(workspace), name, **kwargs)

    def submit(self, config, tags=None, **kwargs):
        """Submits a ScriptRunConfig or HyperDriveConfig; returns its azureml Run."""
        return wrap(_glia_experiment.Experiment.submit(self, config, tags=tags, **kwargs))

    def get_runs(self, type=None, tags=None, properties=None, include_children=False):
        for run in _glia_experiment.Experiment.get_runs(
                self, type=type, tags=tags, properties=properties,
                include_children=include_children):
            yield wrap(run)

    def start_logging(self, *args, **kwargs):
        """An interactive run of this experiment (``glia run track``), as an azureml Run."""
        return wrap(_glia_experiment.Experiment.start_logging(self, *args, **kwargs))
