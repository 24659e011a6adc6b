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
from common import (keras_epoch_timer, keras_setup, load_fashion_mnist, log, parse_args,
                    report, set_thread_env)

args = parse_args(__doc__.splitlines()[0])
set_thread_env(args.threads)
tf, keras = keras_setup(args.threads, args.seed)

x_train, y_train, x_test, y_test = load_fashion_mnist(args.data_folder)
y_train, y_test = (keras.utils.to_categorical(y, 10) for y in (y_train, y_test))

model = keras.Sequential([
    keras.Input(shape=(784,)),
    keras.layers.Dense(300, activation="relu"),
    keras.layers.Dense(100, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(
    optimizer=keras.optimizers.RMSprop(learning_rate=0.001, rho=0.9, epsilon=1e-7),
    loss="categorical_crossentropy", metrics=["accuracy"])

timer = keras_epoch_timer()
history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                    shuffle=True, validation_data=(x_test, y_test), verbose=0,
                    callbacks=[timer])
log(f"keras {keras.__version__}, tensorflow {tf.__version__}, jit_compile={model.jit_compile}")
report("keras-tf", f"keras-{keras.__version__}+tensorflow-{tf.__version__}", args,
       len(x_train), timer.seconds,
       history.history["val_accuracy"][-1], history.history["val_loss"][-1])
