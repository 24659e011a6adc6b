"""The pooling layers against real Keras: MaxPooling2D, AveragePooling2D, MaxPooling1D,
AveragePooling1D, GlobalMaxPooling2D, GlobalAveragePooling2D, GlobalMaxPooling1D and
GlobalAveragePooling1D, with every option Glia supports (pool_size as an int and as a tuple,
strides default and explicit, padding valid and same, keepdims).

Keras builds a model with the layers (Dense layers around them give the pools channels and make
the output a class vector), trains it two steps and saves `.keras`, the full `.h5` and the pair
(model.json + save_weights .h5). `glia predict` on each gives Keras' predictions; `glia train`
continues one epoch from the `.keras` and saves all three formats; Keras loads each of Glia's
files, finds the layer configs it started with, and predicts what `glia predict` predicts.
Refusal: channels_first makes `glia predict` exit with one line naming data_format.

The 2-D model takes (28, 28, 1) images: its training data is the synthetic MNIST rewritten as
IDX files of (N, 28, 28, 1) images, the shape Glia matches against the model's input.
"""

import gzip
import os
import shutil
import subprocess
import warnings

import common  # first: selects the JAX backend before Keras is imported
import keras
import numpy as np

L = keras.layers
KERAS_STEPS = 2
BATCH = 50


def pools_2d():
    inputs = keras.Input(shape=(28, 28, 1))
    h = L.Dense(6, activation="tanh")(inputs)  # (28, 28, 6)
    a = L.MaxPooling2D()(h)  # (14, 14, 6)
    b = L.MaxPooling2D(pool_size=(3, 2), strides=(2, 1), padding="same")(a)  # (7, 14, 6)
    c = L.AveragePooling2D(pool_size=3, strides=2, padding="same")(b)  # (4, 7, 6)
    d = L.AveragePooling2D(pool_size=(2, 2), strides=1, padding="valid")(c)  # (3, 6, 6)
    branches = [
        L.GlobalMaxPooling2D()(d),
        L.GlobalAveragePooling2D()(d),
        L.Flatten()(L.GlobalAveragePooling2D(keepdims=True)(c)),
        L.Flatten()(L.GlobalMaxPooling2D(keepdims=True)(b)),
        L.Flatten()(d),
    ]
    outputs = L.Dense(10, activation="softmax")(L.Concatenate()(branches))
    model = keras.Model(inputs, outputs, name="pools_2d")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def pools_1d():
    inputs = keras.Input(shape=(28, 28))  # 28 steps of 28 channels
    h = L.Dense(5, activation="tanh")(inputs)  # (28, 5)
    a = L.MaxPooling1D()(h)  # (14, 5)
    b = L.AveragePooling1D(pool_size=3, strides=2, padding="same")(a)  # (7, 5)
    c = L.MaxPooling1D(pool_size=2, strides=1, padding="same")(b)  # (7, 5)
    d = L.AveragePooling1D(pool_size=(2,), padding="valid")(c)  # (3, 5)
    branches = [
        L.GlobalMaxPooling1D()(c),
        L.GlobalAveragePooling1D()(b),
        L.Flatten()(L.GlobalAveragePooling1D(keepdims=True)(d)),
        L.Flatten()(L.GlobalMaxPooling1D(keepdims=True)(a)),
        L.Flatten()(d),
    ]
    outputs = L.Dense(10, activation="softmax")(L.Concatenate()(branches))
    model = keras.Model(inputs, outputs, name="pools_1d")
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.5),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def layer_configs(model):
    return [(type(layer).__name__, layer.get_config()) for layer in model.layers]


class PoolingLayers(common.KerasTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The same data with images of (28, 28, 1), for the 2-D model's input.
        cls.image_folder = os.path.join(cls.tmp, "data_hwc")
        os.makedirs(cls.image_folder)
        for split in ("train", "t10k"):
            src = os.path.join(cls.data.folder, f"{split}-images-idx3-ubyte.gz")
            images = common.read_idx(src)
            write_idx(os.path.join(cls.image_folder, f"{split}-images-idx3-ubyte.gz"),
                      images.reshape(*images.shape, 1))
            labels = f"{split}-labels-idx1-ubyte.gz"
            shutil.copy(os.path.join(cls.data.folder, labels),
                        os.path.join(cls.image_folder, labels))

    def shaped(self, model, x):
        return x.reshape((len(x),) + tuple(model.input_shape[1:]))

    def predict(self, model):
        out = model(self.shaped(model, self.data.x_test), training=False)
        return np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float64)

    def check_model(self, build, data_folder):
        original = build()
        name = original.name
        x = self.shaped(original, self.data.x_train[: KERAS_STEPS * BATCH])
        y = self.data.y_train[: KERAS_STEPS * BATCH]
        original.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        keras_files = common.save_all_formats(self, original, name)

        keras_probs = self.predict(original)
        common.check_glia_reads(self, keras_files, keras_probs, name)

        out, loaders = common.glia_output_files(os.path.dirname(self.path(name, "glia", "x")))
        args = ["train", "--model", keras_files["keras"], "--data-folder", data_folder,
                "--epochs", 1, "--no-shuffle", "--batch-size", BATCH, "--verbose", 0]
        for path in out.values():
            args += ["--save", path]
        self.assertIn("optimizer state restored", self.glia(*args))
        for fmt, load in loaders.items():
            with self.subTest(model=name, format=fmt, check="Keras reads Glia's file"):
                what = f"{name}: Glia's {fmt} ({out[fmt]})"
                loaded = common.load_quietly(self, load, f"Keras loading {what}")
                self.assertEqual(layer_configs(loaded), layer_configs(original),
                                 f"{what}: layer configs")
                probs, classes = self.glia_predict(out[fmt])
                loaded_probs = self.predict(loaded)
                self.assert_same_predictions(loaded_probs, probs, classes, f"{what} read by Keras")
                # Glia's epoch of training moved the weights.
                self.assertGreater(float(np.max(np.abs(loaded_probs - keras_probs))), 1e-3, what)

    def test_pools_2d(self):
        self.check_model(pools_2d, self.image_folder)

    def test_pools_1d(self):
        self.check_model(pools_1d, self.data.folder)

    def test_channels_first_is_refused(self):
        cases = [
            ("max2d", keras.Input(shape=(1, 28, 28)),
             lambda: L.MaxPooling2D(data_format="channels_first")),
            ("global_avg1d", keras.Input(shape=(28, 28)),
             lambda: L.GlobalAveragePooling1D(data_format="channels_first")),
        ]
        for name, inputs, layer in cases:
            with self.subTest(refusal=name):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = keras.Sequential([inputs, layer(), L.Flatten(),
                                              L.Dense(10, activation="softmax")])
                path = self.path("refuse", f"{name}.keras")
                model.save(path)
                proc = subprocess.run([common.GLIA, "predict", "--model", path, "--input",
                                       self.data.x_test_npy], capture_output=True, text=True)
                err = proc.stderr.strip()
                self.assertEqual(proc.returncode, 2, f"{name}: exit code\n{err}")
                self.assertEqual(len(err.splitlines()), 1, f"{name}: not one line:\n{err}")
                self.assertTrue(err.startswith("glia: error: "), err)
                self.assertIn("data_format", err)
                self.assertIn("channels_first", err)


if __name__ == "__main__":
    import unittest

    unittest.main()
