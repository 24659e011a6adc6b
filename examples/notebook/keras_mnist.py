"""The seed's training script (keras_mnist.py) for Keras 3: a 784-N1-N2-10 MLP on MNIST-layout
data, logging to the run with azureml.core.Run.

The same flags as the seed (--data-folder, --batch-size 50, --first-layer-neurons 100,
--second-layer-neurons 100, --learning-rate 0.001) plus --epochs (default 20, the seed's
n_epochs; the notebook passes fewer in CI), the same network, metrics, plot and
./outputs/model/model.json + model.h5. Keras 3 runs on JAX here (KERAS_BACKEND=jax, set by the
environment's conda file). Keras 3's save_weights() only writes names ending in .weights.h5, so
model.h5 is written in the legacy layout the seed's save_weights('model.h5') wrote, which the
seed's score.py (model_from_json + load_weights('model.h5')) reads unchanged.
"""

import argparse
import glob
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py  # noqa: E402
import keras  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from azureml.core import Run  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

from utils import load_data, one_hot_encode  # noqa: E402

print("Keras version:", keras.__version__, "backend:", keras.backend.backend())

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
    """The one file under the data folder whose name matches pattern (at any depth), as the seed
    finds its files with glob('**/...')."""
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
n_h1 = args.n_hidden_1
n_h2 = args.n_hidden_2
n_outputs = 10
n_epochs = args.n_epochs
batch_size = args.batch_size
learning_rate = args.learning_rate

y_train = one_hot_encode(y_train, n_outputs)
y_test = one_hot_encode(y_test, n_outputs)
print(X_train.shape, y_train.shape, X_test.shape, y_test.shape, sep="\n")

# Build a simple MLP model
model = keras.Sequential()
model.add(keras.Input(shape=(n_inputs,)))
# first hidden layer
model.add(keras.layers.Dense(n_h1, activation="relu"))
# second hidden layer
model.add(keras.layers.Dense(n_h2, activation="relu"))
# output layer
model.add(keras.layers.Dense(n_outputs, activation="softmax"))

model.summary()

model.compile(loss="categorical_crossentropy",
              optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
              metrics=["accuracy"])

# start an Azure ML run
run = Run.get_context()


class LogRunMetrics(keras.callbacks.Callback):
    # callback at the end of every epoch
    def on_epoch_end(self, epoch, log=None):
        log = log or {}
        # log a value repeated which creates a list
        run.log("Loss", log["val_loss"])
        run.log("Accuracy", log["val_accuracy"])


history = model.fit(X_train, y_train,
                    batch_size=batch_size,
                    epochs=n_epochs,
                    verbose=2,
                    validation_data=(X_test, y_test),
                    callbacks=[LogRunMetrics()])

score = model.evaluate(X_test, y_test, verbose=0)

# log a single value
run.log("Final test loss", score[0])
print("Test loss:", score[0])

run.log("Final test accuracy", score[1])
print("Test accuracy:", score[1])

plt.figure(figsize=(6, 3))
plt.title("MNIST with Keras MLP ({} epochs)".format(n_epochs), fontsize=14)
plt.plot(history.history["val_accuracy"], "b-", label="Accuracy", lw=4, alpha=0.5)
plt.plot(history.history["val_loss"], "r--", label="Loss", lw=4, alpha=0.5)
plt.legend(fontsize=12)
plt.grid(True)

# log an image
run.log_image("Accuracy vs Loss", plot=plt)

# create a ./outputs/model folder in the compute target
# files saved in the "./outputs" folder are automatically uploaded into run history
os.makedirs("./outputs/model", exist_ok=True)

# serialize NN architecture to JSON
model_json = model.to_json()
# save model JSON
with open("./outputs/model/model.json", "w") as f:
    f.write(model_json)
# save model weights, in the layout of the seed's model.save_weights('model.h5')
with h5py.File("./outputs/model/model.h5", "w") as f:
    legacy_h5_format.save_weights_to_hdf5_group(f, model)
print("model saved in ./outputs/model folder")
