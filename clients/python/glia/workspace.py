"""``glia.Workspace``: a Glia workspace as the SDK sees it — a folder (``glia workspace init``)
or a server's workspace reached through a *connected folder* (``glia workspace connect``).

Either way the workspace is a folder the ``glia`` CLI runs on (``-w ROOT``): every operation is
one ``glia ... -o json`` command (glia._cli). For a server the token travels in ``$GLIA_TOKEN``
of each command and is never written anywhere.
"""

import errno
import json
import os
import tempfile
import shutil
from urllib.parse import urlsplit, quote

from ._cli import Cli
from .errors import (GliaError, InvalidArgumentError, NotFoundError, UnauthenticatedError,
                     UnavailableError)

__all__ = ["Workspace"]

_CONFIG_PLACES = ("config.json", os.path.join(".azureml", "config.json"),
                  os.path.join("aml_config", "config.json"))
_AZURE_KEYS = ("subscription_id", "resource_group", "workspace_name")


def _connected_home():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "glia", "connected")


def _safe_part(text):
    return "".join(c if c.isalnum() or c in "-." else "-" for c in text) or "-"


def _read_remote(root):
    """The ``remote`` section of a connected folder's .glia/config.json, or None."""
    try:
        with open(os.path.join(root, ".glia", "config.json")) as f:
            remote = json.load(f).get("remote")
    except (OSError, ValueError, AttributeError):
        return None
    return remote if isinstance(remote, dict) else None


def _is_workspace_config(path):
    """Whether a plain ``config.json`` met on the way up is a workspace config (Glia's or
    Azure's keys), not some other program's settings, which the search passes by."""
    try:
        with open(path) as f:
            config = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and any(
        k in config for k in ("glia_workspace", "glia_server") + _AZURE_KEYS)


def _connected_to(folder, url, workspace):
    """True when ``folder`` is a connected folder of the workspace ``workspace`` at ``url``."""
    remote = _read_remote(folder)
    return (remote is not None and remote.get("url", "").rstrip("/") == url.rstrip("/")
            and remote.get("workspace") == workspace)


class Workspace(object):
    """A Glia workspace. ``Workspace(path)`` opens a folder holding ``.glia/``; see also
    ``from_config``, ``from_folder`` and ``from_server``."""

    def __init__(self, path=None, _token=None, _server_url=None, _name=None, **kwargs):
        if kwargs:
            # Azure's Workspace(subscription_id, resource_group, workspace_name, ...)
            raise NotImplementedError(
                "Workspace(%s): Glia workspaces are folders or servers; use Workspace(path), "
                "Workspace.from_config() or Workspace.from_server(url, token)"
                % ", ".join(sorted(kwargs)))
        if path is None:
            raise TypeError("Workspace(path): give the workspace folder, or use "
                            "Workspace.from_config()")
        root = os.path.abspath(os.fspath(path))
        if not os.path.isdir(os.path.join(root, ".glia")):
            raise NotFoundError("no Glia workspace at %s (no .glia folder there; make one with "
                                "`glia workspace init %s`)" % (root, root))
        self._root = root
        remote = _read_remote(root)
        if _server_url is None and remote is not None:
            _server_url = remote.get("url")
            _name = _name or remote.get("workspace")
        if remote is not None and _token is None:
            _token = os.environ.get("GLIA_TOKEN") or None
        self._server_url = _server_url.rstrip("/") if _server_url else None
        self._name = _name
        self._cli = Cli(root, token=_token)
        self._info = None

    # -- finding one -----------------------------------------------------------------------

    @classmethod
    def from_folder(cls, path):
        """The workspace in the folder ``path`` (local or connected)."""
        return cls(path)

    @classmethod
    def from_config(cls, path=None, auth=None, _file_name=None):
        """Finds the workspace as Azure's ``Workspace.from_config`` finds config.json:
        ``$GLIA_WORKSPACE`` (when no ``path`` is given); else, from ``path`` (a folder or a
        config file; default the current folder) upward, the first folder that holds ``.glia/``
        or a ``config.json`` in it, ``.azureml/`` or ``aml_config/`` (a plain ``config.json``
        without Glia's or Azure's keys is another program's and passed by). A config.json holds
        ``{"glia_workspace": DIR}`` (relative to the file's folder) or ``{"glia_server": URL,
        "workspace": NAME}`` (the token from ``$GLIA_TOKEN``)."""
        if auth is not None:
            raise NotImplementedError("Workspace.from_config(auth=...): Glia reads a server's "
                                      "token from $GLIA_TOKEN")
        if path is None:
            env = os.environ.get("GLIA_WORKSPACE")
            if env:
                return cls(env)
        start = os.path.abspath(os.fspath(path)) if path is not None else os.getcwd()
        if os.path.isfile(start):
            return cls._from_config_file(start)
        names = (_file_name,) if _file_name else _CONFIG_PLACES
        folder = start
        while True:
            if os.path.isdir(os.path.join(folder, ".glia")):
                return cls(folder)
            for name in names:
                candidate = os.path.join(folder, name)
                if os.path.isfile(candidate) and (name != "config.json"
                                                  or _is_workspace_config(candidate)):
                    return cls._from_config_file(candidate)
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
        raise NotFoundError("no Glia workspace found from %s upward: no folder with .glia/ or a "
                            "config.json (in ./, .azureml/ or aml_config/); make one with `glia "
                            "workspace init DIR`, set GLIA_WORKSPACE, or write config.json with "
                            "{\"glia_workspace\": DIR}" % start)

    @classmethod
    def _from_config_file(cls, file_path):
        try:
            with open(file_path) as f:
                config = json.load(f)
        except ValueError as e:
            raise InvalidArgumentError("%s is not valid JSON: %s" % (file_path, e)) from None
        except OSError as e:
            raise GliaError("cannot read %s: %s" % (file_path, e.strerror)) from None
        if not isinstance(config, dict):
            raise InvalidArgumentError("%s: expected a JSON object" % file_path)
        if "glia_workspace" in config:
            folder = config["glia_workspace"]
            if not isinstance(folder, str) or not folder:
                raise InvalidArgumentError("%s: glia_workspace must be a folder path" % file_path)
            return cls(os.path.join(os.path.dirname(file_path), os.path.expanduser(folder)))
        if "glia_server" in config:
            url = config["glia_server"]
            name = config.get("workspace", config.get("workspace_name"))
            if not isinstance(url, str) or not url:
                raise InvalidArgumentError("%s: glia_server must be the server's URL" % file_path)
            return cls.from_server(url, workspace=name)
        if any(k in config for k in _AZURE_KEYS):
            raise InvalidArgumentError(
                "%s is an Azure ML workspace config (subscription_id, resource_group, "
                "workspace_name); for Glia add \"glia_workspace\": \"DIR\" (a folder workspace) "
                "or \"glia_server\": \"URL\" with \"workspace\": \"NAME\"" % file_path)
        raise InvalidArgumentError("%s has neither \"glia_workspace\" nor \"glia_server\"" % file_path)

    @classmethod
    def from_server(cls, url, token=None, workspace=None):
        """The workspace ``workspace`` (None: the only one the token opens) of the Glia server at
        ``url``, as a connected folder kept under ``$XDG_CACHE_HOME/glia/connected/`` (0700).
        ``token`` defaults to ``$GLIA_TOKEN``; it is given to each command in its environment
        only."""
        token = token or os.environ.get("GLIA_TOKEN") or None
        if not token:
            raise UnauthenticatedError("Workspace.from_server(%r): no API token: pass token= or "
                                       "set GLIA_TOKEN (`glia token create` makes one)" % url)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidArgumentError("Workspace.from_server: %r is not an http(s) URL" % url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        home = _connected_home()
        os.makedirs(home, mode=0o700, exist_ok=True)
        prefix = "%s_%d_" % (_safe_part(parts.hostname), port)
        if workspace is not None:
            folder = os.path.join(home, prefix + _safe_part(workspace))
            if _connected_to(folder, url, workspace):
                return cls(folder, _token=token, _server_url=url, _name=workspace)
        # Connect into a fresh folder, then move it into place — unless a folder connected to
        # the same workspace is there already: it is kept (another Workspace, in this process
        # or another, may be using it: an interactive run's tracking file lives there).
        tmp = tempfile.mkdtemp(prefix=".connect-", dir=home)
        target = os.path.join(tmp, "ws")
        args = ["workspace", "connect", url, target]
        if workspace is not None:
            args += ["--name", workspace]
        try:
            Cli(None, token=token).run(args)
            remote = _read_remote(target) or {}
            name = remote.get("workspace") or workspace
            if not name:
                raise GliaError("glia workspace connect wrote no workspace name in %s" % target)
            folder = os.path.join(home, prefix + _safe_part(name))
            for _ in range(3):
                if _connected_to(folder, url, name):
                    break
                if os.path.lexists(folder):  # another server's, or broken: set it aside
                    os.rename(folder, os.path.join(tmp, "old"))
                try:
                    os.rename(target, folder)
                    break
                except OSError as e:  # another process put its folder there meanwhile
                    if e.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                        raise GliaError("cannot move the connected folder into %s: %s"
                                        % (folder, e.strerror)) from None
            else:
                raise UnavailableError("cannot settle the connected folder %s: other "
                                       "processes keep replacing it" % folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return cls(folder, _token=token, _server_url=url, _name=name)

    # -- properties ------------------------------------------------------------------------

    def _show(self):
        if self._info is None:
            self._info = self._cli.json(["workspace", "show"])
        return self._info

    @property
    def name(self):
        """The workspace's name (a server's workspace name, or the folder's)."""
        if self._name is None:
            self._name = self._show().get("name")
        return self._name

    @property
    def root(self):
        """The folder the CLI runs on (for a server: the connected folder)."""
        return self._root

    @property
    def server_url(self):
        """The server's URL, or None for a folder workspace."""
        return self._server_url

    @property
    def experiments(self):
        """{name: Experiment} of the workspace's experiments."""
        from .experiment import Experiment
        self._info = None
        return {n: Experiment(self, n) for n in self._show().get("experiments", [])}

    @property
    def datasets(self):
        """{name: the latest version of the dataset} (archived versions left out)."""
        from .dataset import FileDataset
        out = {}
        for rec in self._cli.json(["dataset", "list"]):
            if rec.get("archived"):
                continue
            cur = out.get(rec["name"])
            if cur is None or rec["version"] > cur["version"]:
                out[rec["name"]] = rec
        return {n: FileDataset._from_record(self, r) for n, r in out.items()}

    @property
    def environments(self):
        """{name: the latest version of the environment}."""
        from .environment import Environment
        out = {}
        for rec in self._cli.json(["environment", "list"]):
            if rec.get("archived"):
                continue
            cur = out.get(rec["name"])
            if cur is None or rec.get("version", 0) > cur.get("version", 0):
                out[rec["name"]] = rec
        return {n: Environment._from_record(r) for n, r in out.items()}

    @property
    def compute_targets(self):
        """{name: ComputeTarget}."""
        from .compute import ComputeTarget
        return {r["name"]: ComputeTarget._from_record(self, r)
                for r in self._cli.json(["compute", "list"])}

    @property
    def models(self):
        """{name: the latest version of the model}."""
        from .model import Model
        out = {}
        for rec in self._cli.json(["model", "list"]):
            cur = out.get(rec["name"])
            if cur is None or rec["version"] > cur["version"]:
                out[rec["name"]] = rec
        return {n: Model._from_record(self, r) for n, r in out.items()}

    def get_run(self, run_id):
        """The run ``run_id`` (NotFoundError when there is none)."""
        from .run import Run
        record = self._cli.json(["job", "show", run_id])
        return Run._handle(self, record["id"], record)

    def ui_url(self, run=None):
        """The server's web page of the workspace, or of ``run`` (a Run or a run id); None for
        a folder workspace."""
        if self._server_url is None:
            return None
        base = "%s/ui/w/%s" % (self._server_url, quote(self.name, safe=""))
        if run is None:
            return base + "/experiments"
        run_id = run if isinstance(run, str) else run.id
        return "%s/runs/%s" % (base, quote(run_id, safe=""))

    def get_details(self):
        """What ``glia workspace show -o json`` says."""
        self._info = None
        return dict(self._show())

    def write_config(self, path=None, file_name=None):
        """Writes ``config.json`` (in ``path``/.azureml/, default the current folder) that
        ``from_config`` finds this workspace with."""
        folder = os.path.join(os.path.abspath(path or "."), ".azureml")
        os.makedirs(folder, exist_ok=True)
        if self._server_url is not None:
            config = {"glia_server": self._server_url, "workspace": self.name}
        else:
            config = {"glia_workspace": self._root}
        target = os.path.join(folder, file_name or "config.json")
        fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(config, f, indent=2)
                f.write("\n")
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)  # concurrent writers each replace it whole
        except BaseException:
            os.unlink(tmp)
            raise
        return target

    def __eq__(self, other):
        return isinstance(other, Workspace) and other._root == self._root

    def __hash__(self):
        return hash(self._root)

    def __repr__(self):
        if self._server_url:
            return "Workspace(server=%r, name=%r)" % (self._server_url, self._name)
        return "Workspace(root=%r)" % (self._root,)
