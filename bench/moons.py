"""The chapter's moons experiment: the seed's Keras code against nn_core, in the same run.

Run from the repository root: python bench/moons.py [--sweep]
--sweep adds the chapter's 5-value hidden-layer sweep (about 8 minutes of seed code).
"""

from __future__ import annotations

import sys
import time

from _common import ROOT, report, run_seed_code

SEED_CELL = """
import json, time
import numpy as np
from sklearn.datasets import make_moons
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense, Input
from tensorflow.keras.optimizers import SGD

x_train, y_train = make_moons(200, noise=0.40, random_state=0)
results = {}
for hidden_layer_size in HIDDEN_SIZES:
    started = time.perf_counter()
    model = Sequential()
    model.add(Input((2,)))
    model.add(Dense(hidden_layer_size, activation="tanh"))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(
        optimizer=SGD(learning_rate=1.0), loss="binary_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(x_train, y_train, verbose=0, epochs=5000, batch_size=x_train.shape[0])
    # plot_decision_boundary's grid: 0.01 steps over the data plus 0.5 padding.
    x_min, x_max = x_train[:, 0].min() - 0.5, x_train[:, 0].max() + 0.5
    y_min, y_max = x_train[:, 1].min() - 0.5, x_train[:, 1].max() + 0.5
    xx, yy = np.meshgrid(np.arange(x_min, x_max, 0.01), np.arange(y_min, y_max, 0.01))
    boundary = model.predict(np.c_[xx.ravel(), yy.ravel()], verbose=0) > 0.5
    results[hidden_layer_size] = {"seconds": time.perf_counter() - started,
                                  "accuracy": history.history["accuracy"][-1]}
print(json.dumps(results))
"""


def run_ours(hidden_sizes):
    from nn_core import data, models, training

    x_train, y_train = data.make_toy_dataset("moons", 200, 0.40, seed=0)
    grid = training.plane_grid(x_train, resolution=200)
    results = {}
    for hidden_layer_size in hidden_sizes:
        started = time.perf_counter()
        spec = models.ModelSpec(input_size=2, hidden_units=(hidden_layer_size,), activation="tanh")
        result = training.train(spec, training.TrainConfig(), x_train, y_train)
        training.decision_grid(result, grid)
        results[hidden_layer_size] = {
            "seconds": time.perf_counter() - started,
            "accuracy": float(result.history["accuracy"].iloc[-1]),
        }
    return results


def page_redraw_seconds() -> dict:
    """Through the page (AppTest runs the real script): the default page, then moving the
    units slider to a value never trained before (a new network: build, trace, train, draw)."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    app.run()
    app.switch_page("pages/2_mlp_moons.py")
    started = time.perf_counter()
    app.run()
    first = time.perf_counter() - started
    started = time.perf_counter()
    app.select_slider(key="moons_units_0").set_value(20).run()
    redraw = time.perf_counter() - started
    assert not app.exception
    return {"page_first_load_s": first, "page_slider_redraw_s": redraw}


def main():
    sweep = "--sweep" in sys.argv
    hidden_sizes = [1, 3, 5, 20, 50] if sweep else [50]
    seed = run_seed_code(SEED_CELL.replace("HIDDEN_SIZES", repr(hidden_sizes)))
    ours = run_ours(hidden_sizes)
    seed_s, ours_s = seed["50"]["seconds"], ours[50]["seconds"]
    print(
        f"default (50 tanh units): seed {seed_s:.1f} s, nn_core {ours_s:.3f} s cold "
        f"-> {seed_s / ours_s:.0f}x; accuracy seed {seed['50']['accuracy']:.3f}, "
        f"nn_core {ours[50]['accuracy']:.3f}"
    )
    figures = {
        "seed_s": seed_s,
        "ours_cold_s": ours_s,
        "speedup": seed_s / ours_s,
        "seed_train_accuracy": seed["50"]["accuracy"],
        "ours_train_accuracy": ours[50]["accuracy"],
    }
    if sweep:
        seed_sweep = sum(item["seconds"] for item in seed.values())
        ours_sweep = sum(item["seconds"] for item in ours.values())
        print(f"sweep 1,3,5,20,50: seed {seed_sweep:.1f} s, nn_core {ours_sweep:.2f} s")
        figures.update(
            seed_sweep_s=seed_sweep, ours_sweep_s=ours_sweep, sweep_speedup=seed_sweep / ours_sweep
        )
    figures.update(page_redraw_seconds())
    print(
        f"page: first load {figures['page_first_load_s']:.2f} s, units slider moved -> "
        f"redrawn in {figures['page_slider_redraw_s']:.2f} s"
    )
    report(figures)


if __name__ == "__main__":
    main()
