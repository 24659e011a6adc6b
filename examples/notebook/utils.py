"""Reading MNIST-layout IDX files (gzip-compressed), as the seed's utils.py does: used by
keras_mnist.py in the job and by the notebook to show and score test images."""

import gzip
import struct

import numpy as np


def load_data(filename, label=False):
    """The contents of an IDX .gz file: for images (label=False) an array of shape
    (count, rows * cols), for labels (label=True) an array of shape (count, 1); uint8 either way.
    The header is a 4-byte magic number followed by big-endian uint32 counts."""
    with gzip.open(filename) as gz:
        gz.read(4)  # magic number
        n_items = struct.unpack(">I", gz.read(4))[0]
        if label:
            data = np.frombuffer(gz.read(n_items), dtype=np.uint8)
            return data.reshape(n_items, 1)
        n_rows = struct.unpack(">I", gz.read(4))[0]
        n_cols = struct.unpack(">I", gz.read(4))[0]
        data = np.frombuffer(gz.read(n_items * n_rows * n_cols), dtype=np.uint8)
        return data.reshape(n_items, n_rows * n_cols)


def one_hot_encode(array, num_of_classes):
    """Rows of the identity matrix: class k becomes a vector with a 1 at index k."""
    return np.eye(num_of_classes)[array.reshape(-1)]

