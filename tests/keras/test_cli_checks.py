"""What `glia train` and `glia predict` check before working, on models Keras makes: conflicting
or unwritable --save paths are refused before training with nothing written; predict refuses
an output that is not a class vector (as train and evaluate do) and reads a one-unit sigmoid
output at Keras' 0.5 threshold; a functional model with dict inputs says so."""

import json
import os
import subprocess
import unittest

import common  # first: selects the JAX backend before Keras is imported
import keras
import numpy as np


class CliChecks(common.KerasTestCase):
    def run_glia(self, *args):
        return subprocess.run([common.GLIA, *map(str, args)], capture_output=True, text=True,
                              cwd=self.tmp)

    def mlp(self, name):
        model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        path = self.path(name, "m.keras")
        model.save(path)
        return path

    def test_conflicting_and_unwritable_saves_are_refused_before_training(self):
        model = self.mlp("saves")
        folder = os.path.dirname(model)
        open(os.path.join(folder, "a_file"), "w").close()
        cases = {
            # .json writes its weights to out.h5: the full model would be overwritten.
            "json weights over a full .h5": (["out.h5", "out.json"], "both write"),
            "the same file twice": (["twice.keras", "./twice.keras"], "both write"),
            "a folder component that is a file": (["first.keras", "a_file/second.h5"],
                                                  "is a file, not a folder"),
            "an unknown extension": (["x.txt"], "unknown model file type"),
        }
        for what, (saves, message) in cases.items():
            with self.subTest(what):
                before = sorted(os.listdir(folder))
                proc = self.run_glia("train", "--model", model, "--data-folder", self.data.folder,
                                     "--verbose", "0", "--save",
                                     *[os.path.join(folder, s) for s in saves])
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn(message, proc.stderr)
                self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
                self.assertNotIn("model:", proc.stdout, "refused only after loading/training")
                self.assertEqual(sorted(os.listdir(folder)), before, "a file was written")

    def test_predict_refuses_an_output_that_is_not_a_class_vector(self):
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Dense(10, activation="softmax")])
        path = self.path("m3d", "m.keras")
        model.save(path)
        x = self.path("m3d", "x.npy")
        np.save(x, np.random.default_rng(0).random((2, 28, 28), dtype=np.float32))
        proc = self.run_glia("predict", "--model", path, "--input", x)
        self.assertEqual(proc.returncode, 2, proc.stdout[:200])
        self.assertIn("the model's output (None, 28, 10) is not a class vector", proc.stderr)
        self.assertEqual(proc.stdout, "")

    def test_predict_classes_of_a_one_unit_sigmoid(self):
        model = keras.Sequential([keras.Input((4,)),
                                  keras.layers.Dense(1, activation="sigmoid", kernel_initializer="ones")])
        path = self.path("binary", "m.keras")
        model.save(path)
        x = np.array([[1, 1, 1, 1], [-1, -1, -1, -1], [0, 0, 0, 0]], np.float32)
        xp = self.path("binary", "x.npy")
        np.save(xp, x)
        out = json.loads(self.glia("predict", "--model", path, "--input", xp))
        expected = (model.predict(x, verbose=0).ravel() > 0.5).astype(int).tolist()  # 0.5 itself: 0
        self.assertEqual(out["classes"], expected)
        self.assertEqual(expected, [1, 0, 0])

    def test_dict_inputs_are_named_in_the_refusal(self):
        inp = keras.Input((784,), name="img")
        out = keras.layers.Dense(10, activation="softmax", name="probs")(inp)
        path = self.path("dict", "m.keras")
        keras.Model({"img": inp}, {"probs": out}).save(path)
        proc = self.run_glia("predict", "--model", path, "--input", self.data.x_test_npy)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("input_layers: dict inputs are not supported", proc.stderr)


if __name__ == "__main__":
    unittest.main()
