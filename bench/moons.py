"""The chapter's moons experiment: the seed's Keras code against nn_core, in the same run.

Run from the repository root: python bench/moons.py [--sweep]
--sweep adds the chapter's 5-value hidden-layer sweep (about 8 minutes of seed code).

Fit and boundary are timed apart, and the boundary on the same grids on both sides: the
chapter's plot_decision_boundary grid (0.01 steps over the data plus 0.5 padding: about 224,000
points through model.predict at batch 32) and the app's 200 x 200 grid. The combined figure
("as drawn") is each side's fit plus the boundary on the grid it actually draws.
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
# plot_decision_boundary's grid: 0.01 steps over the data plus 0.5 padding.
x_min, x_max = x_train[:, 0].min() - 0.5, x_train[:, 0].max() + 0.5
y_min, y_max = x_train[:, 1].min() - 0.5, x_train[:, 1].max() + 0.5
xx, yy = np.meshgrid(np.arange(x_min, x_max, 0.01), np.arange(y_min, y_max, 0.01))
chapter_grid = np.c_[xx.ravel(), yy.ravel()]
xx, yy = np.meshgrid(np.linspace(x_min, x_max, 200), np.linspace(y_min, y_max, 200))
app_grid = np.c_[xx.ravel(), yy.ravel()]
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
    fitted = time.perf_counter()
    model.predict(chapter_grid, verbose=0) > 0.5
    chapter_boundary = time.perf_counter()
    model.predict(app_grid, verbose=0) > 0.5
    results[hidden_layer_size] = {
        "fit_s": fitted - started,
        "boundary_chapter_grid_s": chapter_boundary - fitted,
        "boundary_200_grid_s": time.perf_counter() - chapter_boundary,
        "chapter_grid_points": len(chapter_grid),
        "accuracy": history.history["accuracy"][-1],
    }
print(json.dumps(results))
"""


def run_ours(hidden_sizes):
    from dataclasses import replace

    import numpy as np

    from nn_core import chapter, data, training

    x_train, y_train = data.make_toy_dataset("moons", 200, 0.40, seed=0)
    app_grid = training.plane_grid(x_train, resolution=200)
    (x_low, x_high), (y_low, y_high) = data.plane_bounds(x_train)
    chapter_grid = training.Grid(
        np.arange(x_low, x_high, 0.01, dtype=np.float32),
        np.arange(y_low, y_high, 0.01, dtype=np.float32),
    )
    results = {}
    for hidden_layer_size in hidden_sizes:
        spec = replace(chapter.MOONS_NETWORK, hidden_units=(hidden_layer_size,))
        started = time.perf_counter()
        result = training.train(spec, chapter.MOONS_TRAINING, x_train, y_train)
        fitted = time.perf_counter()
        training.decision_grid(result, app_grid)
        app_boundary = time.perf_counter()
        training.decision_grid(result, chapter_grid)
        results[hidden_layer_size] = {
            "fit_s": fitted - started,
            "boundary_200_grid_s": app_boundary - fitted,
            "boundary_chapter_grid_s": time.perf_counter() - app_boundary,
            "accuracy": float(result.history["accuracy"].iloc[-1]),
        }
    return results


def page_redraw_seconds() -> dict:
    """Through the page (AppTest runs the real script): the default page, then moving the
    units slider to a value never trained before (a new network: build, trace, train, draw)."""
    from streamlit.testing.v1 import AppTest

    from ui import warmup

    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    app.run()
    # The home page starts the server's warm-up (TensorFlow, the chapter's network, the speed
    # measurement): a visitor reads the home page meanwhile; here, wait for it to end.
    warmup.finished.wait(120)
    app.switch_page("pages/4_mlp_moons.py")
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
    theirs, mine = seed["50"], ours[50]
    figures = {
        "seed_fit_s": theirs["fit_s"],
        "ours_fit_cold_s": mine["fit_s"],
        "fit_speedup": theirs["fit_s"] / mine["fit_s"],
        "seed_boundary_chapter_grid_s": theirs["boundary_chapter_grid_s"],
        "ours_boundary_chapter_grid_s": mine["boundary_chapter_grid_s"],
        "boundary_chapter_grid_speedup": theirs["boundary_chapter_grid_s"]
        / mine["boundary_chapter_grid_s"],
        "seed_boundary_200_grid_s": theirs["boundary_200_grid_s"],
        "ours_boundary_200_grid_s": mine["boundary_200_grid_s"],
        "boundary_200_grid_speedup": theirs["boundary_200_grid_s"] / mine["boundary_200_grid_s"],
        # Each side as it draws: the chapter's fit + its 0.01 grid; ours: fit + 200 x 200.
        "seed_as_drawn_s": theirs["fit_s"] + theirs["boundary_chapter_grid_s"],
        "ours_as_drawn_s": mine["fit_s"] + mine["boundary_200_grid_s"],
        "seed_train_accuracy": theirs["accuracy"],
        "ours_train_accuracy": mine["accuracy"],
    }
    figures["as_drawn_speedup"] = figures["seed_as_drawn_s"] / figures["ours_as_drawn_s"]
    print(
        f"50 tanh units: fit seed {theirs['fit_s']:.1f} s, nn_core {mine['fit_s']:.3f} s cold "
        f"-> {figures['fit_speedup']:.0f}x; boundary on the chapter's "
        f"{theirs['chapter_grid_points']:,}-point grid {theirs['boundary_chapter_grid_s']:.2f} s "
        f"vs {mine['boundary_chapter_grid_s']:.3f} s, on 200x200 "
        f"{theirs['boundary_200_grid_s']:.2f} s vs {mine['boundary_200_grid_s']:.3f} s"
    )
    if sweep:
        seed_sweep = sum(item["fit_s"] + item["boundary_chapter_grid_s"] for item in seed.values())
        ours_sweep = sum(item["fit_s"] + item["boundary_200_grid_s"] for item in ours.values())
        print(f"sweep 1,3,5,20,50 as drawn: seed {seed_sweep:.1f} s, nn_core {ours_sweep:.2f} s")
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
