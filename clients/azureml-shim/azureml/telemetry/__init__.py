"""``azureml.telemetry`` as Glia's azureml layer has it: Glia collects no diagnostics."""

import sys

__all__ = ["set_diagnostics_collection", "get_diagnostics_collection_info"]

_said = False


def set_diagnostics_collection(send_diagnostics=True, path=None, reset=False):
    """Glia sends no diagnostics anywhere: asking for them (``send_diagnostics=True``, the seed's
    cell) says so once on stderr; False asks for what Glia already does."""
    global _said
    if send_diagnostics and not _said:
        _said = True
        sys.stderr.write("azureml.telemetry: Glia collects and sends no diagnostics; "
                         "set_diagnostics_collection(send_diagnostics=True) has nothing to turn "
                         "on\n")


def get_diagnostics_collection_info(component_name=None, path=None):
    """Glia's answer: diagnostics are never collected."""
    return {"send_diagnostics": False, "reason": "Glia collects no diagnostics"}
