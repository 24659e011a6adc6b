"""Keras 3 (TensorFlow backend) saving and loading the seed's MLP, for the side-by-side numbers."""
import os, statistics, sys, tempfile, time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402


def best(f, n=15):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


m = keras.Sequential([keras.Input((784,)), keras.layers.Dense(300, activation="relu"),
                      keras.layers.Dense(100, activation="relu"),
                      keras.layers.Dense(10, activation="softmax")])
m.compile(optimizer=keras.optimizers.RMSprop(0.001), loss="categorical_crossentropy",
          metrics=["accuracy"])
d = tempfile.mkdtemp()
k, h, j, w = (os.path.join(d, n) for n in ("seed.keras", "seed.h5", "seed.json", "seed.weights.h5"))


def save_pair():
    open(j, "w").write(m.to_json())
    m.save_weights(w)


def load_pair():
    x = keras.models.model_from_json(open(j).read())
    x.load_weights(w)


rows = [("seed.keras", best(lambda: m.save(k)), best(lambda: keras.models.load_model(k))),
        ("seed.json", best(save_pair), best(load_pair)),
        ("seed.h5", best(lambda: m.save(h)), best(lambda: keras.models.load_model(h)))]
for name, s, l in rows:
    print(f"keras {keras.__version__} {name}: save {s:.2f} ms, load {l:.2f} ms")
