"""Conv2D and Conv1D against real Keras 3, both ways, in all three formats.

Keras builds two small models that together use every option Glia supports (padding valid, same
and causal, strides, dilation_rate, activation, use_bias, initializers, regularizers including
an activity regularizer, constraints), trains two steps and saves `.keras`, the full `.h5` and
the pair (model.json + save_weights .h5). Glia predicts what Keras predicts from each file; Glia
trains one epoch from the `.keras` and saves all three formats; Keras loads each of Glia's files
with the same layer configs and predicts what Glia predicts from them. The data are small
synthetic images (N, H, W, C) and sequences (N, steps, channels) written as IDX files, which
`glia train` reads in the model's input shape. Last, options Glia lacks (groups > 1,
channels_first) are refused by `glia predict` with one line naming them.
"""

import gzip
import os
import subprocess
import sys

import common  # first: selects the JAX backend before Keras is imported
import keras
import numpy as np

L = keras.layers
I = keras.initializers
R = keras.regularizers
C = keras.constraints

TRAIN, TEST, BATCH, KERAS_STEPS = 200, 100, 20, 2


def write_idx(path, array):
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def conv2d_model():
    """Input (10, 9, 3): same + strides, valid + dilation, causal-free 2-D options."""
    model = keras.Sequential(
        [
            keras.Input(shape=(10, 9, 3)),
            L.Conv2D(6, 3, strides=2, padding="same", activation="relu",
                     kernel_initializer=I.HeNormal(), bias_initializer=I.RandomNormal(0.0, 0.1),
                     kernel_regularizer=R.L2(1e-3), bias_regularizer=R.L1(1e-4)),
            L.Conv2D(5, (2, 3), dilation_rate=(2, 1), padding="valid", activation="tanh",
                     use_bias=False, activity_regularizer=R.L2(1e-4),
                     kernel_constraint=C.NonNeg()),
            L.Conv2D(4, (1, 2), strides=(1, 2), padding="same", activation="gelu",
                     bias_constraint=C.NonNeg()),
            L.Flatten(),
            L.Dense(10, activation="softmax"),
        ],
        name="conv2d_model",
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def conv1d_model():
    """Input (16, 3): causal + dilation, same + strides, valid without a bias."""
    model = keras.Sequential(
        [
            keras.Input(shape=(16, 3)),
            L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="elu",
                     kernel_initializer=I.LecunUniform()),
            L.Conv1D(5, 4, strides=2, padding="same", activation="relu",
                     kernel_regularizer=R.L1L2(l1=1e-5, l2=1e-4)),
            L.Conv1D(3, 2, padding="valid", use_bias=False),
            L.Flatten(),
            L.Dense(10, activation="softmax"),
        ],
        name="conv1d_model",
    )
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def layer_configs(model):
    return [(type(layer).__name__, layer.get_config()) for layer in model.layers]


class ConvLayers(common.KerasTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sets = {}

    def data_for(self, shape):
        """A data folder of IDX files shaped (N, *shape) and the scaled arrays Keras uses."""
        key = tuple(shape)
        if key not in self.sets:
            rng = np.random.default_rng(len(self.sets) + 7)
            folder = self.path(f"data_{'x'.join(map(str, shape))}", "x")
            folder = os.path.dirname(folder)
            images = rng.integers(0, 256, size=(TRAIN + TEST, *shape), dtype=np.uint8)
            labels = rng.integers(0, 10, size=TRAIN + TEST, dtype=np.uint8)
            write_idx(os.path.join(folder, "train-images-idx3-ubyte.gz"), images[:TRAIN])
            write_idx(os.path.join(folder, "train-labels-idx1-ubyte.gz"), labels[:TRAIN])
            write_idx(os.path.join(folder, "t10k-images-idx3-ubyte.gz"), images[TRAIN:])
            write_idx(os.path.join(folder, "t10k-labels-idx1-ubyte.gz"), labels[TRAIN:])
            x = images.astype(np.float32) * np.float32(1.0 / 255.0)
            npy = os.path.join(folder, "x_test.npy")
            np.save(npy, x[TRAIN:])
            self.sets[key] = (folder, x[:TRAIN], np.eye(10, dtype=np.float32)[labels[:TRAIN]],
                              x[TRAIN:], npy)
        return self.sets[key]

    def glia_probs(self, model_path, npy):
        import json

        out = json.loads(self.glia("predict", "--model", model_path, "--input", npy,
                                   "--batch-size", 50))
        probs = np.asarray(out["probabilities"], dtype=np.float64)
        self.assertEqual(probs.shape, (TEST, 10), f"glia predict {model_path}")
        return probs, np.asarray(out["classes"], dtype=np.int64)

    def keras_probs(self, model, x):
        return np.asarray(keras.ops.convert_to_numpy(model(x, training=False)), dtype=np.float64)

    def round_trip(self, build):
        original = build()
        name = original.name
        folder, x_train, y_train, x_test, npy = self.data_for(original.input_shape[1:])
        original.fit(x_train[: KERAS_STEPS * BATCH], y_train[: KERAS_STEPS * BATCH],
                     batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        files = {"keras": self.path(name, "keras", "model.keras"),
                 "h5": self.path(name, "keras", "full.h5")}
        original.save(files["keras"])
        original.save(files["h5"])
        files["json+h5"] = common.save_legacy_pair(original, self.path(name, "keras", "pair"))

        want = self.keras_probs(original, x_test)
        for fmt, path in files.items():
            with self.subTest(model=name, format=fmt, check="Glia reads Keras' file"):
                probs, classes = self.glia_probs(path, npy)
                self.assert_same_predictions(want, probs, classes, f"{name}: Keras' {fmt}")

        out_dir = os.path.dirname(self.path(name, "glia", "out.keras"))
        saves = [os.path.join(out_dir, "out.keras"), os.path.join(out_dir, "out.h5"),
                 os.path.join(out_dir, "pair", "out.json")]
        args = ["train", "--model", files["keras"], "--data-folder", folder, "--epochs", 1,
                "--no-shuffle", "--batch-size", BATCH, "--verbose", 0]
        for s in saves:
            args += ["--save", s]
        self.assertIn("optimizer state restored", self.glia(*args))
        loaders = {
            "keras": lambda: keras.models.load_model(saves[0]),
            "h5": lambda: keras.models.load_model(saves[1]),
            "json+h5": lambda: common.load_legacy_pair(
                saves[2], os.path.join(out_dir, "pair", "out.h5")),
        }
        for (fmt, load), path in zip(loaders.items(), saves):
            with self.subTest(model=name, format=fmt, check="Keras reads Glia's file"):
                loaded = common.load_quietly(self, load, f"Keras loading Glia's {fmt}")
                self.assertEqual(layer_configs(loaded), layer_configs(original),
                                 f"{name}: Glia's {fmt}: layer configs")
                probs, classes = self.glia_probs(path, npy)
                self.assert_same_predictions(self.keras_probs(loaded, x_test), probs, classes,
                                             f"{name}: Glia's {fmt} read by Keras")
                # Glia's training changed the weights (the file is not Keras' own again).
                self.assertGreater(float(np.max(np.abs(probs - want))), 1e-4, f"{name}: {fmt}")

    def test_conv2d(self):
        self.round_trip(conv2d_model)

    def test_conv1d(self):
        self.round_trip(conv1d_model)

    def test_refusals(self):
        cases = [
            ("groups", keras.Sequential([keras.Input(shape=(6, 6, 4)), L.Conv2D(2, 3, groups=2),
                                         L.Flatten(), L.Dense(10)]), "groups"),
            ("groups_1d", keras.Sequential([keras.Input(shape=(12, 4)), L.Conv1D(4, 3, groups=2),
                                            L.Flatten(), L.Dense(10)]), "groups"),
            ("channels_first", keras.Sequential([keras.Input(shape=(3, 8, 8)),
                                                 L.Conv2D(2, 3, data_format="channels_first"),
                                                 L.Flatten(), L.Dense(10)]), "channels_first"),
        ]
        for name, model, word in cases:
            with self.subTest(refusal=name):
                path = self.path("refuse", f"{name}.keras")
                model.save(path)
                proc = subprocess.run([common.GLIA, "predict", "--model", path, "--input",
                                       self.data.x_test_npy], capture_output=True, text=True)
                err = proc.stderr.strip()
                self.assertEqual(proc.returncode, 2, f"{name}: exit code\n{err}")
                self.assertEqual(len(err.splitlines()), 1, f"{name}: not one line:\n{err}")
                self.assertTrue(err.startswith("glia: error: "), err)
                self.assertIn(word, err)
                print(f"{name}: {err}", file=sys.stderr)


if __name__ == "__main__":
    import unittest

    unittest.main()
