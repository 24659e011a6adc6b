"""Model.get_model_path as it behaves inside an Azure ML deployment: the registered model's
folder under $AZUREML_MODEL_DIR, laid out <name>/<version>/<registered folder> (the newest
version when none is given). Anything else is an error naming what was looked for."""
import os


class Model:
    @staticmethod
    def get_model_path(model_name, version=None, _workspace=None):
        root = os.environ.get("AZUREML_MODEL_DIR")
        if not root:
            raise RuntimeError("Model.get_model_path: AZUREML_MODEL_DIR is not set")
        base = os.path.join(root, model_name)
        if not os.path.isdir(base):
            raise RuntimeError(f"Model.get_model_path: no model {model_name!r} under {root}")
        if version is None:
            versions = [int(v) for v in os.listdir(base) if v.isdigit()]
            if not versions:
                raise RuntimeError(f"Model.get_model_path: no version of {model_name!r} in {base}")
            version = max(versions)
        folder = os.path.join(base, str(version))
        entries = os.listdir(folder)
        if len(entries) == 1:
            return os.path.join(folder, entries[0])
        return folder
