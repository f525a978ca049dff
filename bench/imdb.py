"""The chapter's IMDB overfitting experiment: the seed's Keras code against nn_core.

Run from the repository root with real data:
    NN_CORE_DATA_DIR=../shared/datasets python bench/imdb.py
The seed's code (dense float64 multi-hot matrices + model.fit) runs in its own process; this
process runs only ours, so peak_rss_mib is the engine loading IMDB and training all four presets.
"""

from __future__ import annotations

import time

from _common import ROOT, peak_rss_mib, report, run_seed_code

SEED_CELLS = """
import json, resource, time
import keras
import numpy as np
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense, Input
from nn_core.data import load_imdb  # the same arrays imdb.load_data(num_words=10000) returns

imdb = load_imdb(10000)
def as_lists(reviews):
    return [reviews.review(i).tolist() for i in range(len(reviews))]
train_data, train_labels = as_lists(imdb.train), imdb.train.labels
test_data, test_labels = as_lists(imdb.test), imdb.test.labels

def vectorize_sequences(sequences, dimension=10000):
    results = np.zeros((len(sequences), dimension))
    for i, sequence in enumerate(sequences):
        results[i, sequence] = 1.0
    return results

keras.utils.set_random_seed(0)
started = time.perf_counter()
x_train = vectorize_sequences(train_data)
x_test = vectorize_sequences(test_data)
x_val, x_train = x_train[:10000], x_train[10000:]
y_val, y_train = train_labels[:10000], train_labels[10000:]
vectorised = time.perf_counter()
model = Sequential()
model.add(Input((10000,)))
model.add(Dense(16, activation="relu"))
model.add(Dense(16, activation="relu"))
model.add(Dense(1, activation="sigmoid"))
model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=20, verbose=0, batch_size=512,
                    validation_data=(x_val, y_val))
trained = time.perf_counter()
_, test_acc = model.evaluate(x_test, test_labels, verbose=0)
val_loss = history.history["val_loss"]
print(json.dumps({"vectorise_s": vectorised - started, "fit_s": trained - vectorised,
                  "test_accuracy": test_acc, "best_epoch": int(np.argmin(val_loss)) + 1,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

# Short names for the chapter's four networks (nn_core.chapter.IMDB_PRESETS, in its order).
NAMES = ("baseline", "smaller", "l2", "dropout_l2")


def run_ours():
    from nn_core import chapter, data, diagnostics, training

    imdb = data.load_imdb(chapter.IMDB_VOCABULARY)
    results = {}
    for name, spec in zip(NAMES, chapter.IMDB_PRESETS.values(), strict=True):
        started = time.perf_counter()
        matrices = data.imdb_matrices(imdb)  # vectorising is timed, as in the seed's figure
        result = training.train_split(spec, chapter.IMDB_TRAINING, matrices)
        seconds = time.perf_counter() - started
        history = result.history
        results[name] = {
            "seconds": seconds,
            "test_accuracy": training.evaluate(result, matrices.x_test, matrices.y_test)[
                "accuracy"
            ],
            "best_epoch": diagnostics.best_epoch(history["val_loss"]),
            "best_val_loss": float(history["val_loss"].min()),
            "final_val_loss": float(history["val_loss"].iloc[-1]),
        }
    return results


def main():
    seed = run_seed_code(f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + SEED_CELLS)
    ours = run_ours()
    seed_s = seed["vectorise_s"] + seed["fit_s"]
    base = ours["baseline"]
    print(
        f"baseline 16-16, 20 epochs: seed {seed['vectorise_s']:.1f} s vectorising + "
        f"{seed['fit_s']:.1f} s fit (test acc {seed['test_accuracy']:.4f}, peak RSS "
        f"{seed['peak_rss_mib']:.0f} MiB); nn_core {base['seconds']:.2f} s "
        f"(test acc {base['test_accuracy']:.4f}) -> {seed_s / base['seconds']:.1f}x"
    )
    for name, figures in ours.items():
        print(
            f"  {name:>10}: best epoch {figures['best_epoch']:>2}, best val loss "
            f"{figures['best_val_loss']:.4f}, final val loss {figures['final_val_loss']:.4f}, "
            f"test acc {figures['test_accuracy']:.4f}, {figures['seconds']:.1f} s"
        )
    story = base["best_epoch"] < 20 and ours["dropout_l2"]["best_val_loss"] < base["final_val_loss"]
    print(f"overfitting story holds: {story}")
    report(
        {
            "seed_s": seed_s,
            "seed_vectorise_s": seed["vectorise_s"],
            "seed_fit_s": seed["fit_s"],
            "ours_s": base["seconds"],
            "speedup": seed_s / base["seconds"],
            "seed_test_accuracy": seed["test_accuracy"],
            "ours_test_accuracy": base["test_accuracy"],
            "seed_peak_rss_mib": seed["peak_rss_mib"],
            "peak_rss_mib": peak_rss_mib(),
            "baseline_best_epoch": base["best_epoch"],
            "baseline_final_val_loss": base["final_val_loss"],
            "dropout_l2_best_val_loss": ours["dropout_l2"]["best_val_loss"],
            "overfitting_story": story,
        }
    )


if __name__ == "__main__":
    main()
