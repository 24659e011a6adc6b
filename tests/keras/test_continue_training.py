"""Proof 3: a .keras saved by real Keras after training (so it holds optimizer state) is trained
one more epoch by Glia and by Keras, from the same file, on the same batches (batch 50, no
shuffle). Every weight, and every optimizer variable, agrees within 1e-4. Run for the seed's MLP
with three optimizers, and for MLPs with each regularizer and constraint (in the loss and after
each update as Keras applies them)."""

import io
import math
import sys
import zipfile

import common  # first: selects the JAX backend before Keras is imported
import h5py
import keras
import numpy as np

BATCH = 50


def archive_variables(path):
    """{"layers/dense/vars/0": array, ..., "optimizer/vars/0": array, ...} read straight from the
    archive's model.weights.h5 (no Keras involved)."""
    with zipfile.ZipFile(path) as archive:
        raw = archive.read("model.weights.h5")
    found = {}
    with h5py.File(io.BytesIO(raw), "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                found[name] = np.asarray(obj[()], dtype=np.float64)
        f.visititems(visit)
    return found


class ContinueTraining(common.KerasTestCase):
    def check_optimizer(self, name, optimizer, build=common.seed_mlp):
        keras.utils.set_random_seed(99)
        model = build(optimizer)
        model.fit(self.data.x_train, self.data.y_train, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        start = self.path(name, "start.keras")
        model.save(start)

        # Keras continues from the file.
        keras_model = keras.models.load_model(start)
        keras_model.fit(self.data.x_train, self.data.y_train, batch_size=BATCH, epochs=1, shuffle=False,
                        verbose=0)
        keras_end = self.path(name, "keras-end.keras")
        keras_model.save(keras_end)

        # Glia continues from the same file: optimizer, loss and state come from the archive.
        glia_end = self.path(name, "glia-end.keras")
        self.glia("train", "--model", start, "--data-folder", self.data.folder, "--epochs", 1,
                  "--batch-size", BATCH, "--no-shuffle", "--save", glia_end)

        before = archive_variables(start)
        expected = archive_variables(keras_end)
        got = archive_variables(glia_end)
        missing = sorted(set(expected) - set(got))
        extra = sorted(k for k in set(got) - set(expected) if k.startswith(("layers/", "optimizer/")))
        self.assertEqual((missing, extra), ([], []),
                         f"{name}: datasets of Glia's .keras ({glia_end}) vs Keras' (missing, extra)")
        steps = math.ceil(common.TRAIN_COUNT / BATCH)
        self.assertEqual(int(expected["optimizer/vars/0"]), 2 * steps)  # sanity of the Keras side
        self.assertEqual(int(got["optimizer/vars/0"]), 2 * steps,
                         f"{name}: Glia's iteration count after one more epoch")
        worst = []
        for key in sorted(expected):
            self.assertEqual(got[key].shape, expected[key].shape, f"{name}: shape of {key}")
            diff = float(np.max(np.abs(got[key] - expected[key]))) if expected[key].size else 0.0
            moved = float(np.max(np.abs(expected[key] - before[key]))) if expected[key].size else 0.0
            worst.append((diff, key, moved))
        worst.sort(reverse=True)
        report = ", ".join(f"{k}: {d:.3g} (moved {m:.3g})" for d, k, m in worst[:4])
        print(f"{name}: largest |Glia - Keras| after one more epoch: {report}", file=sys.stderr)
        self.assertLessEqual(worst[0][0], common.WEIGHT_TOLERANCE,
                             f"{name}: max |Glia - Keras| after one more epoch: {report}")
        # The epoch really trained: the kernels moved much more than the tolerance.
        moved = max(m for _, k, m in worst if k.startswith("layers/"))
        self.assertGreater(moved, 10 * common.WEIGHT_TOLERANCE, f"{name}: weights barely moved")

    def test_adam(self):
        self.check_optimizer("adam", keras.optimizers.Adam(learning_rate=0.001))

    def test_sgd_momentum(self):
        self.check_optimizer("sgd", keras.optimizers.SGD(learning_rate=0.01, momentum=0.9))

    def test_rmsprop(self):
        self.check_optimizer("rmsprop", keras.optimizers.RMSprop(learning_rate=0.001))

    def test_each_regularizer_and_constraint(self):
        R, C = keras.regularizers, keras.constraints
        cases = {
            "bias_l2": dict(bias_regularizer=R.L2(1e-2)),
            "bias_l1": dict(bias_regularizer=R.L1(1e-3)),
            "activity_l1l2": dict(activity_regularizer=R.L1L2(l1=1e-4, l2=1e-3)),
            "activity_l2": dict(activity_regularizer=R.L2(1e-3)),
            "max_norm": dict(kernel_constraint=C.MaxNorm(0.3), bias_constraint=C.MaxNorm(0.05)),
            "non_neg": dict(kernel_constraint=C.NonNeg(), bias_constraint=C.NonNeg()),
            "unit_norm": dict(kernel_constraint=C.UnitNorm(axis=1)),
            "min_max_norm": dict(kernel_constraint=C.MinMaxNorm(0.2, 0.4, rate=0.5),
                                 bias_constraint=C.MinMaxNorm(0.0, 0.1, axis=[0])),
        }
        for name, options in cases.items():
            with self.subTest(case=name):
                def build(optimizer, options=options):
                    return common.seed_mlp(optimizer, first=64, second=32, dense_options=options)
                self.check_optimizer(name, keras.optimizers.Adam(learning_rate=0.001), build)


if __name__ == "__main__":
    import unittest

    unittest.main()
