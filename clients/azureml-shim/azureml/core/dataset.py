"""``azureml.core.dataset``: ``Dataset`` is Glia's (``Dataset.File.from_files``,
``.register``, ``Dataset.get_by_name``, ``.as_named_input(name).as_mount()``, ``.download``,
``.to_path``; glia.dataset). Any other class Azure has here imports and raises
NotImplementedError naming it when used."""

import glia.dataset as _glia_dataset
from glia.dataset import FileDataset
from glia.errors import NotFoundError

from azureml.exceptions import UserErrorException, translate

from ._unavailable import module_getattr


class Dataset(_glia_dataset.Dataset):
    """glia's Dataset; ``get_by_name`` of a dataset that does not exist raises
    UserErrorException (also glia's NotFoundError), which the seed catches."""

    @staticmethod
    def get_by_name(workspace, name, version="latest"):
        try:
            return _glia_dataset.Dataset.get_by_name(workspace, name, version)
        except NotFoundError as e:
            raise translate(e, UserErrorException) from None


__all__ = ["Dataset", "FileDataset"]

__getattr__ = module_getattr("dataset")
