"""``glia.Model``: registered models (``glia model register/show/list/download``), and where a
scoring script finds the model it serves: ``Model.get_model_path(name)``, the call Azure ML's
``azureml.core.model.Model.get_model_path`` is in Glia (the shim's calls this).

Inside a Glia endpoint that scores with a Python script, the endpoint process sets
``AZUREML_MODEL_DIR`` (the served version's files, materialized), ``GLIA_ENDPOINT_MODEL_NAME``
and ``GLIA_ENDPOINT_MODEL_VERSION`` for its workers (docs/endpoints.md).
"""

import os

from .errors import InvalidArgumentError, NotFoundError

__all__ = ["Model", "ModelNotFoundError"]


class ModelNotFoundError(NotFoundError):
    """The model asked for is not the one this process can read (a LookupError)."""


def _pairs(flag, mapping, what):
    args = []
    for k, v in (mapping or {}).items():
        if not isinstance(k, str) or not k or "=" in k:
            raise InvalidArgumentError("%s: key %r must be a non-empty str without '='"
                                       % (what, k))
        args += [flag, "%s=%s" % (k, "" if v is None else v)]
    return args


class Model(object):
    """A registered model version: ``Model(workspace, name, version=None)`` (the latest when
    no version), ``Model.register``, ``Model.list``, ``download``; and inside an endpoint,
    ``Model.get_model_path(name)``."""

    def __init__(self, workspace=None, name=None, id=None, tags=None, properties=None,
                 version=None, run_id=None, model_framework=None, expand=True, **kwargs):
        if workspace is None:
            raise TypeError("Model(workspace, name, version=None): give the workspace; inside "
                            "an endpoint use Model.get_model_path(name)")
        unsupported = sorted(kwargs) + [n for n, v in (
            ("tags", tags), ("properties", properties), ("run_id", run_id),
            ("model_framework", model_framework)) if v]
        if unsupported:
            raise NotImplementedError("Model(%s=...): Glia finds a model by name and version "
                                      "(Model.list filters by tags)" % unsupported[0])
        if id is not None:
            if name is not None or version is not None:
                raise InvalidArgumentError("Model: give id (NAME:VERSION) or name and version")
            name, _, v = str(id).partition(":")
            version = int(v) if v.isdigit() else None
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError("Model: name must be a non-empty str, got %r" % (name,))
        ref = name if version is None else "%s:%s" % (name, version)
        self._init(workspace, workspace._cli.json(["model", "show", ref]))

    def _init(self, workspace, record):
        self.workspace = workspace
        self._record = record

    @classmethod
    def _from_record(cls, workspace, record):
        model = cls.__new__(cls)
        model._init(workspace, record)
        return model

    name = property(lambda self: self._record["name"])
    version = property(lambda self: self._record["version"])
    id = property(lambda self: "%s:%s" % (self._record["name"], self._record["version"]))
    tags = property(lambda self: dict(self._record.get("tags") or {}))
    properties = property(lambda self: dict(self._record.get("properties") or {}))
    description = property(lambda self: self._record.get("description") or None)
    run_id = property(lambda self: self._record.get("run") or None)
    created_time = property(lambda self: self._record.get("created_at"))

    @staticmethod
    def _register(workspace, model_name, model_path, run_id=None, tags=None, properties=None,
                  description=None):
        args = ["model", "register", "--name", model_name]
        if run_id is not None:
            args += ["--run", run_id, "--path", model_path]
        else:
            args += ["--path", os.path.abspath(os.fspath(model_path))]
        if description:
            args += ["--description", description]
        args += _pairs("--tag", tags, "model tag")
        args += _pairs("--property", properties, "model property")
        return Model._from_record(workspace, workspace._cli.json(args))

    @staticmethod
    def register(workspace, model_path, model_name, tags=None, properties=None, description=None,
                 datasets=None, model_framework=None, model_framework_version=None,
                 child_paths=None, sample_input_dataset=None, sample_output_dataset=None,
                 resource_configuration=None, **kwargs):
        """Registers the local file or folder ``model_path`` as a new version of
        ``model_name`` and returns it."""
        unsupported = sorted(kwargs) + [n for n, v in (
            ("datasets", datasets), ("model_framework", model_framework),
            ("model_framework_version", model_framework_version), ("child_paths", child_paths),
            ("sample_input_dataset", sample_input_dataset),
            ("sample_output_dataset", sample_output_dataset),
            ("resource_configuration", resource_configuration)) if v]
        if unsupported:
            raise NotImplementedError("Model.register(%s=...) is not supported by Glia"
                                      % unsupported[0])
        return Model._register(workspace, model_name, model_path, tags=tags,
                               properties=properties, description=description)

    @staticmethod
    def list(workspace, name=None, tags=None, properties=None, run_id=None, latest=False,
             **kwargs):
        """The registered model versions (newest first), filtered like ``glia model list``:
        ``tags``/``properties`` are lists of keys or [key, value] pairs."""
        if kwargs:
            raise NotImplementedError("Model.list(%s=...) is not supported by Glia"
                                      % sorted(kwargs)[0])
        args = ["model", "list"]
        if name:
            args += ["--name", name]
        if run_id:
            args += ["--run", run_id]
        for flag, items in (("--tag", tags), ("--property", properties)):
            if isinstance(items, dict):
                items = list(items.items())
            for item in items or []:
                if isinstance(item, (list, tuple)):
                    args += [flag, "%s=%s" % (item[0], item[1])]
                else:
                    args += [flag, str(item)]
        if latest:
            args.append("--latest")
        records = workspace._cli.json(args)
        records.sort(key=lambda r: (r.get("name"), -r.get("version", 0)))
        return [Model._from_record(workspace, r) for r in records]

    def download(self, target_dir=".", exist_ok=False, exists_ok=None):
        """Copies the model's files into ``target_dir`` and returns that folder. A file there
        that differs is a ConflictError unless ``exist_ok``."""
        if exists_ok is not None:
            exist_ok = exists_ok
        target = os.path.abspath(os.fspath(target_dir))
        args = ["model", "download", self.id, "--output-dir", target]
        if exist_ok:
            args.append("--overwrite")
        self.workspace._cli.run(args)
        return target

    def get_details(self):
        return dict(self._record)

    def __repr__(self):
        return "Model(name=%r, version=%r)" % (self.name, self.version)

    @staticmethod
    def get_model_path(model_name, version=None, _workspace=None):
        """The folder holding the files of the served model ``model_name`` (``model.json``,
        ``model.h5``, ... as registered). ``version``, when given, must be an int and the served
        version. ModelNotFoundError naming the model for any other model, and outside an
        endpoint. With ``_workspace`` (outside an endpoint): the model's files downloaded into
        ``./azureml-models/NAME/VERSION``, as Azure's."""
        if _workspace is not None and not os.environ.get("GLIA_ENDPOINT_MODEL_NAME"):
            model = Model(_workspace, model_name, version=version)
            return model.download(os.path.join("azureml-models", model.name,
                                               str(model.version)), exist_ok=True)

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


def _deploy(workspace, name, models, inference_config=None, deployment_config=None,
            deployment_target=None, overwrite=False, show_output=False):
    """Azure's ``Model.deploy``: ``glia.webservice.deploy`` (``glia endpoint create``; docs/
    endpoints.md, "From Python"). Returns the Webservice at once."""
    from .webservice import deploy
    return deploy(workspace, name, models, inference_config=inference_config,
                  deployment_config=deployment_config, deployment_target=deployment_target,
                  overwrite=overwrite, show_output=show_output)


Model.deploy = staticmethod(_deploy)  # (H3's hook: the endpoint calls live in webservice.py)
