"""Shared bits of the peer benchmarks: arguments, thread env, data, report.

Only the standard library is imported at module level, so that
set_thread_env() can run before numpy/torch/tensorflow load their BLAS and
OpenMP runtimes (which read the environment once, at load time).
"""
import argparse
import glob
import gzip
import json
import os
import statistics
import struct
import sys


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data-folder", default="/usr/share/datasets/fashion-mnist",
                   help="searched recursively for the Fashion-MNIST IDX files")
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


def set_thread_env(threads):
    """One pool of `threads` workers for OpenMP and BLAS; CPU autodetection."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    # A forced OpenBLAS core type / cache size would skew the benchmark.
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        os.environ.pop(var, None)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def _read_idx(folder, stem):
    paths = sorted(glob.glob(os.path.join(folder, "**", stem + "*"), recursive=True))
    if not paths:
        sys.exit(f"{stem}[.gz] not found under {folder}")
    opener = gzip.open if paths[0].endswith(".gz") else open
    with opener(paths[0], "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    import numpy as np
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_mnist(folder):
    """(x_train, y_train, x_test, y_test): float32 [N, 784] in [0, 1], int64 labels."""
    import numpy as np
    out = []
    for split in ("train", "t10k"):
        x = _read_idx(folder, f"{split}-images-idx3-ubyte")
        y = _read_idx(folder, f"{split}-labels-idx1-ubyte")
        out += [x.reshape(len(x), -1).astype(np.float32) / 255.0, y.astype(np.int64)]
    return tuple(out)


def report(peer, version, args, n_train, epoch_seconds, test_accuracy, test_loss):
    median = statistics.median(epoch_seconds)
    print(json.dumps({
        "peer": peer, "version": version, "batch_size": args.batch_size,
        "threads": args.threads, "epochs": args.epochs,
        "epoch_seconds": [round(s, 4) for s in epoch_seconds],
        "median_epoch_s": round(median, 4),
        "samples_per_s": round(n_train / median, 1),
        "test_accuracy": round(float(test_accuracy), 4),
        "test_loss": round(float(test_loss), 4),
    }), flush=True)
