"""Online endpoints from Python, as Azure ML SDK v1 deploys a model (``Model.deploy``).

    from glia.webservice import InferenceConfig, AciWebservice, Webservice, deploy
    aciconfig = AciWebservice.deploy_configuration(cpu_cores=1, memory_gb=1, auth_enabled=True)
    service = deploy(ws, 'keras-mnist-svc', [model], inference_config, aciconfig)
    service.wait_for_deployment(show_output=True)
    service.run(json.dumps({"data": rows}))        # POST to service.scoring_uri with a key
    primary, secondary = service.get_keys()
    service.delete()

Every operation is a ``glia endpoint ...`` command (docs/endpoints.md); ``Webservice.run`` posts
to the scoring URI with ``urllib`` and the endpoint's primary key as a bearer token. Without an
``InferenceConfig`` the engine serves the registered Keras model itself (``scoring: native``);
with one, the entry script's ``init()``/``run(raw_data)`` score it (``scoring: python``).

Standard library only.
"""

import json
import math
import sys
import time
import urllib.error
import urllib.request

from . import errors

__all__ = ["InferenceConfig", "AciWebservice", "DeploymentConfiguration", "Webservice", "deploy"]


def _unavailable(call, why):
    return NotImplementedError("%s is not available in Glia: %s" % (call, why))


class InferenceConfig(object):
    """How an endpoint scores: ``entry_script`` (with ``init()`` and ``run(raw_data)``) in
    ``source_directory``, run in ``environment`` (an Environment, or "NAME:VERSION" of a
    registered one; None: the machine's python3)."""

    def __init__(self, entry_script, source_directory=".", environment=None, description=None):
        if not isinstance(entry_script, str) or not entry_script:
            raise ValueError("InferenceConfig: entry_script must be the scoring script's path, "
                             "got %r" % (entry_script,))
        self.entry_script = entry_script
        self.source_directory = source_directory if source_directory is not None else "."
        self.environment = environment
        self.description = description


class DeploymentConfiguration(object):
    """What ``AciWebservice.deploy_configuration`` returns: the endpoint's settings."""

    def __init__(self, cpu_cores=None, memory_gb=None, auth_enabled=True, tags=None,
                 description=None):
        if cpu_cores is not None:
            if isinstance(cpu_cores, bool) or not isinstance(cpu_cores, (int, float)) or \
                    not cpu_cores > 0 or cpu_cores > 64:
                raise ValueError("deploy_configuration: cpu_cores must be a number in (0, 64], "
                                 "got %r" % (cpu_cores,))
        if memory_gb is not None:
            if isinstance(memory_gb, bool) or not isinstance(memory_gb, (int, float)) or \
                    not memory_gb > 0:
                raise ValueError("deploy_configuration: memory_gb must be a number > 0, got %r"
                                 % (memory_gb,))
        if tags is not None and not isinstance(tags, dict):
            raise TypeError("deploy_configuration: tags must be a dict, got %r" % (tags,))
        self.cpu_cores = cpu_cores
        self.memory_gb = memory_gb
        self.auth_enabled = True if auth_enabled is None else bool(auth_enabled)
        self.tags = dict(tags or {})
        self.description = description

    def _glia_args(self):
        """The ``glia endpoint create`` flags: cpu_cores is the number of engine instances or
        Python workers (each scores one request at a time on one core), rounded up; cpu_cores
        and memory_gb are recorded as the tags ``deploy.cpu_cores`` and ``deploy.memory_gb``
        (Glia does not cap an endpoint's memory)."""
        args = ["--auth", "key" if self.auth_enabled else "none"]
        tags = dict(self.tags)
        if self.cpu_cores is not None:
            args += ["--instances", str(max(1, int(math.ceil(self.cpu_cores))))]
            tags["deploy.cpu_cores"] = self.cpu_cores
        if self.memory_gb is not None:
            tags["deploy.memory_gb"] = self.memory_gb
        if self.description is not None:
            args += ["--description", str(self.description)]
        for k, v in tags.items():
            args += ["--tag", "%s=%s" % (k, "" if v is None else v)]
        return args


class AciWebservice(object):
    """Azure Container Instances in Azure; on Glia a local endpoint run by the agent."""

    @staticmethod
    def deploy_configuration(cpu_cores=None, memory_gb=None, tags=None, properties=None,
                             description=None, location=None, auth_enabled=True,
                             ssl_enabled=None, enable_app_insights=None, ssl_cert_pem_file=None,
                             ssl_key_pem_file=None, ssl_cname=None, dns_name_label=None,
                             primary_key=None, secondary_key=None, collect_model_data=None,
                             cmk_vault_base_url=None, cmk_key_name=None, cmk_key_version=None,
                             vnet_name=None, subnet_name=None):
        """The endpoint's settings. ``auth_enabled`` (default True in Glia): bearer keys.
        Settings of Azure's containers Glia has no counterpart for raise NotImplementedError
        naming them when given (False/None values that ask for nothing are accepted)."""
        asked = [("properties", properties, "endpoints have tags only"),
                 ("location", location, "an endpoint runs on the workspace's machine"),
                 ("ssl_enabled", ssl_enabled, "endpoints serve plain HTTP (put a TLS proxy "
                                               "in front)"),
                 ("enable_app_insights", enable_app_insights,
                  "see the endpoint's metrics and access log (glia endpoint logs --access)"),
                 ("ssl_cert_pem_file", ssl_cert_pem_file, "endpoints serve plain HTTP"),
                 ("ssl_key_pem_file", ssl_key_pem_file, "endpoints serve plain HTTP"),
                 ("ssl_cname", ssl_cname, "endpoints serve plain HTTP"),
                 ("dns_name_label", dns_name_label, "endpoints listen on the workspace's host"),
                 ("primary_key", primary_key, "Glia makes the keys (regen_key makes new ones)"),
                 ("secondary_key", secondary_key, "Glia makes the keys (regen_key makes new "
                                                  "ones)"),
                 ("collect_model_data", collect_model_data, "there is no data collection"),
                 ("cmk_vault_base_url", cmk_vault_base_url, "there is no key vault"),
                 ("cmk_key_name", cmk_key_name, "there is no key vault"),
                 ("cmk_key_version", cmk_key_version, "there is no key vault"),
                 ("vnet_name", vnet_name, "there are no virtual networks"),
                 ("subnet_name", subnet_name, "there are no virtual networks")]
        for name, value, why in asked:
            if value is not None and value is not False and value != {}:
                raise _unavailable("AciWebservice.deploy_configuration(%s=...)" % name, why)
        return DeploymentConfiguration(cpu_cores=cpu_cores, memory_gb=memory_gb,
                                       auth_enabled=auth_enabled, tags=tags,
                                       description=description)


def _model_ref(model):
    """'NAME:VERSION' of a registered model (a Model, or a 'NAME:VERSION' string)."""
    if isinstance(model, str):
        return model
    name, version = getattr(model, "name", None), getattr(model, "version", None)
    if not isinstance(name, str) or version is None:
        raise TypeError("models: expected registered Models, got %r" % (model,))
    return "%s:%s" % (name, version)


def _environment_ref(workspace, environment):
    """'NAME:VERSION' of ``environment`` (registered now when it is not yet)."""
    if environment is None:
        return None
    if isinstance(environment, str):
        return environment
    version = getattr(environment, "version", None)
    if version is None:
        environment = environment.register(workspace)
        version = environment.version
    return "%s:%s" % (environment.name, version)


def _inference_args(workspace, inference_config):
    if inference_config is None:
        return []
    args = ["--scoring-script", inference_config.entry_script,
            "--code", inference_config.source_directory]
    env = _environment_ref(workspace, inference_config.environment)
    if env is not None:
        args += ["--environment", env]
    return args


def deploy(workspace, name, models, inference_config=None, deployment_config=None,
           deployment_target=None, overwrite=False, show_output=False, _service_class=None):
    """Deploys one registered model as the endpoint ``name`` (``glia endpoint create``) and
    returns its Webservice at once (``wait_for_deployment`` waits until it serves). Without
    ``inference_config`` the engine serves the Keras model natively. ``overwrite``: an endpoint
    of that name is deleted first (otherwise ConflictError)."""
    if deployment_target is not None:
        raise _unavailable("Model.deploy(deployment_target=...)",
                           "endpoints run on the workspace's own agent (no AKS clusters)")
    if not isinstance(models, (list, tuple)):
        models = [models]
    if len(models) != 1:
        raise _unavailable("Model.deploy(models=[%d models])" % len(models),
                           "an endpoint serves one registered model (deploy one per endpoint)")
    if deployment_config is None:
        deployment_config = DeploymentConfiguration()
    if not isinstance(deployment_config, DeploymentConfiguration):
        raise TypeError("deployment_config: expected AciWebservice.deploy_configuration(...), "
                        "got %r" % (deployment_config,))
    args = ["endpoint", "create", "--name", name, "--model", _model_ref(models[0]), "--no-wait"]
    args += _inference_args(workspace, inference_config)
    if inference_config is not None and inference_config.description is not None and \
            deployment_config.description is None:
        args += ["--description", str(inference_config.description)]
    args += deployment_config._glia_args()
    if overwrite:
        try:
            workspace._cli.json(["endpoint", "delete", name])
        except errors.NotFoundError:
            pass
    record = workspace._cli.json(args)
    service = (_service_class or Webservice)._from_record(workspace, record)
    if show_output:
        service.wait_for_deployment(show_output=True)
    return service


_TRANSITIONAL = ("Creating", "Deleting", "Transitioning")


def _error_class(kind):
    for value in vars(errors).values():
        if isinstance(value, type) and issubclass(value, errors.GliaError) and \
                getattr(value, "kind", None) == kind:
            return value
    return errors.InternalError


class Webservice(object):
    """An online endpoint of a workspace: ``Webservice(workspace, name)`` (NotFoundError when
    there is none), or what ``Model.deploy`` returns."""

    def __init__(self, workspace, name):
        self._workspace = workspace
        self._record = workspace._cli.json(["endpoint", "show", name])
        self._keys = None

    @classmethod
    def _from_record(cls, workspace, record):
        self = object.__new__(cls)
        self._workspace = workspace
        self._record = record
        self._keys = None
        return self

    @classmethod
    def list(cls, workspace, compute_type=None, image_name=None, image_id=None, model_name=None,
             model_id=None, tags=None, properties=None, image_digest=None):
        """The workspace's endpoints, optionally those serving ``model_name`` (or ``model_id``,
        "NAME:VERSION") or having ``tags`` (a list of keys, or of [key, value] pairs)."""
        for flag, value in (("image_name", image_name), ("image_id", image_id),
                            ("image_digest", image_digest)):
            if value is not None:
                raise _unavailable("Webservice.list(%s=...)" % flag, "endpoints have no images")
        if properties is not None:
            raise _unavailable("Webservice.list(properties=...)", "endpoints have tags only")
        if compute_type is not None and str(compute_type).upper() not in ("ACI", "LOCAL"):
            return []
        out = []
        for record in workspace._cli.json(["endpoint", "list"]):
            if model_name is not None and record.get("model_name") != model_name:
                continue
            if model_id is not None and "%s:%s" % (record.get("model_name"),
                                                   record.get("model_version")) != model_id:
                continue
            if tags and not all(
                    (t in record.get("tags", {})) if isinstance(t, str)
                    else record.get("tags", {}).get(t[0]) == str(t[1]) for t in tags):
                continue
            out.append(cls._from_record(workspace, record))
        return out

    def __repr__(self):
        return "Webservice(workspace=%r, name=%r, state=%r, scoring_uri=%r)" % (
            getattr(self._workspace, "name", None), self.name, self._record.get("state"),
            self._record.get("scoring_uri"))

    # -- what it is ------------------------------------------------------------------------

    def _refresh(self):
        self._record = self._workspace._cli.json(["endpoint", "show", self.name])
        return self._record

    @property
    def workspace(self):
        return self._workspace

    @property
    def name(self):
        return self._record["name"]

    @property
    def state(self):
        """Creating, Healthy, Unhealthy, Failed or Deleting (read now)."""
        return self._refresh().get("state")

    @property
    def scoring_uri(self):
        """The URI ``run`` posts to (``http://HOST:PORT/score``); None until a port is known."""
        uri = self._record.get("scoring_uri")
        if not uri:
            uri = self._refresh().get("scoring_uri")
        return uri or None

    @property
    def swagger_uri(self):
        return None

    @property
    def auth_enabled(self):
        return self._record.get("auth_mode") == "key"

    @property
    def compute_type(self):
        return "ACI"

    @property
    def tags(self):
        return dict(self._record.get("tags") or {})

    @property
    def description(self):
        return self._record.get("description") or None

    @property
    def error(self):
        """Why the endpoint is not serving (its last reason), or None."""
        return self._record.get("reason") or None

    @property
    def models(self):
        return ["%s:%s" % (self._record.get("model_name"), self._record.get("model_version"))]

    def serialize(self):
        """The endpoint's record (``glia endpoint show -o json``)."""
        return dict(self._refresh())

    # -- waiting ---------------------------------------------------------------------------

    def wait_for_deployment(self, show_output=False, timeout_sec=None):
        """Waits until the endpoint serves (Healthy); raises UnavailableError naming its state
        and reason when it ends Unhealthy or Failed, or past ``timeout_sec``."""
        deadline = None if timeout_sec is None else time.monotonic() + timeout_sec
        last = None
        while True:
            record = self._refresh()
            state = record.get("state")
            if show_output and state != last:
                sys.stdout.write("%s: %s%s\n" % (self.name, state, (" (%s)" % record["reason"])
                                                 if record.get("reason") else ""))
                sys.stdout.flush()
            last = state
            if state == "Healthy":
                return
            if state not in _TRANSITIONAL:
                raise errors.UnavailableError(
                    "endpoint %r did not deploy: it is %s%s (see service.get_logs())"
                    % (self.name, state, (": " + record["reason"]) if record.get("reason")
                       else ""))
            if deadline is not None and time.monotonic() > deadline:
                raise errors.UnavailableError("endpoint %r is still %s after %s s"
                                              % (self.name, state, timeout_sec))
            time.sleep(0.1)

    # -- scoring ---------------------------------------------------------------------------

    def run(self, input_data):
        """POSTs ``input_data`` (a JSON str or bytes, or an object sent as JSON) to the scoring
        URI with the primary key; returns the answer's JSON. A non-2xx answer raises the
        GliaError of its kind with the endpoint's message."""
        if isinstance(input_data, str):
            body = input_data.encode("utf-8")
        elif isinstance(input_data, (bytes, bytearray)):
            body = bytes(input_data)
        else:
            body = json.dumps(input_data).encode("utf-8")
        uri = self.scoring_uri
        if not uri:
            raise errors.UnavailableError("endpoint %r has no scoring URI yet (it is %s)"
                                          % (self.name, self.state))
        headers = {"Content-Type": "application/json"}
        if self.auth_enabled:
            headers["Authorization"] = "Bearer " + self.get_keys()[0]
        request = urllib.request.Request(uri, data=body, headers=headers, method="POST")
        timeout = (self._record.get("limits") or {}).get("request_timeout_ms", 60000) / 1000.0
        try:
            with urllib.request.urlopen(request, timeout=timeout + 5) as response:
                text = response.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            raw = e.read().decode("utf-8", "replace")
            kind, message = None, raw.strip()
            try:
                err = json.loads(raw)["error"]
                kind, message = err.get("kind"), err.get("message", message)
            except (ValueError, KeyError, TypeError):
                pass
            cls = _error_class(kind) if kind else {
                400: errors.InvalidArgumentError, 401: errors.UnauthenticatedError,
                403: errors.PermissionDeniedError, 404: errors.NotFoundError,
                409: errors.ConflictError, 503: errors.UnavailableError,
                507: errors.NoSpaceError}.get(e.code, errors.InternalError)
            raise cls("endpoint %r answered %d: %s" % (self.name, e.code, message)) from None
        except urllib.error.URLError as e:
            raise errors.UnavailableError("endpoint %r at %s is not reachable: %s"
                                          % (self.name, uri, e.reason)) from None
        try:
            return json.loads(text)
        except ValueError:
            return text

    # -- keys and logs ---------------------------------------------------------------------

    def get_keys(self):
        """(primary key, secondary key)."""
        keys = self._workspace._cli.json(["endpoint", "keys", self.name])
        return keys["primaryKey"], keys["secondaryKey"]

    def regen_key(self, key, set_key=None):
        """Replaces the 'Primary' or 'Secondary' key; the other keeps working throughout."""
        if set_key is not None:
            raise _unavailable("Webservice.regen_key(set_key=...)", "Glia makes the keys")
        which = str(key).lower()
        if which not in ("primary", "secondary"):
            raise ValueError("regen_key: key must be 'Primary' or 'Secondary', got %r" % (key,))
        self._workspace._cli.json(["endpoint", "keys", self.name, "--regenerate", which])

    def get_logs(self, num_lines=5000, init=False):
        """The last ``num_lines`` lines of the endpoint's process log (model load, the
        scoring script's output), as one string."""
        if init:
            raise _unavailable("Webservice.get_logs(init=True)",
                               "there is no init container; the process log holds init()'s "
                               "output")
        if isinstance(num_lines, bool) or not isinstance(num_lines, int) or num_lines < 0:
            raise ValueError("get_logs: num_lines must be an integer >= 0, got %r" % (num_lines,))
        out = self._workspace._cli.json(["endpoint", "logs", self.name, "--tail",
                                         str(num_lines)])
        return "\n".join(out.get("lines") or []) + ("\n" if out.get("lines") else "")

    # -- changing --------------------------------------------------------------------------

    def update(self, models=None, inference_config=None, description=None, tags=None,
               auth_enabled=None, deployment_config=None, **unsupported):
        """Changes the endpoint without downtime (``glia endpoint update``): another model
        version, scoring script, description, tags (set, added to the others), auth."""
        for name, value in unsupported.items():
            if value is not None:
                raise _unavailable("Webservice.update(%s=...)" % name,
                                   "update takes models, inference_config, description, tags, "
                                   "auth_enabled and deployment_config")
        args = ["endpoint", "update", self.name]
        if models is not None:
            if not isinstance(models, (list, tuple)):
                models = [models]
            if len(models) != 1:
                raise _unavailable("Webservice.update(models=[%d models])" % len(models),
                                   "an endpoint serves one registered model")
            args += ["--model", _model_ref(models[0])]
        args += _inference_args(self._workspace, inference_config)
        if deployment_config is not None:
            args += deployment_config._glia_args()
        if description is not None:
            args += ["--description", str(description)]
        if auth_enabled is not None:
            auth = "key" if auth_enabled else "none"
            if "--auth" in args:  # the deployment_config's auth_enabled too
                given = args[args.index("--auth") + 1]
                if given != auth:
                    raise errors.InvalidArgumentError(
                        "Webservice.update: auth_enabled=%r and deployment_config's auth_enabled "
                        "disagree; give one" % (auth_enabled,))
            else:
                args += ["--auth", auth]
        for k, v in (tags or {}).items():
            args += ["--tag", "%s=%s" % (k, "" if v is None else v)]
        if len(args) == 3:
            raise ValueError("Webservice.update: nothing to change")
        self._record = self._workspace._cli.json(args)

    def delete(self):
        """Stops the endpoint's process and removes the endpoint (waits until it is gone)."""
        self._workspace._cli.json(["endpoint", "delete", self.name])
        self._record = dict(self._record, state="Deleted")
