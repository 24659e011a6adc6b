"""Keras' mixed_bfloat16 policy (issue 16) against real Keras.

Keras builds, under `keras.mixed_precision.set_global_policy("mixed_bfloat16")`, an MLP whose
output layer is float32 (as Keras' guide recommends) and a small CNN, trains two steps and saves
`.keras`, the full `.h5` and the pair. `glia predict` on each agrees with Keras within bfloat16's
tolerance (Keras also rounds activations to bfloat16; Glia rounds only the operands of matrix
products and convolutions), and `glia predict --dtype-policy float32` is closer still to Keras'
float32 reading of the same weights. `glia train` continues one epoch from the `.keras` file and
saves all three formats: Keras loads each with the same layer configs, so every layer keeps its
policy (mixed_bfloat16, or float32 for the output layer), and predicts as Glia does.
"""

import json
import unittest

import common  # first: selects the JAX backend before Keras is imported
import keras
import numpy as np

L = keras.layers
BATCH = 50
# bfloat16 has 8 significant bits: probabilities after a few bf16 layers differ by ~1e-2.
BF16_TOLERANCE = 0.04


def mixed_models():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        mlp = keras.Sequential([keras.Input((784,)), L.Dense(64, activation="relu"),
                                L.Dense(10, activation="softmax", dtype="float32")],
                               name="mixed_mlp")
        cnn = keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(8, 3, activation="relu"),
                                L.MaxPooling2D(2), L.Flatten(),
                                L.Dense(10, activation="softmax", dtype="float32")],
                               name="mixed_cnn")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    for m in (mlp, cnn):
        m.compile(optimizer=keras.optimizers.Adam(0.001), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return [mlp, cnn]


class MixedPrecision(common.KerasTestCase):
    def images(self, model, x):
        return x.reshape((len(x),) + tuple(model.input_shape[1:]))

    def predict(self, model):
        out = model(self.images(model, self.data.x_test), training=False)
        return np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float64)

    def assert_close(self, keras_probs, glia_probs, what, tolerance=BF16_TOLERANCE):
        diff = float(np.max(np.abs(keras_probs - glia_probs)))
        self.assertLessEqual(diff, tolerance, f"{what}: max |Keras - Glia| = {diff:.3g}")
        self.assertGreater(float(np.std(keras_probs)), 1e-3, f"{what}: constant predictions")
        return diff

    def test_mixed_models_round_trip(self):
        for original in mixed_models():
            name = original.name
            n = 2 * BATCH
            original.fit(self.images(original, self.data.x_train[:n]), self.data.y_train[:n],
                         batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
            policies = [layer.dtype_policy.name for layer in original.layers]
            self.assertEqual(policies[0], "mixed_bfloat16")
            self.assertEqual(policies[-1], "float32")
            files = self.save_keras_files(original, name)
            keras_probs = self.predict(original)
            for fmt, path in files.items():
                with self.subTest(model=name, format=fmt, check="glia predict on Keras' file"):
                    probs, _ = self.glia_predict(path)
                    self.assert_close(keras_probs, probs, f"{name}: Keras' {fmt}")
            # In float32 Glia computes what Keras computes with the policy set to float32.
            as_f32 = keras.models.model_from_json(
                json.dumps(self.float32_config(original)))
            as_f32.set_weights(original.get_weights())
            out = json.loads(self.glia("predict", "--model", files["keras"], "--input",
                                       self.data.x_test_npy, "--dtype-policy", "float32"))
            self.assert_close(self.predict(as_f32), np.asarray(out["probabilities"]),
                              f"{name}: --dtype-policy float32", tolerance=1e-4)

            out, loaders = self.glia_outputs(name)
            args = ["train", "--model", files["keras"], "--data-folder", self.data.folder,
                    "--epochs", 1, "--no-shuffle", "--batch-size", BATCH, "--verbose", 0]
            for path in out.values():
                args += ["--save", path]
            self.glia(*args)
            for fmt, load in loaders.items():
                with self.subTest(model=name, format=fmt, check="Keras reads Glia's file"):
                    loaded = self.keras_loads(load, f"{name}: Glia's {fmt}", original)
                    self.assertEqual([l.dtype_policy.name for l in loaded.layers], policies)
                    probs, _ = self.glia_predict(out[fmt])
                    self.assert_close(self.predict(loaded), probs, f"{name}: Glia's {fmt}")

    def float32_config(self, model):
        config = json.loads(model.to_json())
        for layer in config["config"]["layers"]:
            if isinstance(layer["config"].get("dtype"), dict):
                layer["config"]["dtype"]["config"]["name"] = "float32"
        config["config"]["dtype"]["config"]["name"] = "float32"
        return config

    def test_unsupported_policy_is_refused(self):
        model = keras.Sequential([keras.Input((784,)),
                                  L.Dense(10, activation="softmax", dtype="mixed_float16")])
        path = self.path("refuse", "mixed_float16.keras")
        model.save(path)
        import subprocess
        proc = subprocess.run([common.GLIA, "predict", "--model", path, "--input",
                               self.data.x_test_npy], capture_output=True, text=True)
        err = proc.stderr.strip()
        self.assertEqual(proc.returncode, 2, err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("mixed_float16", err)
        self.assertIn("expected float32 or mixed_bfloat16", err)


if __name__ == "__main__":
    unittest.main()
