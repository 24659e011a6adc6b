#!/usr/bin/env python3
"""Keras 3 / TensorFlow peer: the seed's MLP on Fashion-MNIST.

Dense(300, relu) -> Dense(100, relu) -> Dense(10, softmax), categorical
cross-entropy on one-hot labels, RMSprop(lr=1e-3, rho=0.9, epsilon=1e-7;
Keras adds epsilon inside the sqrt), shuffled each epoch, validated on the
10k test set each epoch. Keras defaults otherwise: glorot_uniform weights,
zero biases, jit_compile="auto" (which Keras resolves to no XLA on a
CPU-only machine). Epoch time excludes validation. Prints one JSON line.

Run with bench/.venv/bin/python (made by bench/setup-peers.sh).
"""
import os
import time

from common import load_fashion_mnist, log, parse_args, report, set_thread_env

args = parse_args(__doc__.splitlines()[0])
set_thread_env(args.threads)
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(args.threads)
tf.config.threading.set_inter_op_parallelism_threads(args.threads)
keras.utils.set_random_seed(args.seed)

x_train, y_train, x_test, y_test = load_fashion_mnist(args.data_folder)
y_train, y_test = (keras.utils.to_categorical(y, 10) for y in (y_train, y_test))


class EpochTimer(keras.callbacks.Callback):
    """Training time of each epoch: from epoch start to the start of validation."""

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


model = keras.Sequential([
    keras.Input(shape=(784,)),
    keras.layers.Dense(300, activation="relu"),
    keras.layers.Dense(100, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(
    optimizer=keras.optimizers.RMSprop(learning_rate=0.001, rho=0.9, epsilon=1e-7),
    loss="categorical_crossentropy", metrics=["accuracy"])

timer = EpochTimer()
history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                    shuffle=True, validation_data=(x_test, y_test), verbose=0,
                    callbacks=[timer])
log(f"keras {keras.__version__}, tensorflow {tf.__version__}, jit_compile={model.jit_compile}")
report("keras-tf", f"keras-{keras.__version__}+tensorflow-{tf.__version__}", args,
       len(x_train), timer.seconds,
       history.history["val_accuracy"][-1], history.history["val_loss"][-1])
