"""Guided lessons (issue 16), measured in Chromium against a real server; the seed's moons cell
(the chapter's model.fit of the 50-unit network) in the same run, for scale.

Run from the repository root (Debian's chromium installed): python bench/lessons.py

- Prepare: "Prepare this lesson" on every shipped lesson that has steps on the pages with a
  player, from the click until the page says it is prepared.
- Then, on the prepared lesson "Under- and overfitting on moons" in a new tab: for each step,
  Next + Reveal until the step's reveal text is drawn (target: under 0.5 s end to end).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from _common import ROOT, report, run_seed_code, use_shared_datasets
from playground import SEED_CELL

sys.path.insert(0, str(ROOT / "tests"))
from browser_helpers import chromium, open_page, streamlit_server, wait_idle  # noqa: E402

LESSON = "overfitting_moons"


def prepare_seconds(page, server: str, name: str, steps: int) -> float:
    page.goto(f"{server}/{first_page(name)}?lesson={name}&step=1")
    page.get_by_text(f"step 1 of {steps}").first.wait_for(timeout=120_000)
    wait_idle(page)
    started = time.perf_counter()
    page.locator(".st-key-lesson_prepare button").first.click()
    page.get_by_text("Prepared: the results of all").first.wait_for(timeout=600_000)
    return time.perf_counter() - started


def first_page(name: str) -> str:
    from nn_core import lessons

    return lessons.read(ROOT / "lessons" / f"{name}.toml").steps[0].page


def next_and_reveal_seconds(page, server: str, steps: int) -> list[float]:
    """Each step after the first: Next, then Reveal, until its reveal text is there."""
    from nn_core import lessons

    lesson = lessons.read(ROOT / "lessons" / f"{LESSON}.toml")
    page.goto(f"{server}/mlp_moons?lesson={LESSON}&step=1")
    page.get_by_text(f"step 1 of {steps}").first.wait_for(timeout=120_000)
    wait_idle(page)
    seconds = []
    for number in range(2, steps + 1):
        shown = lesson.steps[number - 1].reveal.split("{")[0].strip()
        started = time.perf_counter()
        page.locator(".st-key-lesson_next button").click()
        page.get_by_text(f"step {number} of {steps}").first.wait_for()
        page.locator(".st-key-lesson_reveal button").click()
        page.get_by_text(shown[:40]).first.wait_for(timeout=120_000)
        seconds.append(time.perf_counter() - started)
        wait_idle(page)
    return seconds


def main() -> None:
    use_shared_datasets()
    from nn_core import lessons

    names = [path.stem for path in sorted((ROOT / "lessons").glob("*.toml"))]
    log = Path("/tmp/lessons-bench-server.log")
    figures = {}
    with streamlit_server(log) as (server, _process), chromium() as browser:
        page = open_page(browser, server)
        total = 0.0
        for name in names:
            steps = len(lessons.read(ROOT / "lessons" / f"{name}.toml").steps)
            took = prepare_seconds(page, server, name, steps)
            figures[f"prepare_{name}_s"] = took
            total += took
        figures["prepare_all_shipped_s"] = total
        steps = len(lessons.read(ROOT / "lessons" / f"{LESSON}.toml").steps)
        fresh = browser.new_page(viewport={"width": 1400, "height": 1000})
        times = next_and_reveal_seconds(fresh, server, steps)
    figures["prepared_next_reveal_median_s"] = statistics.median(times)
    figures["prepared_next_reveal_max_s"] = max(times)
    for number, seconds in enumerate(times, start=2):
        figures[f"prepared_next_reveal_step_{number}_s"] = seconds
    seed = run_seed_code(SEED_CELL)["fit_s"]
    figures["seed_chapter_fit_s"] = seed
    figures["seed_fit_over_prepared_reveal"] = seed / statistics.median(times)
    report(figures)


if __name__ == "__main__":
    main()
