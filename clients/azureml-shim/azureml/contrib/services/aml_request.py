"""``azureml.contrib.services.aml_request`` in Glia: ``@rawhttp`` (run() given the Flask request)
is not supported by Glia endpoints, whose run(raw_data) gets the request body as a str; a script
using it fails to start with a message saying so, never silently."""

__all__ = ["rawhttp", "AMLRequest"]


def rawhttp(func):
    """Marks run() so that the endpoint refuses the script when it starts (see the module)."""
    func._glia_rawhttp = True
    return func


class AMLRequest:
    def __init__(self, *args, **kwargs):
        raise NotImplementedError("azureml.contrib.services.aml_request.AMLRequest is not "
                                  "available in a Glia endpoint: run(raw_data) gets the request "
                                  "body as a str")
