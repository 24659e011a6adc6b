"""Compiled metrics and losses as Keras writes them: metric objects with their arguments
(TopKCategoricalAccuracy(k=3), BinaryAccuracy(threshold=0.1), Accuracy(), a renamed
MeanSquaredError), metric and loss functions, and "accuracy" resolved from the shapes. `glia
evaluate` on Keras' .keras and .h5 gives Keras' own `evaluate` numbers under the same names;
`glia train` saves them back so that Keras loads the same metric configs; an unsupported metric
class is refused naming it."""

import json
import subprocess
import unittest

import common  # first: selects the JAX backend before Keras is imported
import keras
import numpy as np

M = keras.metrics


def mlp(activation):
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation=activation)])
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.05, (784, 10)).astype(np.float32), np.zeros(10, np.float32)])
    return model


CASES = {
    # name: (output activation, loss, metrics, sparse targets)
    "objects": ("softmax", keras.losses.categorical_crossentropy,
                [M.TopKCategoricalAccuracy(k=3), M.Accuracy(), M.MeanSquaredError(name="my_mse"),
                 M.categorical_accuracy, "acc"], False),
    "bce_multi_unit": ("sigmoid", "binary_crossentropy",
                       ["accuracy", M.BinaryAccuracy(threshold=0.1, name="thr")], False),
    "sparse": ("softmax", "sparse_categorical_crossentropy",
               ["accuracy", M.SparseTopKCategoricalAccuracy(k=2), M.sparse_categorical_accuracy],
               True),
}


def metric_configs(model):
    return json.dumps(model.get_compile_config()["metrics"], sort_keys=True)


class CompileMetrics(common.KerasTestCase):
    def glia_evaluate(self, path):
        return json.loads(self.glia("evaluate", "--model", path, "--data-folder", self.data.folder,
                                    "-o", "json"))["test"]

    def check(self, name):
        activation, loss, metrics, sparse = CASES[name]
        model = mlp(activation)
        model.compile(optimizer="adam", loss=loss, metrics=metrics)
        y = self.data.y_test_int if sparse else self.data.y_test
        expected = model.evaluate(self.data.x_test, y, verbose=0, return_dict=True)
        files = {"keras": self.path(name, "m.keras"), "h5": self.path(name, "m.h5")}
        for path in files.values():
            model.save(path)
        for fmt, path in files.items():
            with self.subTest(case=name, format=fmt):
                got = self.glia_evaluate(path)
                # What Keras itself makes of the file it wrote (its legacy .h5 loader may name
                # metrics otherwise): the same names, the same values.
                expected_here = keras.models.load_model(path).evaluate(
                    self.data.x_test, y, verbose=0, return_dict=True)
                self.assertEqual(sorted(got), sorted(expected_here), f"{name} {fmt}: metric names")
                for key, value in expected_here.items():
                    self.assertAlmostEqual(got[key], value, delta=1e-5, msg=f"{name} {fmt}: {key}")
        # glia train keeps every metric's class, name and arguments.
        out = self.path(name, "glia", "out.keras")
        self.glia("train", "--model", files["keras"], "--data-folder", self.data.folder,
                  "--verbose", "0", "--save", out)
        reloaded = keras.models.load_model(out)
        self.assertEqual(metric_configs(reloaded), metric_configs(model), f"{name}: saved metrics")
        again = reloaded.evaluate(self.data.x_test, y, verbose=0, return_dict=True)
        self.assertEqual(sorted(again), sorted(expected), f"{name}: names after glia train")

    def test_metric_objects_and_functions(self):
        self.check("objects")

    def test_accuracy_by_shape_under_binary_crossentropy(self):
        self.check("bce_multi_unit")

    def test_sparse(self):
        self.check("sparse")

    def test_unsupported_metric_class_is_refused(self):
        model = mlp("softmax")
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=[M.F1Score()])
        path = self.path("f1", "m.keras")
        model.save(path)
        proc = subprocess.run([common.GLIA, "evaluate", "--model", path, "--data-folder",
                               self.data.folder], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("metric class 'F1Score' is not supported", proc.stderr)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)


if __name__ == "__main__":
    unittest.main()
