"""Proof 2: models built and trained by real Keras, saved in each format, load in Glia and predict
the same probabilities on 1,000 test images (max abs difference <= 1e-5, same classes)."""

import os
import subprocess
import unittest

import common  # first: selects the JAX backend before Keras is imported
import keras


class KerasToGlia(common.KerasTestCase):
    def check_model(self, name, build):
        keras.utils.set_random_seed(1234)
        model = build()
        # One epoch on the small data so the weights are far from their initial values.
        model.fit(self.data.x_train, self.data.y_train, batch_size=50, epochs=1, verbose=0)
        expected = self.keras_predict(model)

        files = {
            "keras": self.path(name, "model.keras"),
            "h5": self.path(name, "full", "model.h5"),
            "json+h5": common.save_legacy_pair(model, os.path.join(self.tmp, name, "pair")),
            # Keras 3's own pair: save_weights() only accepts names ending in .weights.h5.
            "json+weights.h5": self.path(name, "keras3", "model.json"),
            "keras3 folder": os.path.join(self.tmp, name, "keras3"),
        }
        model.save(files["keras"])
        model.save(files["h5"])
        with open(files["json+weights.h5"], "w") as f:
            f.write(model.to_json())
        model.save_weights(self.path(name, "keras3", "model.weights.h5"))

        # Keras itself reads each file back to the same predictions (sanity of the fixtures).
        reloaded = {
            "keras": lambda: keras.models.load_model(files["keras"]),
            "h5": lambda: keras.models.load_model(files["h5"]),
            "json+h5": lambda: common.load_legacy_pair(files["json+h5"], self.path(name, "pair", "model.h5")),
            "json+weights.h5": lambda: self.keras3_pair(files["json+weights.h5"],
                                                        self.path(name, "keras3", "model.weights.h5")),
        }
        for fmt, load in reloaded.items():
            again = self.keras_predict(load())
            self.assertLessEqual(float(abs(again - expected).max()), 1e-7, f"Keras reload of {fmt}")

        for fmt, path in files.items():
            with self.subTest(model=name, format=fmt):
                probs, classes = self.glia_predict(path)
                self.assert_same_predictions(expected, probs, classes,
                                             f"{name} saved by Keras as {fmt} ({path})")

        # The config alone (no weights beside it) is refused, never predicted with fresh weights.
        alone = self.path(name, "alone", "model.json")
        with open(alone, "w") as f:
            f.write(model.to_json())
        proc = subprocess.run([common.GLIA, "predict", "--model", alone, "--input", self.data.x_test_npy],
                              capture_output=True, text=True)
        self.assertNotEqual(proc.returncode, 0, f"predicted from a config alone: {proc.stdout[:200]}")
        self.assertIn("model.weights.h5", proc.stderr)
        self.assertEqual(proc.stdout, "")

    @staticmethod
    def keras3_pair(json_path, weights_path):
        with open(json_path) as f:
            model = keras.models.model_from_json(f.read())
        model.load_weights(weights_path)
        return model

    def test_seed_mlp(self):
        self.check_model("seed_mlp", common.seed_mlp)

    def test_regularized_mlp(self):
        self.check_model("regularized_mlp", common.regularized_mlp)

    def test_functional_add_concat(self):
        self.check_model("functional_add_concat", common.functional_add_concat)


if __name__ == "__main__":
    unittest.main()
