"""``glia.ComputeTarget`` / ``glia.AmlCompute``: compute targets (``glia compute create/show``).

``AmlCompute.provisioning_configuration(vm_size=..., max_nodes=4)`` maps onto a local target
running ``max_nodes`` jobs at once; the size and the other settings are recorded in its
description."""

from .errors import InvalidArgumentError, NotFoundError

__all__ = ["ComputeTarget", "AmlCompute", "AmlComputeProvisioningConfiguration"]


class AmlComputeProvisioningConfiguration(object):
    """What ``AmlCompute.provisioning_configuration`` returns."""

    def __init__(self, vm_size="", vm_priority="dedicated", min_nodes=0, max_nodes=None,
                 idle_seconds_before_scaledown=None, description=None):
        if vm_priority not in ("dedicated", "lowpriority"):
            raise InvalidArgumentError("AmlCompute.provisioning_configuration: vm_priority must "
                                       "be 'dedicated' or 'lowpriority', got %r" % (vm_priority,))
        if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int)
                                      or max_nodes < 1):
            raise InvalidArgumentError("AmlCompute.provisioning_configuration: max_nodes must "
                                       "be a positive int, got %r" % (max_nodes,))
        if isinstance(min_nodes, bool) or not isinstance(min_nodes, int) or min_nodes < 0 or (
                max_nodes is not None and min_nodes > max_nodes):
            raise InvalidArgumentError("AmlCompute.provisioning_configuration: min_nodes must "
                                       "be an int between 0 and max_nodes, got %r" % (min_nodes,))
        self.vm_size = vm_size
        self.vm_priority = vm_priority
        self.min_nodes = min_nodes
        self.max_nodes = max_nodes
        self.idle_seconds_before_scaledown = idle_seconds_before_scaledown
        self.description = description

    def _description(self):
        parts = ["AmlCompute"]
        if self.vm_size:
            parts.append("vm_size=%s" % self.vm_size)
        parts.append("vm_priority=%s" % self.vm_priority)
        parts.append("min_nodes=%d" % self.min_nodes)
        if self.max_nodes is not None:
            parts.append("max_nodes=%d" % self.max_nodes)
        if self.idle_seconds_before_scaledown is not None:
            parts.append("idle_seconds_before_scaledown=%s" % self.idle_seconds_before_scaledown)
        text = " ".join(parts)
        return "%s (%s)" % (self.description, text) if self.description else text


class _Status(object):
    def __init__(self, record):
        self._record = record

    def serialize(self):
        r = self._record
        return {
            "provisioningState": "Succeeded",
            "currentNodeCount": r.get("running", 0),
            "targetNodeCount": r.get("max_concurrent"),
            "nodeStateCounts": {"runningNodeCount": r.get("running", 0),
                                "idleNodeCount": max(0, (r.get("max_concurrent") or 0)
                                                     - (r.get("running") or 0)),
                                "preparingNodeCount": 0, "leavingNodeCount": 0,
                                "preemptedNodeCount": 0, "unusableNodeCount": 0},
            "queuedJobs": r.get("queued", 0),
            "type": r.get("type"),
            "description": r.get("description"),
            "errors": None,
        }

    @property
    def provisioning_state(self):
        return "Succeeded"

    def __repr__(self):
        return "ComputeTargetStatus(%r)" % (self.serialize(),)


class ComputeTarget(object):
    """The compute target ``name`` of ``workspace``; NotFoundError (Azure's
    ComputeTargetException) when there is none."""

    def __init__(self, workspace, name):
        record = workspace._cli.json(["compute", "show", name])
        self._init(workspace, record)

    def _init(self, workspace, record):
        self.workspace = workspace
        self._record = record
        self.name = record["name"]

    @classmethod
    def _from_record(cls, workspace, record):
        target = cls.__new__(cls)
        target._init(workspace, record)
        return target

    @property
    def type(self):
        return self._record.get("type")

    @property
    def max_nodes(self):
        return self._record.get("max_concurrent")

    @property
    def description(self):
        return self._record.get("description")

    @property
    def provisioning_state(self):
        return "Succeeded"

    @staticmethod
    def create(workspace, name, provisioning_configuration):
        """Creates the target (``glia compute create --type local``) and returns it."""
        config = provisioning_configuration
        if not isinstance(config, AmlComputeProvisioningConfiguration):
            raise NotImplementedError("ComputeTarget.create with %s: Glia makes local targets "
                                      "from AmlCompute.provisioning_configuration(...)"
                                      % type(config).__name__)
        args = ["compute", "create", "--name", name, "--type", "local",
                "--description", config._description()]
        if config.max_nodes is not None:
            args += ["--max-concurrent", str(config.max_nodes)]
        workspace._cli.run(args)  # (`compute create` has no -o json)
        record = workspace._cli.json(["compute", "show", name])
        return AmlCompute._from_record(workspace, record)

    def wait_for_completion(self, show_output=False, min_node_count=None,
                            timeout_in_minutes=20, is_delete_operation=False):
        """A local target is ready once created: returns at once (prints its state with
        ``show_output``)."""
        self._record = self.workspace._cli.json(["compute", "show", self.name])
        if show_output:
            print("SucceededProvisioning operation finished, operation \"Succeeded\"")
        return None

    def refresh_state(self):
        self._record = self.workspace._cli.json(["compute", "show", self.name])

    def get_status(self):
        self.refresh_state()
        return _Status(self._record)

    def delete(self):
        raise NotImplementedError("ComputeTarget.delete: Glia keeps compute targets; "
                                  "`glia compute update` changes one")

    @staticmethod
    def list(workspace):
        return list(workspace.compute_targets.values())

    def __repr__(self):
        return "%s(name=%r, type=%r)" % (type(self).__name__, self.name, self.type)


class AmlCompute(ComputeTarget):
    """Azure's managed cluster, in Glia a local target."""

    @staticmethod
    def provisioning_configuration(vm_size="", vm_priority="dedicated", min_nodes=0,
                                   max_nodes=None, idle_seconds_before_scaledown=None,
                                   admin_username=None, admin_user_password=None,
                                   admin_user_ssh_key=None, vnet_resourcegroup_name=None,
                                   vnet_name=None, subnet_name=None, tags=None, description=None,
                                   remote_login_port_public_access="NotSpecified",
                                   identity_type=None, identity_id=None, location=None,
                                   enable_node_public_ip=True):
        unsupported = [n for n, v in (
            ("admin_username", admin_username), ("admin_user_password", admin_user_password),
            ("admin_user_ssh_key", admin_user_ssh_key),
            ("vnet_resourcegroup_name", vnet_resourcegroup_name), ("vnet_name", vnet_name),
            ("subnet_name", subnet_name), ("tags", tags), ("identity_type", identity_type),
            ("identity_id", identity_id), ("location", location)) if v]
        if remote_login_port_public_access != "NotSpecified":
            unsupported.append("remote_login_port_public_access")
        if enable_node_public_ip is not True:
            unsupported.append("enable_node_public_ip")
        if unsupported:
            raise NotImplementedError("AmlCompute.provisioning_configuration(%s=...) is not "
                                      "supported by Glia (a local target)" % unsupported[0])
        return AmlComputeProvisioningConfiguration(vm_size, vm_priority, min_nodes, max_nodes,
                                                   idle_seconds_before_scaledown, description)
