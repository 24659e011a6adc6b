"""``azureml.contrib.services`` of Glia's azureml shim, for scoring scripts run by a Glia
endpoint (docs/endpoints.md, "Scoring with a Python script"): ``aml_response.AMLResponse``, which
run() returns to choose its status, body and headers, and ``aml_request.rawhttp``, which Glia
refuses with a clear message."""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
