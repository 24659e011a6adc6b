"""Issue 16, norm: BatchNormalization and LayerNormalization against real Keras, both ways.

Keras builds small models using every option Glia supports, trains them two steps (so the moving
statistics are no longer their initial values) and saves `.keras`, the full `.h5` and the pair
(model.json + save_weights .h5). `glia predict` on each file gives Keras' predictions (inference:
the moving statistics). Then `glia train` trains the flat model one epoch from Keras' `.keras` and
saves all three formats; Keras loads each and finds the same layer configs, moving statistics that
Glia's training moved, and the predictions `glia predict` gives; and Keras' own epoch from the
same file ends with the weights and moving statistics Glia's epoch ended with. Options Glia lacks
(renorm, rms_scaling) are refused with one line naming them.
"""

import os
import subprocess
import unittest

import common  # first: selects the JAX backend before Keras is imported
import keras
import numpy as np

L = keras.layers
I = keras.initializers
R = keras.regularizers
C = keras.constraints

KERAS_STEPS = 2
BATCH = 50
# Weights after Keras' epoch and Glia's epoch from the same file: 40 steps in float32 apart.
WEIGHT_TOLERANCE = 2e-4


def flat_model():
    """784 -> Dense -> BatchNormalization (every option) -> relu -> Dense -> LayerNormalization
    (every option) -> BatchNormalization (no scale/center) -> softmax."""
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            L.Dense(24, use_bias=False),
            L.BatchNormalization(momentum=0.8, epsilon=0.01,
                                 beta_initializer=I.RandomUniform(-0.1, 0.1),
                                 gamma_initializer=I.RandomNormal(1.0, 0.1),
                                 moving_mean_initializer=I.Constant(0.05),
                                 moving_variance_initializer="ones",
                                 beta_regularizer=R.L1(1e-5), gamma_regularizer=R.L2(1e-4),
                                 beta_constraint=C.MaxNorm(2.0), gamma_constraint=C.NonNeg()),
            L.Activation("relu"),
            L.Dense(16),
            L.LayerNormalization(axis=-1, epsilon=1e-4,
                                 beta_initializer=I.RandomUniform(-0.05, 0.05),
                                 gamma_initializer="ones", beta_regularizer=R.L2(1e-4),
                                 gamma_regularizer=R.L1L2(1e-5, 1e-5),
                                 gamma_constraint=C.NonNeg()),
            L.BatchNormalization(center=False, scale=False),
            L.Dense(10, activation="softmax"),
        ],
        name="norm_flat",
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def image_model():
    """(28, 28, 1) images: BatchNormalization over N*H*W rows of one channel, LayerNormalization
    with axis [-1] and no centering, then Flatten -> Dense softmax."""
    inputs = keras.Input(shape=(28, 28, 1))
    h = L.BatchNormalization(momentum=0.5)(inputs)
    h = L.Dense(3, activation="relu")(h)  # (28, 28, 3): per-pixel features
    h = L.BatchNormalization(axis=-1, epsilon=1e-5)(h)
    h = L.LayerNormalization(axis=[-1], center=False)(h)
    h = L.Flatten()(h)
    outputs = L.Dense(10, activation="softmax")(h)
    model = keras.Model(inputs, outputs, name="norm_image")
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    return model


def moving_statistics(model):
    return [np.asarray(keras.ops.convert_to_numpy(w)) for w in model.non_trainable_weights]


def all_weights(model):
    return [np.asarray(keras.ops.convert_to_numpy(w)) for w in model.weights]


def layer_configs(model):
    return [(type(layer).__name__, layer.get_config()) for layer in model.layers]


class NormLayers(common.KerasTestCase):
    def x(self, model, rows):
        shape = model.inputs[0].shape[1:]
        return rows.reshape((len(rows), *shape))

    def keras_probs(self, model):
        out = model(self.x(model, self.data.x_test), training=False)
        return np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float64)

    def train_and_save(self, model):
        x = self.x(model, self.data.x_train[: KERAS_STEPS * BATCH])
        initial = moving_statistics(model)
        model.fit(x, self.data.y_train[: KERAS_STEPS * BATCH], batch_size=BATCH, epochs=1,
                  shuffle=False, verbose=0)
        for k, (before, after) in enumerate(zip(initial, moving_statistics(model))):
            self.assertGreater(float(np.max(np.abs(after - before))), 1e-4,
                               f"{model.name}: moving statistic {k} did not move")
        files = {"keras": self.path(model.name, "keras", "model.keras"),
                 "h5": self.path(model.name, "keras", "full.h5")}
        model.save(files["keras"])
        model.save(files["h5"])
        files["json+h5"] = common.save_legacy_pair(model, self.path(model.name, "keras", "pair"))
        return files

    def check_glia_reads(self, model, files):
        want = self.keras_probs(model)
        for fmt, path in files.items():
            with self.subTest(model=model.name, format=fmt):
                probs, classes = self.glia_predict(path)
                self.assert_same_predictions(want, probs, classes,
                                             f"{model.name}: Keras' {fmt} read by Glia")

    def test_image_model_keras_to_glia(self):
        model = image_model()
        self.check_glia_reads(model, self.train_and_save(model))

    def test_flat_model_both_ways(self):
        original = flat_model()
        files = self.train_and_save(original)
        self.check_glia_reads(original, files)

        # Glia trains one epoch from Keras' .keras and saves all three formats.
        out_dir = os.path.dirname(self.path("glia", "out.keras"))
        out = {"keras": os.path.join(out_dir, "out.keras"), "h5": os.path.join(out_dir, "out.h5"),
               "json+h5": os.path.join(out_dir, "pair", "out.json")}
        log = self.glia("train", "--model", files["keras"], "--data-folder", self.data.folder,
                        "--epochs", 1, "--no-shuffle", "--batch-size", BATCH, "--verbose", 0,
                        "--save", out["keras"], "--save", out["h5"], "--save", out["json+h5"])
        self.assertIn("optimizer state restored", log)
        loaders = {
            "keras": lambda: keras.models.load_model(out["keras"]),
            "h5": lambda: keras.models.load_model(out["h5"]),
            "json+h5": lambda: common.load_legacy_pair(out["json+h5"],
                                                       os.path.join(out_dir, "pair", "out.h5")),
        }
        # Keras' own epoch from the same file, for the weights Glia's epoch must end with.
        keras_epoch = keras.models.load_model(files["keras"])
        keras_epoch.fit(self.data.x_train, self.data.y_train, batch_size=BATCH, epochs=1,
                        shuffle=False, verbose=0)
        expected = all_weights(keras_epoch)
        before = moving_statistics(original)
        for fmt, load in loaders.items():
            with self.subTest(format=fmt, check="Keras reads Glia's file"):
                what = f"Glia's {fmt} ({out[fmt]})"
                loaded = common.load_quietly(self, load, f"Keras loading {what}")
                self.assertEqual(layer_configs(loaded), layer_configs(original), what)
                stats = moving_statistics(loaded)
                self.assertEqual(len(stats), 4, f"{what}: moving statistics")
                for a, b in zip(stats, before):
                    self.assertGreater(float(np.max(np.abs(a - b))), 1e-3,
                                       f"{what}: Glia's training did not move the statistics")
                got = all_weights(loaded)
                self.assertEqual([w.shape for w in got], [w.shape for w in expected], what)
                for k, (g, e) in enumerate(zip(got, expected)):
                    diff = float(np.max(np.abs(g - e)))
                    self.assertLessEqual(diff, WEIGHT_TOLERANCE * max(1.0, float(np.max(np.abs(e)))),
                                         f"{what}: weight {loaded.weights[k].path} differs from "
                                         f"Keras' own epoch by {diff:.3g}")
                probs, classes = self.glia_predict(out[fmt])
                self.assert_same_predictions(self.keras_probs(loaded), probs, classes,
                                             f"{what} read by Keras")

    def test_refusals(self):
        cases = [
            ("renorm", L.BatchNormalization(renorm=True), "renorm"),
            ("rms_scaling", L.LayerNormalization(rms_scaling=True), "rms_scaling"),
            ("axis", L.BatchNormalization(axis=1), "axis"),
        ]
        for name, layer, word in cases:
            with self.subTest(refusal=name):
                model = keras.Sequential([keras.Input(shape=(28, 28)), layer, L.Flatten(),
                                          L.Dense(10)], name=name)
                path = self.path("refuse", f"{name}.keras")
                model.save(path)
                proc = subprocess.run([common.GLIA, "predict", "--model", path, "--input",
                                       self.data.x_test_npy], capture_output=True, text=True)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                err = proc.stderr.strip()
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertTrue(err.startswith("glia: error: "), err)
                self.assertIn(word, err)


if __name__ == "__main__":
    unittest.main()
