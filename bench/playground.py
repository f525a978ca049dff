"""The MLP page's Playground features (issue 14), measured; the seed's moons cell in the same run.

Run from the repository root: python bench/playground.py

- Snapshots: the chapter's setting (200 moons, 5,000 full-batch epochs) and a mini-batch one
  (batch 32, 2,000 epochs), each trained warm 7 times with and without the replay's 30
  snapshots taken inside the compiled loop; the median ratio is the overhead.
- The seed's cell (Keras fit of the same network) beside our training of it.
- The diagram of a 4 x 8 network: time to build and bytes of its spec.
- In Chromium against a real server: a new setting (a feature switched on: a network never
  compiled before) until its boundary is drawn, and until the whole page (diagram included)
  is; a scrub of the replay slider until the
  boundary has changed; playback frames per second, first play and again.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from _common import ROOT, report, run_seed_code, use_shared_datasets, wait_until_quiet

sys.path.insert(0, str(ROOT / "tests"))  # the browser helpers the tests use
from browser_helpers import canvas_digest  # noqa: E402

SEED_CELL = """
import json, time
from sklearn.datasets import make_moons
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense, Input
from tensorflow.keras.optimizers import SGD

x_train, y_train = make_moons(200, noise=0.40, random_state=0)
started = time.perf_counter()
model = Sequential([Input((2,)), Dense(50, activation="tanh"), Dense(1, activation="sigmoid")])
model.compile(optimizer=SGD(learning_rate=1.0), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, verbose=0, epochs=5000, batch_size=x_train.shape[0])
print(json.dumps({"fit_s": time.perf_counter() - started}))
"""


def snapshot_overhead(config, repeats: int = 7) -> tuple[float, float, float]:
    """(median seconds without snapshots, with 30, ratio) for the chapter's network."""
    from nn_core import chapter, training

    split = chapter.moons_split()
    plain, replayed = replace(config, replay_frames=0), replace(config, replay_frames=30)
    for warm in (plain, replayed):  # compile both first
        training.train_split(chapter.MOONS_NETWORK, warm, split)
    times = {0: [], 30: []}
    for _ in range(repeats):  # alternated, so a busy moment hits both alike
        for frames, setting in ((0, plain), (30, replayed)):
            started = time.perf_counter()
            training.train_split(chapter.MOONS_NETWORK, setting, split)
            times[frames].append(time.perf_counter() - started)
    without, with_snapshots = statistics.median(times[0]), statistics.median(times[30])
    return without, with_snapshots, with_snapshots / without


def diagram_figures() -> tuple[float, int]:
    from nn_core import chapter, diagram, training
    from ui.layout import vega_lite_spec

    split = chapter.moons_split()
    spec = replace(chapter.MOONS_NETWORK, hidden_units=(8, 8, 8, 8))
    result = training.train_split(spec, replace(chapter.MOONS_TRAINING, epochs=500), split)
    grid = training.plane_grid(split.x_train, diagram.THUMBNAIL_GRID)
    vega_lite_spec(diagram.network_diagram(result, grid))  # traces the predictions once
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        drawn = vega_lite_spec(diagram.network_diagram(result, grid, selected="h2.3"))
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), len(json.dumps(drawn, default=str))


def wait_changed(page, title: str, before: str, timeout: float = 60) -> float:
    """Seconds until the chart's canvas shows something other than `before`."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        now = canvas_digest(page, title)
        if now and now != before:
            return time.perf_counter() - started
        page.wait_for_timeout(10)
    raise SystemExit(f"'{title}' did not change within {timeout} s")


def play_fps(page) -> float:
    """Frames per second of one play of the replay (distinct boundaries over its duration)."""
    page.locator(".st-key-moons_play button").click()
    page.locator("[data-testid='stProgress']").first.wait_for()
    started, seen, last = time.perf_counter(), 0, canvas_digest(page, "Decision boundary")
    while page.locator("[data-testid='stProgress']").count():
        now = canvas_digest(page, "Decision boundary")
        if now and now != last:
            seen, last = seen + 1, now
        page.wait_for_timeout(10)
    return seen / (time.perf_counter() - started)


def browser_figures() -> dict:
    from browser_helpers import chromium, open_page, streamlit_server, wait_idle

    log = Path("/tmp/nn_explorer_playground_bench.log")
    with streamlit_server(log) as (url, process), chromium() as browser:
        page = open_page(browser, f"{url}/mlp_moons", viewport=(1400, 1400))
        page.locator(
            "[data-testid='stVegaLiteChart'][aria-label='Decision boundary'] canvas"
        ).wait_for()
        # The warm-up compiles the MLP page's one-layer networks in the background after a
        # restart (15-40 s of CPU); a class arrives after it, so the figure does too.
        wait_until_quiet(process)
        wait_idle(page)
        before = canvas_digest(page, "Decision boundary")
        started = time.perf_counter()
        page.locator(".st-key-moons_feature_x1_x2 label").click()  # x1·x2 on: a new network
        boundary = wait_changed(page, "Decision boundary", before)
        wait_idle(page)
        whole_page = time.perf_counter() - started
        scrubs = []
        for _ in range(5):
            before = canvas_digest(page, "Decision boundary")
            page.locator("[class*='st-key-moons_replay_'] input[type='range']").first.focus()
            started = time.perf_counter()
            page.keyboard.press("ArrowLeft")
            scrubs.append(wait_changed(page, "Decision boundary", before))
            wait_idle(page)
        first_play = play_fps(page)
        wait_idle(page)
        again = play_fps(page)
    return {
        "new_setting_boundary_s": boundary,
        "new_setting_whole_page_s": whole_page,
        "scrub_redraw_median_s": statistics.median(scrubs),
        "scrub_redraw_max_s": max(scrubs),
        "play_fps_first": first_play,
        "play_fps_again": again,
    }


def main() -> None:
    use_shared_datasets()
    from nn_core import chapter, training

    seed = run_seed_code(SEED_CELL)
    started = time.perf_counter()
    training.train_split(chapter.MOONS_NETWORK, chapter.MOONS_TRAINING, chapter.moons_split())
    ours_cold = time.perf_counter() - started
    full = snapshot_overhead(chapter.MOONS_TRAINING)
    mini = snapshot_overhead(replace(chapter.MOONS_TRAINING, epochs=2000, batch_size=32))
    diagram_seconds, diagram_bytes = diagram_figures()
    figures = {
        "seed_fit_s": seed["fit_s"],
        "ours_cold_fit_s": ours_cold,
        "seed_over_ours": seed["fit_s"] / ours_cold,
        "full_batch_s": full[0],
        "full_batch_with_snapshots_s": full[1],
        "snapshot_overhead_full_batch": full[2] - 1,
        "mini_batch_s": mini[0],
        "mini_batch_with_snapshots_s": mini[1],
        "snapshot_overhead_mini_batch": mini[2] - 1,
        "diagram_4x8_s": diagram_seconds,
        "diagram_4x8_kB": diagram_bytes / 1000,
        **browser_figures(),
    }
    report(figures)


if __name__ == "__main__":
    main()
