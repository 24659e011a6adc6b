"""``glia.Dataset``: file datasets (``glia dataset create/show/files/download``)."""

import os
import tempfile

from .errors import ConflictError, InvalidArgumentError, NotFoundError

__all__ = ["Dataset", "FileDataset", "DatasetConsumptionConfig"]


class DatasetConsumptionConfig(object):
    """A dataset as a job's named input: ``ds.as_named_input('mnist').as_mount()``; in the
    job's command it becomes ``${{inputs.mnist}}``, the local path of the data."""

    def __init__(self, name, dataset, mode="mount"):
        self.name = name
        self.dataset = dataset
        self.mode = mode

    def as_mount(self, path_on_compute=None):
        if path_on_compute is not None:
            raise NotImplementedError("as_mount(path_on_compute=...): Glia chooses the path")
        return DatasetConsumptionConfig(self.name, self.dataset, "mount")

    def as_download(self, path_on_compute=None):
        if path_on_compute is not None:
            raise NotImplementedError("as_download(path_on_compute=...): Glia chooses the path")
        return DatasetConsumptionConfig(self.name, self.dataset, "download")

    def _job_input(self):
        ds = self.dataset
        mode = "download" if self.mode == "download" else "ro_mount"
        if ds.version is not None:
            path = "azureml:%s:%s" % (ds.name, ds.version)
        elif len(ds._paths) == 1 and "://" not in ds._paths[0]:
            path = ds._paths[0]  # an unregistered local folder: stored as an anonymous dataset
        else:
            raise InvalidArgumentError("dataset input %r: register the dataset first "
                                       "(ds.register(workspace, name))" % self.name)
        return {"type": "uri_folder", "path": path, "mode": mode}

    def __repr__(self):
        return "DatasetConsumptionConfig(name=%r, mode=%r)" % (self.name, self.mode)


class FileDataset(object):
    """Files registered (or to register) as a dataset."""

    def __init__(self, paths=None, _workspace=None, _record=None):
        self._paths = list(paths or [])
        self._ws = _workspace
        self._record = _record

    @classmethod
    def _from_record(cls, workspace, record):
        return cls(record.get("sources"), workspace, record)

    @property
    def name(self):
        return self._record["name"] if self._record else None

    @property
    def version(self):
        return self._record["version"] if self._record else None

    @property
    def id(self):
        """``NAME:VERSION`` once registered, else None."""
        return "%s:%s" % (self.name, self.version) if self._record else None

    @property
    def description(self):
        return self._record.get("description") if self._record else None

    @property
    def tags(self):
        return {}

    def register(self, workspace, name, description=None, tags=None, create_new_version=False):
        """Registers the files as a version of the dataset ``name`` (``glia dataset create``)
        and returns the registered dataset. Without ``create_new_version`` an existing name is
        a ConflictError; with it, a new version is made unless the content equals the
        latest's."""
        if tags:
            raise NotImplementedError("FileDataset.register(tags=...): Glia datasets have no "
                                      "tags; put it in the description")
        if not self._paths:
            raise InvalidArgumentError("FileDataset.register(%r): the dataset has no files "
                                       "(use Dataset.File.from_files(path))" % (name,))
        if not create_new_version:
            try:
                workspace._cli.json(["dataset", "show", name])
            except NotFoundError:
                pass
            else:
                raise ConflictError("dataset %r is already registered in the workspace; pass "
                                    "create_new_version=True for a new version" % (name,))
        args = ["dataset", "create", "--name", name]
        for p in self._paths:
            args += ["--path", p]
        if description:
            args += ["--description", description]
        record = workspace._cli.json(args)
        return FileDataset._from_record(workspace, record)

    def as_named_input(self, name):
        return DatasetConsumptionConfig(name, self)

    def as_mount(self, path_on_compute=None):
        return self.as_named_input(self.name or "input").as_mount(path_on_compute)

    def as_download(self, path_on_compute=None):
        return self.as_named_input(self.name or "input").as_download(path_on_compute)

    def _need_registered(self, what):
        if self._record is None:
            raise InvalidArgumentError("FileDataset.%s: register the dataset first "
                                       "(ds.register(workspace, name))" % what)

    def to_path(self):
        """The dataset's file paths, each starting with '/' (as Azure's)."""
        self._need_registered("to_path")
        files = self._ws._cli.json(["dataset", "files", self.id])
        return ["/" + f["path"] for f in files]

    def download(self, target_path=None, overwrite=False, ignore_not_found=False):
        """Copies the files into ``target_path`` (default: a new temporary folder, as Azure's;
        it is the caller's to remove) and returns their paths. An existing file there is a
        ConflictError unless ``overwrite``. ``ignore_not_found=True`` is refused: a registered
        version's files are stored with it, and one that cannot be read is always an error."""
        if ignore_not_found:
            raise NotImplementedError("FileDataset.download(ignore_not_found=True) is not "
                                      "supported by Glia: a version's files are stored with it, "
                                      "and one that cannot be read is an error")
        self._need_registered("download")
        if target_path is None:
            target = tempfile.mkdtemp(prefix="glia-dataset-%s-" % self.name)
        else:
            target = os.path.abspath(os.fspath(target_path))
        rels = [p.lstrip("/") for p in self.to_path()]
        if not overwrite:
            clash = [r for r in rels if os.path.exists(os.path.join(target, r))]
            if clash:
                raise ConflictError("FileDataset.download: %s exists; pass overwrite=True"
                                    % os.path.join(target, clash[0]))
        else:
            for r in rels:
                p = os.path.join(target, r)
                if os.path.isfile(p):
                    os.unlink(p)
        self._ws._cli.run(["dataset", "download", self.id, "--output-dir", target])
        return [os.path.join(target, r) for r in rels]

    def __repr__(self):
        if self._record:
            return "FileDataset(name=%r, version=%r)" % (self.name, self.version)
        return "FileDataset(paths=%r)" % (self._paths,)


class _FileFactory(object):
    @staticmethod
    def from_files(path, validate=True, partition_format=None, is_file=False):
        """A dataset of the files ``path`` (a path, URL or glob, or a list of them); not yet
        registered. With ``validate`` a local path must exist; with ``is_file`` every local path
        (not a glob or URL) must be a file."""
        if partition_format is not None:
            raise NotImplementedError("Dataset.File.from_files(partition_format=...) is not "
                                      "supported by Glia")
        paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
        out = []
        for p in paths:
            if isinstance(p, tuple):
                raise NotImplementedError("Dataset.File.from_files: datastore paths (datastore, "
                                          "path) are not supported by Glia; give local paths "
                                          "or URLs")
            p = os.fspath(p)
            if "://" in p:
                out.append(p)
                continue
            full = os.path.abspath(p)
            if validate and not any(ch in p for ch in "*?[") and not os.path.exists(full):
                raise NotFoundError("Dataset.File.from_files: no such file or folder: %s" % full)
            if is_file and not any(ch in p for ch in "*?[") and os.path.isdir(full):
                raise InvalidArgumentError("Dataset.File.from_files(is_file=True): %s is a "
                                           "folder, not a file" % full)
            out.append(full)
        if not out:
            raise InvalidArgumentError("Dataset.File.from_files: give at least one path")
        return FileDataset(out)


class Dataset(object):
    """Datasets of a workspace: ``Dataset.File.from_files(...)``, ``Dataset.get_by_name``."""

    File = _FileFactory

    @staticmethod
    def get_by_name(workspace, name, version="latest"):
        """The dataset ``name`` at ``version`` (a number or 'latest'); NotFoundError if none."""
        ref = name if version in (None, "latest") else "%s:%s" % (name, version)
        return FileDataset._from_record(workspace, workspace._cli.json(["dataset", "show", ref]))

    @staticmethod
    def get_all(workspace):
        return workspace.datasets
