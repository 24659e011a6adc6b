"""keras.cnn_example: the CNN example (examples/keras-cnn) against real Keras 3.

glia-keras-cnn (env GLIA_KERAS_CNN) trains the CNN on the synthetic set; Keras opens each file it
saved (model.keras, and the seed's pair model.json + model.h5) and predicts what `glia predict`
predicts, with the trained BatchNormalization moving statistics; and examples/keras-cnn/cnn.json
(the config `glia train --model` takes) loads in Keras and is the network the C++ program builds.
"""

import json
import os
import subprocess
import zipfile

import keras
import numpy as np

from common import REPO, KerasTestCase, _tool, load_legacy_pair, load_quietly

GLIA_KERAS_CNN = _tool("GLIA_KERAS_CNN", [os.path.join(REPO, "build", "bin", "glia-keras-cnn")])
CNN_JSON = os.path.join(REPO, "examples", "keras-cnn", "cnn.json")
LAYERS = ["Conv2D", "BatchNormalization", "ReLU", "MaxPooling2D"] * 2 + [
    "Flatten", "Dense", "Dropout", "Dense"]
# The options that make the network what it is (the rest are Keras defaults on both sides).
KEYS = ("filters", "kernel_size", "strides", "padding", "use_bias", "activation", "axis",
        "momentum", "epsilon", "pool_size", "units", "rate", "max_value", "negative_slope")


def architecture(config):
    """(class name, the options in KEYS) of each layer of a Sequential config, InputLayer left
    out; lists and tuples compared alike."""
    out = []
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "InputLayer":
            continue
        c = layer["config"]
        out.append((layer["class_name"],
                    {k: list(c[k]) if isinstance(c[k], (list, tuple)) else c[k]
                     for k in KEYS if k in c}))
    return out


class CnnExample(KerasTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.x_test = cls.data.x_test.reshape(-1, 28, 28, 1)
        cls.npy = os.path.join(cls.tmp, "x_test_images.npy")
        np.save(cls.npy, cls.x_test)
        cls.out = os.path.join(cls.tmp, "outputs", "model")
        # Batch 16 over 2,000 images for 3 epochs: 375 steps, enough for the moving statistics
        # (momentum 0.99) to settle, so inference-mode predictions are meaningful.
        cmd = [GLIA_KERAS_CNN, "--data-folder", cls.data.folder, "--epochs", "3",
               "--batch-size", "16", "--threads", "2", "--verbose", "0", "--seed", "5",
               "--model-dir", cls.out, "--checkpoint-dir", "none"]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cls.tmp)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        cls.stdout = proc.stdout

    def glia_images_predict(self, model_path):
        out = json.loads(self.glia("predict", "--model", model_path, "--input", self.npy,
                                   "--batch-size", 100, "--verify"))
        return (np.asarray(out["probabilities"], dtype=np.float64),
                np.asarray(out["classes"], dtype=np.int64))

    def check(self, model, glia_path, what):
        self.assertEqual([type(layer).__name__ for layer in model.layers], LAYERS, what)
        # Trained moving statistics (not the initial zeros and ones) came through.
        bn = model.layers[1]
        self.assertGreater(float(np.max(np.abs(bn.moving_mean.numpy()))), 1e-3, what)
        self.assertGreater(float(np.max(np.abs(bn.moving_variance.numpy() - 1))), 1e-3, what)
        keras_probs = np.asarray(model.predict(self.x_test, batch_size=100, verbose=0),
                                 dtype=np.float64)
        glia_probs, glia_classes = self.glia_images_predict(glia_path)
        self.assert_same_predictions(keras_probs, glia_probs, glia_classes, what)
        accuracy = float(np.mean(glia_classes == self.data.y_test_int))
        self.assertGreater(accuracy, 0.5, f"{what}: test accuracy {accuracy} (chance is 0.1)")

    def test_keras_opens_the_keras_archive(self):
        path = os.path.join(self.out, "model.keras")
        model = load_quietly(self, lambda: keras.saving.load_model(path), "model.keras")
        self.check(model, path, "model.keras")

    def test_keras_opens_the_seed_pair(self):
        json_path = os.path.join(self.out, "model.json")
        model = load_quietly(
            self, lambda: load_legacy_pair(json_path, os.path.join(self.out, "model.h5")),
            "model.json + model.h5")
        self.check(model, json_path, "model.json + model.h5")

    def test_cnn_json_is_the_programs_network(self):
        with open(CNN_JSON) as f:
            cnn = json.load(f)
        model = keras.saving.deserialize_keras_object(cnn)
        self.assertEqual(model.count_params(), 225322)
        self.assertEqual(model.optimizer.__class__.__name__, "Adam")
        with zipfile.ZipFile(os.path.join(self.out, "model.keras")) as z:
            saved = json.loads(z.read("config.json"))
        self.assertEqual(architecture(saved), architecture(cnn))
        self.assertEqual([name for name, _ in architecture(cnn)], LAYERS)
