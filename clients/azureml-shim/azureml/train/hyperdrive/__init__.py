"""``azureml.train.hyperdrive`` over Glia's SDK (glia.sweep): HyperDrive sweeps as Glia sweep
jobs (docs/sweeps.md).

    from azureml.train.hyperdrive import (RandomParameterSampling, BanditPolicy,
                                          HyperDriveConfig, PrimaryMetricGoal, choice,
                                          loguniform)
    hdr = exp.submit(config=HyperDriveConfig(run_config=src, hyperparameter_sampling=ps,
                                             policy=policy, primary_metric_name='Accuracy',
                                             primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
                                             max_total_runs=20, max_concurrent_runs=4))
    best_run = hdr.get_best_run_by_primary_metric()

``HyperDriveRun`` is the azureml Run of the sweep: its best run and children are azureml Runs.
"""

from glia.sweep import (BanditPolicy, BayesianParameterSampling, EarlyTerminationPolicy,
                        GridParameterSampling, HyperDriveConfig, HyperParameterSampling,
                        MedianStoppingPolicy, NoTerminationPolicy, PrimaryMetricGoal,
                        RandomParameterSampling, TruncationSelectionPolicy, choice, lognormal,
                        loguniform, normal, qlognormal, qloguniform, qnormal, quniform, randint,
                        uniform)

from azureml.core.run import Run, wrap

__all__ = ["HyperDriveConfig", "HyperDriveRun", "PrimaryMetricGoal", "HyperParameterSampling",
           "RandomParameterSampling", "GridParameterSampling", "BayesianParameterSampling",
           "EarlyTerminationPolicy", "BanditPolicy", "MedianStoppingPolicy",
           "TruncationSelectionPolicy", "NoTerminationPolicy", "choice", "randint", "uniform",
           "quniform", "loguniform", "qloguniform", "normal", "qnormal", "lognormal",
           "qlognormal"]


class HyperDriveRun(Run):
    """The run of a sweep (wraps a glia.sweep.HyperDriveRun)."""

    def get_best_run_by_primary_metric(self, include_failed=True, include_canceled=True,
                                       include_resume_from_runs=True):
        """The trial with the best primary metric, as an azureml Run; None when no trial
        logged it."""
        return wrap(self._run.get_best_run_by_primary_metric(
            include_failed=include_failed, include_canceled=include_canceled,
            include_resume_from_runs=include_resume_from_runs))

    def get_children_sorted_by_primary_metric(self, top=0, reverse=False,
                                              discard_no_metric=False):
        """The trials as dicts (run_id, hyperparameters, best_primary_metric, status), best
        first."""
        return self._run.get_children_sorted_by_primary_metric(
            top=top, reverse=reverse, discard_no_metric=discard_no_metric)

    def get_hyperparameters(self):
        """{trial run id: {parameter: value}}."""
        return self._run.get_hyperparameters()

    def get_metrics(self, name=None, recursive=False, run_type=None, populate=False):
        """{trial run id: that trial's metrics}."""
        return self._run.get_metrics(name, recursive=recursive, run_type=run_type,
                                     populate=populate)

    @property
    def primary_metric(self):
        return self._run.primary_metric


HyperDriveRun.__module__ = "azureml.train.hyperdrive"
