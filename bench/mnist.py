"""The chapter's MNIST classifier: the seed's Keras code against nn_core, in the same run.

Run from the repository root with real data:
    NN_CORE_DATA_DIR=../shared/datasets python bench/mnist.py
The seed's code runs in its own process; peak_rss_mib is this process, which runs only ours.
"""

from __future__ import annotations

import time

from _common import ROOT, peak_rss_mib, report, run_seed_code

SEED_CELLS = """
import json, os, time
import keras
import numpy as np
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense, Flatten, Input
from tensorflow.keras.utils import to_categorical
from nn_core.data import load_mnist  # the same file the seed's mnist.load_data() would read

mnist = load_mnist()
train_images, train_labels, test_images, test_labels = (
    mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test)
x_train = train_images.astype("float32") / 255
x_test = test_images.astype("float32") / 255
y_train = to_categorical(train_labels)
y_test = to_categorical(test_labels)
runs = []
for seed in SEEDS:
    keras.utils.set_random_seed(seed)
    model = Sequential()
    model.add(Input((28, 28)))
    model.add(Flatten())
    model.add(Dense(15, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    started = time.perf_counter()
    history = model.fit(x_train, y_train, verbose=0, epochs=10, batch_size=128)
    seconds = time.perf_counter() - started
    _, test_acc = model.evaluate(x_test, y_test, verbose=0)
    runs.append({"seconds": seconds, "test_accuracy": test_acc})
print(json.dumps(runs))
"""


SEEDS = (0, 1, 2)  # one training's accuracy varies by about half a point with the seed


def run_ours():
    from dataclasses import replace

    from nn_core import chapter, data, training

    mnist = data.load_mnist()
    # As the page does it: raw uint8 pixels, scaled by the model's Rescaling layer.
    x_train, x_test = data.flatten_images(mnist.x_train), data.flatten_images(mnist.x_test)
    runs = []
    for seed in SEEDS:
        config = replace(chapter.MNIST_TRAINING, seed=seed)
        started = time.perf_counter()
        result = training.train(chapter.MNIST_NETWORK, config, x_train, mnist.y_train)
        seconds = time.perf_counter() - started
        test = training.evaluate(result, x_test, mnist.y_test)
        runs.append({"seconds": seconds, "test_accuracy": test["accuracy"]})
    return runs


def summary(runs):
    """Seconds of the first (cold) run, and test accuracy averaged over the seeds."""
    return {
        "seconds": runs[0]["seconds"],
        "test_accuracy": sum(run["test_accuracy"] for run in runs) / len(runs),
    }


def main():
    prelude = f"import sys; sys.path.insert(0, {str(ROOT)!r})\nSEEDS = {SEEDS!r}\n"
    seed = summary(run_seed_code(prelude + SEED_CELLS))
    ours = summary(run_ours())
    print(
        f"MNIST Dense(15) rmsprop, 10 epochs, first run's time, mean test accuracy of seeds "
        f"{SEEDS}: seed fit {seed['seconds']:.2f} s "
        f"(test acc {seed['test_accuracy']:.4f}), nn_core {ours['seconds']:.2f} s "
        f"(test acc {ours['test_accuracy']:.4f}) -> {seed['seconds'] / ours['seconds']:.1f}x"
    )
    report(
        {
            "seed_s": seed["seconds"],
            "ours_s": ours["seconds"],
            "speedup": seed["seconds"] / ours["seconds"],
            "seed_test_accuracy": seed["test_accuracy"],
            "ours_test_accuracy": ours["test_accuracy"],
            "peak_rss_mib": peak_rss_mib(),
        }
    )


if __name__ == "__main__":
    main()
