"""The one part of azureml-core that the seed's score.py needs inside the Azure ML inference
server (bench/endpoints.sh puts this folder on the azureml peer's PYTHONPATH): the full
azureml-core package is a large install with pins of its own, and inside a deployment its
Model.get_model_path only resolves a path under AZUREML_MODEL_DIR, which is what this does."""
