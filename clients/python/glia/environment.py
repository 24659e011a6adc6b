"""``glia.Environment``: a job's Python environment (``glia environment create/show``)."""

import os
import tempfile

from .errors import InvalidArgumentError

__all__ = ["Environment"]


class DockerSection(object):
    """``env.docker``: ``base_image`` is recorded with the environment (``--image``); jobs run
    on the host's OS. ``enabled`` is kept as set."""

    def __init__(self):
        self.enabled = False
        self.base_image = None
        self.base_dockerfile = None
        self.arguments = []

    def _check(self, name):
        if self.base_dockerfile is not None:
            raise NotImplementedError("Environment(%r).docker.base_dockerfile is not supported "
                                      "by Glia; give docker.base_image" % (name,))
        if self.arguments:
            raise NotImplementedError("Environment(%r).docker.arguments are not supported by "
                                      "Glia" % (name,))


class Environment(object):
    """A named, versioned environment. Build one with ``from_conda_specification`` or
    ``from_pip_requirements`` (or set ``docker.base_image``), then ``register(workspace)``
    (``Experiment.submit`` registers an unregistered one)."""

    def __init__(self, name):
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError("Environment: name must be a non-empty str, got %r"
                                       % (name,))
        self.name = name
        self.version = None
        self.docker = DockerSection()
        self.python_version = None
        self.description = None
        self._conda_file = None
        self._pip_file = None
        self._source = None  # (kind, text) of a fetched version's conda/pip spec
        self._record = None

    @classmethod
    def from_conda_specification(cls, name, file_path):
        """An environment from a conda YAML file (python=X.Y and pip packages)."""
        env = cls(name)
        env._conda_file = cls._existing(file_path, "from_conda_specification")
        return env

    @classmethod
    def from_pip_requirements(cls, name, file_path, pip_version=None):
        """An environment from a pip requirements file."""
        if pip_version is not None:
            raise NotImplementedError("Environment.from_pip_requirements(pip_version=...) is "
                                      "not supported by Glia")
        env = cls(name)
        env._pip_file = cls._existing(file_path, "from_pip_requirements")
        return env

    @staticmethod
    def _existing(file_path, what):
        path = os.path.abspath(os.fspath(file_path))
        if not os.path.isfile(path):
            from .errors import NotFoundError
            raise NotFoundError("Environment.%s: no such file: %s" % (what, path))
        return path

    @classmethod
    def _from_record(cls, record):
        env = cls(record["name"])
        env.version = record.get("version")
        env.description = record.get("description") or None
        env.python_version = record.get("python")
        env.docker.base_image = record.get("image") or None
        env.docker.enabled = bool(env.docker.base_image)
        env._record = record
        # the spec it was registered from, so that registering it again keeps its packages
        if record.get("source_kind") in ("conda", "pip") and record.get("source"):
            env._source = (record["source_kind"], record["source"])
        return env

    def register(self, workspace):
        """Registers this spec as the next version of ``name`` (``glia environment create``;
        the same spec as the current version keeps it) and returns self, with ``version``."""
        self.docker._check(self.name)
        args = ["environment", "create", "--name", self.name]
        spec_file = None
        if self._conda_file:
            args += ["--conda-file", self._conda_file]
        elif self._pip_file:
            args += ["--pip-requirements", self._pip_file]
        elif self._source is not None:  # fetched with Environment.get: its own spec again
            kind, text = self._source
            fd, spec_file = tempfile.mkstemp(prefix="glia-env-",
                                             suffix=".yml" if kind == "conda" else ".txt")
            with os.fdopen(fd, "w") as f:
                f.write(text)
            args += ["--conda-file" if kind == "conda" else "--pip-requirements", spec_file]
        if self.python_version:
            args += ["--python", str(self.python_version)]
        if self.docker.base_image:
            args += ["--image", self.docker.base_image]
        if self.description:
            args += ["--description", self.description]
        try:
            record = workspace._cli.json(args)
        finally:
            if spec_file is not None:
                os.unlink(spec_file)
        self.version = record.get("version")
        self._record = record
        return self

    @staticmethod
    def get(workspace, name, version=None, label=None):
        """The environment ``name`` at ``version`` (default: the latest); NotFoundError if
        there is none."""
        if label is not None:
            raise NotImplementedError("Environment.get(label=...) is not supported by Glia")
        ref = name if version is None else "%s:%s" % (name, version)
        return Environment._from_record(workspace._cli.json(["environment", "show", ref]))

    @staticmethod
    def list(workspace):
        return workspace.environments

    def __repr__(self):
        return "Environment(name=%r, version=%r)" % (self.name, self.version)
