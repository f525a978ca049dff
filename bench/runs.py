"""How long the Runs page takes to render 200 recorded runs (target: under 1 s).

Run from the repository root: python bench/runs.py
The runs are real records (one small moons training, recorded 200 times with varied settings
so every table column, chart axis and curve has work to do); the page runs through AppTest.
"""

# The last line printed is one JSON object with the figures (_common.report, json.dumps).

from __future__ import annotations

import dataclasses
import time

from _common import ROOT, report

RUN_COUNT = 200


def recorded_runs():
    from dataclasses import replace

    from nn_core import chapter, data, runs, training

    points, labels = data.make_toy_dataset("moons", 200, 0.4, seed=0)
    split = data.split_train_validation(points, labels, 0.3)
    result = training.train(
        replace(chapter.MOONS_NETWORK, hidden_units=(10,)),
        chapter.MOONS_TRAINING,
        split.x_train,
        split.y_train,
        split.x_validation,
        split.y_validation,
    )
    base = runs.make_record("moons-0", "moons", {"dataset": "moons"}, result)
    records = []
    for index in range(RUN_COUNT):
        settings = {
            **base.settings,
            "hidden_units": str(1 + index % 50),
            "l2_rate": [0.0, 0.001, 0.01][index % 3],
            "seed": index,
        }
        metrics = {**base.metrics, "val_accuracy": 0.7 + (index % 17) / 100}
        records.append(
            dataclasses.replace(
                base, run_id=f"moons-{index + 1}", settings=settings, metrics=metrics
            )
        )
    return records


def main():
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    app.run()
    app.session_state["recorded_runs"] = recorded_runs()
    app.switch_page("pages/7_runs.py")
    timings = []
    for _ in range(3):  # the first run imports the page's modules; later ones are reruns
        started = time.perf_counter()
        app.run()
        timings.append(time.perf_counter() - started)
        assert not app.exception, app.exception
    table = next(frame.value for frame in app.dataframe if "run" in frame.value)
    print(
        f"Runs page with {len(table)} runs: first render {timings[0]:.2f} s, "
        f"reruns {timings[1]:.2f} s and {timings[2]:.2f} s"
    )
    report({"runs": len(table), "first_render_s": timings[0], "rerender_s": min(timings[1:])})


if __name__ == "__main__":
    main()
