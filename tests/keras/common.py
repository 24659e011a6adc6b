"""Shared helpers for the "proof against real Keras" tests.

Both sides see identical inputs: the small synthetic MNIST written by make_synthetic_mnist, scaled
exactly as Glia scales it (uint8 -> float32, times the float32 constant 1/255). Glia is driven
through its CLI (env GLIA); Keras 3 runs in-process on the JAX CPU backend.
"""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import keras  # noqa: E402

if keras.backend.backend() != "jax":
    raise RuntimeError(f"tests/keras expect KERAS_BACKEND=jax, got {keras.backend.backend()}")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TRAIN_COUNT = 2000
TEST_COUNT = 1000
PREDICT_TOLERANCE = 1e-5  # max abs difference of predicted probabilities
WEIGHT_TOLERANCE = 1e-4  # max abs difference of weights after continued training


def _tool(env_name, fallbacks):
    path = os.environ.get(env_name)
    if not path:
        path = next((p for p in fallbacks if os.path.isfile(p)), None)
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError(
            f"{env_name} is not set to an executable (tried {fallbacks}); build the project and "
            "run these tests through ctest -L keras"
        )
    return path


GLIA = _tool("GLIA", [os.path.join(REPO, "build", "bin", "glia"), os.path.join(REPO, "build", "glia")])
MAKE_SYNTHETIC_MNIST = _tool(
    "MAKE_SYNTHETIC_MNIST", [os.path.join(REPO, "build", "tests", "make_synthetic_mnist")]
)


def scale(images_uint8):
    """Glia's scaling: float32 multiply by the float32 constant 1/255, flattened to 784."""
    x = images_uint8.astype(np.float32) * np.float32(1.0 / 255.0)
    return x.reshape(len(x), -1)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class Data:
    """The synthetic MNIST folder plus the arrays Keras trains and predicts on."""

    def __init__(self, folder):
        self.folder = folder
        self.x_train = scale(read_idx(os.path.join(folder, "train-images-idx3-ubyte.gz")))
        self.y_train_int = read_idx(os.path.join(folder, "train-labels-idx1-ubyte.gz")).astype(np.int64)
        self.x_test = scale(read_idx(os.path.join(folder, "t10k-images-idx3-ubyte.gz")))
        self.y_test_int = read_idx(os.path.join(folder, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
        self.y_train = np.eye(10, dtype=np.float32)[self.y_train_int]
        self.y_test = np.eye(10, dtype=np.float32)[self.y_test_int]
        self.x_test_npy = os.path.join(folder, "x_test.npy")
        np.save(self.x_test_npy, self.x_test)


class KerasTestCase(unittest.TestCase):
    """Gives each test class a scratch folder and the synthetic data (made once per class)."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="glia-keras-")
        folder = os.path.join(cls.tmp, "data")
        subprocess.run([MAKE_SYNTHETIC_MNIST, folder, str(TRAIN_COUNT), str(TEST_COUNT)], check=True)
        cls.data = Data(folder)

    @classmethod
    def tearDownClass(cls):
        if os.environ.get("GLIA_KERAS_KEEP_TMP"):
            print(f"kept {cls.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, *parts):
        p = os.path.join(self.tmp, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    # ---- Glia through its CLI ----

    def glia(self, *args):
        cmd = [GLIA, *map(str, args)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            self.fail(
                f"glia failed (exit {proc.returncode}): {' '.join(cmd)}\n"
                f"--- stdout (tail)\n{proc.stdout[-3000:]}\n--- stderr (tail)\n{proc.stderr[-3000:]}"
            )
        return proc.stdout

    def glia_predict(self, model_path, verify=False):
        args = ["predict", "--model", model_path, "--input", self.data.x_test_npy, "--batch-size", 100]
        if verify:
            args.append("--verify")
        out = json.loads(self.glia(*args))
        probs = np.asarray(out["probabilities"], dtype=np.float64)
        classes = np.asarray(out["classes"], dtype=np.int64)
        self.assertEqual(probs.shape, (TEST_COUNT, 10), f"glia predict {model_path}: shape")
        self.assertEqual(classes.shape, (TEST_COUNT,), f"glia predict {model_path}: classes")
        return probs, classes

    # ---- Keras ----

    def keras_predict(self, model):
        return np.asarray(model.predict(self.data.x_test, batch_size=100, verbose=0), dtype=np.float64)

    def assert_same_predictions(self, keras_probs, glia_probs, glia_classes, what):
        self.assertEqual(keras_probs.shape, glia_probs.shape, what)
        diff = float(np.max(np.abs(keras_probs - glia_probs)))
        print(f"{what}: max |Keras - Glia| = {diff:.3g}", file=sys.stderr)
        self.assertLessEqual(
            diff, PREDICT_TOLERANCE, f"{what}: max |Keras - Glia| probability difference {diff:.3g}"
        )
        # Classes: equal wherever the top two probabilities are not a near tie.
        keras_classes = np.argmax(keras_probs, axis=1)
        top2 = np.sort(keras_probs, axis=1)[:, -2:]
        clear = (top2[:, 1] - top2[:, 0]) > 2 * PREDICT_TOLERANCE
        mismatched = np.nonzero((keras_classes != glia_classes) & clear)[0]
        self.assertEqual(mismatched.size, 0, f"{what}: classes differ at rows {mismatched[:10].tolist()}")
        # The predictions must mean something: a trained model is not constant.
        self.assertGreater(float(np.std(keras_probs)), 1e-3, f"{what}: predictions are constant")


# The one warning a faithful file may cause: the legacy formats (.h5, model.json) are written
# as tf.keras 2 writes them, and tf.keras 2 names LeakyReLU's slope `alpha`, which Keras 3 reads
# with this notice.
ALLOWED_WARNINGS = ("Argument `alpha` is deprecated. Use `negative_slope` instead.",)


def load_quietly(test, loader, what):
    """Runs a Keras loader and fails on any warning (Keras only warns when it skips state)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = loader()
    messages = [
        str(w.message)
        for w in caught
        if "keras" in (w.filename or "") and not issubclass(w.category, DeprecationWarning)
        and str(w.message) not in ALLOWED_WARNINGS
    ]
    test.assertEqual(messages, [], f"{what}: Keras warned while loading")
    return result


def save_legacy_pair(model, folder):
    """The seed's pair: model.json (to_json) + model.h5 (the save_weights layout, Keras 3 names)."""
    from keras.src.legacy.saving import legacy_h5_format

    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.json"), "w") as f:
        f.write(model.to_json())
    with h5py.File(os.path.join(folder, "model.h5"), "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return os.path.join(folder, "model.json")


def load_legacy_pair(json_path, weights_path):
    """What the seed's score.py does: model_from_json + load_weights."""
    with open(json_path) as f:
        model = keras.models.model_from_json(f.read())
    model.load_weights(weights_path)
    return model


# ---- the models Keras builds ----


def seed_mlp(optimizer=None, first=300, second=100, dense_options=None):
    """The seed's keras_mnist.py: Dense(300, relu) -> Dense(100, relu) -> Dense(10, softmax),
    categorical_crossentropy, RMSprop(learning_rate), metrics accuracy. dense_options (e.g.
    regularizers, constraints) go to every Dense."""
    o = dense_options or {}
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(first, activation="relu", **o),
            keras.layers.Dense(second, activation="relu", **o),
            keras.layers.Dense(10, activation="softmax", **o),
        ]
    )
    model.compile(
        loss="categorical_crossentropy",
        optimizer=optimizer or keras.optimizers.RMSprop(learning_rate=0.001),
        metrics=["accuracy"],
    )
    return model


def regularized_mlp():
    """Dropout, sigmoid and tanh, L2 kernel regularizers."""
    l2 = keras.regularizers.L2(1e-4)
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(128, activation="sigmoid", kernel_regularizer=l2),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(64, activation="tanh", kernel_regularizer=l2),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(0.001), metrics=["accuracy"]
    )
    return model


def functional_add_concat():
    """A functional graph with a residual-style Add and a Concatenate."""
    inputs = keras.Input(shape=(784,), name="pixels")
    a = keras.layers.Dense(64, activation="relu")(inputs)
    b = keras.layers.Dense(64, activation="tanh")(inputs)
    s = keras.layers.Add()([a, b])
    c = keras.layers.Concatenate()([s, a])
    h = keras.layers.Dense(32, activation="relu")(c)
    outputs = keras.layers.Dense(10, activation="softmax")(h)
    model = keras.Model(inputs, outputs, name="add_concat")
    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
        metrics=["accuracy"],
    )
    return model


# ---- pool (issue 16) ----


def save_all_formats(test, model, name):
    """Keras saves `model` as .keras, full .h5 and the pair under test.path(name, "keras", ...);
    returns {format: path} ("keras", "h5", "json+h5")."""
    files = {
        "keras": test.path(name, "keras", "model.keras"),
        "h5": test.path(name, "keras", "full.h5"),
    }
    model.save(files["keras"])
    model.save(files["h5"])
    files["json+h5"] = save_legacy_pair(model, test.path(name, "keras", "pair"))
    return files


def glia_output_files(glia_dir):
    """Where a test has `glia train` save all three formats in glia_dir: {format: path}, and a
    loader per format for Keras."""
    out = {
        "keras": os.path.join(glia_dir, "out.keras"),
        "h5": os.path.join(glia_dir, "out.h5"),
        "json+h5": os.path.join(glia_dir, "pair", "out.json"),
    }
    loaders = {
        "keras": lambda: keras.models.load_model(out["keras"]),
        "h5": lambda: keras.models.load_model(out["h5"]),
        "json+h5": lambda: load_legacy_pair(out["json+h5"],
                                            os.path.join(glia_dir, "pair", "out.h5")),
    }
    return out, loaders


def check_glia_reads(test, files, keras_probs, name):
    """`glia predict` on each of Keras' files ({format: path}) gives Keras' predictions."""
    for fmt, path in files.items():
        with test.subTest(model=name, format=fmt, check="glia predict on Keras' file"):
            probs, classes = test.glia_predict(path)
            test.assert_same_predictions(keras_probs, probs, classes,
                                         f"{name}: Keras' {fmt} read by Glia")
