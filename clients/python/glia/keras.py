"""A Keras callback that logs every epoch's metrics to the Glia run.

    from glia.keras import GliaCallback
    model.fit(x, y, validation_data=(xv, yv), callbacks=[GliaCallback()])

logs every entry of Keras's epoch ``logs`` (``loss``, ``accuracy``, ``val_loss``, ...) with
``step=epoch``. ``GliaCallback(log_seed_metrics=True)`` also logs ``Loss`` and ``Accuracy``
without a step, as the Azure sample's ``LogRunMetrics`` callback does (``val_loss`` /
``val_accuracy``, falling back to ``loss`` / ``accuracy`` when there is no validation data).

Neither importing this module nor naming ``GliaCallback`` imports Keras. The Keras base class is
chosen when the first callback is *created* (by then the training script has imported Keras):
``keras.callbacks.Callback`` (or ``tensorflow.keras.callbacks.Callback``) when importable, else a
plain class with the same hook methods, so the callback also works with Keras-like loops and in
tests without Keras. Instances are always ``isinstance(cb, GliaCallback)``.
"""

import importlib
import sys
import threading

from .run import Run

__all__ = ["GliaCallback", "callback_base"]

_SEED_METRICS = (
    ("Loss", ("val_loss", "loss")),
    ("Accuracy", ("val_accuracy", "val_acc", "accuracy", "acc")),
)


class _PlainCallback(object):
    """Stand-in for keras.callbacks.Callback when Keras is not installed."""

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass


_base = None
_classes = {}
_lock = threading.Lock()


def _find_keras_base():
    def from_keras():
        return importlib.import_module("keras.callbacks").Callback

    def from_tensorflow():
        return importlib.import_module("tensorflow").keras.callbacks.Callback

    # Prefer the Keras the program already imported (tf.keras may differ from keras, e.g. with
    # TF_USE_LEGACY_KERAS); otherwise try keras, then tensorflow.keras.
    order = [from_keras, from_tensorflow]
    if "tensorflow" in sys.modules and "keras" not in sys.modules:
        order.reverse()
    for find in order:
        try:
            base = find()
        except Exception:  # ImportError, or a broken installation
            continue
        if isinstance(base, type):
            return base
    return _PlainCallback


def callback_base():
    """The base class GliaCallback instances use (found once, on first use)."""
    global _base
    if _base is None:
        with _lock:
            if _base is None:
                _base = _find_keras_base()
    return _base


def _concrete(cls):
    """cls (GliaCallback or a user's subclass of it) combined with the Keras base class."""
    base = callback_base()
    if issubclass(cls, base):
        return cls
    with _lock:
        concrete = _classes.get(cls)
        if concrete is None:
            concrete = type(cls.__name__, (cls, base), {"__module__": cls.__module__,
                                                         "__doc__": cls.__doc__,
                                                         "__qualname__": cls.__qualname__})
            _classes[cls] = concrete
    return concrete


class GliaCallback(object):
    """Logs each epoch's ``logs`` to the run: ``prefix + key`` with ``step=epoch``.

    run: the Run to log to (default ``Run.get_context()``).
    prefix: put before every logged name (e.g. "train/").
    log_seed_metrics: also log ``Loss`` and ``Accuracy`` without a step, like the Azure
        sample's LogRunMetrics (``val_loss``/``val_accuracy``, else ``loss``/``accuracy``).

    Entries whose value is not a number (e.g. a string) are skipped.
    """

    def __new__(cls, *args, **kwargs):
        concrete = _concrete(cls)
        return super(GliaCallback, concrete).__new__(concrete)

    def __init__(self, run=None, prefix="", log_seed_metrics=False):
        super(GliaCallback, self).__init__()
        if not isinstance(prefix, str):
            raise TypeError("prefix must be a str, got %s" % type(prefix).__name__)
        self.run = run if run is not None else Run.get_context()
        self.prefix = prefix
        self.log_seed_metrics = bool(log_seed_metrics)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        run = self.run
        for key, value in logs.items():
            try:
                run.log(self.prefix + str(key), value, step=epoch)
            except TypeError:
                pass  # not a number
        if self.log_seed_metrics:
            for name, keys in _SEED_METRICS:
                for key in keys:
                    if key in logs:
                        try:
                            run.log(name, logs[key])
                        except TypeError:
                            pass
                        break
