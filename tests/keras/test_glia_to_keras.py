"""Proof 1: Glia trains, saves each format, and real Keras loads every file to the same
predictions on 1,000 test images (max abs difference <= 1e-5, same classes).

Also: Keras' load_model of Glia's .keras compiles and restores the optimizer state, Glia's
model.json loads with keras.models.model_from_json (the seed's score.py), and
`glia predict --verify` passes on every file Glia wrote."""

import json
import math
import os
import unittest

import common  # first: selects the JAX backend before Keras is imported
import keras
import numpy as np

BATCH = 50


def keras2_dense(name, units, activation, first=False):
    config = {"name": name, "trainable": True}
    if first:
        config["batch_input_shape"] = [None, 784]
    config.update(
        {
            "dtype": "float32",
            "units": units,
            "activation": activation,
            "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "activity_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
        }
    )
    return {"class_name": "Dense", "config": config}


def seed_mlp_keras2_json():
    """The seed's model.json as tf.keras 2.x to_json() wrote it (no "module" keys)."""
    return {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {
                        "batch_input_shape": [None, 784],
                        "dtype": "float32",
                        "sparse": False,
                        "ragged": False,
                        "name": "dense_input",
                    },
                },
                keras2_dense("dense", 300, "relu", first=True),
                keras2_dense("dense_1", 100, "relu"),
                keras2_dense("dense_2", 10, "softmax"),
            ],
        },
        "keras_version": "2.10.0",
        "backend": "tensorflow",
    }


class GliaToKeras(common.KerasTestCase):
    def train_with_glia(self, name, config, optimizer, learning_rate, output_folder):
        """Writes the config-only model.json, trains one epoch with Glia and returns the files."""
        config_path = self.path(name, "config", "model.json")
        with open(config_path, "w") as f:
            json.dump(config, f)
        args = [
            "train", "--model", config_path, "--data-folder", self.data.folder,
            "--epochs", 1, "--batch-size", BATCH, "--optimizer", optimizer,
            "--learning-rate", learning_rate, "--loss", "categorical_crossentropy",
            "--metrics", "accuracy", "--seed", 7,
        ]
        if output_folder:
            # The seed's layout: --output DIR gets model.json + model.h5 + model.keras. The full
            # .h5 comes from a second, identical run (same seed: bit-identical weights).
            out = os.path.join(self.tmp, name, "glia")
            self.glia(*args, "--output", out)
            files = {
                "keras": os.path.join(out, "model.keras"),
                "h5": self.path(name, "glia-full", "model.h5"),
                "json+h5": os.path.join(out, "model.json"),
            }
            self.glia(*args, "--save", files["h5"])
        else:
            files = {
                "keras": self.path(name, "glia", "model.keras"),
                "h5": self.path(name, "glia", "full", "model.h5"),
                "json+h5": self.path(name, "glia", "pair", "model.json"),
            }
            self.glia(*args, *[x for p in files.values() for x in ("--save", p)])
        for fmt, path in files.items():
            self.assertTrue(os.path.isfile(path), f"glia train did not write {fmt}: {path}")
        return files

    def check_model(self, name, config, optimizer, optimizer_class, learning_rate, output_folder=False):
        files = self.train_with_glia(name, config, optimizer, learning_rate, output_folder)
        weights_h5 = os.path.join(os.path.dirname(files["json+h5"]), "model.h5")
        self.assertTrue(os.path.isfile(weights_h5), f"glia wrote no weights next to {files['json+h5']}")

        # Glia's own predictions, from each file, verified against the stored reference.
        glia_probs = {}
        for fmt, path in files.items():
            with self.subTest(model=name, format=fmt, check="glia predict --verify"):
                self.glia("predict", "--model", path, "--input", self.data.x_test_npy, "--verify")
            glia_probs[fmt] = self.glia_predict(path)
        first = next(iter(glia_probs.values()))[0]
        for fmt, (probs, _) in glia_probs.items():
            self.assertLessEqual(float(np.max(np.abs(probs - first))), 1e-6,
                                 f"{name}: Glia's {fmt} predicts differently from its other files")

        # Keras 3 reads each file.
        loaders = {
            "keras": lambda: keras.models.load_model(files["keras"]),
            "h5": lambda: keras.models.load_model(files["h5"]),
            "json+h5": lambda: common.load_legacy_pair(files["json+h5"], weights_h5),
        }
        for fmt, load in loaders.items():
            with self.subTest(model=name, format=fmt, check="Keras loads and predicts"):
                model = common.load_quietly(self, load, f"Keras loading Glia's {fmt} ({files[fmt]})")
                probs, classes = glia_probs[fmt]
                self.assert_same_predictions(self.keras_predict(model), probs, classes,
                                             f"{name} saved by Glia as {fmt} ({files[fmt]})")
                if fmt == "keras":
                    self.check_restored_optimizer(model, optimizer_class, learning_rate, files[fmt])
                if fmt == "h5":
                    self.assertIsNotNone(getattr(model, "optimizer", None),
                                         f"Keras did not compile Glia's full .h5 ({files[fmt]})")
                    self.assertEqual(type(model.optimizer).__name__, optimizer_class,
                                     f"optimizer of Glia's full .h5 ({files[fmt]})")

    def check_restored_optimizer(self, model, optimizer_class, learning_rate, path):
        what = f"Keras load_model of Glia's .keras ({path})"
        self.assertEqual(type(model.optimizer).__name__, optimizer_class, f"{what}: optimizer")
        numpy = keras.ops.convert_to_numpy
        self.assertAlmostEqual(float(numpy(model.optimizer.learning_rate)), learning_rate, places=6,
                               msg=f"{what}: learning rate")
        steps = math.ceil(common.TRAIN_COUNT / BATCH)
        self.assertEqual(int(numpy(model.optimizer.iterations)), steps, f"{what}: restored iteration count")
        # Slots exist and hold trained state (Keras only warns and skips on a count mismatch;
        # load_quietly already failed on that warning).
        slots_per_weight = {"Adam": 2, "RMSprop": 1, "SGD": 0}[optimizer_class]  # momentum 0
        slots = model.optimizer.variables[2:]
        self.assertEqual(len(slots), slots_per_weight * len(model.trainable_weights),
                         f"{what}: optimizer slots")
        if slots:
            self.assertTrue(all(float(np.max(np.abs(numpy(v)))) > 0 for v in slots),
                            f"{what}: some optimizer slots are all zero")
        self.assertEqual(model.loss, "categorical_crossentropy", f"{what}: loss")

    def test_seed_mlp_keras2_json(self):
        """The seed's model (tf.keras 2.x JSON) trained with RMSprop; Glia's default output folder."""
        self.check_model("seed_mlp", seed_mlp_keras2_json(), "rmsprop", "RMSprop", 0.001, output_folder=True)

    def test_regularized_mlp(self):
        config = json.loads(common.regularized_mlp().to_json())
        self.check_model("regularized_mlp", config, "adam", "Adam", 0.001)

    def test_functional_add_concat(self):
        config = json.loads(common.functional_add_concat().to_json())
        self.check_model("functional_add_concat", config, "sgd", "SGD", 0.05)


if __name__ == "__main__":
    unittest.main()
