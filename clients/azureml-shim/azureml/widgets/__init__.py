"""Glia's ``azureml.widgets``: ``RunDetails(run).show()`` as the seed's notebook calls it, the
same class as ``glia.widgets.RunDetails`` (a live view of the run in Jupyter, a status line in a
terminal; docs/python-sdk.md, "RunDetails")."""

from glia.widgets import RunDetails

__all__ = ["RunDetails"]
