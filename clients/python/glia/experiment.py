"""``glia.Experiment``: submits jobs (``glia job submit``), lists runs, starts interactive runs
(``glia run track``)."""

import json
import os
import tempfile

from .errors import InvalidArgumentError

__all__ = ["Experiment"]


class Experiment(object):
    """The experiment ``name`` of ``workspace`` (experiments exist once a run names them)."""

    def __init__(self, workspace, name, _create_in_workspace=False, **kwargs):
        if kwargs:
            raise NotImplementedError("Experiment(%s) is not supported by Glia"
                                      % ", ".join(sorted(kwargs)))
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError("Experiment: name must be a non-empty str, got %r" % (name,))
        self._workspace = workspace
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def workspace(self):
        return self._workspace

    @property
    def id(self):
        """The experiment's id: in Glia, its name."""
        return self._name

    def submit(self, config, tags=None, **kwargs):
        """Submits ``config`` (a ScriptRunConfig, a HyperDriveConfig: anything with
        ``_glia_job(experiment)``) as a job of this experiment and returns its Run (or the
        config's ``_glia_run_class``)."""
        if kwargs:
            raise NotImplementedError("Experiment.submit(%s) is not supported by Glia"
                                      % ", ".join(sorted(kwargs)))
        make_job = getattr(config, "_glia_job", None)
        if make_job is None:
            raise InvalidArgumentError("Experiment.submit: %s is not a run configuration "
                                       "(ScriptRunConfig, HyperDriveConfig)"
                                       % type(config).__name__)
        job = dict(make_job(self))
        job["experiment_name"] = self._name
        if tags:
            merged = dict(job.get("tags") or {})
            merged.update({str(k): "" if v is None else str(v) for k, v in tags.items()})
            job["tags"] = merged
        fd, path = tempfile.mkstemp(prefix="glia-job-", suffix=".yml")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(job, f)  # JSON text is valid YAML
            record = self._workspace._cli.json(["job", "submit", "-f", path])
        finally:
            os.unlink(path)
        from .run import Run
        run_class = getattr(config, "_glia_run_class", None) or Run
        return run_class._handle(self._workspace, record["id"], record)

    def get_runs(self, type=None, tags=None, properties=None, include_children=False):
        """The experiment's runs, newest first (a generator, as Azure's). ``type`` filters on
        the run type (``command``, ``sweep``, ``interactive``); ``tags`` a dict (or a tag name)
        all of which a run must carry. Trials are left out unless include_children."""
        from .run import Run
        from .run_history import _matches
        records = self._workspace._cli.json(["job", "list", "--experiment", self._name,
                                             "--limit", "1000000"])
        records.sort(key=lambda r: r.get("created_at", ""), reverse=True)  # stable: ties keep
        # the CLI's order (newest first)
        # `job list -o json` does not carry the parent: a sweep's trials are named
        # <sweep id>_<trial index> (the platform's rule), so a run whose id is another listed
        # run's id plus _N is a trial.
        ids = set(r.get("id") for r in records)
        for record in records:
            if not include_children:
                head, _, tail = record.get("id", "").rpartition("_")
                if record.get("parent") or (tail.isdigit() and head in ids):
                    continue
            if not _matches(self._workspace, record, type=type, tags=tags,
                            properties=properties):
                continue
            yield Run._handle(self._workspace, record["id"], record)

    def start_logging(self, display_name=None, tags=None, outputs=None, snapshot_directory=None,
                      **kwargs):
        """Starts an interactive run of this experiment (``glia run track``): the returned Run
        logs online until ``run.complete()`` (or ``fail()``/``cancel()``); if the process ends
        first the run ends Failed."""
        if kwargs or outputs is not None or snapshot_directory is not None:
            names = sorted(kwargs) + [n for n, v in (("outputs", outputs),
                                                     ("snapshot_directory", snapshot_directory))
                                      if v is not None]
            raise NotImplementedError("Experiment.start_logging(%s) is not supported by Glia"
                                      % ", ".join(names))
        from .run_history import start_tracking
        return start_tracking(self._workspace, self._name, display_name=display_name, tags=tags)

    def __repr__(self):
        return "Experiment(name=%r, workspace=%r)" % (self._name, self._workspace)
