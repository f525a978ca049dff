"""Perceptron page figures: the rule's history for 1,000 epochs on 200 points (target < 0.5 s)
and a step or scrub redraw through the page (target < 0.3 s). The chapter states the rule but
has no code for it, so there is no seed run to compare with.

Run from the repository root: python bench/perceptron.py
"""

# The last line printed is one JSON object with the figures (_common.report, json.dumps).

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from _common import ROOT, report


def history_seconds() -> float:
    from nn_core import data
    from nn_core.perceptron import PerceptronConfig, train_perceptron

    points, labels = data.make_toy_dataset("xor", 200, 0.2, seed=0)  # never converges
    started = time.perf_counter()
    history = train_perceptron(points, labels, PerceptronConfig(max_epochs=1000))
    seconds = time.perf_counter() - started
    assert history.epochs_run == 1000 and history.steps == 200_000
    return seconds


def page_seconds() -> dict:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    app.run()
    app.switch_page("pages/1_perceptron.py")
    app.run()
    app.slider(key="perceptron_samples").set_value(200).run()
    app.slider(key="perceptron_max_epochs").set_value(1000).run()
    app.selectbox(key="perceptron_dataset").set_value("xor").run()  # 200,000 steps of history
    timings = {}
    started = time.perf_counter()
    app.button(key="perceptron_step_one").click().run()
    timings["step_s"] = time.perf_counter() - started
    started = time.perf_counter()
    app.slider(key="perceptron_step").set_value(150_000).run()
    timings["scrub_s"] = time.perf_counter() - started
    assert not app.exception
    return timings


def browser_seconds() -> dict:
    """In a real browser, where the stepper is a fragment: click to the new step on screen."""
    sys.path.insert(0, str(ROOT / "tests"))
    from browser_helpers import chromium, click_button, open_page, streamlit_server, wait_idle

    steps, scrubs = [], []
    with streamlit_server(Path("/tmp/perceptron-server.log")) as (url, _), chromium() as browser:
        page = open_page(browser, f"{url}/perceptron?dataset=xor&samples=200&max_epochs=1000")
        slider = page.locator(".st-key-perceptron_step input[type='range']")
        for step in range(1, 11, 2):  # five clicks, each followed by one scrub to the next step
            started = time.perf_counter()
            click_button(page, "perceptron_step_one")
            page.get_by_text(f"Step {step} (epoch 1)").first.wait_for()
            steps.append(time.perf_counter() - started)
            wait_idle(page)
            slider.first.focus()
            started = time.perf_counter()
            slider.first.press("ArrowRight")
            page.get_by_text(f"Step {step + 1} (epoch 1)").first.wait_for()
            scrubs.append(time.perf_counter() - started)
            wait_idle(page)
    return {
        "browser_step_median_s": statistics.median(steps),
        "browser_scrub_median_s": statistics.median(scrubs),
    }


def main():
    figures = {
        "history_1000_epochs_200_points_s": history_seconds(),
        **page_seconds(),
        **browser_seconds(),
    }
    print(
        f"1,000 epochs x 200 points: {figures['history_1000_epochs_200_points_s']:.3f} s; "
        f"AppTest (whole script): step {figures['step_s']:.3f} s, scrub {figures['scrub_s']:.3f} "
        f"s; browser (the stepper fragment), median of 5: step "
        f"{figures['browser_step_median_s']:.3f} s, scrub {figures['browser_scrub_median_s']:.3f} s"
    )
    report(figures)


if __name__ == "__main__":
    main()
