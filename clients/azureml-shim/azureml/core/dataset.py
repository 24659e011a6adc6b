"""``azureml.core.dataset``: ``Dataset`` is Glia's (``Dataset.File.from_files``,
``.register``, ``Dataset.get_by_name``, ``.as_named_input(name).as_mount()``, ``.download``,
``.to_path``; glia.dataset). Any other class Azure has here imports and raises
NotImplementedError naming it when used."""

from glia.dataset import Dataset, FileDataset

from ._unavailable import module_getattr

__all__ = ["Dataset", "FileDataset"]

__getattr__ = module_getattr("dataset")
