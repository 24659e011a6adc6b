"""Frozen layers (layer.trainable = False) against real Keras, both ways.

Keras builds a transfer-learning style CNN, trains it two steps with every layer trainable (so
the batch norms' moving statistics move), freezes the first convolution, the batch norm after
the second one (which stays trainable below it) and a Dense in the middle, compiles again and
trains two more steps, then saves `.keras`, the full `.h5` and the
pair. `glia predict` on each gives Keras' predictions. `glia train` trains one epoch from Keras'
`.keras` and saves all three formats: the frozen layers' weights and moving statistics come back
bit for bit as they were, the trainable ones end where Keras' own epoch from the same file ends
(the frozen batch norm normalizing with its moving statistics in training, gradients passing
through the frozen Dense), and Keras loads each file with the same layer configs, trainable flags
included.
"""

import os
import subprocess
import sys
import unittest
import warnings

import common  # first: selects the JAX backend before Keras is imported
import keras
import numpy as np

L = keras.layers

BATCH = 50
STEPS = 2
# Weights after Keras' epoch and Glia's epoch from the same file: 40 steps in float32 apart.
WEIGHT_TOLERANCE = 2e-4
FROZEN = ("stem", "base_bn", "middle")


def transfer_model():
    inputs = keras.Input(shape=(28, 28, 1))
    h = L.Conv2D(4, 3, activation="relu", name="stem")(inputs)
    h = L.Conv2D(8, 3, use_bias=False, name="base_conv")(h)
    h = L.BatchNormalization(name="base_bn")(h)
    h = L.ReLU()(h)
    h = L.MaxPooling2D()(h)
    h = L.Flatten()(h)
    h = L.Dense(32, activation="relu", name="head")(h)
    h = L.Dense(16, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-3),
                name="middle")(h)
    h = L.BatchNormalization(name="head_bn")(h)
    outputs = L.Dense(10, activation="softmax", name="out")(h)
    return keras.Model(inputs, outputs, name="transfer")


def weights_by_path(model):
    return {w.path: np.asarray(keras.ops.convert_to_numpy(w)) for w in model.weights}


class FrozenLayers(common.KerasTestCase):
    def keras_probs(self, model):
        out = model(self.data.x_test.reshape((-1, 28, 28, 1)), training=False)
        return np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float64)

    def test_frozen_layers_both_ways(self):
        x = self.data.x_train.reshape((-1, 28, 28, 1))
        y = self.data.y_train
        model = transfer_model()
        model.compile(optimizer=keras.optimizers.Adam(0.001), loss="categorical_crossentropy")
        model.fit(x[: STEPS * BATCH], y[: STEPS * BATCH], batch_size=BATCH, shuffle=False,
                  verbose=0)
        for name in FROZEN:
            model.get_layer(name).trainable = False
        model.compile(optimizer=keras.optimizers.Adam(0.001), loss="categorical_crossentropy")
        model.fit(x[: STEPS * BATCH], y[: STEPS * BATCH], batch_size=BATCH, shuffle=False,
                  verbose=0)
        files = self.save_keras_files(model, "transfer")
        self.assert_glia_reads(files, self.keras_probs(model), "transfer")
        saved = weights_by_path(model)

        out, loaders = self.glia_outputs("transfer")
        log = self.glia("train", "--model", files["keras"], "--data-folder", self.data.folder,
                        "--epochs", 1, "--no-shuffle", "--batch-size", BATCH, "--verbose", 0,
                        "--save", out["keras"], "--save", out["h5"], "--save", out["json+h5"])
        self.assertIn("optimizer state restored", log)
        keras_epoch = keras.models.load_model(files["keras"])
        self.assertEqual([layer.trainable for layer in keras_epoch.layers],
                         [layer.trainable for layer in model.layers])
        keras_epoch.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        expected = weights_by_path(keras_epoch)
        for fmt, load in loaders.items():
            with self.subTest(format=fmt):
                what = f"Glia's {fmt} ({out[fmt]})"
                loaded = self.keras_loads(load, what, model)
                self.assertEqual([layer.trainable for layer in loaded.layers],
                                 [layer.trainable for layer in model.layers], what)
                got = weights_by_path(loaded)
                self.assertEqual(sorted(got), sorted(expected), what)
                for path, value in got.items():
                    if path.split("/")[0] in FROZEN:
                        np.testing.assert_array_equal(value, saved[path],
                                                      f"{what}: frozen {path} changed")
                        continue
                    moved = float(np.max(np.abs(value - saved[path])))
                    self.assertGreater(moved, 1e-5, f"{what}: trainable {path} did not train")
                    diff = float(np.max(np.abs(value - expected[path])))
                    scale = max(1.0, float(np.max(np.abs(expected[path]))))
                    print(f"{what}: {path}: max |Keras - Glia| = {diff:.3g}", file=sys.stderr)
                    self.assertLessEqual(diff, WEIGHT_TOLERANCE * scale,
                                         f"{what}: {path} differs from Keras' own epoch by "
                                         f"{diff:.3g}")
                probs, classes = self.glia_predict(out[fmt])
                self.assert_same_predictions(self.keras_probs(loaded), probs, classes,
                                             f"{what} read by Keras")

    def test_optimizer_state_for_other_layers_is_noted(self):
        """A layer frozen after training without compiling again: the saved optimizer state is
        for more variables than the model now trains. Keras' loader warns and starts a fresh
        optimizer; `glia train` says so too (it said nothing before), and still trains."""
        x = self.data.x_train.reshape((-1, 28, 28, 1))
        y = self.data.y_train
        model = transfer_model()
        model.compile(optimizer=keras.optimizers.Adam(0.001), loss="categorical_crossentropy")
        model.fit(x[:BATCH], y[:BATCH], batch_size=BATCH, verbose=0)
        model.get_layer("head").trainable = False
        path = os.path.join(self.tmp, "refrozen.keras")
        model.save(path)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            keras.models.load_model(path)
        self.assertTrue(any("Skipping variable loading for optimizer" in str(w.message)
                            for w in caught), [str(w.message) for w in caught])
        out = os.path.join(self.tmp, "refrozen-out.keras")
        proc = subprocess.run([common.GLIA, "train", "--model", path, "--data-folder",
                               self.data.folder, "--epochs", "1", "--batch-size", "500",
                               "--verbose", "0", "--save", out],
                              capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("optimizer state restored", proc.stdout)
        self.assertIn("optimizer state not restored", proc.stderr)
        self.assertIn("Adam needs", proc.stderr)
        self.assertTrue(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
