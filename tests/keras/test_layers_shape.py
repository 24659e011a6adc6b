"""Reshape, Rescaling and ZeroPadding2D (issue 16) against real Keras, on image-shaped inputs.

Keras builds small models with every option of the three layers ((28, 28, 1) and (28, 28)
inputs, padding as an int, (h, w) and ((t, b), (l, r)), a -1 in target_shape, scale with and
without offset), trains two steps and saves `.keras`, the full `.h5` and the pair (model.json +
weights .h5). `glia predict` on each gives Keras' predictions (the flat 784-value rows of the test
images are shaped as the model's input); `glia train` continues one epoch from the `.keras` on the
MNIST-layout files (28x28 images fed to the model's input shape) and saves all three formats,
which Keras loads with the same layer configs and predicts as Glia does. Refusals: a per-channel
Rescaling scale and channels_first padding are refused with one line naming the option.
"""

import subprocess
import unittest
import warnings

import common  # first: selects the JAX backend before Keras is imported
import keras
import numpy as np
from test_coverage import optimizer_state

L = keras.layers
BATCH = 50
KERAS_STEPS = 2


def padded_image_model():
    """Input (28, 28, 1) -> Rescaling with offset -> ZeroPadding2D ((t, b), (l, r)) -> Reshape
    with -1 -> Flatten -> Dense softmax."""
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            L.Rescaling(2.0, offset=-0.5),
            L.ZeroPadding2D(((1, 2), (0, 3))),
            L.Reshape((-1, 31)),
            L.Flatten(),
            L.Dense(10, activation="softmax"),
        ],
        name="padded_image",
    )
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def matrix_input_model():
    """Functional, Input (28, 28) -> Reshape to (28, 28, 1) -> ZeroPadding2D(2) ->
    ZeroPadding2D((1, 0)) -> Rescaling without offset -> Reshape (flat) -> Dense -> softmax."""
    inputs = keras.Input(shape=(28, 28), name="pixels")
    x = L.Reshape((28, 28, 1))(inputs)
    x = L.ZeroPadding2D(2)(x)
    x = L.ZeroPadding2D((1, 0))(x)
    x = L.Rescaling(1.0 / 127.5)(x)
    x = L.Reshape((34 * 32,))(x)
    x = L.Dense(16, activation="relu")(x)
    outputs = L.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="matrix_input")
    model.compile(optimizer=keras.optimizers.RMSprop(0.003),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def refusals():
    """(name, model, the words the one-line message must hold)."""
    def tiny(layer, shape=(28, 28, 1)):
        return keras.Sequential([keras.Input(shape=shape), layer, L.Flatten(),
                                 L.Dense(10, activation="softmax")])
    return [
        ("per_channel_scale", tiny(L.Rescaling([0.5])), "scale: only a number is supported"),
        ("channels_first", tiny(L.ZeroPadding2D(1, data_format="channels_first")),
         "data_format: only channels_last is supported"),
    ]


class ShapeLayers(common.KerasTestCase):
    def images(self, model, x):
        return x.reshape((len(x),) + tuple(model.input_shape[1:]))

    def predict(self, model):
        with warnings.catch_warnings():  # a functional model's named input, given positionally
            warnings.simplefilter("ignore", UserWarning)
            out = model(self.images(model, self.data.x_test), training=False)
        return np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float64)

    def check_model(self, build):
        original = build()
        name = original.name
        n = KERAS_STEPS * BATCH
        original.fit(self.images(original, self.data.x_train[:n]), self.data.y_train[:n],
                     batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        files = self.save_keras_files(original, name)
        self.assert_glia_reads(files, self.predict(original), name)

        out, loaders = self.glia_outputs(name)
        args = ["train", "--model", files["keras"], "--data-folder", self.data.folder,
                "--epochs", 1, "--no-shuffle", "--batch-size", BATCH, "--verbose", 0]
        for path in out.values():
            args += ["--save", path]
        self.assertIn("optimizer state restored", self.glia(*args))
        for fmt, load in loaders.items():
            with self.subTest(model=name, format=fmt, check="Keras reads Glia's file"):
                what = f"{name}: Glia's {fmt} ({out[fmt]})"
                loaded = self.keras_loads(load, what, original)
                if fmt != "json+h5":
                    self.assertEqual(optimizer_state(loaded), optimizer_state(original), what)
                probs, classes = self.glia_predict(out[fmt])
                self.assert_same_predictions(self.predict(loaded), probs, classes,
                                             f"{what} read by Keras")

    def test_padded_image_model(self):
        self.check_model(padded_image_model)

    def test_matrix_input_model(self):
        self.check_model(matrix_input_model)

    def test_refusals(self):
        for name, model, words in refusals():
            with self.subTest(refusal=name):
                path = self.path("refuse", f"{name}.keras")
                model.save(path)
                proc = subprocess.run([common.GLIA, "predict", "--model", path, "--input",
                                       self.data.x_test_npy], capture_output=True, text=True)
                err = proc.stderr.strip()
                self.assertEqual(proc.returncode, 2, f"{name}: exit code\n{err}")
                self.assertEqual(len(err.splitlines()), 1, f"{name}: not one line:\n{err}")
                self.assertTrue(err.startswith("glia: error: "), f"{name}: {err}")
                self.assertIn(words, err, f"{name}: {err}")


if __name__ == "__main__":
    unittest.main()
