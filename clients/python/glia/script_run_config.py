"""``glia.ScriptRunConfig``: a script and its arguments as a Glia command job (CLI v2 YAML keys)."""

import os
import shlex

from .errors import InvalidArgumentError

__all__ = ["ScriptRunConfig"]


def _target_name(compute_target):
    if compute_target is None:
        return "local"
    if isinstance(compute_target, str):
        return compute_target
    name = getattr(compute_target, "name", None)
    if not isinstance(name, str) or not name:
        raise InvalidArgumentError("ScriptRunConfig: compute_target must be a name or a "
                                   "ComputeTarget, got %s" % type(compute_target).__name__)
    return name


class ScriptRunConfig(object):
    """Runs ``python SCRIPT ARGUMENTS`` (or ``command``) in a snapshot of ``source_directory``
    on ``compute_target`` with ``environment``. Submit it with ``Experiment.submit``."""

    def __init__(self, source_directory=".", script=None, arguments=None, run_config=None,
                 _telemetry_values=None, compute_target=None, environment=None,
                 distributed_job_config=None, resume_from=None, max_run_duration_seconds=None,
                 command=None, docker_runtime_config=None):
        unsupported = [n for n, v in (("run_config", run_config), ("resume_from", resume_from),
                                      ("docker_runtime_config", docker_runtime_config))
                       if v is not None]
        if unsupported:
            raise NotImplementedError("ScriptRunConfig(%s=...) is not supported by Glia"
                                      % unsupported[0])
        if distributed_job_config is not None:
            nodes = getattr(distributed_job_config, "node_count", 1)
            procs = getattr(distributed_job_config, "process_count_per_node", 1)
            if nodes != 1 or procs != 1:
                raise NotImplementedError(
                    "ScriptRunConfig(distributed_job_config=%s with node_count=%s, "
                    "process_count_per_node=%s): Glia runs a job as one process"
                    % (type(distributed_job_config).__name__, nodes, procs))
        if script is not None and command is not None:
            raise InvalidArgumentError("ScriptRunConfig: give script (with arguments) or "
                                       "command, not both")
        if script is None and command is None:
            raise InvalidArgumentError("ScriptRunConfig: give script (a .py file in "
                                       "source_directory) or command")
        if command is not None and arguments:
            raise InvalidArgumentError("ScriptRunConfig: arguments go with script; put them in "
                                       "command instead")
        if max_run_duration_seconds is not None and (
                isinstance(max_run_duration_seconds, bool)
                or not isinstance(max_run_duration_seconds, int) or max_run_duration_seconds <= 0):
            raise InvalidArgumentError("ScriptRunConfig: max_run_duration_seconds must be a "
                                       "positive int, got %r" % (max_run_duration_seconds,))
        self.source_directory = source_directory
        self.script = script
        self.arguments = list(arguments or [])
        self.command = command
        self.compute_target = compute_target
        self.environment = environment
        self.distributed_job_config = distributed_job_config
        self.max_run_duration_seconds = max_run_duration_seconds

    @staticmethod
    def _words(items, inputs):
        """``items`` (arguments, or a command given as a list) as shell words; a dataset input
        becomes ``${{inputs.NAME}}`` and its entry in ``inputs``."""
        from .dataset import DatasetConsumptionConfig, FileDataset
        words = []
        for arg in items:
            if isinstance(arg, FileDataset):
                arg = arg.as_named_input(arg.name or "input_%d" % len(inputs)).as_mount()
            if isinstance(arg, DatasetConsumptionConfig):
                entry = arg._job_input()
                if inputs.get(arg.name, entry) != entry:
                    raise InvalidArgumentError(
                        "ScriptRunConfig: two different dataset inputs are named %r (%s and "
                        "%s); give each its own as_named_input(NAME)"
                        % (arg.name, inputs[arg.name]["path"], entry["path"]))
                inputs[arg.name] = entry
                words.append("${{inputs.%s}}" % arg.name)
            elif isinstance(arg, bool) or isinstance(arg, (str, int, float)):
                words.append(shlex.quote(str(arg)))
            else:
                raise InvalidArgumentError("ScriptRunConfig: argument %r must be a str, number or "
                                           "dataset input (ds.as_named_input(NAME).as_mount())"
                                           % (arg,))
        return words

    def _glia_job(self, experiment):
        """The command job as a dict of CLI v2 YAML keys (``glia job submit -f``)."""
        code = os.path.abspath(os.fspath(self.source_directory))
        inputs = {}
        if self.command is not None:
            if isinstance(self.command, str):
                command = self.command
            else:
                command = " ".join(self._words(self.command, inputs))
        else:
            command = " ".join(["python", shlex.quote(self.script)]
                               + self._words(self.arguments, inputs))
        job = {"type": "command", "code": code, "command": command,
               "compute": _target_name(self.compute_target),
               "experiment_name": experiment.name}
        if inputs:
            job["inputs"] = inputs
        if self.environment is not None:
            env = self.environment
            if isinstance(env, str):
                job["environment"] = env
            else:
                if env.version is None:
                    env.register(experiment.workspace)
                job["environment"] = "azureml:%s:%s" % (env.name, env.version)
        if self.max_run_duration_seconds is not None:
            job["limits"] = {"timeout": self.max_run_duration_seconds}
        return job

    def __repr__(self):
        return "ScriptRunConfig(source_directory=%r, script=%r, arguments=%r)" % (
            self.source_directory, self.script, self.arguments)
