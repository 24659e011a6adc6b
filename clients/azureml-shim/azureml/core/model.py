"""``azureml.core.model`` over Glia's SDK: ``Model`` (glia.Model: ``Model.register``,
``Model(ws, name, version)``, ``Model.list``, ``download``, and ``Model.get_model_path(name)``
inside an endpoint's scoring script) with Azure's ``Model.deploy``, and ``InferenceConfig``.

    inference_config = InferenceConfig(entry_script='score.py', environment=keras_env)
    aciconfig = AciWebservice.deploy_configuration(cpu_cores=1, memory_gb=1, auth_enabled=True)
    service = Model.deploy(workspace=ws, name='keras-mnist-svc', models=[model],
                           inference_config=inference_config, deployment_config=aciconfig)
    service.wait_for_deployment(True)

``Model.deploy`` is ``glia endpoint create`` (glia.webservice.deploy); without an
inference_config the engine serves the registered Keras model natively. Any other class Azure
has in this module imports and raises NotImplementedError naming it when used.
"""

try:
    import glia.model as _glia_model
    import glia.webservice as _glia_webservice
except ImportError as e:  # pragma: no cover - the agent always puts both folders on PYTHONPATH
    raise ImportError("Glia's azureml layer needs Glia's Python SDK (the glia package, "
                      "clients/python) on PYTHONPATH: %s" % e) from None

from ._unavailable import module_getattr, unavailable

__all__ = ["Model", "InferenceConfig", "ModelNotFoundError"]

ModelNotFoundError = _glia_model.ModelNotFoundError


class InferenceConfig(_glia_webservice.InferenceConfig):
    """How an endpoint scores: ``entry_script`` (``init()`` and ``run(raw_data)``) from
    ``source_directory`` (default: the current folder) in ``environment`` (an Environment,
    registered when the model is deployed if it is not yet). Azure's image-building settings
    raise NotImplementedError naming them: give an Environment instead."""

    def __init__(self, entry_script=None, runtime=None, conda_file=None,
                 extra_docker_file_steps=None, source_directory=None, enable_gpu=None,
                 description=None, base_image=None, base_image_registry=None, cuda_version=None,
                 environment=None):
        for flag, value in (("runtime", runtime), ("conda_file", conda_file),
                            ("extra_docker_file_steps", extra_docker_file_steps),
                            ("enable_gpu", enable_gpu), ("base_image", base_image),
                            ("base_image_registry", base_image_registry),
                            ("cuda_version", cuda_version)):
            if value is not None and value is not False:
                raise unavailable("azureml.core.model.InferenceConfig(%s=...)" % flag)
        if entry_script is None:
            raise ValueError("InferenceConfig: give entry_script (the scoring script); to serve "
                             "a registered Keras model natively, deploy without an "
                             "inference_config")
        _glia_webservice.InferenceConfig.__init__(
            self, entry_script, source_directory=source_directory or ".",
            environment=environment, description=description)


InferenceConfig.__module__ = "azureml.core.model"


class Model(_glia_model.Model):
    """A registered model version (glia.Model) with Azure's ``Model.deploy``."""

    @classmethod
    def _wrap(cls, model):
        """``model`` (a glia.Model) as this class."""
        if model is None or isinstance(model, cls):
            return model
        return cls._from_record(model.workspace, model._record)

    @staticmethod
    def register(workspace, model_path, model_name, tags=None, properties=None, description=None,
                 datasets=None, model_framework=None, model_framework_version=None,
                 child_paths=None, sample_input_dataset=None, sample_output_dataset=None,
                 resource_configuration=None, **kwargs):
        """Registers the local file or folder ``model_path`` as a new version of
        ``model_name``."""
        return Model._wrap(_glia_model.Model.register(
            workspace, model_path, model_name, tags=tags, properties=properties,
            description=description, datasets=datasets, model_framework=model_framework,
            model_framework_version=model_framework_version, child_paths=child_paths,
            sample_input_dataset=sample_input_dataset,
            sample_output_dataset=sample_output_dataset,
            resource_configuration=resource_configuration, **kwargs))

    @staticmethod
    def list(workspace, *args, **kwargs):
        """The registered model versions (newest first), as glia's Model.list filters them."""
        return [Model._wrap(m) for m in _glia_model.Model.list(workspace, *args, **kwargs)]

    @staticmethod
    def deploy(workspace, name, models, inference_config=None, deployment_config=None,
               deployment_target=None, overwrite=False, show_output=False):
        """Deploys one registered model as the endpoint ``name`` (``glia endpoint create``)
        and returns its AciWebservice; ``wait_for_deployment`` waits until it serves."""
        from .webservice import AciWebservice
        return _glia_webservice.deploy(workspace, name, models, inference_config=inference_config,
                                       deployment_config=deployment_config,
                                       deployment_target=deployment_target, overwrite=overwrite,
                                       show_output=show_output, _service_class=AciWebservice)


Model.__module__ = "azureml.core.model"

__getattr__ = module_getattr("model")
