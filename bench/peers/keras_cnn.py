#!/usr/bin/env python3
"""Keras 3 / TensorFlow peer: the Fashion-MNIST CNN of examples/keras-cnn.

Input(28, 28, 1) -> Conv2D(32, 3, use_bias=False) -> BatchNormalization -> ReLU ->
MaxPooling2D(2) -> Conv2D(64, 3, use_bias=False) -> BatchNormalization -> ReLU ->
MaxPooling2D(2) -> Flatten -> Dense(128, relu) -> Dropout(0.3) -> Dense(10, softmax),
channels_last, "valid" padding; categorical cross-entropy on one-hot labels, Adam(1e-3).
Shuffled each epoch, validated on the 10k test set each epoch (not timed). Keras defaults
otherwise: glorot_uniform kernels, jit_compile="auto" (no XLA on a CPU-only machine).
TensorFlow's intra- and inter-op pools pinned to --threads. Prints one JSON line; the median
epoch time leaves out the first epoch (graph tracing). --freeze-base: the Conv2D and
BatchNormalization layers frozen (trainable = False), as when fine-tuning a new head.

Run with bench/.venv/bin/python (made by bench/setup-peers.sh).
"""
from common import (keras_epoch_timer, keras_setup, load_fashion_mnist, log, parse_args,
                    report, set_thread_env)

args = parse_args(__doc__.splitlines()[0], batch_size=64, epochs=5,
                  extra=[("--freeze-base", dict(action="store_true"))])
set_thread_env(args.threads)
tf, keras = keras_setup(args.threads, args.seed)

x_train, y_train, x_test, y_test = load_fashion_mnist(args.data_folder, (28, 28, 1))
y_train, y_test = (keras.utils.to_categorical(y, 10) for y in (y_train, y_test))

L = keras.layers
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    L.Conv2D(32, 3, use_bias=False), L.BatchNormalization(), L.ReLU(), L.MaxPooling2D(2),
    L.Conv2D(64, 3, use_bias=False), L.BatchNormalization(), L.ReLU(), L.MaxPooling2D(2),
    L.Flatten(),
    L.Dense(128, activation="relu"),
    L.Dropout(0.3),
    L.Dense(10, activation="softmax"),
])
if args.freeze_base:
    for layer in model.layers:
        if isinstance(layer, (L.Conv2D, L.BatchNormalization)):
            layer.trainable = False
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
              loss="categorical_crossentropy", metrics=["accuracy"])

timer = keras_epoch_timer()
history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                    shuffle=True, validation_data=(x_test, y_test), verbose=0,
                    callbacks=[timer])
log(f"keras {keras.__version__}, tensorflow {tf.__version__}, jit_compile={model.jit_compile}, "
    f"oneDNN={tf.sysconfig.get_build_info().get('is_mkl_build', '?')}")
report("keras-tf", f"keras-{keras.__version__}+tensorflow-{tf.__version__}", args,
       len(x_train), timer.seconds,
       history.history["val_accuracy"][-1], history.history["val_loss"][-1],
       warmup_epochs=1, model="cnn", frozen_base=args.freeze_base, val_accuracy=[round(a, 4) for a in history.history["val_accuracy"]])
