"""Sweeps (hyperparameter tuning) from Python, as Azure ML SDK v1's HyperDrive writes them.

    from glia.sweep import (HyperDriveConfig, RandomParameterSampling, BanditPolicy,
                            PrimaryMetricGoal, choice, loguniform)
    ps = RandomParameterSampling({'--batch-size': choice(25, 50, 100),
                                  '--learning-rate': loguniform(-6, -1)})
    hdc = HyperDriveConfig(run_config=src, hyperparameter_sampling=ps,
                           policy=BanditPolicy(evaluation_interval=2, slack_factor=0.1),
                           primary_metric_name='Accuracy',
                           primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
                           max_total_runs=20, max_concurrent_runs=4)
    hdr = experiment.submit(hdc)           # a HyperDriveRun
    best = hdr.get_best_run_by_primary_metric()

A HyperDriveConfig is turned into a CLI v2 sweep job (docs/sweeps.md) and submitted with
``glia job submit``: the trial is the run config's command job, each search-space key
(``--batch-size``) becomes a parameter (``batch_size``) and the trial's command gets
``--batch-size ${{search_space.batch_size}}`` appended (argparse takes the last value, so a fixed
``--batch-size 50`` in the script's arguments is overridden, as HyperDrive does). The sweep file's
checks are the CLI's: what it refuses is refused at submit with its one-line message.

The search itself (parameter expressions, sampling, policies, PrimaryMetricGoal) is
glia.sweep_space; its public names are importable from here too.

Standard library only.
"""

import re
import shlex

from .sweep_space import (BanditPolicy, BayesianParameterSampling,  # noqa: F401 (re-exported)
                          EarlyTerminationPolicy, GridParameterSampling, HyperParameterSampling,
                          MedianStoppingPolicy, NoTerminationPolicy, PrimaryMetricGoal,
                          RandomParameterSampling, TruncationSelectionPolicy, choice, lognormal,
                          loguniform, normal, qlognormal, qloguniform, qnormal, quniform, randint,
                          uniform)
from .sweep_space import __all__ as _space_names
from .sweep_space import _goal, _unavailable
from .errors import NotFoundError

__all__ = ["HyperDriveConfig", "HyperDriveRun"] + _space_names


def _positive_int(value, what, low=1, high=None):
    if isinstance(value, bool) or not isinstance(value, int) or value < low or \
            (high is not None and value > high):
        raise ValueError("%s: expected an integer %s, got %r"
                         % (what, ("%d..%d" % (low, high)) if high else (">= %d" % low), value))
    return value


_PLACEHOLDER = re.compile(r"\$\{\{search_space\.([A-Za-z_][A-Za-z0-9_]*)\}\}\Z")

# The command-job keys that belong to the trial (docs/sweeps.md); the others are the sweep's.
_TRIAL_KEYS = ("code", "command", "environment", "environment_variables", "resources")


class HyperDriveConfig(object):
    """A sweep of ``run_config`` (a ScriptRunConfig) over ``hyperparameter_sampling``."""

    def __init__(self, hyperparameter_sampling, primary_metric_name, primary_metric_goal,
                 max_total_runs=None, max_concurrent_runs=None, max_duration_minutes=10080,
                 policy=None, estimator=None, run_config=None, resume_from=None,
                 resume_child_runs=None, pipeline=None, debug_flag=None, custom_run_id=None):
        if estimator is not None:
            raise _unavailable("HyperDriveConfig(estimator=...)",
                               "pass a ScriptRunConfig as run_config (Estimators are deprecated "
                               "in Azure ML too)")
        if pipeline is not None:
            raise _unavailable("HyperDriveConfig(pipeline=...)",
                               "Glia has no pipelines; pass a ScriptRunConfig as run_config")
        if resume_child_runs is not None:
            raise _unavailable("HyperDriveConfig(resume_child_runs=...)",
                               "Glia resumes whole sweeps (resume_from), not single trials")
        if debug_flag is not None:
            raise _unavailable("HyperDriveConfig(debug_flag=...)", "there is no debug mode")
        if custom_run_id is not None:
            raise _unavailable("HyperDriveConfig(custom_run_id=...)",
                               "Glia names runs itself; tag the run instead")
        if run_config is None or not hasattr(run_config, "_glia_job"):
            raise TypeError("HyperDriveConfig: run_config must be a ScriptRunConfig (the trial), "
                            "got %r" % (run_config,))
        if not isinstance(hyperparameter_sampling, HyperParameterSampling):
            raise TypeError("HyperDriveConfig: hyperparameter_sampling must be a "
                            "RandomParameterSampling, GridParameterSampling or "
                            "BayesianParameterSampling, got %r" % (hyperparameter_sampling,))
        if policy is not None and not isinstance(policy, EarlyTerminationPolicy):
            raise TypeError("HyperDriveConfig: policy must be an early-termination policy "
                            "(BanditPolicy, ...), got %r" % (policy,))
        if not isinstance(primary_metric_name, str) or not primary_metric_name:
            raise ValueError("HyperDriveConfig: primary_metric_name must be a metric name, got %r"
                             % (primary_metric_name,))
        self._goal = _goal(primary_metric_goal)
        if max_total_runs is not None:
            _positive_int(max_total_runs, "HyperDriveConfig: max_total_runs", 1, 1000)
        if max_concurrent_runs is not None:
            _positive_int(max_concurrent_runs, "HyperDriveConfig: max_concurrent_runs", 1, 100)
        if max_duration_minutes is not None:
            _positive_int(max_duration_minutes, "HyperDriveConfig: max_duration_minutes", 1, 43200)
        if max_total_runs is None and max_duration_minutes is None:
            raise ValueError("HyperDriveConfig: give max_total_runs or max_duration_minutes")
        self.run_config = run_config
        self.hyperparameter_sampling = hyperparameter_sampling
        self.primary_metric_name = primary_metric_name
        self.primary_metric_goal = primary_metric_goal
        self.max_total_runs = max_total_runs
        self.max_concurrent_runs = max_concurrent_runs
        self.max_duration_minutes = max_duration_minutes
        self.policy = policy
        self.resume_from = resume_from

    _glia_run_class = None  # set below: HyperDriveRun

    def _resume_ids(self):
        if self.resume_from is None:
            return None
        items = self.resume_from if isinstance(self.resume_from, (list, tuple)) \
            else [self.resume_from]
        ids = []
        for item in items:
            run_id = item if isinstance(item, str) else getattr(item, "id", None)
            if not isinstance(run_id, str) or not run_id:
                raise TypeError("HyperDriveConfig: resume_from takes HyperDriveRuns or their "
                                "ids, got %r" % (item,))
            ids.append(run_id)
        return ids

    def _glia_job(self, experiment):
        """The sweep job (docs/sweeps.md) as a dict: the run config's command job as the trial."""
        job = dict(self.run_config._glia_job(experiment))
        kind = job.pop("type", "command")
        if kind != "command":
            raise ValueError("HyperDriveConfig: run_config must be a command job, got a %s job"
                             % kind)
        trial = {k: job.pop(k) for k in _TRIAL_KEYS if k in job}
        command = trial.get("command")
        if not isinstance(command, str) or not command:
            raise ValueError("HyperDriveConfig: run_config has no command to run as the trial")
        trial["command"] = command + " " + " ".join(
            self.hyperparameter_sampling._glia_arguments())
        limits = dict(job.pop("limits", None) or {})
        sweep_limits = {}
        if "timeout" in limits:
            sweep_limits["trial_timeout"] = limits.pop("timeout")
        if limits:
            raise ValueError("HyperDriveConfig: run_config's limits.%s has no sweep equivalent"
                             % sorted(limits)[0])
        if self.max_total_runs is not None:
            sweep_limits["max_total_trials"] = self.max_total_runs
        if self.max_concurrent_runs is not None:
            sweep_limits["max_concurrent_trials"] = self.max_concurrent_runs
        if self.max_duration_minutes is not None:
            sweep_limits["timeout"] = self.max_duration_minutes * 60
        sweep = {"type": "sweep"}
        sweep.update(job)
        sweep["trial"] = trial
        sweep["search_space"] = self.hyperparameter_sampling._glia_search_space()
        sweep["sampling_algorithm"] = self.hyperparameter_sampling._glia_sampling()
        sweep["objective"] = {"primary_metric": self.primary_metric_name, "goal": self._goal}
        if self.policy is not None:
            policy = self.policy._glia_policy()
            if policy is not None:
                sweep["early_termination"] = policy
        sweep["limits"] = sweep_limits
        resume = self._resume_ids()
        if resume:
            sweep["resume_from"] = resume
        return sweep


# -- the sweep's run -------------------------------------------------------------------------

from .run import Run as _Run  # noqa: E402  (glia.run imports nothing heavy)


class HyperDriveRun(_Run):
    """The run of a sweep (``job_type`` sweep): a glia Run with the trials' ranking."""

    def _glia_ws(self):
        return self._require_ws("get_best_run_by_primary_metric")

    def _sweep(self, run_id=None):
        record = self._glia_ws()._cli.json(["job", "show", run_id or self.id])
        sweep = record.get("sweep")
        if not isinstance(sweep, dict):
            raise ValueError("run %r is not a sweep (its job_type is %r)"
                             % (run_id or self.id, record.get("job_type")))
        sweep = dict(sweep)
        sweep["_record"] = record
        return sweep

    def _trials(self, include_resume_from_runs=False):
        sweep = self._sweep()
        trials = list(sweep.get("trials") or [])
        if include_resume_from_runs:
            job = sweep["_record"].get("job") or {}
            for earlier in job.get("resume_from") or sweep.get("resume_from") or []:
                try:
                    trials += list(self._sweep(earlier).get("trials") or [])
                except NotFoundError:  # an earlier sweep deleted since: its trials are gone too
                    continue
        return sweep, trials

    @staticmethod
    def _argument_names(sweep):
        """Glia parameter name -> the script argument it fills in the trial's command
        (``batch_size`` -> ``--batch-size``, as HyperDriveConfig wrote it); a parameter not
        written right after a ``-`` flag keeps its own name."""
        record = sweep.get("_record") or {}
        command = record.get("command") or (record.get("job") or {}).get("command") or ""
        try:
            words = shlex.split(command)
        except ValueError:
            words = command.split()
        names = {}
        for flag, word in zip(words, words[1:]):
            m = _PLACEHOLDER.match(word)
            if m and flag.startswith("-") and "=" not in flag and "$" not in flag:
                names.setdefault(m.group(1), flag)
        return names

    @staticmethod
    def _hyperparameters(sweep, trial):
        names = HyperDriveRun._argument_names(sweep)
        return {names.get(k, k): v for k, v in (trial.get("parameters") or {}).items()}

    def _child(self, run_id):
        child = _Run._handle(self._glia_ws(), run_id)
        if child._experiment_name is None:  # a trial is in its sweep's experiment
            child._experiment_name = self.experiment_name
        return child

    @staticmethod
    def _ranked(trials, goal, reverse=False):
        """Trials with a metric, best first (ties: the lower index first)."""
        maximize = goal == "maximize"
        with_metric = [t for t in trials if isinstance(t.get("best_metric"), (int, float))
                       and not isinstance(t.get("best_metric"), bool)]
        ranked = sorted(with_metric, key=lambda t: ((-t["best_metric"]) if maximize
                                                    else t["best_metric"], t.get("index", 0)))
        return list(reversed(ranked)) if reverse else ranked

    def get_best_run_by_primary_metric(self, include_failed=True, include_canceled=True,
                                       include_resume_from_runs=True):
        """The trial with the best value of the primary metric (the maximum when maximizing;
        ties: the lower index), as a Run; None when no trial logged it."""
        sweep, trials = self._trials(include_resume_from_runs)
        keep = [t for t in trials
                if (include_failed or t.get("status") != "Failed")
                and (include_canceled or t.get("status") != "Canceled")]
        ranked = self._ranked(keep, sweep.get("goal"))
        return self._child(ranked[0]["id"]) if ranked else None

    def get_children_sorted_by_primary_metric(self, top=0, reverse=False,
                                              discard_no_metric=False):
        """The trials, best first (``reverse``: worst first), as Azure's dicts
        ``{'run_id', 'hyperparameters', 'best_primary_metric', 'status'}`` (hyperparameters by
        script argument, ``{'--batch-size': 50}``); trials without the
        metric come last unless ``discard_no_metric``. ``top`` > 0 keeps the first ``top``."""
        if isinstance(top, bool) or not isinstance(top, int) or top < 0:
            raise ValueError("top: expected an integer >= 0, got %r" % (top,))
        sweep, trials = self._trials()
        ranked = self._ranked(trials, sweep.get("goal"), reverse)
        if not discard_no_metric:
            ranked_ids = {t["id"] for t in ranked}
            ranked += sorted((t for t in trials if t["id"] not in ranked_ids),
                             key=lambda t: t.get("index", 0))
        out = [{"run_id": t["id"], "hyperparameters": self._hyperparameters(sweep, t),
                "best_primary_metric": t.get("best_metric"), "status": t.get("status")}
               for t in ranked]
        return out[:top] if top else out

    def get_hyperparameters(self):
        """{trial run id: {argument: value}} (``{'--batch-size': 50, ...}``)."""
        sweep, trials = self._trials()
        return {t["id"]: self._hyperparameters(sweep, t) for t in trials}

    def get_metrics(self, name=None, recursive=False, run_type=None, populate=False):
        """{trial run id: that trial's metrics} (as Azure's HyperDriveRun.get_metrics);
        ``recursive``: the sweep's own metrics too, under its id (glia.Run's recursive)."""
        for flag, value in (("run_type", run_type), ("populate", populate)):
            if value:
                raise _unavailable("HyperDriveRun.get_metrics(%s=...)" % flag,
                                   "the trials' metrics are returned per trial already")
        if recursive:
            return self._history_metrics(name, recursive=True)
        out = {}
        for t in sorted(self._trials()[1], key=lambda t: t.get("index", 0)):
            out[t["id"]] = self._child(t["id"]).get_metrics(name)
        return out

    @property
    def primary_metric(self):
        """The objective's metric name."""
        return self._sweep().get("primary_metric")


HyperDriveConfig._glia_run_class = HyperDriveRun
