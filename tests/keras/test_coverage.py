"""Proof 4: every layer, activation, initializer, regularizer, constraint, optimizer (with
schedules and clipping), loss and metric the engine has goes both ways through all three formats, and what the
engine lacks is refused with one line naming it.

Direction A (Keras -> Glia -> Keras): Keras builds small models that together use the whole
inventory, compiles each with a different optimizer/schedule/clip/loss, trains two steps and saves
`.keras` (with optimizer state), the full `.h5` and the pair (model.json + save_weights .h5).
`glia predict` on each file gives Keras' predictions; `glia train` continues one epoch from the
`.keras` (and from the `.h5`: Keras' training_config) and saves all three formats; Keras loads
Glia's files (with compile where the format has a compile config) and finds the same optimizer
class and config, the same loss, the same metrics and the same layer configs it started with, and
predicts what `glia predict` predicts. Keras rejects unknown kwargs, so this also proves Glia
writes only keys Keras accepts.

Direction B (refusals): `.keras` files using things Glia lacks make `glia predict` / `glia train`
exit 1 with a one-line message naming the unsupported class or option.

Known format limit: the pair's model.json is to_json() output, which has no compile config in
Keras either, so only the `.keras` and the full `.h5` carry optimizer and loss.
"""

import os
import subprocess
import sys
import time
import unittest
import warnings

import common  # first: selects the JAX backend before Keras is imported
import keras
import numpy as np

L = keras.layers
I = keras.initializers
R = keras.regularizers
O = keras.optimizers
S = keras.optimizers.schedules
LS = keras.losses

KERAS_STEPS = 2  # Keras trains this many batches before saving (builds real optimizer state)
BATCH = 50
GLIA_STEPS = common.TRAIN_COUNT // BATCH  # one Glia epoch, --no-shuffle


# ---- direction A: the models (together they use the whole inventory) ----


def sgd_nesterov_expdecay():
    """SGD + Nesterov momentum, ExponentialDecay (staircase), clipnorm; CategoricalCrossentropy
    object with label_smoothing. relu, gelu, softmax; GlorotNormal, HeUniform, HeNormal, Zeros,
    Ones; L1, L2; Dropout with a seed."""
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            L.Dense(16, activation="relu", kernel_initializer=I.GlorotNormal(),
                    bias_initializer=I.Zeros(), kernel_regularizer=R.L1(1e-5)),
            L.Dropout(0.25, seed=3),
            L.Dense(12, activation="gelu", kernel_initializer=I.HeUniform(),
                    bias_initializer=I.Ones(), kernel_regularizer=R.L2(1e-4)),
            L.Dense(10, activation="softmax", kernel_initializer=I.HeNormal()),
        ],
        name="sgd_nesterov_expdecay",
    )
    model.compile(
        optimizer=O.SGD(learning_rate=S.ExponentialDecay(0.05, decay_steps=20, decay_rate=0.9,
                                                         staircase=True),
                        momentum=0.8, nesterov=True, clipnorm=1.0),
        loss=LS.CategoricalCrossentropy(label_smoothing=0.1),
        metrics=["accuracy"],
    )
    return model


def rmsprop_centered_sparse():
    """RMSprop with rho, momentum, epsilon, centered, global_clipnorm; sparse labels (string
    loss). leaky_relu Dense, Activation tanh/softmax, Dropout without seed; LecunNormal,
    LecunUniform, RandomNormal(mean, stddev); L1L2."""
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            L.Dense(16, activation="leaky_relu", kernel_initializer=I.LecunNormal(),
                    kernel_regularizer=R.L1L2(l1=1e-5, l2=1e-4)),
            L.Activation("tanh"),
            L.Dropout(0.1),
            L.Dense(10, kernel_initializer=I.LecunUniform(),
                    bias_initializer=I.RandomNormal(mean=0.01, stddev=0.02)),
            L.Activation("softmax"),
        ],
        name="rmsprop_centered_sparse",
    )
    model.compile(
        optimizer=O.RMSprop(learning_rate=0.002, rho=0.8, momentum=0.5, epsilon=1e-6,
                            centered=True, global_clipnorm=2.0),
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy"],
    )
    return model


def adam_amsgrad_cosine_logits():
    """Functional: Add, Concatenate, Flatten, a bias-free linear output (logits). Adam with
    beta_1, beta_2, epsilon, amsgrad, CosineDecay with warmup, clipvalue;
    CategoricalCrossentropy(from_logits=True). sigmoid, tanh; RandomNormal, RandomUniform."""
    inputs = keras.Input(shape=(784,), name="pixels")
    a = L.Dense(16, activation="sigmoid", kernel_initializer=I.RandomNormal(0.0, 0.1),
                bias_initializer=I.RandomUniform(minval=-0.01, maxval=0.02))(inputs)
    b = L.Dense(16, activation="tanh",
                kernel_initializer=I.RandomUniform(minval=-0.1, maxval=0.1))(inputs)
    s = L.Add()([a, b])
    c = L.Concatenate()([s, b])
    f = L.Flatten()(c)
    outputs = L.Dense(10, use_bias=False)(f)
    model = keras.Model(inputs, outputs, name="adam_amsgrad_cosine_logits")
    model.compile(
        optimizer=O.Adam(learning_rate=S.CosineDecay(0.001, decay_steps=100, alpha=0.1,
                                                     warmup_target=0.005, warmup_steps=10),
                         beta_1=0.85, beta_2=0.99, epsilon=1e-6, amsgrad=True, clipvalue=0.5),
        loss=LS.CategoricalCrossentropy(from_logits=True),
        metrics=["categorical_accuracy", "top_k_categorical_accuracy"],
    )
    return model


def adamw_binary():
    """AdamW with weight_decay and a CosineDecay without warmup target (warmup off);
    binary_crossentropy (string) on a sigmoid output; every activation as an Activation layer;
    Flatten in a Sequential."""
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            L.Dense(16, activation="linear"),
            L.Activation("leaky_relu"),
            L.Activation("gelu"),
            L.Activation("relu"),
            L.Activation("linear"),
            L.Activation("sigmoid"),
            L.Flatten(),
            L.Dense(10, activation="sigmoid"),
        ],
        name="adamw_binary",
    )
    model.compile(
        optimizer=O.AdamW(learning_rate=S.CosineDecay(0.003, decay_steps=50, warmup_steps=5),
                          weight_decay=0.01),
        loss="binary_crossentropy",
        metrics=["binary_accuracy"],
    )
    return model


def sgd_mse():
    """Plain SGD; MeanSquaredError object."""
    model = keras.Sequential(
        [keras.Input(shape=(784,)), L.Dense(10, activation="softmax")], name="sgd_mse"
    )
    model.compile(optimizer=O.SGD(learning_rate=0.5), loss=LS.MeanSquaredError(),
                  metrics=["mse", "mae"])
    return model


def rmsprop_mae():
    """Default RMSprop; mean_absolute_error (string)."""
    model = keras.Sequential(
        [keras.Input(shape=(784,)), L.Dense(8, activation="tanh"),
         L.Dense(10, activation="softmax")], name="rmsprop_mae"
    )
    model.compile(optimizer="rmsprop", loss="mean_absolute_error", metrics=["accuracy"])
    return model


def adam_binary_logits():
    """Default Adam; BinaryCrossentropy(from_logits=True, label_smoothing) on a linear output."""
    model = keras.Sequential(
        [keras.Input(shape=(784,)), L.Dense(8, activation="relu"), L.Dense(10)],
        name="adam_binary_logits",
    )
    model.compile(optimizer=O.Adam(),
                  loss=LS.BinaryCrossentropy(from_logits=True, label_smoothing=0.05),
                  metrics=["binary_accuracy"])
    return model


# Every activation name keras.activations.get() accepts for a layer (aliases too), except glu
# (halves the last axis) and threshold (needs arguments): Glia refuses those two.
ALL_ACTIVATIONS = [
    "linear", "relu", "sigmoid", "tanh", "softmax", "gelu", "leaky_relu", "elu", "selu",
    "softplus", "softsign", "silu", "swish", "hard_sigmoid", "hard_silu", "hard_swish", "relu6",
    "exponential", "mish", "log_softmax", "celu", "tanh_shrink", "soft_shrink", "hard_shrink",
    "hard_tanh", "squareplus", "log_sigmoid", "sparse_plus", "sparse_sigmoid", "sparsemax",
]


def every_activation_dense():
    """Functional: one Dense branch per activation string, concatenated; Adam."""
    inputs = keras.Input(shape=(784,))
    branches = [L.Dense(6, activation=a, name=f"dense_{a}")(inputs) for a in ALL_ACTIVATIONS]
    outputs = L.Dense(10, activation="softmax")(L.Concatenate()(branches))
    model = keras.Model(inputs, outputs, name="every_activation_dense")
    model.compile(optimizer=O.Adam(0.001), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def every_activation_layer():
    """Functional: every activation as an Activation layer and the activation layers with their
    arguments (ELU, LeakyReLU, ReLU, Softmax, PReLU with and without shared axes) on one Dense;
    SGD with momentum. ELU keeps alpha 1: Keras 3.15's ELU.get_config() drops alpha, so Keras
    itself reloads any other value as 1."""
    inputs = keras.Input(shape=(784,))
    h = L.Dense(12, name="pre")(inputs)
    layers = [L.Activation(a, name=f"act_{a}") for a in ALL_ACTIVATIONS] + [
        L.ELU(), L.LeakyReLU(), L.LeakyReLU(negative_slope=0.05),
        L.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.2), L.ReLU(max_value=6.0),
        L.ReLU(negative_slope=0.3), L.Softmax(),
        L.PReLU(alpha_initializer=I.Constant(0.25)),
        L.PReLU(alpha_initializer=I.RandomUniform(0.0, 0.5), shared_axes=[1]),
    ]
    outputs = L.Dense(10, activation="softmax")(L.Concatenate()([layer(h) for layer in layers]))
    model = keras.Model(inputs, outputs, name="every_activation_layer")
    model.compile(optimizer=O.SGD(0.01, momentum=0.5), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def regularized_constrained():
    """Bias and activity regularizers (L1, L2, L1L2), kernel and bias constraints (MaxNorm,
    NonNeg, UnitNorm, MinMaxNorm with axes), PReLU's alpha regularizer and constraint."""
    C = keras.constraints
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            L.Dense(16, activation="relu", bias_regularizer=R.L2(1e-3),
                    activity_regularizer=R.L1L2(l1=1e-5, l2=1e-4),
                    kernel_constraint=C.MaxNorm(0.5), bias_constraint=C.NonNeg()),
            L.Dense(12, activation="tanh", bias_regularizer=R.L1(1e-4),
                    activity_regularizer=R.L1(1e-4), kernel_constraint=C.UnitNorm(axis=1),
                    bias_constraint=C.MinMaxNorm(min_value=0.1, max_value=0.5, rate=0.7)),
            L.PReLU(alpha_regularizer=R.L2(1e-3), alpha_constraint=C.NonNeg()),
            L.Dense(10, activation="softmax",
                    kernel_constraint=C.MinMaxNorm(0.0, 2.0, rate=1.0, axis=[0, 1])),
        ],
        name="regularized_constrained",
    )
    model.compile(optimizer=O.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


MODELS = [
    sgd_nesterov_expdecay,
    rmsprop_centered_sparse,
    adam_amsgrad_cosine_logits,
    adamw_binary,
    sgd_mse,
    rmsprop_mae,
    adam_binary_logits,
    every_activation_dense,
    every_activation_layer,
    regularized_constrained,
]

# The remaining loss spellings (string vs object) on a tiny model: Glia reads them from Keras'
# .keras and writes a loss Keras reads back as the same loss.
LOSS_FORMS = [
    ("categorical_crossentropy", "categorical_accuracy"),
    (lambda: LS.CategoricalCrossentropy(), "accuracy"),
    (lambda: LS.SparseCategoricalCrossentropy(from_logits=True), "sparse_categorical_accuracy"),
    (lambda: LS.SparseCategoricalCrossentropy(), keras.metrics.SparseCategoricalAccuracy()),
    (lambda: LS.BinaryCrossentropy(), "binary_accuracy"),
    ("mean_squared_error", "mae"),
    ("mse", "mse"),
    ("mae", "mae"),
    (lambda: LS.MeanAbsoluteError(), "mae"),
]


# ---- direction B: what Glia lacks ----


def tiny(*layers, name):
    return keras.Sequential([keras.Input(shape=(784,)), *layers], name=name)


def refusals():
    """(name, model, the word the message must name, whether predict (no compile) refuses too)."""
    cases = [
        ("glu", tiny(L.Dense(10, activation="glu"), name="glu"), "glu", True),
        ("glu_layer", tiny(L.Dense(10), L.Activation("glu"), name="glu_layer"), "glu", True),
        ("softmax_axis", keras.Sequential([keras.Input(shape=(28, 28)), L.Softmax(axis=1),
                                           L.Flatten(), L.Dense(10)], name="softmax_axis"),
         "only the last axis", True),
        ("orthogonal", tiny(L.Dense(10, kernel_initializer=I.Orthogonal()), name="orthogonal"),
         "Orthogonal", True),
        ("orthogonal_regularizer",
         tiny(L.Dense(10, kernel_regularizer=R.OrthogonalRegularizer(0.01)),
              name="orthogonal_regularizer"), "OrthogonalRegularizer", True),
        ("conv3d", keras.Sequential([keras.Input(shape=(6, 6, 6, 1)), L.Conv3D(2, 3),
                                     L.Flatten(), L.Dense(10)], name="conv3d"), "Conv3D", True),
    ]
    compiled = [
        ("nadam", O.Nadam(), "categorical_crossentropy", "Nadam"),
        ("huber", O.Adam(), LS.Huber(), "Huber"),
        ("kld", O.Adam(), "kl_divergence", "kl_divergence"),
        ("piecewise", O.SGD(S.PiecewiseConstantDecay([10], [0.1, 0.01])),
         "categorical_crossentropy", "PiecewiseConstantDecay"),
        ("ema", O.Adam(use_ema=True), "categorical_crossentropy", "use_ema"),
    ]
    for name, optimizer, loss, word in compiled:
        model = tiny(L.Dense(10, activation="softmax"), name=name)
        model.compile(optimizer=optimizer, loss=loss)
        cases.append((name, model, word, False))
    return cases


# ---- comparisons ----


def loss_identity(loss):
    """A loss as (function name, from_logits, label_smoothing), whatever its spelling: a name,
    a function (Keras' legacy .h5 loader gives one) or a Loss object."""
    if isinstance(loss, str):
        loss = LS.get(loss)
    if not isinstance(loss, LS.Loss):
        return (loss.__name__, False, 0.0)
    config = loss.get_config()
    return (loss.fn.__name__, bool(config.get("from_logits", False)),
            float(config.get("label_smoothing", 0.0)))


METRIC_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "acc": "accuracy"}


def metric_names(model):
    """The compiled metrics by name (Keras' legacy .h5 loader turns names into metric objects)."""
    names = []
    for m in model.get_compile_config()["metrics"] or []:
        name = m if isinstance(m, str) else m["config"]["name"]
        names.append(METRIC_ALIASES.get(name, name))
    return names


def layer_configs(model):
    return [(type(layer).__name__, layer.get_config()) for layer in model.layers]


def optimizer_state(model):
    """The optimizer's class and config. Not its name: Keras numbers repeated default names
    (adam, adam_1, ...) and Glia writes the default."""
    config = dict(model.optimizer.get_config())
    del config["name"]
    return type(model.optimizer).__name__, config


class Coverage(common.KerasTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.started = time.time()

    @classmethod
    def tearDownClass(cls):
        print(f"keras.coverage: {time.time() - cls.started:.1f} s", file=sys.stderr)
        super().tearDownClass()

    def labels(self, model):
        return self.data.y_train_int if self.sparse(model) else self.data.y_train

    @staticmethod
    def sparse(model):
        return loss_identity(model.loss)[0] == "sparse_categorical_crossentropy"

    def predict(self, model):
        """Keras' outputs for the 1,000 test images (one eager call: no predict() compile)."""
        with warnings.catch_warnings():  # a functional model's named input, given positionally
            warnings.simplefilter("ignore", UserWarning)
            out = model(self.data.x_test, training=False)
        return np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float64)

    def glia_train(self, source, *saves, restores_state=True):
        """One epoch of `glia train --model SOURCE`, the file's compile config as is."""
        args = ["train", "--model", source, "--data-folder", self.data.folder, "--epochs", 1,
                "--no-shuffle", "--batch-size", BATCH, "--verbose", 0]
        for path in saves:
            args += ["--save", path]
        out = self.glia(*args)
        if restores_state:
            self.assertIn("optimizer state restored", out, f"glia train --model {source}")
        return saves

    def assert_compile_matches(self, original, loaded, what):
        self.assertIsNotNone(getattr(loaded, "optimizer", None), f"{what}: not compiled")
        self.assertEqual(optimizer_state(loaded), optimizer_state(original), f"{what}: optimizer")
        self.assertEqual(loss_identity(loaded.loss), loss_identity(original.loss), f"{what}: loss")
        self.assertEqual(metric_names(loaded), metric_names(original), f"{what}: metrics")

    # ---- direction A ----

    def check_model(self, build):
        original = build()
        name = original.name
        x = self.data.x_train[: KERAS_STEPS * BATCH]
        y = self.labels(original)[: KERAS_STEPS * BATCH]
        original.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        keras_files = common.save_all_formats(self, original, name)

        # Glia reads each of Keras' files to Keras' predictions.
        keras_probs = self.predict(original)
        common.check_glia_reads(self, keras_files, keras_probs, name)

        # Glia continues training from Keras' .keras and saves all three formats.
        glia_dir = os.path.dirname(self.path(name, "glia", "out.keras"))
        out, loaders = common.glia_output_files(glia_dir)
        self.glia_train(keras_files["keras"], *out.values())
        for fmt, load in loaders.items():
            with self.subTest(model=name, format=fmt, check="Keras reads Glia's file"):
                what = f"{name}: Glia's {fmt} ({out[fmt]})"
                loaded = common.load_quietly(self, load, f"Keras loading {what}")
                self.assertEqual(layer_configs(loaded), layer_configs(original),
                                 f"{what}: layer configs")
                if fmt != "json+h5":  # model.json (to_json) has no compile config, in Keras too
                    self.assert_compile_matches(original, loaded, what)
                if fmt == "keras":
                    numpy = keras.ops.convert_to_numpy
                    self.assertEqual(int(numpy(loaded.optimizer.iterations)),
                                     KERAS_STEPS + GLIA_STEPS, f"{what}: iterations")
                    self.assertEqual([tuple(v.shape) for v in loaded.optimizer.variables],
                                     [tuple(v.shape) for v in original.optimizer.variables],
                                     f"{what}: optimizer variables")
                probs, classes = self.glia_predict(out[fmt])
                self.assert_same_predictions(self.predict(loaded), probs, classes,
                                             f"{what} read by Keras")

        # Glia also takes the compile config from Keras' full .h5 (its training_config).
        with self.subTest(model=name, check="glia train from Keras' .h5"):
            (from_h5,) = self.glia_train(keras_files["h5"],
                                         os.path.join(glia_dir, "from_h5.keras"))
            loaded = common.load_quietly(self, lambda: keras.models.load_model(from_h5),
                                         f"Keras loading {from_h5}")
            self.assert_compile_matches(original, loaded, f"{name}: Keras .h5 -> Glia .keras")
            self.assertEqual(layer_configs(loaded), layer_configs(original),
                             f"{name}: Keras .h5 -> Glia .keras: layer configs")

    def test_sgd_nesterov_expdecay(self):
        self.check_model(sgd_nesterov_expdecay)

    def test_rmsprop_centered_sparse(self):
        self.check_model(rmsprop_centered_sparse)

    def test_adam_amsgrad_cosine_logits(self):
        self.check_model(adam_amsgrad_cosine_logits)

    def test_adamw_binary(self):
        self.check_model(adamw_binary)

    def test_sgd_mse(self):
        self.check_model(sgd_mse)

    def test_rmsprop_mae(self):
        self.check_model(rmsprop_mae)

    def test_adam_binary_logits(self):
        self.check_model(adam_binary_logits)

    def test_every_activation_dense(self):
        self.check_model(every_activation_dense)

    def test_every_activation_layer(self):
        self.check_model(every_activation_layer)

    def test_regularized_constrained(self):
        self.check_model(regularized_constrained)

    def test_loss_spellings(self):
        """Each loss as the other spelling (string / object) than the models above use."""
        for i, (loss, metric) in enumerate(LOSS_FORMS):
            spelled = loss if isinstance(loss, str) else loss()
            what = f"loss {spelled if isinstance(spelled, str) else type(spelled).__name__}"
            with self.subTest(loss=what):
                original = keras.Sequential(
                    [keras.Input(shape=(784,)), L.Dense(10, activation="softmax")],
                    name=f"loss_{i}")
                original.compile(optimizer=O.SGD(0.1), loss=spelled, metrics=["accuracy", metric])
                start = self.path(f"loss_{i}", "start.keras")
                original.save(start)
                files = self.glia_train(start, self.path(f"loss_{i}", "out.keras"),
                                        self.path(f"loss_{i}", "out.h5"), restores_state=False)
                for path in files:
                    loaded = common.load_quietly(self, lambda: keras.models.load_model(path),
                                                 f"Keras loading {path}")
                    self.assert_compile_matches(original, loaded, f"{what}: {path}")

    # ---- direction B ----

    def test_refusals(self):
        for name, model, word, predict_refuses in refusals():
            with self.subTest(refusal=name):
                path = self.path("refuse", f"{name}.keras")
                model.save(path)
                commands = [["train", "--model", path, "--data-folder", self.data.folder,
                             "--epochs", 1, "--verbose", 0]]
                if predict_refuses:
                    commands.append(["predict", "--model", path, "--input", self.data.x_test_npy])
                for args in commands:
                    proc = subprocess.run([common.GLIA, *map(str, args)], capture_output=True,
                                          text=True)
                    what = f"glia {args[0]} of a .keras with {name}"
                    # invalid_argument (docs/errors.md): a file Glia cannot take.
                    self.assertEqual(proc.returncode, 2, f"{what}: exit code\n{proc.stderr}")
                    err = proc.stderr.strip()
                    self.assertEqual(len(err.splitlines()), 1,
                                     f"{what}: stderr is not one line:\n{err}")
                    self.assertTrue(err.startswith("glia: error: "), f"{what}: {err}")
                    self.assertIn(word, err, f"{what}: the message does not name {word}")
                    for bad in ("Traceback", "terminate called", "Aborted", "Segmentation"):
                        self.assertNotIn(bad, err, f"{what}: {err}")
                if not predict_refuses:  # compile-only: predict loads without compiling
                    self.glia_predict(path)


if __name__ == "__main__":
    unittest.main()
