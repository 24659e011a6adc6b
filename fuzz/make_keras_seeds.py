"""Writes the small real-Keras seed files in fuzz/corpus/keras (run once; the files are committed).

    KERAS_BACKEND=jax .venv-keras/bin/python fuzz/make_keras_seeds.py fuzz/corpus/keras
"""
import os, sys
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import keras
out = sys.argv[1]
keras.utils.set_random_seed(1)
x = np.random.RandomState(0).rand(8, 4).astype("float32")
y = keras.utils.to_categorical(np.arange(8) % 2, 2)

m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                      keras.layers.Dropout(0.5), keras.layers.Dense(2, activation="softmax")],
                     name="mlp")
m.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
m.fit(x, y, epochs=1, batch_size=4, verbose=0)
m.save(f"{out}/mlp_adam.keras")
m.save(f"{out}/mlp_adam_legacy.h5")
m.save_weights(f"{out}/mlp_adam.weights.h5")
open(f"{out}/mlp_adam.json", "w").write(m.to_json())

i = keras.Input((4,), name="input_layer")
a = keras.layers.Dense(3, activation="tanh", name="a")(i)
b = keras.layers.Dense(3, name="b")(i)
s = keras.layers.Add(name="add")([a, b])
c = keras.layers.Concatenate(name="concatenate")([s, a])
o = keras.layers.Dense(2, activation="softmax", name="out")(c)
f = keras.Model(i, o, name="branchy")
f.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="categorical_crossentropy")
f.fit(x, y, epochs=1, batch_size=4, verbose=0)
f.save(f"{out}/branchy_sgd.keras")
open(f"{out}/branchy_sgd.json", "w").write(f.to_json())

g = keras.Sequential([keras.Input((2, 2)), keras.layers.Flatten(),
                      keras.layers.Dense(2, activation="sigmoid", kernel_regularizer="l2")], name="flat")
g.compile(optimizer=keras.optimizers.RMSprop(learning_rate=keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.9)),
          loss="binary_crossentropy")
g.fit(np.random.rand(4, 2, 2).astype("float32"), np.ones((4, 2), "float32"), epochs=1, verbose=0)
g.save(f"{out}/flat_rmsprop.keras")
g2 = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="plain")
g2.save(f"{out}/plain_uncompiled.keras")
