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
import time


def parse_args(description, batch_size=50, epochs=3, extra=()):
    """The peers' flags; extra: (flag, argparse keywords) pairs of a peer's own."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data-folder", default="/usr/share/datasets/fashion-mnist",
                   help="searched recursively for the Fashion-MNIST IDX files")
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    for flag, kwargs in extra:
        p.add_argument(flag, **kwargs)
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


def load_fashion_mnist(folder, sample_shape=(784,)):
    """(x_train, y_train, x_test, y_test): float32 [N, *sample_shape] in [0, 1] (784 flat, or
    (28, 28, 1) images channels_last), int64 labels."""
    import numpy as np
    out = []
    for split in ("train", "t10k"):
        x = _read_idx(folder, f"{split}-images-idx3-ubyte")
        y = _read_idx(folder, f"{split}-labels-idx1-ubyte")
        out += [x.reshape(len(x), *sample_shape).astype(np.float32) / 255.0, y.astype(np.int64)]
    return tuple(out)


def keras_setup(threads, seed):
    """Keras 3 on TensorFlow with `threads` intra- and inter-op threads: (tf, keras).
    Call after set_thread_env, before anything imports TensorFlow."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    import keras
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    keras.utils.set_random_seed(seed)
    return tf, keras


def keras_epoch_timer():
    """A Keras callback timing each epoch's training: from epoch start to the start of
    validation (its .seconds); logs each epoch's metrics to stderr."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds, self._t0 = [], None

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_test_begin(self, logs=None):
            if self._t0 is not None:
                self.seconds.append(time.perf_counter() - self._t0)
                self._t0 = None

        def on_epoch_end(self, epoch, logs=None):
            log(f"epoch {epoch + 1}: {self.seconds[-1]:.3f}s "
                + " ".join(f"{k}={v:.4f}" for k, v in sorted(logs.items())))

    return EpochTimer()


def torch_setup(threads, seed):
    """torch with `threads` intra-op threads, denormals flushed, seeded. Call after
    set_thread_env, before anything imports torch."""
    import torch
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(seed)
    return torch


def torch_fit(model, loss_fn, optimizer, data, args, batch_transform=None):
    """The idiomatic eager loop: each epoch a shuffled permutation, batch slices (no DataLoader),
    zero_grad / forward / backward / step; then validation on the test set in chunks of 1,000
    (not timed). data: torch tensors (x_train, y_train, x_test, y_test). batch_transform, if
    given, is applied to each input batch (e.g. to channels_last). Returns (epoch_seconds,
    test_accuracy, test_loss) of the last epoch."""
    import torch
    x_train, y_train, x_test, y_test = data
    n = len(x_train)
    prep = batch_transform or (lambda x: x)
    epoch_seconds = []
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n)
        total_loss = 0.0
        for i in range(0, n, args.batch_size):
            idx = perm[i:i + args.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(prep(x_train[idx])), y_train[idx])
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(idx)
        epoch_seconds.append(time.perf_counter() - t0)

        model.eval()
        test_loss, correct = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(x_test), 1000):
                logits = model(prep(x_test[i:i + 1000]))
                y = y_test[i:i + 1000]
                test_loss += loss_fn(logits, y).item() * len(y)
                correct += (logits.argmax(1) == y).sum().item()
        test_loss /= len(x_test)
        test_accuracy = correct / len(x_test)
        log(f"epoch {epoch + 1}: {epoch_seconds[-1]:.3f}s loss={total_loss / n:.4f} "
            f"val_loss={test_loss:.4f} val_accuracy={test_accuracy:.4f}")
    return epoch_seconds, test_accuracy, test_loss


def report(peer, version, args, n_train, epoch_seconds, test_accuracy, test_loss,
           warmup_epochs=0, **extra):
    """One JSON line. The median leaves out the first `warmup_epochs` epochs (graph tracing,
    primitive creation) when more epochs than that ran."""
    steady = epoch_seconds[warmup_epochs:] or epoch_seconds
    median = statistics.median(steady)
    print(json.dumps({
        "peer": peer, "version": version, "batch_size": args.batch_size,
        "threads": args.threads, "epochs": args.epochs,
        "epoch_seconds": [round(s, 4) for s in epoch_seconds],
        "median_epoch_s": round(median, 4),
        "samples_per_s": round(n_train / median, 1),
        "test_accuracy": round(float(test_accuracy), 4),
        "test_loss": round(float(test_loss), 4),
        **extra,
    }), flush=True)
