"""Train a Keras MLP on MNIST-layout data and log to the run with azureml.core.Run.

Written in the style of Azure ML's "train Keras models at scale" sample: the same flags, the same
784-N1-N2-10 network, the same metrics, plot and ./outputs/model files. It runs unchanged as a
Glia job (the agent's azureml.core shim logs to Glia) and anywhere else (offline).
"""

import argparse
import glob
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from azureml.core import Run  # noqa: E402

from utils import load_data, one_hot_encode, save_reference_sample  # noqa: E402

keras = tf.keras

parser = argparse.ArgumentParser()
parser.add_argument("--data-folder", type=str, dest="data_folder", default="data",
                    help="data folder mounting point")
parser.add_argument("--batch-size", type=int, dest="batch_size", default=50,
                    help="mini batch size for training")
parser.add_argument("--first-layer-neurons", type=int, dest="n_hidden_1", default=100,
                    help="# of neurons in the first layer")
parser.add_argument("--second-layer-neurons", type=int, dest="n_hidden_2", default=100,
                    help="# of neurons in the second layer")
parser.add_argument("--learning-rate", type=float, dest="learning_rate", default=0.001,
                    help="learning rate")
parser.add_argument("--epochs", type=int, dest="n_epochs", default=20, help="training epochs")
args = parser.parse_args()


def find(pattern):
    """The one file under the data folder whose name matches pattern (at any depth)."""
    matches = sorted(glob.glob(os.path.join(args.data_folder, "**", pattern), recursive=True))
    if not matches:
        raise SystemExit("no %s under %s" % (pattern, args.data_folder))
    return matches[0]


X_train = load_data(find("train-images-idx3-ubyte.gz"), False) / 255.0
X_test = load_data(find("t10k-images-idx3-ubyte.gz"), False) / 255.0
y_train = load_data(find("train-labels-idx1-ubyte.gz"), True).reshape(-1)
y_test = load_data(find("t10k-labels-idx1-ubyte.gz"), True).reshape(-1)

training_set_size = X_train.shape[0]
n_inputs = 28 * 28
n_outputs = 10
print(X_train.shape, y_train.shape, X_test.shape, y_test.shape, sep="\n")

y_train = one_hot_encode(y_train, n_outputs)
y_test = one_hot_encode(y_test, n_outputs)

model = keras.models.Sequential()
model.add(keras.layers.Dense(args.n_hidden_1, activation="relu", input_shape=(n_inputs,)))
model.add(keras.layers.Dense(args.n_hidden_2, activation="relu"))
model.add(keras.layers.Dense(n_outputs, activation="softmax"))
model.summary()
model.compile(loss="categorical_crossentropy",
              optimizer=keras.optimizers.RMSprop(learning_rate=args.learning_rate),
              metrics=["accuracy"])

run = Run.get_context()


class LogRunMetrics(keras.callbacks.Callback):
    """Logs the validation loss and accuracy after every epoch (repeated logs form a list)."""

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        run.log("Loss", logs["val_loss"])
        run.log("Accuracy", logs["val_accuracy"])


history = model.fit(X_train, y_train, batch_size=args.batch_size, epochs=args.n_epochs,
                    verbose=2, validation_data=(X_test, y_test), callbacks=[LogRunMetrics()])

score = model.evaluate(X_test, y_test, verbose=0)
run.log("Final test loss", score[0])
print("Test loss:", score[0])
run.log("Final test accuracy", score[1])
print("Test accuracy:", score[1])

plt.figure(figsize=(6, 3))
plt.title("MNIST with Keras MLP ({} epochs)".format(args.n_epochs), fontsize=14)
plt.plot(history.history["val_accuracy"], "b-", label="Accuracy", lw=4, alpha=0.5)
plt.plot(history.history["val_loss"], "r--", label="Loss", lw=4, alpha=0.5)
plt.legend(fontsize=12)
plt.grid(True)
run.log_image("Accuracy vs Loss", plot=plt)

os.makedirs("./outputs/model", exist_ok=True)
with open("./outputs/model/model.json", "w") as f:
    f.write(model.to_json())
model.save_weights("./outputs/model/model.h5")
# Keras' own output for the first test images, kept beside the weights: `glia predict --verify`
# checks that Glia's engine computes the same.
save_reference_sample("./outputs/model/model.h5", model, X_test[:8])
print("model saved in ./outputs/model folder")
